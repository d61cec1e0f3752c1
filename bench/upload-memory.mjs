/**
 * Upload memory check (`node bench/upload-memory.mjs`, after `npm run build`): streams a
 * 1 GiB multipart upload to a bottle-ts route that reads it through `request.files`, and the
 * same upload to a bare busboy-on-node:http server that spools the file to disk the same
 * way, each server in its own process. Reports, per server, the peak RSS growth over the
 * idle RSS (target for bottle-ts: under 64 MiB) and the throughput in MiB/s.
 *
 * Options: --size=MiB (default 1024), --runs=N (default 1), --only=bottle-ts|busboy.
 * Run by hand; it takes about a minute per GiB on a small machine and writes
 * bench/results/upload-memory.json.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdirSync, unlink, writeFileSync } from 'node:fs'
import { request as httpRequest, createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split(/=(.*)/s)
    return [k, v ?? 'true']
  })
)
const SELF = fileURLToPath(import.meta.url)
const MiB = 1024 * 1024

// --- server side (child process) ---------------------------------------------------------

/** Samples RSS every 10 ms so short peaks are seen. */
function rssSampler() {
  const stats = { idle: process.memoryUsage().rss, peak: 0 }
  const timer = setInterval(() => {
    stats.peak = Math.max(stats.peak, process.memoryUsage().rss)
  }, 10)
  timer.unref()
  return stats
}

async function serveBottle() {
  const { Bottle, request } = await import('bottle-ts')
  const app = new Bottle({ maxBodySize: 4 * 1024 * MiB })
  app.post('/up', () => {
    const file = request.files.get('file')
    return String(file.contentLength)
  })
  return app.handler
}

/** The baseline: what a hand-written node:http + busboy server does, spooling to a temp file. */
async function serveBusboy() {
  const { default: busboy } = await import('busboy')
  return (req, res) => {
    if (req.method !== 'POST') return
    const bb = busboy({ headers: req.headers })
    let size = 0
    const writes = []
    bb.on('file', (_name, stream) => {
      const path = join(tmpdir(), `busboy-bench-${randomBytes(6).toString('hex')}`)
      stream.on('data', (c) => (size += c.length))
      writes.push(pipeline(stream, createWriteStream(path)).then(() => path))
    })
    bb.on('close', async () => {
      const paths = await Promise.all(writes)
      // Removed before answering, so the parent can stop this process right after.
      await Promise.all(paths.map((p) => new Promise((r) => unlink(p, r))))
      res.end(String(size))
    })
    pipeline(req, bb).catch(() => res.destroy())
  }
}

async function serve(kind) {
  const handler = kind === 'busboy' ? await serveBusboy() : await serveBottle()
  const stats = rssSampler()
  const server = createServer((req, res) => {
    if (req.url === '/stats') {
      res.setHeader('Content-Type', 'application/json')
      res.end(JSON.stringify(stats))
      return
    }
    handler(req, res)
  })
  server.listen(0, '127.0.0.1', () => {
    // Idle RSS is taken once the server is up, after a GC if exposed.
    globalThis.gc?.()
    stats.idle = process.memoryUsage().rss
    stats.peak = stats.idle
    process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n')
  })
}

// --- client side ---------------------------------------------------------------------------

/** A multipart body of `size` bytes of file content, generated on the fly. */
function multipartBody(size) {
  const boundary = 'bench' + randomBytes(8).toString('hex')
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n'
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const block = randomBytes(256 * 1024)
  async function* generate() {
    yield head
    for (let sent = 0; sent < size; sent += block.length) {
      yield sent + block.length <= size ? block : block.subarray(0, size - sent)
    }
    yield tail
  }
  return {
    stream: Readable.from(generate()),
    length: head.length + size + tail.length,
    type: `multipart/form-data; boundary=${boundary}`,
  }
}

function get(port, path) {
  return new Promise((resolve, reject) => {
    httpRequest({ port, path, host: '127.0.0.1' }, (res) => {
      let text = ''
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve(JSON.parse(text)))
    })
      .on('error', reject)
      .end()
  })
}

function upload(port, size) {
  const body = multipartBody(size)
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const req = httpRequest(
      {
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/up',
        headers: { 'content-type': body.type, 'content-length': body.length },
      },
      (res) => {
        let text = ''
        res.on('data', (c) => (text += c))
        res.on('end', () => {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9
          if (res.statusCode !== 200 || Number(text) !== size) {
            reject(new Error(`upload failed: ${res.statusCode} ${text.slice(0, 200)}`))
          } else resolve(seconds)
        })
      }
    )
    req.on('error', reject)
    body.stream.pipe(req)
  })
}

async function measure(kind, size) {
  const child = spawn(process.execPath, ['--expose-gc', SELF, `--serve=${kind}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (line) => resolve(JSON.parse(String(line)).port))
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)))
  })
  try {
    const seconds = await upload(port, size)
    const stats = await get(port, '/stats')
    return {
      server: kind,
      sizeMiB: size / MiB,
      seconds: Number(seconds.toFixed(2)),
      mibPerSecond: Number((size / MiB / seconds).toFixed(1)),
      idleRssMiB: Number((stats.idle / MiB).toFixed(1)),
      peakRssGrowthMiB: Number(((stats.peak - stats.idle) / MiB).toFixed(1)),
    }
  } finally {
    child.kill()
  }
}

async function main() {
  const size = Number(args.size ?? 1024) * MiB
  const runs = Number(args.runs ?? 1)
  const kinds = args.only ? [args.only] : ['bottle-ts', 'busboy']
  const results = []
  for (let r = 0; r < runs; r++) {
    for (const kind of kinds) {
      const result = await measure(kind, size)
      results.push(result)
      console.log(JSON.stringify(result))
    }
  }
  console.log('\n| server | MiB | s | MiB/s | idle RSS MiB | peak RSS growth MiB |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const r of results) {
    console.log(
      `| ${r.server} | ${r.sizeMiB} | ${r.seconds} | ${r.mibPerSecond} | ${r.idleRssMiB} | ${r.peakRssGrowthMiB} |`
    )
  }
  const bottle = results.filter((r) => r.server === 'bottle-ts')
  const worst = Math.max(...bottle.map((r) => r.peakRssGrowthMiB))
  if (bottle.length) console.log(`\nbottle-ts peak RSS growth ${worst} MiB (target < 64 MiB)`)
  const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'upload-memory.json'), JSON.stringify(results, null, 2) + '\n')
  if (bottle.length && worst >= 64) process.exitCode = 1
}

if (args.serve) await serve(args.serve)
else await main()
