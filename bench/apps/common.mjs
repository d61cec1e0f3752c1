/**
 * What every benchmark app shares: the route list, the template data, the static file and
 * the readiness line. Each app in this folder serves the same six scenarios and prints one
 * JSON line (`{"ready":true,"port":N,"notes":[...]}`) on stdout once it listens, so the
 * runner knows the port and any fallback the app had to take.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')
export const VIEWS_DIR = join(BENCH_DIR, 'views')
/** Static root: every framework serves `/static/64k.bin` from `<PUBLIC_DIR>/static/`. */
export const PUBLIC_DIR = join(BENCH_DIR, '.cache', 'public')
export const STATIC_FILE = join(PUBLIC_DIR, 'static', '64k.bin')
export const STATIC_SIZE = 64 * 1024

/** Number of dynamic routes; the benchmarked one (`/user/<id>`) is registered last. */
export const DYNAMIC_ROUTES = 100
/** Prefixes of the filler routes registered before `/user/<id>`. */
export const FILLER = Array.from({ length: DYNAMIC_ROUTES - 1 }, (_, i) => `item${i}`)

/** The 100 rows of the template page; names carry `<`, `&` and quotes so escaping costs. */
export const ROWS = Array.from({ length: 100 }, (_, i) => ({
  id: i,
  name: `Item <${i}> & "friends"`,
  price: (i * 1.25).toFixed(2),
}))
export const PAGE_TITLE = 'Price list <bench>'

/** Deterministic 64 KiB file so every run and every framework serves the same bytes. */
export function ensureStaticFile() {
  if (existsSync(STATIC_FILE) && readFileSync(STATIC_FILE).length === STATIC_SIZE) return
  mkdirSync(dirname(STATIC_FILE), { recursive: true })
  const out = Buffer.alloc(STATIC_SIZE)
  let block = createHash('sha256').update('bottle-ts bench').digest()
  for (let off = 0; off < STATIC_SIZE; off += block.length) {
    block.copy(out, off)
    block = createHash('sha256').update(block).digest()
  }
  writeFileSync(STATIC_FILE, out)
}

const MUST_ESCAPE = /["'&<>]/

/** HTML escaping in one pass, the escape-html way (the ceiling app uses it). */
export function escapeHtml(value) {
  const str = String(value)
  const first = MUST_ESCAPE.exec(str)
  if (!first) return str
  let out = ''
  let last = 0
  for (let i = first.index; i < str.length; i++) {
    let rep
    switch (str.charCodeAt(i)) {
      case 34:
        rep = '&quot;'
        break
      case 38:
        rep = '&amp;'
        break
      case 39:
        rep = '&#039;'
        break
      case 60:
        rep = '&lt;'
        break
      case 62:
        rep = '&gt;'
        break
      default:
        continue
    }
    if (last !== i) out += str.slice(last, i)
    last = i + 1
    out += rep
  }
  return last < str.length ? out + str.slice(last) : out
}

/** Port from the environment (the runner picks a free one). */
export function port() {
  const p = Number(process.env.PORT)
  if (!Number.isInteger(p) || p <= 0) throw new Error('PORT must be set to the port to listen on')
  return p
}

/** Tells the runner the app is up; `notes` lists any fallback taken. */
export function ready(boundPort, notes = []) {
  process.stdout.write(JSON.stringify({ ready: true, port: boundPort, notes }) + '\n')
}

/** Exit cleanly on SIGTERM/SIGINT so the runner can stop every app alike; SIGUSR2 reports memory. */
export function exitOnSignal(close) {
  const stop = () => {
    Promise.resolve(close?.())
      .catch(() => {})
      .finally(() => process.exit(0))
    setTimeout(() => process.exit(0), 2000).unref()
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  // bench/memory.mjs asks for heap figures after a full GC (the app runs with --expose-gc).
  process.on('SIGUSR2', () => {
    globalThis.gc?.()
    process.stdout.write(JSON.stringify({ memory: process.memoryUsage() }) + '\n')
  })
}
