/**
 * Soak test: a fixed-rate load (about half the measured capacity) for a while, with about
 * 10% hostile requests mixed in, sampling the server's RSS, heap, descriptors and
 * event-loop delay, then a pass/fail verdict:
 *
 *   RSS slope after warm-up < 1 MB/min; heap after GC within +10% of the post-warm-up median;
 *   descriptors back to baseline; event-loop p99 < 50 ms; no errors or timeouts on the
 *   valid traffic.
 *
 *   npm run soak                      # 10 minutes
 *   npm run soak -- --duration=60     # the short CI version
 *
 * Needs dist/ (npm run build). Exit code 0 on pass, 1 on fail.
 */
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

const here = dirname(fileURLToPath(import.meta.url))
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=')
    return [k, v ?? 'true']
  })
)
const duration = Number(args.duration ?? 600)
const sampleMs = Number(args.sample ?? (duration <= 120 ? 2000 : 5000))
// Short runs need a longer share of warm-up: V8 grows its heap for the first seconds.
const warmup = Math.min(60, Math.max(20, duration * (duration <= 120 ? 0.4 : 0.2)))

if (!existsSync(join(here, '../../dist/index.js'))) {
  console.error('dist/ is missing: run `npm run build` first')
  process.exit(2)
}

const child = fork(join(here, 'app.mjs'), [], {
  execArgv: ['--expose-gc'],
  env: { ...process.env, SOAK_SAMPLE_MS: String(sampleMs), NODE_ENV: 'production' },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
})
const samples = []
const port = await new Promise((resolve, reject) => {
  child.on('message', (msg) => {
    if (msg.type === 'ready') resolve(msg.port)
    if (msg.type === 'sample') samples.push({ t: (Date.now() - start) / 1000, ...msg })
  })
  child.once('exit', (code) => reject(new Error(`app exited early (${code})`)))
})
const start = Date.now()
const url = `http://127.0.0.1:${port}`

const valid = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/json' },
  { method: 'GET', path: '/user/42' },
  {
    method: 'POST',
    path: '/echo',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ a: 1, b: 'x'.repeat(200) }),
  },
  {
    method: 'POST',
    path: '/form',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'a=1&b=2&c=3',
  },
  { method: 'GET', path: '/cookie' },
  { method: 'GET', path: '/stream' },
]
const hostile = [
  {
    method: 'POST',
    path: '/echo',
    headers: { 'content-type': 'application/json' },
    body: '{"bad json',
  },
  {
    method: 'POST',
    path: '/echo',
    headers: { 'content-type': 'application/json' },
    body: '{"__proto__":{"x":1}}',
  },
  { method: 'GET', path: '/missing/%zz' },
  { method: 'GET', path: '/user/notanint' },
  { method: 'GET', path: '/throw' },
  { method: 'GET', path: '/abort' },
  { method: 'DELETE', path: '/' },
  { method: 'GET', path: '/cookie', headers: { cookie: 's=!tampered?eyJ4Ijox' } },
  {
    method: 'POST',
    path: '/form',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
    body: '--x\r\nbroken',
  },
]

function measure(seconds, rate, requests) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: 10,
        duration: seconds,
        requests,
        ...(rate ? { overallRate: rate } : {}),
        timeout: 5,
      },
      (err, result) => (err ? reject(err) : resolve(result))
    )
  })
}

console.log(`measuring capacity for 3 s on ${url} ...`)
const probe = await measure(3, 0, valid)
const capacity = probe.requests.average
const rate = Math.max(100, Math.round(capacity / 2))
console.log(
  `capacity ~${Math.round(capacity)} req/s; soaking at ${rate} req/s (+10% hostile) for ${duration} s`
)

const fdsBefore = await askSample()
const [ok, bad] = await Promise.all([
  measure(duration, rate, valid),
  measure(duration, Math.max(10, Math.round(rate / 10)), hostile),
])
await new Promise((r) => setTimeout(r, 1500))
const fdsAfter = await askSample()
child.kill('SIGTERM')

function askSample() {
  return new Promise((resolve) => {
    const onMsg = (msg) => {
      if (msg.type === 'sample') {
        child.off('message', onMsg)
        resolve(msg.fds)
      }
    }
    child.on('message', onMsg)
    child.send('sample')
  })
}

const after = samples.filter((s) => s.t >= warmup && s.t <= duration)
const mb = (b) => b / 1024 / 1024
function slopePerMin(points) {
  if (points.length < 2) return 0
  const n = points.length
  const mx = points.reduce((a, p) => a + p.t, 0) / n
  const my = points.reduce((a, p) => a + mb(p.rss), 0) / n
  const num = points.reduce((a, p) => a + (p.t - mx) * (mb(p.rss) - my), 0)
  const den = points.reduce((a, p) => a + (p.t - mx) ** 2, 0)
  return den ? (num / den) * 60 : 0
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.floor(s.length / 2)] : 0
}
const heapMedian = median(after.map((s) => s.heap))
const heapMax = Math.max(...after.map((s) => s.heap))
const loopP99 = Math.max(...after.map((s) => s.loopP99))
const slope = slopePerMin(after)
const validErrors = ok.errors + ok.timeouts + ok.non2xx

const checks = [
  ['RSS slope after warm-up', `${slope.toFixed(2)} MB/min`, slope < 1],
  [
    'heap max vs post-warm-up median',
    `${mb(heapMax).toFixed(1)} / ${mb(heapMedian).toFixed(1)} MB`,
    heapMax <= heapMedian * 1.1,
  ],
  ['file descriptors before / after', `${fdsBefore} / ${fdsAfter}`, fdsAfter <= fdsBefore + 2],
  ['event-loop delay p99 (worst sample)', `${loopP99.toFixed(1)} ms`, loopP99 < 50],
  [
    'errors + timeouts + non-2xx on valid traffic',
    `${validErrors} of ${ok.requests.total}`,
    validErrors === 0,
  ],
]
console.log(
  '\n| sample (s) | RSS MB | heap MB | fds | loop p99 ms |\n| --- | --- | --- | --- | --- |'
)
for (const s of samples)
  console.log(
    `| ${s.t.toFixed(0)} | ${mb(s.rss).toFixed(1)} | ${mb(s.heap).toFixed(1)} | ${s.fds} | ${s.loopP99.toFixed(1)} |`
  )
console.log(
  `\nvalid: ${ok.requests.total} requests, ${ok.requests.average.toFixed(0)} req/s, p99 ${ok.latency.p99} ms; hostile: ${bad.requests.total} requests (${bad.non2xx} non-2xx as intended)`
)
console.log('\n| check | value | verdict |\n| --- | --- | --- |')
for (const [name, value, pass] of checks)
  console.log(`| ${name} | ${value} | ${pass ? 'pass' : 'FAIL'} |`)
const passed = checks.every((c) => c[2])
console.log(`\nsoak ${passed ? 'PASSED' : 'FAILED'} (${duration} s, warm-up ${warmup} s)`)
process.exit(passed ? 0 : 1)
