/**
 * Template engines side by side: renders per second of one realistic page (a layout, an
 * included header, a loop of 100 rows whose text needs escaping) in bottle-ts's
 * SimpleTemplate, Eta, EJS and Handlebars, each written the way its own documentation
 * writes layouts and includes. All render the same data (`ROWS` and `PAGE_TITLE` of
 * `apps/common.mjs`); before timing, the outputs are compared and the script stops when
 * they differ, so no engine wins by doing less. bottle-ts is imported from the built
 * package (`dist/`), rebuilt first when any file in `src/` is newer.
 *
 *   node bench/templates.mjs            # 7 rounds of 1 s per engine, 2 s warm-up each
 *   node bench/templates.mjs --quick    # 3 rounds of 0.2 s, 0.3 s warm-up
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import ejs from 'ejs'
import { Eta } from 'eta'
import Handlebars from 'handlebars'
import { BENCH_DIR, PAGE_TITLE, ROWS, VIEWS_DIR } from './apps/common.mjs'

const ROOT = join(BENCH_DIR, '..')
const EXTRA_VIEWS = join(BENCH_DIR, 'views-templates')
const args = process.argv.slice(2)
if (args.includes('--help')) {
  console.log(
    'usage: node bench/templates.mjs [--quick] [--rounds=N] [--duration=MS] [--warmup=MS]'
  )
  process.exit(0)
}
const quick = args.includes('--quick')
const opt = (name, fallback) => {
  const hit = args.find((a) => a.startsWith(`--${name}=`))
  const value = hit ? Number(hit.slice(name.length + 3)) : fallback
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`)
  return value
}
const ROUNDS = opt('rounds', quick ? 3 : 7)
const DURATION_MS = opt('duration', quick ? 200 : 1000)
const WARMUP_MS = opt('warmup', quick ? 300 : 2000)

// ---- the build -------------------------------------------------------------------------

function newestMtime(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}
const DIST_INDEX = join(ROOT, 'dist', 'index.js')
if (!existsSync(DIST_INDEX) || statSync(DIST_INDEX).mtimeMs < newestMtime(join(ROOT, 'src'))) {
  console.error('dist/ is missing or older than src/: npm run build')
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] })
}
const { template, SimpleTemplate, TEMPLATE_PATH } = await import('../dist/index.js')

// ---- the engines -----------------------------------------------------------------------

const data = { title: PAGE_TITLE, rows: ROWS }

function bottleTs() {
  TEMPLATE_PATH.unshift(join(VIEWS_DIR, 'bottle-ts'))
  if (!(new SimpleTemplate({ source: '{{x}}' }).render({ x: '<' }) === '&lt;'))
    throw new Error('SimpleTemplate does not escape')
  // template() compiles once and caches in TEMPLATES, as a production app renders.
  return () => template('page', data)
}

function eta() {
  const engine = new Eta({ views: join(EXTRA_VIEWS, 'eta'), cache: true })
  return () => engine.render('./page', data)
}

function ejsEngine() {
  // EJS has no layouts: the page is rendered, then the layout around it (as Express does).
  const dir = join(VIEWS_DIR, 'ejs')
  const compile = (name) => {
    const filename = join(dir, `${name}.ejs`)
    return ejs.compile(readFileSync(filename, 'utf8'), { filename, cache: true })
  }
  const page = compile('page')
  const layout = compile('layout')
  return () => layout({ title: data.title, body: page(data) })
}

function handlebars() {
  // The layout is a partial block (`{{#> layout}}...{{/layout}}`), Handlebars' own idiom.
  const hb = Handlebars.create()
  const dir = join(EXTRA_VIEWS, 'handlebars')
  const read = (name) => readFileSync(join(dir, `${name}.hbs`), 'utf8')
  hb.registerPartial('layout', read('layout'))
  hb.registerPartial('header', read('header'))
  const page = hb.compile(read('page'))
  return () => page(data)
}

const ENGINES = [
  { name: 'bottle-ts SimpleTemplate', make: bottleTs },
  { name: `Eta ${version('eta')}`, make: eta },
  { name: `EJS ${version('ejs')}`, make: ejsEngine },
  { name: `Handlebars ${version('handlebars')}`, make: handlebars },
]

function version(pkg) {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version
}

// ---- equivalence -----------------------------------------------------------------------

// Engines spell the same escape differently (`&quot;` / `&#34;`, `&#39;` / `&#x27;`) and
// place newlines around tags differently; neither changes the page a browser shows.
function normalise(html) {
  return html
    .replace(/&#34;|&#x22;/g, '&quot;')
    .replace(/&#39;|&#x27;|&#039;/g, '&#039;')
    .replace(/>\s+</g, '><')
    .trim()
}

function expectedPage() {
  const esc = (s) =>
    String(s)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#039;')
  const rows = ROWS.map(
    (r) => `<tr><td>${esc(r.id)}</td><td>${esc(r.name)}</td><td>${esc(r.price)}</td></tr>`
  ).join('')
  const title = esc(PAGE_TITLE)
  return `<!DOCTYPE html><html><head><title>${title}</title></head><body><header><h1>${title}</h1></header><table>${rows}</table></body></html>`
}

const expected = expectedPage()
for (const engine of ENGINES) {
  engine.render = engine.make()
  const out = engine.render()
  const got = normalise(out)
  const rows = (out.match(/<tr>/g) ?? []).length
  if (got !== expected || rows !== ROWS.length || out.includes('<bench>') || /<\d+>/.test(out)) {
    let at = 0
    while (at < got.length && got[at] === expected[at]) at++
    console.error(`${engine.name}: output differs from the expected page (${rows} rows)`)
    console.error(`  expected ...${expected.slice(Math.max(0, at - 60), at + 60)}`)
    console.error(`  got      ...${got.slice(Math.max(0, at - 60), at + 60)}`)
    process.exit(1)
  }
  engine.bytes = Buffer.byteLength(out)
}

// ---- timing ----------------------------------------------------------------------------

let sink = 0

/** Renders for `ms` milliseconds in batches (so the clock is read rarely); renders/s. */
function measure(render, ms) {
  let batch = 16
  let count = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(Math.round(ms * 1e6))
  let now = start
  while (now < end) {
    for (let i = 0; i < batch; i++) sink += render().length
    count += batch
    now = process.hrtime.bigint()
    if (batch < 1024) batch *= 2
  }
  return count / (Number(now - start) / 1e9)
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
for (const engine of ENGINES) {
  measure(engine.render, WARMUP_MS)
  engine.samples = []
}
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order each round so drift on a shared machine hits every engine alike.
  for (let k = 0; k < ENGINES.length; k++) {
    const engine = ENGINES[(round + k) % ENGINES.length]
    engine.samples.push(measure(engine.render, DURATION_MS))
  }
  process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`)
}
if (sink === 0) throw new Error('nothing rendered')

// ---- report ----------------------------------------------------------------------------

const rows = ENGINES.map((e) => ({
  ...e,
  median: median(e.samples),
  min: Math.min(...e.samples),
  max: Math.max(...e.samples),
}))
const best = Math.max(...rows.map((r) => r.median))
const fmt = (n) => Math.round(n).toLocaleString('en-US')
console.log(
  `${startedAt} · ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), load avg ${load} at start · Node ${process.version}`
)
console.log(
  `Page: layout + include + 100 escaped rows (${rows[0].bytes} bytes) · ${ROUNDS} rounds of ${DURATION_MS} ms after ${WARMUP_MS} ms warm-up each\n`
)
console.log('| engine | median renders/s | min - max | µs/render | ratio to fastest |')
console.log('| --- | ---: | ---: | ---: | ---: |')
for (const r of [...rows].sort((a, b) => b.median - a.median)) {
  console.log(
    `| ${r.name} | ${fmt(r.median)} | ${fmt(r.min)} - ${fmt(r.max)} | ${(1e6 / r.median).toFixed(1)} | ${(r.median / best).toFixed(2)}x |`
  )
}
