/**
 * Static files side by side: a 64 KiB and a 10 MiB file served by bottle-ts's `staticFile`
 * (through `run()`, the node adapter; once as shipped and once with its small-file cache
 * off), @fastify/static, serve-static on bare node:http and `express.static`. Each server is its own process pinned to CPU 0; wrk, pinned to CPU 1,
 * loads them. Every server must first return both files byte for byte (status 200, the
 * exact bytes), or the script stops. Then one warm-up per server and file, and rounds in
 * which the servers take turns (the order rotating each round); the table shows the median
 * req/s, MiB/s of file bytes, the server's CPU time per request and the ratio to the fastest.
 *
 *   node bench/static.mjs            # 3 rounds of 5 s, 3 s warm-up (about 3 minutes)
 *   node bench/static.mjs --quick    # 1 round of 1 s, 1 s warm-up
 *
 * The same file is also the server (`--serve=<name>`), so all servers share one way to
 * start and report readiness.
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { createServer, get } from 'node:http'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BENCH_DIR, PUBLIC_DIR, STATIC_FILE, ensureStaticFile } from './apps/common.mjs'

const ROOT = join(BENCH_DIR, '..')
const STATIC_ROOT = join(PUBLIC_DIR, 'static')
const BIG_FILE = join(STATIC_ROOT, '10m.bin')
const BIG_SIZE = 10 * 1024 * 1024
const SELF = fileURLToPath(import.meta.url)

const FILES = [
  { key: '64k', path: '/static/64k.bin', file: STATIC_FILE, connections: 50 },
  // Fewer connections for the large file: each response takes long enough to keep the
  // server busy, and 50 parallel 10 MiB streams only measure socket buffer contention.
  { key: '10m', path: '/static/10m.bin', file: BIG_FILE, connections: 10 },
]

const SERVERS = {
  'bottle-ts': async () => {
    const { Bottle, run, staticFile } = await import('../dist/index.js')
    const app = new Bottle()
    app.get('/static/<filename:path>', ({ filename }) => staticFile(filename, STATIC_ROOT))
    const handle = run(app, { host: '127.0.0.1', port: 0, quiet: true, handleSignals: false })
    const address = await handle.ready
    return address.port
  },
  // The same app with the small-file cache off: what every request costs when it reads the disk.
  'bottle-ts-nocache': async () => {
    const { Bottle, run, staticFile } = await import('../dist/index.js')
    const app = new Bottle()
    app.config.set('staticFile.cacheSize', 0)
    app.get('/static/<filename:path>', ({ filename }) => staticFile(filename, STATIC_ROOT))
    const handle = run(app, { host: '127.0.0.1', port: 0, quiet: true, handleSignals: false })
    const address = await handle.ready
    return address.port
  },
  fastify: async () => {
    const { default: Fastify } = await import('fastify')
    const { default: fastifyStatic } = await import('@fastify/static')
    const app = Fastify({ logger: false })
    await app.register(fastifyStatic, { root: STATIC_ROOT, prefix: '/static/' })
    await app.listen({ host: '127.0.0.1', port: 0 })
    return app.server.address().port
  },
  'serve-static': async () => {
    const { default: serveStatic } = await import('serve-static')
    const { default: finalhandler } = await import('finalhandler')
    const serve = serveStatic(PUBLIC_DIR)
    const server = createServer((req, res) => serve(req, res, finalhandler(req, res)))
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    return server.address().port
  },
  express: async () => {
    const { default: express } = await import('express')
    const app = express()
    app.use('/static', express.static(STATIC_ROOT))
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    return server.address().port
  },
}
const LABELS = {
  'bottle-ts': 'bottle-ts `staticFile` (`run()`)',
  'bottle-ts-nocache': 'bottle-ts `staticFile`, `staticFile.cacheSize` 0',
  fastify: `Fastify ${version('fastify')} + @fastify/static ${version('@fastify/static')}`,
  'serve-static': `serve-static ${version('serve-static')} on node:http`,
  express: `Express ${version('express')} \`express.static\``,
}

function version(pkg) {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version
}

// ---- server mode ---------------------------------------------------------------------------

async function serve(name) {
  if (!SERVERS[name]) throw new Error(`unknown server ${name}`)
  const port = await SERVERS[name]()
  process.stdout.write(JSON.stringify({ ready: true, port }) + '\n')
  process.once('SIGTERM', () => process.exit(0))
  // The runner's end (even a crash) closes this pipe: do not outlive it.
  process.stdin.once('end', () => process.exit(0)).resume()
}

// ---- runner --------------------------------------------------------------------------------

async function main() {
  const args = process.argv.slice(2)
  if (args.includes('--help')) {
    console.log(
      `usage: node bench/static.mjs [--quick] [--rounds=N] [--duration=S] [--warmup=S] [--only=${Object.keys(SERVERS).join(',')}]`
    )
    return
  }
  const quick = args.includes('--quick')
  const opt = (name, fallback) => {
    const hit = args.find((a) => a.startsWith(`--${name}=`))
    const value = hit ? Number(hit.slice(name.length + 3)) : fallback
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`--${name} needs a whole number > 0`)
    return value
  }
  const rounds = opt('rounds', quick ? 1 : 3)
  const duration = opt('duration', quick ? 1 : 5)
  const warmup = opt('warmup', quick ? 1 : 3)
  const onlyArg = args.find((a) => a.startsWith('--only='))
  const names = onlyArg ? onlyArg.slice(7).split(',') : Object.keys(SERVERS)
  for (const n of names) if (!SERVERS[n]) throw new Error(`unknown server ${n}`)

  const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
  const WRK = existsSync('/usr/bin/wrk') ? '/usr/bin/wrk' : has('wrk') ? 'wrk' : null
  if (!WRK) throw new Error('wrk is needed: apt-get install -y wrk')
  const pin = has('taskset') && cpus().length >= 2
  const pinned = (cpu, cmd, cmdArgs) =>
    pin ? ['taskset', ['-c', String(cpu), cmd, ...cmdArgs]] : [cmd, cmdArgs]

  ensureBuild()
  ensureStaticFile()
  ensureBigFile()
  const expected = new Map(FILES.map((f) => [f.key, readFileSync(f.file)]))

  const servers = []
  const stopAll = () => servers.forEach((s) => s.child.kill('SIGTERM'))
  process.once('SIGINT', () => {
    stopAll()
    process.exit(130)
  })
  try {
    for (const name of names) servers.push(await start(name, pinned))
    for (const s of servers) {
      for (const f of FILES) {
        const { status, body } = await fetchBytes(s.port, f.path)
        if (status !== 200 || !body.equals(expected.get(f.key))) {
          throw new Error(
            `${s.name} ${f.path}: status ${status}, ${body.length} bytes, not the exact ${expected.get(f.key).length} bytes of the file`
          )
        }
      }
    }
    log(`all ${servers.length} servers return the exact bytes of both files`)

    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
    const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    const samples = []
    for (const f of FILES)
      for (const s of servers) {
        log(`warm-up ${s.name} ${f.key}`)
        await wrk(WRK, pinned, s, f, warmup)
      }
    for (let round = 0; round < rounds; round++) {
      for (const f of FILES) {
        for (let k = 0; k < servers.length; k++) {
          // Rotate the order each round so drift on a shared machine hits every server alike.
          const s = servers[(round + k) % servers.length]
          const r = await wrk(WRK, pinned, s, f, duration)
          samples.push({ server: s.name, file: f.key, round, ...r })
          log(
            `round ${round + 1} ${s.name} ${f.key}: ${r.rps.toFixed(0)} req/s, ${r.cpuUs.toFixed(1)} µs CPU/req`
          )
        }
      }
    }
    report(samples, servers, { startedAt, load, rounds, duration, warmup, pin, WRK })
  } finally {
    stopAll()
  }
}

function log(msg) {
  process.stderr.write(msg + '\n')
}

function newestMtime(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

function ensureBuild() {
  const index = join(ROOT, 'dist', 'index.js')
  if (!existsSync(index) || statSync(index).mtimeMs < newestMtime(join(ROOT, 'src'))) {
    log('dist/ is missing or older than src/: npm run build')
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] })
  }
}

/** Deterministic 10 MiB file (a sha256 chain, like the 64 KiB one), made once. */
function ensureBigFile() {
  if (existsSync(BIG_FILE) && statSync(BIG_FILE).size === BIG_SIZE) return
  mkdirSync(dirname(BIG_FILE), { recursive: true })
  const out = Buffer.alloc(BIG_SIZE)
  let block = createHash('sha256').update('bottle-ts static bench').digest()
  for (let off = 0; off < BIG_SIZE; off += block.length) {
    block.copy(out, off)
    block = createHash('sha256').update(block).digest()
  }
  writeFileSync(BIG_FILE, out)
}

