/**
 * The side-by-side HTTP benchmark (`npm run bench`). Starts every app of bench/apps on
 * CPU 0, checks that each serves the six scenarios correctly, then drives them with wrk
 * (autocannon when wrk is missing) pinned to CPU 1: one warm-up per app and scenario, then
 * N rounds in which the apps take turns scenario by scenario, so drift on a shared machine
 * hits them alike. Prints a markdown table of median req/s, median p99 latency and the
 * ratio to bare node:http, and writes it with the raw samples to bench/results/.
 *
 * Options: --quick, --rounds=N, --duration=S, --warmup=S, --connections=N,
 * --only=name,name, --routes=name,name, --node=/path/to/node, --node-args="...", --tag=NAME,
 * --no-build, --help (see HELP below).
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BENCH_DIR, STATIC_FILE, STATIC_SIZE, ensureStaticFile } from './apps/common.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const CACHE = join(BENCH_DIR, '.cache')
const RESULTS = join(BENCH_DIR, 'results')
const PYTHON = '/usr/bin/python3'

// --- Options -----------------------------------------------------------------------------

const HELP = `usage: npm run bench -- [options]
  --quick            short smoke run (1 round, 1 s per measurement)
  --rounds=N         measured rounds per app and scenario (default 3)
  --duration=S       seconds per measurement (default 3)
  --warmup=S         seconds of warm-up per app and scenario (default 2)
  --connections=N    concurrent connections (default 50)
  --only=a,b         apps to run (node-http, bottle-ts, fastify, express, koa, hono, bottle-py)
  --routes=a,b       scenarios to run (hello, json, param, echo, page, static)
  --node=PATH        run the Node apps under another node binary (e.g. Node 24)
  --node-args="..."  extra flags for the Node apps, e.g. "--cpu-prof --cpu-prof-dir=bench/.cache/prof"
  --tag=NAME         also write results/NAME.{md,csv} (default node<major> on full runs)
  --no-build         use dist/ as it is, even if src/ is newer
`

function parseArgs(argv) {
  const o = {
    rounds: 3,
    duration: 3,
    warmup: 2,
    connections: 50,
    only: null,
    routes: null,
    node: process.execPath,
    build: true,
    tag: null,
    nodeArgs: [],
  }
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split(/=(.*)/s)
    const num = () => {
      const n = Number(value)
      if (!(n > 0))
        throw new Error(`--${key} needs a positive number, got ${JSON.stringify(value)}`)
      return n
    }
    const list = () => (value ?? '').split(',').filter(Boolean)
    switch (key) {
      case 'quick':
        Object.assign(o, { rounds: 1, duration: 1, warmup: 0.5 })
        break
      case 'rounds':
        o.rounds = Math.round(num())
        break
      case 'duration':
        o.duration = num()
        break
      case 'warmup':
        o.warmup = Number(value) >= 0 ? Number(value) : num()
        break
      case 'connections':
        o.connections = Math.round(num())
        break
      case 'only':
        o.only = list()
        break
      case 'routes':
        o.routes = list()
        break
      case 'node':
        o.node = value
        break
      case 'node-args':
        o.nodeArgs = (value ?? '').split(' ').filter(Boolean)
        break
      case 'tag':
        o.tag = value
        break
      case 'no-build':
        o.build = false
        break
      case 'help':
      case 'h':
        process.stdout.write(HELP)
        process.exit(0)
        break
      default:
        throw new Error(`unknown option ${arg}\n${HELP}`)
    }
  }
  return o
}

// --- Apps and scenarios ------------------------------------------------------------------

const APPS = [
  { key: 'node-http', label: 'node:http (ceiling)', file: 'node-http.mjs' },
  { key: 'bottle-ts', label: 'bottle-ts', file: 'bottle-ts.mjs' },
  { key: 'fastify', label: 'Fastify', file: 'fastify.mjs', pkg: 'fastify' },
  { key: 'express', label: 'Express', file: 'express.mjs', pkg: 'express' },
  { key: 'koa', label: 'Koa + @koa/router', file: 'koa.mjs', pkg: 'koa' },
  { key: 'hono', label: 'Hono + node-server', file: 'hono.mjs', pkg: 'hono' },
  { key: 'bottle-py', label: 'Python Bottle (gunicorn, 1 sync worker)', python: true },
]

/** A deterministic JSON document of exactly 1 KiB. */
function echoBody() {
  const doc = { id: 12345, name: 'bench', tags: [], items: [] }
  for (let i = 0; JSON.stringify(doc).length < 900; i++)
    doc.items.push({ n: i, label: `item-${i}`, ok: i % 2 === 0 })
  doc.pad = ''
  doc.pad = 'x'.repeat(1024 - JSON.stringify(doc).length)
  return JSON.stringify(doc)
}

