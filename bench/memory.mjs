/**
 * Memory under sustained load (`node bench/memory.mjs`): starts the bottle-ts benchmark app
 * on CPU 0, drives it with autocannon from CPU 1 (alternating `GET /` and the param route
 * `GET /user/12345`, 50 connections), and reads the server's RSS from /proc after every
 * 100,000 requests up to 1,000,000, with the heap in use after a full GC (the app runs with
 * --expose-gc and answers SIGUSR2), which tells a leak from V8 and allocator sizing. The
 * goal: RSS after 1M within 10% of RSS after 100k.
 *
 * Options: --total=N (default 1000000), --step=N (default 100000), --connections=N,
 * --app=bottle-ts|fastify|node-http|... (any app of bench/apps), --node=/path/to/node.
 */
import autocannon from 'autocannon'
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { BENCH_DIR } from './apps/common.mjs'

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split(/=(.*)/s)
    return [k, v ?? true]
  })
)
const TOTAL = Number(args.total ?? 1_000_000)
const STEP = Number(args.step ?? 100_000)
const CONNECTIONS = Number(args.connections ?? 50)
const APP = String(args.app ?? 'bottle-ts')
const NODE = String(args.node ?? process.execPath)
if (!(TOTAL > 0 && STEP > 0 && TOTAL >= STEP))
  throw new Error('--total and --step must be > 0, total >= step')

const pin = spawnSync('sh', ['-c', 'command -v taskset']).status === 0 && cpus().length >= 2
// The load generator runs in this process: move it to CPU 1, away from the server.
if (pin) spawnSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' })

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

function rssKiB(pid) {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)
  return m ? Number(m[1]) : NaN
}

const port = await freePort()
const appFile = join(BENCH_DIR, 'apps', `${APP}.mjs`)
const cmd = pin ? 'taskset' : NODE
const nodeArgs = ['--expose-gc', appFile]
const cmdArgs = pin ? ['-c', '0', NODE, ...nodeArgs] : nodeArgs
const child = spawn(cmd, cmdArgs, {
  cwd: BENCH_DIR,
  env: { ...process.env, PORT: String(port), NODE_ENV: 'production' },
  stdio: ['ignore', 'pipe', 'inherit'],
})
// The app's stdout carries one JSON object per line: the readiness line, then the answers
// to SIGUSR2 (heap figures after a full GC).
const waiting = []
let lineBuf = ''
child.stdout.setEncoding('utf8')
child.stdout.on('data', (d) => {
  lineBuf += d
  let nl
  while ((nl = lineBuf.indexOf('\n')) >= 0) {
    const line = lineBuf.slice(0, nl)
    lineBuf = lineBuf.slice(nl + 1)
    try {
      const msg = JSON.parse(line)
      if (msg.memory) waiting.shift()?.(msg.memory)
    } catch {
      // not JSON
    }
  }
})
/** Heap figures of the server after a full GC. */
function heapAfterGc() {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no memory report within 10 s')), 10_000)
    waiting.push((m) => {
      clearTimeout(timer)
      resolve(m)
    })
    process.kill(child.pid, 'SIGUSR2')
  })
}
await new Promise((resolve, reject) => {
  let buf = ''
  child.stdout.on('data', (d) => {
    buf += d
    if (buf.includes('"ready":true')) resolve()
  })
  child.once('exit', (code) => reject(new Error(`${APP} exited with ${code}`)))
  setTimeout(() => reject(new Error(`${APP} did not start within 30 s`)), 30_000).unref()
})
// With taskset in front, the node process is taskset's exec'd image: same pid.
const pid = child.pid

const samples = [{ requests: 0, rssKiB: rssKiB(pid), heap: (await heapAfterGc()).heapUsed }]
process.stderr.write(`${APP} on port ${port}, pid ${pid}, RSS at start ${samples[0].rssKiB} KiB\n`)
let sent = 0
let errors = 0
try {
  while (sent < TOTAL) {
    const amount = Math.min(STEP, TOTAL - sent)
    const r = await autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: CONNECTIONS,
      amount,
      requests: [{ path: '/' }, { path: '/user/12345' }],
    })
    sent += amount
    errors += r.errors + r.timeouts + r.non2xx
    // RSS as the process has it (the goal), then the live heap after a full GC (a leak shows there).
    const rss = rssKiB(pid)
    const heap = (await heapAfterGc()).heapUsed
    samples.push({ requests: sent, rssKiB: rss, heap })
    process.stderr.write(
      `${String(sent).padStart(8)} requests  RSS ${(rss / 1024).toFixed(1)} MiB  heap after GC ${(heap / 2 ** 20).toFixed(1)} MiB  ${Math.round(r.requests.average)} req/s\n`
    )
  }
} finally {
  child.kill('SIGTERM')
}

const at = (n) => samples.find((s) => s.requests === n)?.rssKiB
const first = at(STEP)
const last = at(TOTAL)
const ratio = last / first
const heapRatio = samples[samples.length - 1].heap / samples.find((s) => s.requests === STEP).heap
const serverNode = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim()
const lines = [
  `### Memory: ${APP} RSS under ${TOTAL.toLocaleString('en-US')} requests`,
  '',
  `${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} · server Node ${serverNode} · autocannon, ${CONNECTIONS} connections, GET / and GET /user/12345 alternating · ${errors} errors`,
  '',
  '| requests | RSS MiB | heap used after a full GC, MiB |',
  '| ---: | ---: | ---: |',
  ...samples.map(
    (s) =>
      `| ${s.requests.toLocaleString('en-US')} | ${(s.rssKiB / 1024).toFixed(1)} | ${(s.heap / 2 ** 20).toFixed(2)} |`
  ),
  '',
  `RSS after ${TOTAL.toLocaleString('en-US')} / after ${STEP.toLocaleString('en-US')}: ${ratio.toFixed(3)} (goal ≤ 1.10) ${ratio <= 1.1 ? 'met' : 'NOT met'}`,
  '',
  `Heap used after a full GC, same points: ${heapRatio.toFixed(3)} (near 1.00: no leak; RSS growth beyond it is V8 and allocator sizing)`,
]
const md = lines.join('\n') + '\n'
process.stdout.write('\n' + md)
// Shorter trial runs print only; the result files keep full-length runs.
if (TOTAL >= 1_000_000) {
  mkdirSync(join(BENCH_DIR, 'results'), { recursive: true })
  const major = serverNode.replace(/^v(\d+).*/, '$1')
  writeFileSync(join(BENCH_DIR, 'results', `memory-${APP}-node${major}.md`), md)
}
