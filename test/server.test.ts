import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { connect as http2Connect } from 'node:http2'
import { request as httpsRequest } from 'node:https'
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import {
  AutoServer,
  Bottle,
  ClusterServer,
  Http2Server,
  HttpsServer,
  NodeServer,
  NORUN,
  ServerAdapter,
  run,
  serverNames,
  type RequestHandler,
  type ServerHandle,
} from 'bottle-ts'
import {
  APPS,
  ROOT,
  TSX,
  cleanup,
  fetchText,
  has,
  load,
  makeCertificate,
  serve,
  signal,
  sleep,
  start,
  tempDir,
} from './fixtures/apps/process.js'
import { InflightTracker } from '../src/server/adapter.js'

const handles: ServerHandle[] = []
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close()))
})
afterAll(cleanup)

function slowApp(): Bottle {
  const app = new Bottle()
  app.get('/', () => 'hello')
  app.get('/slow', async () => {
    await sleep(300)
    return 'slow done'
  })
  app.get('/hang', () => new Promise<string>(() => {}))
  return app
}

async function start0(app: Bottle, options: Record<string, unknown> = {}): Promise<ServerHandle> {
  const handle = run(app, { port: 0, quiet: true, handleSignals: false, ...options })
  handles.push(handle)
  await handle.ready
  return handle
}

function portOf(handle: ServerHandle): number {
  return (handle.address as AddressInfo).port
}

/** Sends raw bytes and collects everything until the server closes the connection. */
function raw(port: number, data: string, endAfterMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => (text += d))
    socket.on('close', () => resolve(text))
    socket.on('error', reject)
    socket.write(data)
    setTimeout(() => socket.destroy(), endAfterMs).unref()
  })
}

describe('run() and the node adapter', () => {
  it('serves the app on the port it reports and prints Bottle’s banner', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const handle = run(slowApp(), { port: 0, handleSignals: false })
      handles.push(handle)
      const address = (await handle.ready) as AddressInfo
      expect(handle.address).toEqual(address)
      expect(handle.server).toBeInstanceOf(NodeServer)
      const banner = write.mock.calls.map((c) => String(c[0])).join('')
      expect(banner).toMatch(
        /^Bottle-ts v\d+\.\d+\.\d+ server starting up \(using NodeServer\(\)\)\.\.\./
      )
      expect(banner).toContain(`Listening on http://127.0.0.1:${address.port}/`)
      expect(banner).toContain('Hit Ctrl-C to quit.')
    } finally {
      write.mockRestore()
    }
    const res = await fetchText(`http://127.0.0.1:${portOf(handles[0]!)}/`)
    expect(res.body).toBe('hello')
  })

  it('prints nothing with quiet', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      await start0(slowApp())
      expect(write).not.toHaveBeenCalled()
    } finally {
      write.mockRestore()
    }
  })

  it('applies debug, config and plugins before serving', async () => {
    const app = new Bottle()
    app.get('/', () => `${String(app.config.get('debug'))} ${String(app.config.get('db.name'))}`)
    const seen: string[] = []
    const handle = await start0(app, {
      debug: true,
      config: { db: { name: 'main' } },
      plugins: [
        (cb: (...a: never[]) => unknown) =>
          (...a: never[]) => {
            seen.push('plugin')
            return cb(...a)
          },
      ],
    })
    const res = await fetchText(`http://127.0.0.1:${portOf(handle)}/`)
    expect(res.body).toBe('true main')
    expect(seen).toEqual(['plugin'])
  })

  it('names the known adapters when the server name is unknown', () => {
    expect(() => run(new Bottle(), { server: 'tornado', handleSignals: false })).toThrow(
      /Unknown server adapter: "tornado" \(known: node, https, http2, cluster, cgi, auto/
    )
  })

  it('accepts a custom ServerAdapter subclass by class, instance and registered name', async () => {
    const calls: string[] = []
    class Recording extends ServerAdapter {
      inner = new NodeServer(this.options)
      run(handler: RequestHandler): Promise<AddressInfo | string> {
        calls.push(`run ${String(this.options.port)}`)
        return this.inner.run(handler)
      }
      close(): Promise<void> {
        calls.push('close')
        return this.inner.close()
      }
    }
    serverNames.set('recording', Recording)
    try {
      for (const server of ['recording', Recording, new Recording({ port: 0 })]) {
        const handle = await start0(slowApp(), { server })
        expect(handle.server).toBeInstanceOf(Recording)
        expect((await fetchText(`http://127.0.0.1:${portOf(handle)}/`)).body).toBe('hello')
        await handle.close()
      }
    } finally {
      serverNames.delete('recording')
    }
    expect(calls).toEqual(['run 0', 'close', 'run 0', 'close', 'run 0', 'close'])
  })

  it('starts nothing while NORUN is set', async () => {
    NORUN.enabled = true
    try {
      const handle = run(slowApp(), { port: 0 })
      expect(await handle.ready).toBe('norun')
      expect(handle.address).toBeNull()
    } finally {
      NORUN.enabled = false
    }
  })

  it('answers a slowloris client with 408 once headersTimeout passes', async () => {
    const handle = await start0(slowApp(), {
      headersTimeout: 300,
      requestTimeout: 600,
      connectionsCheckingInterval: 100,
    })
    const started = Date.now()
    const text = await raw(portOf(handle), 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ')
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout/)
    expect(Date.now() - started).toBeLessThan(2500)
  })

  it('answers oversized headers with 431', async () => {
    const handle = await start0(slowApp(), { maxHeaderSize: 1024 })
    const text = await raw(
      portOf(handle),
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`
    )
    expect(text).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large/)
  })

  it('answers garbage with 400 and stays up', async () => {
    const handle = await start0(slowApp())
    expect(await raw(portOf(handle), 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/)
    expect((await fetchText(`http://127.0.0.1:${portOf(handle)}/`)).body).toBe('hello')
  })
})