const ECHO = echoBody()

const ROUTES = [
  { key: 'hello', label: 'GET /', path: '/', check: (b) => b.toString() === 'Hello World!' },
  {
    key: 'json',
    label: 'GET /json',
    path: '/json',
    check: (b) => JSON.stringify(JSON.parse(b.toString())) === '{"message":"Hello World!"}',
  },
  {
    key: 'param',
    label: 'GET /user/<id>',
    path: '/user/12345',
    check: (b) => b.toString() === 'user 12345',
  },
  {
    key: 'echo',
    label: 'POST /echo (1 KiB JSON)',
    path: '/echo',
    method: 'POST',
    body: ECHO,
    check: (b) => JSON.stringify(JSON.parse(b.toString())) === ECHO,
  },
  {
    key: 'page',
    label: 'GET /page (template)',
    path: '/page',
    check: (b) => {
      const s = b.toString()
      const rows = s.match(/<tr>/g)?.length ?? 0
      return (
        rows === 100 &&
        s.includes('Item &lt;99&gt; &amp;') &&
        !s.includes('<99>') &&
        s.includes('<header><h1>Price list &lt;bench&gt;</h1></header>') &&
        /<title>Price list &lt;bench&gt;<\/title>/.test(s)
      )
    },
  },
  {
    key: 'static',
    label: 'GET /static/64k.bin',
    path: '/static/64k.bin',
    check: (b) => b.length === STATIC_SIZE && b.equals(readFileSync(STATIC_FILE)),
  },
]

// --- Helpers -------------------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const log = (msg) => process.stderr.write(msg + '\n')
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function newestMtime(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

/** Builds dist/ when it is missing or older than src/; users run the built package. */
function ensureBuild(force) {
  const entry = join(ROOT, 'dist', 'index.js')
  const stale = !existsSync(entry) || statSync(entry).mtimeMs < newestMtime(join(ROOT, 'src'))
  if (!stale || !force) {
    if (!existsSync(entry)) throw new Error('dist/index.js is missing: run `npm run build`')
    return
  }
  log('building dist/ (tsc -p tsconfig.build.json) ...')
  // Type errors elsewhere in the tree must not stop the benchmark: tsc still emits.
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    }
  )
  if (r.status !== 0)
    log(
      `  tsc reported errors (dist/ emitted anyway):\n${r.stdout.split('\n').slice(0, 5).join('\n')}`
    )
  if (!existsSync(entry)) throw new Error('build failed: dist/index.js missing')
}

function version(cmd, args) {
  // wrk prints its version and exits non-zero, so read the output whatever the status.
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0]
  return r.error || !text ? 'unavailable' : text
}

function pkgVersion(name) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'))
      .version
  } catch {
    return '?'
  }
}

const pinned = (cpu, cmd, args) =>
  PIN ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]
let PIN = false

// --- Servers -------------------------------------------------------------------------------

/**
 * CPU time (ns) used so far by a process, its threads and its child processes (gunicorn's
 * worker), from /proc schedstat. Unlike req/s, CPU per request barely moves when other
 * processes compete for the machine, so it is the steadier figure on a shared host.
 */
