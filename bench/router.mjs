/**
 * Router micro-benchmark (`node bench/router.mjs`): nanoseconds per match for route tables
 * of 10, 100 and 1,000 rules, for bottle-ts's Router (from the built package), find-my-way
 * (Fastify's router) and path-to-regexp used naively (a list of match functions tried in
 * order). The looked-up path always hits the last rule registered, the worst case for an
 * ordered list, so the growth from 10 to 1,000 rules shows how the cost scales.
 *
 * Tables: static (`/static/r<i>/page`), dynamic (`/api/r<i>/<id>`), mixed (the two
 * alternating) and dynamic-tail (`/u/<id>/r<i>`: the wildcard comes first, so a
 * prefix trie cannot separate the rules). Each pair runs in its own process. Options:
 * --quick, --kinds=a,b, --sizes=10,100. Run it under another Node with `/path/to/node bench/router.mjs`.
 */
import FindMyWay from 'find-my-way'
import { match as ptrMatch } from 'path-to-regexp'
import { Router } from 'bottle-ts'
import { spawnSync } from 'node:child_process'
import { writeFileSync, mkdirSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results')
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split(/=(.*)/s)
    return [k, v ?? true]
  })
)
const QUICK = Boolean(args.quick)
const SIZES = args.sizes ? String(args.sizes).split(',').map(Number) : [10, 100, 1000]
const KINDS = args.kinds
  ? String(args.kinds).split(',')
  : ['static', 'dynamic', 'mixed', 'dynamic-tail']
const BATCH_MS = QUICK ? 30 : 150
const BATCHES = QUICK ? 3 : 7

/** Rules as `{ bottle, express, path }`: Bottle syntax, `:id` syntax, a matching path. */
function table(kind, n) {
  const rules = []
  for (let i = 0; i < n; i++) {
    const isStatic = kind === 'static' || (kind === 'mixed' && i % 2 === 0)
    if (isStatic) {
      const r = kind === 'mixed' ? `/m/r${i}/page` : `/static/r${i}/page`
      rules.push({ bottle: r, express: r, path: r, id: null })
    } else if (kind === 'dynamic-tail') {
      rules.push({
        bottle: `/u/<id>/r${i}`,
        express: `/u/:id/r${i}`,
        path: `/u/12345/r${i}`,
        id: '12345',
      })
    } else {
      const p = kind === 'mixed' ? `/m/r${i}` : `/api/r${i}`
      rules.push({ bottle: `${p}/<id>`, express: `${p}/:id`, path: `${p}/12345`, id: '12345' })
    }
  }
  return rules
}

/** Each implementation: build from rules, return `(path) => [targetIndex, id]`. */
const IMPLS = {
  'bottle-ts': (rules) => {
    const router = new Router()
    rules.forEach((r, i) => router.add(r.bottle, 'GET', i))
    return (path) => {
      const m = router.match('GET', path)
      return [m.target, m.args.id]
    }
  },
  'find-my-way': (rules) => {
    const router = FindMyWay()
    rules.forEach((r, i) => router.on('GET', r.express, () => i, { i }))
    return (path) => {
      const m = router.find('GET', path)
      return [m.store.i, m.params.id]
    }
  },
  'path-to-regexp (naive)': (rules) => {
    const list = rules.map((r, i) => [ptrMatch(r.express), i])
    return (path) => {
      for (const [fn, i] of list) {
        const m = fn(path)
        if (m) return [i, m.params.id]
      }
      return null
    }
  },
}

/** ns per call: calibrate a batch to ~BATCH_MS, keep the best of BATCHES batches. */
function measure(fn, path) {
  let sink = 0
  let iters = 1000
  for (;;) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < iters; i++) sink ^= fn(path)[0]
    const ms = Number(process.hrtime.bigint() - t) / 1e6
    if (ms > BATCH_MS / 4) {
      iters = Math.max(1000, Math.round((iters * BATCH_MS) / ms))
      break
    }
    iters *= 4
  }
  // One discarded batch so every implementation is measured after the JIT has settled.
  for (let i = 0; i < iters; i++) sink ^= fn(path)[0]
  const results = []
  for (let b = 0; b < BATCHES; b++) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < iters; i++) sink ^= fn(path)[0]
    results.push(Number(process.hrtime.bigint() - t) / iters)
  }
  results.sort((a, b) => a - b)
  if (sink === 0.5) console.log(sink) // keeps the loop from being optimised away
  // The fastest batch: on a shared machine, interference only ever adds time.
  return results[0]
}