function start(name, pinned) {
  const [cmd, cmdArgs] = pinned(0, process.execPath, [SELF, `--serve=${name}`])
  const child = spawn(cmd, cmdArgs, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 20 s`)), 20000)
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening`)))
    child.stdout.on('data', (d) => {
      out += d
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (!line) return
      clearTimeout(timer)
      resolve({ name, child, port: JSON.parse(line).port })
    })
  })
}

function fetchBytes(port, path) {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

/** CPU time (ns) of a process and all its threads, from the scheduler's own accounting. */
function cpuNs(pid) {
  let total = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // A thread that ended between the listing and the read has nothing left to count.
    }
  }
  return total
}

function wrk(bin, pinned, server, file, seconds) {
  const [cmd, cmdArgs] = pinned(1, bin, [
    '-t1',
    `-c${file.connections}`,
    `-d${seconds}s`,
    '--timeout=10s',
    `http://127.0.0.1:${server.port}${file.path}`,
  ])
  // With taskset the server's pid is taskset's, which execs node in place.
  const pid = server.child.pid
  const cpuBefore = cpuNs(pid)
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.once('error', reject)
    child.once('exit', () => {
      const cpu = cpuNs(pid) - cpuBefore
      const requests = Number(out.match(/(\d+) requests in/)?.[1])
      const elapsed = parseWrkTime(out.match(/requests in ([\d.]+\w+),/)?.[1])
      if (!Number.isFinite(requests) || !elapsed) {
        reject(new Error(`wrk gave no result for ${server.name} ${file.path}:\n${out}`))
        return
      }
      const non2xx = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0)
      const sock = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/)
      const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0
      const rps = requests / elapsed
      resolve({
        requests,
        rps,
        mibps: (rps * readSize(file)) / 2 ** 20,
        cpuUs: requests ? cpu / 1000 / requests : NaN,
        errors,
        non2xx,
      })
    })
  })
}