function cpuNs(pid, seen = new Set()) {
  if (seen.has(pid)) return 0
  seen.add(pid)
  let total = 0
  let tasks = []
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
  } catch {
    return 0
  }
  for (const tid of tasks) {
    const dir = `/proc/${pid}/task/${tid}`
    try {
      total += Number(readFileSync(`${dir}/schedstat`, 'utf8').split(' ')[0])
      for (const c of readFileSync(`${dir}/children`, 'utf8').split(/\s+/).filter(Boolean))
        total += cpuNs(Number(c), seen)
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return total
}

async function startApp(app, opts) {
  const port = await freePort()
  let cmd, args
  if (app.python) {
    ;[cmd, args] = pinned(0, PYTHON, [
      '-m',
      'gunicorn',
      '--workers=1',
      '--worker-class=sync',
      `--bind=127.0.0.1:${port}`,
      '--log-level=warning',
      `--chdir=${join(BENCH_DIR, 'apps')}`,
      'bottle_py:app',
    ])
  } else {
    ;[cmd, args] = pinned(0, opts.node, [...opts.nodeArgs, join(BENCH_DIR, 'apps', app.file)])
  }
  const child = spawn(cmd, args, {
    cwd: BENCH_DIR,
    env: { ...process.env, PORT: String(port), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  let info = null
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)))
  child.stdout.setEncoding('utf8')
  let buffered = ''
  child.stdout.on('data', (d) => {
    buffered += d
    for (const line of buffered.split('\n').slice(0, -1)) {
      try {
        const msg = JSON.parse(line)
        if (msg.ready) info = msg
      } catch {
        // not the readiness line
      }
    }
    buffered = buffered.slice(buffered.lastIndexOf('\n') + 1)
  })
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${app.key} exited (${child.exitCode}):\n${stderr}`)
    if (info) break
    if (app.python) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/`)
        await r.arrayBuffer()
        if (r.ok) info = { ready: true, port, notes: [] }
      } catch {
        // not listening yet
      }
    }
    await sleep(100)
  }
  if (!info) {
    child.kill('SIGKILL')
    throw new Error(`${app.key} did not start within 30 s:\n${stderr}`)
  }
  return { app, child, port: info.port, notes: info.notes ?? [], pid: child.pid }
}

async function stopApp(server) {
  if (server.child.exitCode !== null) return
  const exited = new Promise((r) => server.child.once('exit', r))
  server.child.kill('SIGTERM')
  await Promise.race([exited, sleep(3000)])
  if (server.child.exitCode === null) server.child.kill('SIGKILL')
}

async function validate(server, route) {
  try {
    const r = await fetch(`http://127.0.0.1:${server.port}${route.path}`, {
      method: route.method ?? 'GET',
      body: route.body,
      headers: route.body ? { 'Content-Type': 'application/json' } : {},
    })
    const body = Buffer.from(await r.arrayBuffer())
    if (r.status !== 200) return `status ${r.status}`
    return route.check(body) ? null : `unexpected body (${body.length} bytes)`
  } catch (err) {
    return err.message
  }
}

// --- Load ------------------------------------------------------------------------------------

function wrkScript(route) {
  mkdirSync(CACHE, { recursive: true })
  const file = join(CACHE, `wrk-${route.key}.lua`)
  let lua = ''
  if (route.method === 'POST') {
    const bodyFile = join(CACHE, 'echo.json')
    writeFileSync(bodyFile, route.body)
    lua += `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n`
    lua += `local f = assert(io.open(${JSON.stringify(bodyFile)}, "rb"))\nwrk.body = f:read("*a")\nf:close()\n`
  }
  lua += `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`
  writeFileSync(file, lua)
  return file
}