/** Measures one (table kind, router) pair for every size; returns `{ size: ns | error }`. */
function run(kind, name) {
  const cells = {}
  for (const n of SIZES) {
    const rules = table(kind, n)
    const target = rules[rules.length - 1]
    let fn
    try {
      fn = IMPLS[name](rules)
      const got = fn(target.path)
      if (!got || got[0] !== rules.length - 1 || (got[1] ?? null) !== target.id)
        throw new Error(`matched ${JSON.stringify(got)} instead of rule ${rules.length - 1}`)
    } catch (err) {
      cells[n] = `error: ${err.message}`
      continue
    }
    cells[n] = measure(fn, target.path)
  }
  return cells
}

if (args.child) {
  // Child mode: one pair per process, so no router's JIT state colours another's figures.
  const [kind, name] = String(args.child).split('|')
  process.stdout.write(JSON.stringify(run(kind, name)) + '\n')
  process.exit(0)
}

const rows = []
for (const kind of KINDS) {
  for (const name of Object.keys(IMPLS)) {
    const childArgs = [fileURLToPath(import.meta.url), `--child=${kind}|${name}`]
    if (QUICK) childArgs.push('--quick')
    childArgs.push(`--sizes=${SIZES.join(',')}`)
    const r = spawnSync(process.execPath, childArgs, { encoding: 'utf8' })
    let cells
    try {
      cells = JSON.parse(r.stdout.trim().split('\n').pop())
    } catch {
      cells = Object.fromEntries(SIZES.map((n) => [n, `error: ${r.stderr.trim().split('\n')[0]}`]))
    }
    rows.push({ kind, name, cells })
    const shown = SIZES.map((n) => (typeof cells[n] === 'number' ? cells[n].toFixed(0) : cells[n]))
    process.stderr.write(`${kind.padEnd(13)} ${name.padEnd(23)} ${shown.join('  ')}\n`)
  }
}

const first = SIZES[0]
const last = SIZES[SIZES.length - 1]
const lines = [
  `### Router: ns per match (best of ${BATCHES} batches), lookup hits the last rule`,
  '',
  `${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} · Node ${process.version}`,
  '',
  `| table | router | ${SIZES.map((n) => `${n} rules`).join(' | ')} | growth ${last}/${first} |`,
  `| --- | --- | ${SIZES.map(() => '---:').join(' | ')} | ---: |`,
]
for (const { kind, name, cells } of rows) {
  const c = SIZES.map((n) => (typeof cells[n] === 'number' ? cells[n].toFixed(0) : cells[n]))
  const growth =
    typeof cells[first] === 'number' && typeof cells[last] === 'number'
      ? `${(cells[last] / cells[first]).toFixed(2)}×`
      : '-'
  lines.push(`| ${kind} | ${name} | ${c.join(' | ')} | ${growth} |`)
}
const dyn = rows.find((r) => r.kind === 'dynamic' && r.name === 'bottle-ts')
if (dyn && typeof dyn.cells[1000] === 'number' && typeof dyn.cells[10] === 'number') {
  const g = dyn.cells[1000] / dyn.cells[10]
  lines.push(
    '',
    `Goal (dynamic, bottle-ts, 1000/10 < 2): ${g.toFixed(2)}× ${g < 2 ? 'met' : 'NOT met'}`
  )
}
const md = lines.join('\n') + '\n'
process.stdout.write('\n' + md)
if (!QUICK || args.write) {
  mkdirSync(RESULTS, { recursive: true })
  writeFileSync(join(RESULTS, `router-node${process.versions.node.split('.')[0]}.md`), md)
}