function parseWrkTime(text) {
  const m = text?.match(/^([\d.]+)(us|ms|s|m)$/)
  if (!m) return 0
  return Number(m[1]) * { us: 1e-6, ms: 1e-3, s: 1, m: 60 }[m[2]]
}

const sizes = new Map()
function readSize(file) {
  if (!sizes.has(file.file)) sizes.set(file.file, statSync(file.file).size)
  return sizes.get(file.file)
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function report(samples, servers, meta) {
  const fmt = (n, d = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
  const wrkVersion =
    (({ stdout, stderr }) => stdout + stderr)(
      spawnSync(meta.WRK, ['-v'], { encoding: 'utf8' })
    ).match(/wrk \S*?(\d[\d.]*)/)?.[1] ?? '?'
  console.log(
    `${meta.startedAt} · ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), load avg ${meta.load} at start · server Node ${process.version} · wrk ${wrkVersion} -t1 · ${meta.pin ? 'servers on CPU 0, wrk on CPU 1 (taskset)' : 'not pinned'}`
  )
  console.log(
    `Median of ${meta.rounds} round(s) of ${meta.duration} s after a ${meta.warmup} s warm-up per server and file; MiB/s counts file bytes only\n`
  )
  for (const f of FILES) {
    const rows = servers.map((s) => {
      const mine = samples.filter((x) => x.server === s.name && x.file === f.key)
      return {
        name: LABELS[s.name],
        rps: median(mine.map((x) => x.rps)),
        mibps: median(mine.map((x) => x.mibps)),
        cpuUs: median(mine.map((x) => x.cpuUs)),
        bad: mine.reduce((a, x) => a + x.errors + x.non2xx, 0),
      }
    })
    const best = Math.max(...rows.map((r) => r.rps))
    const cheapest = Math.min(...rows.map((r) => r.cpuUs))
    console.log(
      `**GET ${f.path}** (${fmt(readSize(f) / 1024)} KiB, ${f.connections} connections)\n`
    )
    console.log(
      '| server | median req/s | MiB/s | ratio to fastest | server CPU µs/request | CPU ratio (cheapest / this) |'
    )
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
    for (const r of rows.sort((a, b) => b.rps - a.rps)) {
      const note = r.bad ? ` (${r.bad} errors or non-2xx)` : ''
      console.log(
        `| ${r.name}${note} | ${fmt(r.rps)} | ${fmt(r.mibps, 1)} | ${(r.rps / best).toFixed(2)}x | ${fmt(r.cpuUs, 1)} | ${(cheapest / r.cpuUs).toFixed(2)}x |`
      )
    }
    console.log('')
  }
}

const serveArg = process.argv.find((a) => a.startsWith('--serve='))
if (serveArg) await serve(serveArg.slice('--serve='.length))
else await main()