function runLoad(tool, server, route, seconds, connections) {
  const url = `http://127.0.0.1:${server.port}${route.path}`
  let cmd, args
  if (tool === 'wrk') {
    ;[cmd, args] = pinned(1, 'wrk', [
      '-t1',
      `-c${connections}`,
      // wrk takes whole seconds only.
      `-d${Math.max(1, Math.round(seconds))}s`,
      '--timeout=5s',
      '-s',
      wrkScript(route),
      url,
    ])
  } else {
    const extra = route.body
      ? ['-m', 'POST', '-H', 'Content-Type=application/json', '-b', route.body]
      : []
    ;[cmd, args] = pinned(1, process.execPath, [
      join(ROOT, 'node_modules/autocannon/autocannon.js'),
      '-j',
      '-c',
      String(connections),
      '-d',
      String(seconds),
      ...extra,
      url,
    ])
  }
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.once('error', reject)
    child.once('exit', () => {
      try {
        const lines = out.trim().split('\n')
        const j = JSON.parse(lines[lines.length - 1])
        if (tool === 'wrk') {
          resolve({
            requests: j.requests,
            rps: j.requests / (j.duration_us / 1e6),
            p50: j.p50_us / 1000,
            p99: j.p99_us / 1000,
            errors: j.errors,
            non2xx: j.non2xx,
          })
        } else {
          resolve({
            requests: j.requests.total,
            rps: j.requests.average,
            p50: j.latency.p50,
            p99: j.latency.p99,
            errors: j.errors + j.timeouts,
            non2xx: j.non2xx,
          })
        }
      } catch {
        reject(new Error(`${tool} gave no result for ${url}:\n${out}\n${err}`))
      }
    })
  })
}

// --- Report ----------------------------------------------------------------------------------