describe('graceful shutdown', () => {
  it('counts requests only on tracked connections and keeps nothing once they end', async () => {
    const tracker = new InflightTracker()
    const { IncomingMessage, ServerResponse } = await import('node:http')
    const { Socket } = await import('node:net')
    const handled: string[] = []
    const wrapped = tracker.wrap((req) => handled.push(req.url ?? ''))
    const tracked = new Socket()
    tracker.track(tracked)
    const request = (socket: InstanceType<typeof Socket>, url: string) => {
      const req = new IncomingMessage(socket)
      req.url = url
      const res = new ServerResponse(req)
      wrapped(req, res)
      return res
    }
    const onTracked = request(tracked, '/a')
    // An HTTP/2 request's socket is a new proxy per stream: never registered by track().
    const perStream = request(new Socket(), '/b')
    expect(tracker.size).toBe(2)
    expect(tracker.connections).toBe(1)
    onTracked.emit('close')
    perStream.emit('close')
    expect(tracker.size).toBe(0)
    expect(tracker.connections).toBe(1)
    expect(handled).toEqual(['/a', '/b'])
    tracked.emit('close')
    expect(tracker.connections).toBe(0)
  })

  it('finishes in-flight requests with Connection: close and refuses new connections', async () => {
    const handle = await start0(slowApp())
    const port = portOf(handle)
    const inflight = Array.from({ length: 5 }, () => fetchText(`http://127.0.0.1:${port}/slow`))
    await sleep(100)
    const closed = handle.close()
    const replies = await Promise.all(inflight)
    for (const r of replies) {
      expect(r.status).toBe(200)
      expect(r.body).toBe('slow done')
      expect(r.headers.connection).toBe('close')
    }
    await closed
    await expect(fetchText(`http://127.0.0.1:${port}/`)).rejects.toThrow(/ECONNREFUSED/)
  })

  it('closes idle keep-alive connections at once instead of waiting for keepAliveTimeout', async () => {
    const handle = await start0(slowApp(), { keepAliveTimeout: 30_000 })
    const socket = connect(portOf(handle), '127.0.0.1')
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await new Promise((resolve) => socket.once('data', resolve))
    const started = Date.now()
    const socketClosed = new Promise((resolve) => socket.once('close', resolve))
    await handle.close()
    await socketClosed
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('destroys a hung request once the grace period is over', async () => {
    const handle = await start0(slowApp(), { gracePeriod: 300 })
    const hung = fetchText(`http://127.0.0.1:${portOf(handle)}/hang`).catch(
      (err: Error) => err.message
    )
    await sleep(100)
    const started = Date.now()
    await handle.close()
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(Date.now() - started).toBeLessThan(1500)
    expect(await hung).toMatch(/socket hang up|ECONNRESET/)
  })

  it('closes the app (plugin close()) after the server', async () => {
    const app = slowApp()
    const closed: string[] = []
    app.install({ name: 'closer', api: 2, apply: (cb) => cb, close: () => closed.push('closed') })
    const handle = await start0(app)
    await handle.close()
    expect(closed).toEqual(['closed'])
  })

  it('on SIGTERM answers every accepted request of a burst and exits 0 before the grace period', async () => {
    const { proc, address } = await serve({ port: 0, gracePeriod: 8000 })
    const port = (address as AddressInfo).port
    const burst = Array.from({ length: 20 }, () =>
      fetchText(`http://127.0.0.1:${port}/slow?ms=600`)
    )
    await sleep(250)
    const started = Date.now()
    signal(proc, 'SIGTERM')
    const replies = await Promise.allSettled(burst)
    const { code } = await proc.exited
    const elapsed = Date.now() - started
    const failed = replies.filter((r) => r.status === 'rejected' || r.value.status !== 200)
    expect(failed).toHaveLength(0)
    expect(code).toBe(0)
    expect(elapsed).toBeLessThan(4000)
    expect(proc.stderr).toContain('Shutting down (SIGTERM)')
  })

  it('on SIGTERM under continuous load answers every request that reached the app', async () => {
    const { proc, address } = await serve({ port: 0 })
    const url = `http://127.0.0.1:${(address as AddressInfo).port}/slow?ms=30`
    let stop = false
    const running = load(
      () => url,
      8,
      () => stop
    )
    await sleep(400)
    signal(proc, 'SIGTERM')
    const { code } = await proc.exited
    stop = true
    const result = await running
    const seen = Number(/SEEN (\d+)/.exec(proc.stdout)?.[1])
    // Every request the app saw was answered. The only failures are connections the kernel
    // had queued but the process never accepted, reset or refused when the listener closed.
    expect(result.ok).toBe(seen)
    expect(result.ok).toBeGreaterThan(10)
    expect(result.errors.filter((e) => !/ECONNREFUSED|ECONNRESET/.test(e))).toEqual([])
    expect(code).toBe(0)
  })

  it('exits at once on a second signal while a request hangs', async () => {
    const { proc, address } = await serve({ port: 0, gracePeriod: 20_000 })
    const port = (address as AddressInfo).port
    const hung = fetchText(`http://127.0.0.1:${port}/hang`).catch(() => 'gone')
    await sleep(150)
    signal(proc, 'SIGINT')
    await sleep(150)
    expect(proc.child.exitCode).toBeNull()
    signal(proc, 'SIGINT')
    const { code } = await proc.exited
    expect(code).toBe(1)
    expect(await hung).toBe('gone')
  })
})

describe('Unix sockets', () => {
  it('listens on unix:/path, answers there and removes the socket on close', async () => {
    const dir = tempDir()
    const path = join(dir, 'app.sock')
    const handle = await start0(slowApp(), { host: `unix:${path}`, socketMode: 0o660 })
    expect(handle.address).toBe(path)
    expect(statSync(path).mode & 0o777).toBe(0o660)
    expect(handle.server.url(handle.address!)).toBe(`unix:${path}`)
    const res = await fetchText({ socketPath: path, path: '/' })
    expect(res.body).toBe('hello')
    await handle.close()
    expect(existsSync(path)).toBe(false)
  })

  it('removes a stale socket file left by a dead process', async () => {
    const dir = tempDir()
    const path = join(dir, 'stale.sock')
    // A socket file nobody listens on, as a killed server leaves behind.
    spawnSync('python3', [
      '-c',
      `import socket; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(path)})`,
    ])
    expect(existsSync(path)).toBe(true)
    const handle = await start0(slowApp(), { host: `unix:${path}` })
    expect((await fetchText({ socketPath: path, path: '/' })).body).toBe('hello')
    await handle.close()
  })

  it('refuses a socket another process is listening on', async () => {
    const dir = tempDir()
    const path = join(dir, 'busy.sock')
    const other = createNetServer(() => {})
    await new Promise<void>((resolve) => other.listen(path, resolve))
    try {
      const handle = run(slowApp(), { host: `unix:${path}`, quiet: true, handleSignals: false })
      await expect(handle.ready).rejects.toThrow(/another process is listening there/)
    } finally {
      other.close()
    }
  })

  it('refuses a path that is not a socket and leaves the file alone', async () => {
    const dir = tempDir()
    const path = join(dir, 'data.txt')
    writeFileSync(path, 'keep me')
    const handle = run(slowApp(), { host: `unix:${path}`, quiet: true, handleSignals: false })
    await expect(handle.ready).rejects.toThrow(/exists and is not a socket/)
    expect(existsSync(path)).toBe(true)
  })

  it('refuses a path longer than the OS limit, naming both lengths', async () => {
    const path = `/tmp/${'x'.repeat(120)}.sock`
    const handle = run(slowApp(), { host: `unix:${path}`, quiet: true, handleSignals: false })
    await expect(handle.ready).rejects.toThrow(
      /Unix socket path is 130 bytes, longer than the OS limit of 10[37]/
    )
  })
})

describe('a socket handed in as a file descriptor (systemd)', () => {
  it.skipIf(!has('python3'))('serves on fd 3 opened by the parent', async () => {
    // Like systemd: the parent binds and listens, then execs the server with the socket as fd 3.
    const script = [
      'import os, socket, sys',
      's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)',
      'os.dup2(s.fileno(), 3); os.set_inheritable(3, True)',
      'print("PORT", s.getsockname()[1], flush=True)',
      `os.environ["LISTEN_FDS"] = "1"; os.environ["LISTEN_PID"] = str(os.getpid())`,
      `os.execv(${JSON.stringify(process.execPath)}, [${JSON.stringify(process.execPath)}, ${TSX.map((a) => JSON.stringify(a)).join(', ')}, ${JSON.stringify(join(APPS, 'serve.ts'))}, sys.argv[1]])`,
    ].join('\n')
    const proc = start('python3', ['-c', script, JSON.stringify({ fd: 3, quiet: true })], {
      cwd: ROOT,
    })
    const port = Number((await proc.waitFor(/PORT (\d+)/))[1])
    await proc.waitFor(/READY/)
    const res = await fetchText(`http://127.0.0.1:${port}/name`)
    expect(res.body).toBe('serve')
    signal(proc, 'SIGTERM')
    expect((await proc.exited).code).toBe(0)
  })
})

const certDir = tempDir()
const cert = makeCertificate(certDir)
const noCert = cert === null
if (noCert)
  console.warn('openssl is not installed: skipping the https and http2 tests (.ci/run installs it)')

describe('TLS adapters', () => {
  it.skipIf(noCert)('https serves over TLS and the app sees an https URL', async () => {
    const handle = await start0(slowApp(), { server: 'https', ...cert })
    expect(handle.server).toBeInstanceOf(HttpsServer)
    expect(handle.server.url(handle.address!)).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/)
    const ca = readFileSync(cert!.certfile)
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: portOf(handle), path: '/', ca, servername: 'localhost' },
        (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d.toString()))
          res.on('end', () => resolve(`${res.statusCode} ${text}`))
        }
      )
      req.on('error', reject)
      req.end()
    })
    expect(body).toBe('200 hello')
  })

  it.skipIf(noCert)('https in a process reports https:// in request.url', async () => {
    const { proc, address } = await serve({ port: 0, server: 'https', quiet: true, ...cert })
    const ca = readFileSync(cert!.certfile)
    const url = await new Promise<string>((resolve, reject) => {
      httpsRequest(
        {
          host: '127.0.0.1',
          port: (address as AddressInfo).port,
          path: '/url',
          ca,
          servername: 'localhost',
        },
        (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d.toString()))
          res.on('end', () => resolve(text))
        }
      )
        .on('error', reject)
        .end()
    })
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/url$/)
    signal(proc, 'SIGTERM')
    expect((await proc.exited).code).toBe(0)
  })

  it('https without certificate files fails with a clear message', async () => {
    const handle = run(slowApp(), { server: 'https', port: 0, quiet: true, handleSignals: false })
    await expect(handle.ready).rejects.toThrow(/TLS needs both certfile and keyfile/)
  })

  it.skipIf(noCert)(
    'http2 answers HTTP/2 and falls back to HTTP/1.1 on the same port',
    async () => {
      const handle = await start0(slowApp(), { server: 'http2', ...cert })
      expect(handle.server).toBeInstanceOf(Http2Server)
      const port = portOf(handle)
      const ca = readFileSync(cert!.certfile)
      const session = http2Connect(`https://localhost:${port}`, { ca })
      const h2 = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({ ':path': '/' })
        let status = 0
        let body = ''
        stream.on('response', (headers) => (status = Number(headers[':status'])))
        stream.on('data', (d: Buffer) => (body += d.toString()))
        stream.on('end', () => resolve({ status, body }))
        stream.on('error', reject)
        stream.end()
      })
      expect(h2).toEqual({ status: 200, body: 'hello' })
      const missing = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':path': '/nope' })
        stream.on('response', (headers) => resolve(Number(headers[':status'])))
        stream.on('error', reject)
        stream.resume()
        stream.end()
      })
      expect(missing).toBe(404)
      session.close()
      const h1 = await new Promise<string>((resolve, reject) => {
        httpsRequest(
          { host: '127.0.0.1', port, path: '/', ca, servername: 'localhost', agent: false },
          (res) => {
            let text = ''
            res.on('data', (d: Buffer) => (text += d.toString()))
            res.on('end', () => resolve(`HTTP/${res.httpVersion} ${res.statusCode} ${text}`))
          }
        )
          .on('error', reject)
          .end()
      })
      expect(h1).toBe('HTTP/1.1 200 hello')
    }
  )

  it.skipIf(noCert)('http2 shuts down gracefully: an open stream finishes first', async () => {
    const handle = await start0(slowApp(), { server: 'http2', ...cert })
    const ca = readFileSync(cert!.certfile)
    const session = http2Connect(`https://localhost:${portOf(handle)}`, { ca })
    const reply = new Promise<string>((resolve, reject) => {
      const stream = session.request({ ':path': '/slow' })
      let body = ''
      stream.on('data', (d: Buffer) => (body += d.toString()))
      stream.on('end', () => resolve(body))
      stream.on('error', reject)
      stream.end()
    })
    await sleep(100)
    await Promise.all([handle.close(), reply.then((b) => expect(b).toBe('slow done'))])
    session.destroy()
  })

  it('auto picks http2 with a certificate and node without', () => {
    expect(new AutoServer({}).inner).toBeInstanceOf(NodeServer)
    expect(new AutoServer({ certfile: 'c', keyfile: 'k' }).inner).toBeInstanceOf(Http2Server)
    expect(new ClusterServer({ workers: 3 }).toString()).toBe('ClusterServer(workers=3)')
    expect(new ClusterServer({}).size).toBe(availableParallelism())
  })
})