const fmt = (n, d = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
    : '-'

function summarise(samples, apps, routes) {
  const out = new Map()
  for (const route of routes) {
    for (const app of apps) {
      const s = samples.filter((x) => x.app === app.key && x.route === route.key)
      if (!s.length) continue
      out.set(`${app.key}/${route.key}`, {
        rps: median(s.map((x) => x.rps)),
        p99: median(s.map((x) => x.p99)),
        cpuUs: median(s.map((x) => x.cpuUs)),
        errors: s.reduce((a, x) => a + x.errors + x.non2xx, 0),
        n: s.length,
      })
    }
  }
  return out
}

function report({ samples, apps, routes, meta, invalid, notes }) {
  const sum = summarise(samples, apps, routes)
  const get = (app, route) => sum.get(`${app}/${route}`)
  const lines = []
  lines.push(
    `### HTTP: median of ${meta.rounds} round(s), ${meta.duration} s each, ${meta.connections} connections`
  )
  lines.push('')
  lines.push(
    `${meta.date} · ${meta.machine} · server Node ${meta.serverNode} · load: ${meta.tool} · ${meta.pinning}`
  )
  const table = (title, cell) => {
    lines.push('', title, '')
    lines.push(`| app | ${routes.map((r) => r.label).join(' | ')} |`)
    lines.push(`| --- | ${routes.map(() => '---:').join(' | ')} |`)
    for (const app of apps) {
      const cells = routes.map((route) => {
        const bad = invalid.get(`${app.key}/${route.key}`)
        if (bad) return `invalid (${bad})`
        const s = get(app.key, route.key)
        return s ? cell(s, get('node-http', route.key)) : '-'
      })
      const mark = notes.get(app.key)?.length ? ' \\*' : ''
      lines.push(`| ${app.label}${mark} | ${cells.join(' | ')} |`)
    }
  }
  table('Median req/s · median p99 latency · req/s as a ratio to bare node:http', (s, base) => {
    const ratio = base ? ` · ${fmt(s.rps / base.rps, 2)}×` : ''
    const err = s.errors ? ` · ${s.errors} err` : ''
    return `${fmt(s.rps)} · ${fmt(s.p99, 2)} ms${ratio}${err}`
  })
  table(
    "Server CPU time per request (µs, median) · node:http's CPU time as a ratio of it (1.00× = as cheap as the ceiling); steadier than req/s when the machine is shared",
    (s, base) => `${fmt(s.cpuUs, 1)} µs${base ? ` · ${fmt(base.cpuUs / s.cpuUs, 2)}×` : ''}`
  )
  for (const [key, list] of notes) {
    for (const note of list) lines.push(`\n\\* ${key}: ${note}`)
  }
  // The issue's goals, read off this run, by throughput and by CPU cost.
  const goals = []
  const check = (r, other, min) => {
    const b = get('bottle-ts', r)
    const o = get(other, r)
    if (!b || !o) return
    const byRps = b.rps / o.rps
    const byCpu = o.cpuUs / b.cpuUs
    goals.push(
      `- ${r}: bottle-ts vs ${other}: req/s ${fmt(byRps, 2)}×, CPU cost ${fmt(byCpu, 2)}× (goal ≥ ${fmt(min, 2)}): ${byRps >= min ? 'met' : 'NOT met'} by req/s, ${byCpu >= min ? 'met' : 'NOT met'} by CPU`
    )
  }
  for (const r of ['hello', 'json', 'param', 'echo', 'page']) {
    if (!routes.some((x) => x.key === r)) continue
    check(r, 'fastify', 1)
    if (['hello', 'json', 'param'].includes(r)) check(r, 'node-http', 0.95)
  }
  if (goals.length) lines.push('', 'Goals in this run:', '', ...goals)
  lines.push('')
  lines.push('Versions: ' + meta.versions)
  return lines.join('\n') + '\n'
}

function toCsv(samples, meta) {
  const head =
    'date,server_node,tool,round,app,route,requests,req_per_s,p50_ms,p99_ms,cpu_us_per_req,errors,non2xx'
  const rows = samples.map((s) =>
    [
      meta.date,
      meta.serverNode,
      meta.tool,
      s.round,
      s.app,
      s.route,
      s.requests,
      s.rps.toFixed(1),
      s.p50.toFixed(3),
      s.p99.toFixed(3),
      s.cpuUs.toFixed(2),
      s.errors,
      s.non2xx,
    ].join(',')
  )
  return [head, ...rows].join('\n') + '\n'
}

// --- Main ------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const known = (list, all, what) => {
    for (const k of list ?? [])
      if (!all.some((x) => x.key === k)) throw new Error(`unknown ${what} ${k}`)
    return list ? all.filter((x) => list.includes(x.key)) : all
  }
  let apps = known(opts.only, APPS, 'app')
  const routes = known(opts.routes, ROUTES, 'scenario')
  PIN = has('taskset') && cpus().length >= 2
  const tool = has('wrk') ? 'wrk' : 'autocannon'
  if (tool !== 'wrk')
    log('wrk not found (apt-get install -y wrk): using autocannon, which needs more CPU')
  if (!PIN) log('taskset or a second CPU missing: server and load generator share the CPUs')

  if (apps.some((a) => a.key === 'bottle-ts')) ensureBuild(opts.build)
  ensureStaticFile()
  const notes = new Map()
  if (apps.some((a) => a.python)) {
    const ok = spawnSync(PYTHON, ['-c', 'import bottle, gunicorn']).status === 0
    if (!ok) {
      log(
        'Python Bottle or gunicorn missing (apt-get install -y python3-bottle gunicorn): skipping that row'
      )
      apps = apps.filter((a) => !a.python)
    }
  }

  const serverNode = version(opts.node, ['--version'])
  const cpuModel =
    (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? '?'
  const meta = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: `${cpus().length} CPUs (${cpuModel}), load avg ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} at start`,
    serverNode,
    tool:
      tool === 'wrk'
        ? `wrk ${version('wrk', ['-v']).match(/wrk \S*?(\d[\d.]*)/)?.[1] ?? '?'} -t1`
        : `autocannon ${pkgVersion('autocannon')}`,
    pinning: PIN ? 'server on CPU 0, load on CPU 1 (taskset)' : 'not pinned',
    rounds: opts.rounds,
    duration: opts.duration,
    connections: opts.connections,
    versions: [
      `bottle-ts ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version} (dist)`,
      ...[
        'fastify',
        'express',
        'koa',
        '@koa/router',
        'hono',
        '@hono/node-server',
        'ejs',
        '@fastify/view',
        '@fastify/static',
        '@koa/ejs',
        'koa-static',
      ].map((p) => `${p} ${pkgVersion(p)}`),
      `Python Bottle ${version(PYTHON, ['-c', 'import bottle; print(bottle.__version__)'])}`,
      `gunicorn ${version(PYTHON, ['-c', 'import gunicorn; print(gunicorn.__version__)'])}`,
    ].join(', '),
  }
  log(`server node ${serverNode}; ${meta.tool}; ${meta.pinning}`)

  const servers = []
  const stopAll = () => Promise.all(servers.map(stopApp))
  process.once('SIGINT', () => stopAll().then(() => process.exit(130)))
  const invalid = new Map()
  try {
    for (const app of apps) {
      log(`starting ${app.key} ...`)
      const server = await startApp(app, opts)
      servers.push(server)
      if (server.notes.length) notes.set(app.key, server.notes)
      for (const route of routes) {
        const problem = await validate(server, route)
        if (problem) {
          invalid.set(`${app.key}/${route.key}`, problem)
          log(`  ${app.key} ${route.label}: INVALID (${problem}), not measured`)
        }
      }
    }
    const samples = []
    const warmed = new Set()
    const total = opts.rounds * routes.length * servers.length
    let done = 0
    for (let round = 1; round <= opts.rounds; round++) {
      for (const route of routes) {
        // Rotate the order each round so no app always runs first or last.
        const shift = (round - 1) % servers.length
        const order = [...servers.slice(shift), ...servers.slice(0, shift)]
        for (const server of order) {
          const id = `${server.app.key}/${route.key}`
          if (invalid.has(id)) continue
          if (!warmed.has(id) && opts.warmup > 0) {
            await runLoad(tool, server, route, opts.warmup, opts.connections)
            warmed.add(id)
          }
          const cpu0 = cpuNs(server.pid)
          const r = await runLoad(tool, server, route, opts.duration, opts.connections)
          r.cpuUs = (cpuNs(server.pid) - cpu0) / 1000 / Math.max(1, r.requests)
          samples.push({ round, app: server.app.key, route: route.key, ...r })
          done++
          log(
            `[${done}/${total}] round ${round} ${route.key.padEnd(6)} ${server.app.key.padEnd(10)} ${fmt(r.rps).padStart(8)} req/s  p99 ${fmt(r.p99, 2)} ms${r.errors + r.non2xx ? `  errors ${r.errors} non2xx ${r.non2xx}` : ''}`
          )
        }
      }
    }
    const md = report({ samples, apps, routes, meta, invalid, notes })
    const csv = toCsv(samples, meta)
    process.stdout.write('\n' + md)
    mkdirSync(RESULTS, { recursive: true })
    // Filtered or short runs only replace latest.*; the per-Node files keep full runs.
    const full = !opts.only && !opts.routes && opts.rounds >= 3
    const tag = opts.tag ?? (full ? `node${serverNode.replace(/^v(\d+).*/, '$1')}` : null)
    for (const name of tag ? ['latest', tag] : ['latest']) {
      writeFileSync(join(RESULTS, `${name}.md`), md)
      writeFileSync(join(RESULTS, `${name}.csv`), csv)
    }
    log(
      `\nwrote ${(tag ? ['latest', tag] : ['latest']).map((n) => `bench/results/${n}.{md,csv}`).join(' and ')}`
    )
  } finally {
    await stopAll()
  }
}

main().catch((err) => {
  log(err instanceof Error ? err.stack : String(err))
  process.exit(1)
})
