/**
 * The shipped observability plugins: RequestLogger (access lines, request ids, slow and
 * aborted flags) and Metrics (Prometheus counters, histogram and in-flight gauge). Both
 * must see every response, routed or not, with the status and body bytes really sent.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it, vi } from 'vitest'
import {
  abort,
  Bottle,
  current,
  HTTPResponse,
  Metrics,
  RequestLogger,
  response,
  type LogEntry,
} from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import { describeMatrix, listen } from './_helpers.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** An app with a logger whose entries land in `entries` (and lines in `lines`). */
function loggedApp(options: ConstructorParameters<typeof RequestLogger>[0] = {}): {
  app: Bottle
  logger: RequestLogger
  entries: LogEntry[]
  lines: string[]
} {
  const app = new Bottle()
  const entries: LogEntry[] = []
  const lines: string[] = []
  const logger = app.install(
    new RequestLogger({
      ...options,
      sink: (line, entry) => {
        lines.push(line)
        entries.push(entry)
      },
    })
  )
  app.logError = () => {}
  return { app, logger, entries, lines }
}

/** Entries arrive once Node closes the response, which may be just after the client has it. */
async function settled<T>(list: T[], count: number): Promise<T[]> {
  await vi.waitFor(() => expect(list).toHaveLength(count))
  return list
}

/** The value of one sample line of a Prometheus text page, or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const head = labels ? `${name}{${labels}} ` : `${name} `
  const line = text.split('\n').find((l) => l.startsWith(head))
  return line === undefined ? undefined : Number(line.slice(head.length))
}

describeMatrix('RequestLogger', (client) => {
  it('logs method, path, status, bytes, duration and a generated id it also sends back', async () => {
    const { app, entries, lines } = loggedApp()
    app.get('/hello/<name>', ({ name }) => `Hello ${name}!`)
    const res = await client(app).get('/hello/w%C3%B6rld?token=secret')
    expect(res.text()).toBe('Hello wörld!')
    const [entry] = await settled(entries, 1)
    expect(entry).toMatchObject({
      method: 'GET',
      path: '/hello/w%C3%B6rld',
      status: 200,
      bytes: Buffer.byteLength('Hello wörld!'),
    })
    expect(entry!.id).toMatch(UUID)
    expect(res.header('x-request-id')).toBe(entry!.id)
    expect(entry!.ms).toBeGreaterThanOrEqual(0)
    expect(Date.parse(entry!.time)).not.toBeNaN()
    expect(entry!.slow).toBeUndefined()
    expect(lines[0]).toBe(JSON.stringify(entry))
    expect(lines[0]).not.toContain('secret')
  })

  it('keeps a valid incoming X-Request-Id and echoes it', async () => {
    const { app, entries } = loggedApp()
    app.get('/', () => 'ok')
    const res = await client(app).get('/', { headers: { 'X-Request-Id': 'abc-123.def' } })
    expect(res.header('x-request-id')).toBe('abc-123.def')
    expect((await settled(entries, 1))[0]!.id).toBe('abc-123.def')
  })

  it('replaces an incoming request id that could forge log lines', async () => {
    const { app, entries } = loggedApp()
    app.get('/', () => 'ok')
    for (const bad of ['a b', 'x"}{"status":200', 'x'.repeat(129), '']) {
      const res = await client(app).get('/', { headers: { 'X-Request-Id': bad } })
      expect(res.header('x-request-id')).toMatch(UUID)
    }
    for (const entry of await settled(entries, 4)) expect(entry.id).toMatch(UUID)
  })

  it('logs 404 and 405 with the status and the bytes of the error page', async () => {
    const { app, entries } = loggedApp()
    app.post('/only-post', () => 'posted')
    const missing = await client(app).get('/nowhere')
    const wrong = await client(app).get('/only-post')
    expect(missing.status).toBe(404)
    expect(wrong.status).toBe(405)
    await settled(entries, 2)
    const byPath = Object.fromEntries(entries.map((e) => [e.path, e]))
    expect(byPath['/nowhere']).toMatchObject({ status: 404, bytes: missing.body.length })
    expect(byPath['/only-post']).toMatchObject({ status: 405, bytes: wrong.body.length })
    expect(missing.header('x-request-id')).toMatch(UUID)
  })

  it('logs a failing callback as 500 and keeps the request id on error responses', async () => {
    const { app, entries } = loggedApp()
    app.get('/boom', () => {
      throw new Error('kaput')
    })
    app.get('/denied', () => abort(401, 'Access denied.'))
    const boom = await client(app).get('/boom')
    const denied = await client(app).get('/denied')
    expect(boom.status).toBe(500)
    expect(denied.status).toBe(401)
    expect(denied.header('x-request-id')).toMatch(UUID)
    await settled(entries, 2)
    expect(entries.find((e) => e.path === '/boom')).toMatchObject({
      status: 500,
      bytes: boom.body.length,
    })
    expect(entries.find((e) => e.path === '/denied')).toMatchObject({
      status: 401,
      bytes: denied.body.length,
    })
  })

  it('counts the bytes of a streamed response chunk by chunk', async () => {
    const { app, entries } = loggedApp()
    app.get('/stream', function* () {
      yield 'one,'
      yield Buffer.from('two,')
      yield 'drei€'
    })
    const res = await client(app).get('/stream')
    expect(res.text()).toBe('one,two,drei€')
    expect(res.header('content-length')).toBeUndefined()
    expect((await settled(entries, 1))[0]).toMatchObject({ status: 200, bytes: res.body.length })
  })

  it('logs HEAD requests with zero body bytes', async () => {
    const { app, entries } = loggedApp()
    app.get('/', () => 'a body that HEAD does not send')
    const res = await client(app).head('/')
    expect(res.body.length).toBe(0)
    expect((await settled(entries, 1))[0]).toMatchObject({ method: 'HEAD', status: 200, bytes: 0 })
  })

  it('flags requests slower than slowMs', async () => {
    const { app, entries, lines } = loggedApp({ slowMs: 100 })
    app.get('/slow', async () => {
      await sleep(200)
      return 'late'
    })
    app.get('/fast', () => 'now')
    await client(app).get('/slow')
    await client(app).get('/fast')
    await settled(entries, 2)
    const slow = entries.find((e) => e.path === '/slow')!
    expect(slow.slow).toBe(true)
    expect(slow.ms).toBeGreaterThanOrEqual(150)
    expect(entries.find((e) => e.path === '/fast')!.slow).toBeUndefined()
    expect(lines).toEqual(entries.map((e) => JSON.stringify(e)))
  })

  it('writes Apache common log lines with the id and duration appended', async () => {
    const { app, lines } = loggedApp({ format: 'common' })
    app.get('/page', () => 'twelve bytes')
    app.get('/empty', () => '')
    await client(app).get('/page?q=1')
    await client(app).get('/empty')
    await settled(lines, 2)
    const pattern =
      /^127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/page HTTP\/1\.1" 200 12 id=[0-9a-f-]{36} ms=\d+(\.\d+)?$/
    expect(lines.find((l) => l.includes('/page'))).toMatch(pattern)
    // Apache writes '-' for an empty body.
    expect(lines.find((l) => l.includes('/empty'))).toMatch(/" 200 - id=/)
  })
})

describe('RequestLogger sinks and options', () => {
  it('writes newline-terminated lines to a writable stream', async () => {
    const chunks: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _enc, callback) {
        chunks.push(chunk.toString())
        callback()
      },
    })
    const app = new Bottle()
    app.install(new RequestLogger({ sink }))
    app.get('/', () => 'ok')
    await new TestClient(app).get('/')
    await settled(chunks, 1)
    expect(chunks[0]!.endsWith('}\n')).toBe(true)
    expect(JSON.parse(chunks[0]!)).toMatchObject({ method: 'GET', path: '/', status: 200 })
  })

  it('joins lines into one write per event-loop turn, and close() writes them at once', async () => {
    const chunks: string[] = []
    const sink = { write: (chunk: string) => chunks.push(chunk) }
    const app = new Bottle()
    const logger = app.install(new RequestLogger({ sink }))
    let atClose: number | null = null
    app.get('/', () => {
      // Runs after the logger's own close listener, so its line is pending here.
      current().res!.once('close', () => {
        const before = chunks.length
        logger.close()
        atClose = chunks.length - before
      })
      return 'ok'
    })
    const client = new TestClient(app)
    await client.get('/')
    await vi.waitFor(() => expect(atClose).not.toBeNull())
    expect(atClose).toBe(1)
    await Promise.all([client.get('/a'), client.get('/b'), client.get('/c')])
    await vi.waitFor(() => expect(chunks.join('').split('\n')).toHaveLength(5))
    for (const chunk of chunks) expect(chunk.endsWith('\n')).toBe(true)
    expect(chunks.join('').match(/"status":404/g)).toHaveLength(3)
  })

  it('keeps serving when a stream sink fails, with one warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      const sink = new Writable({
        write(_chunk, _enc, callback) {
          callback(new Error('EIO: disk gone'))
        },
      })
      const app = new Bottle()
      app.install(new RequestLogger({ sink }))
      app.get('/', () => 'ok')
      const client = new TestClient(app)
      expect((await client.get('/')).text()).toBe('ok')
      await vi.waitFor(() => expect(warn).toHaveBeenCalledTimes(1))
      expect(String(warn.mock.calls[0]![0])).toContain('disk gone')
      expect((await client.get('/')).text()).toBe('ok')
    } finally {
      warn.mockRestore()
    }
  })

  it('shares one batch and one error listener among loggers of the same stream', async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, callback) {
        lines.push(...chunk.toString().split('\n').filter(Boolean))
        callback()
      },
    })
    const lines: string[] = []
    const apps = Array.from({ length: 12 }, (_, i) => {
      const app = new Bottle()
      app.install(new RequestLogger({ sink }))
      app.get('/', () => `app ${i}`)
      return app
    })
    expect(sink.listenerCount('error')).toBe(1)
    await Promise.all(apps.map((app) => new TestClient(app).get('/')))
    await settled(lines, 12)
  })

  it('writes to stderr by default', async () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const app = new Bottle()
      app.install(new RequestLogger())
      app.get('/', () => 'ok')
      await new TestClient(app).get('/')
      await vi.waitFor(() => expect(spy).toHaveBeenCalled())
      const written = spy.mock.calls.map((c) => String(c[0])).find((s) => s.includes('"path":"/"'))
      expect(written).toMatch(/^\{"time":.*"status":200,.*\}\n$/)
    } finally {
      spy.mockRestore()
    }
  })

  it('survives a sink that throws, reporting the error through app.logError', async () => {
    const app = new Bottle()
    const reported: unknown[] = []
    app.logError = (err) => reported.push(err)
    app.install(
      new RequestLogger({
        sink: () => {
          throw new Error('disk full')
        },
      })
    )
    app.get('/', () => 'ok')
    const client = new TestClient(app)
    expect((await client.get('/')).text()).toBe('ok')
    expect((await client.get('/')).text()).toBe('ok')
    await settled(reported, 2)
    expect(String(reported[0])).toContain('disk full')
  })

  it('reads and echoes a custom request id header, or none', async () => {
    const custom = loggedApp({ requestIdHeader: 'X-Trace-Id' })
    custom.app.get('/', () => 'ok')
    const res = await new TestClient(custom.app).get('/', {
      headers: { 'X-Trace-Id': 'trace-7', 'X-Request-Id': 'ignored' },
    })
    expect(res.header('x-trace-id')).toBe('trace-7')
    expect(res.header('x-request-id')).toBeUndefined()
    expect((await settled(custom.entries, 1))[0]!.id).toBe('trace-7')

    const none = loggedApp({ requestIdHeader: false })
    none.app.get('/', () => 'ok')
    const plain = await new TestClient(none.app).get('/', { headers: { 'X-Request-Id': 'given' } })
    expect(plain.header('x-request-id')).toBeUndefined()
    expect((await settled(none.entries, 1))[0]!.id).toMatch(UUID)
  })

  it('gives handlers the id it logs through requestId()', async () => {
    const { app, logger, entries } = loggedApp()
    app.get('/', () => `id:${logger.requestId()}`)
    const res = await new TestClient(app).get('/')
    const [entry] = await settled(entries, 1)
    expect(res.text()).toBe(`id:${entry!.id}`)
    expect(() => logger.requestId()).toThrow(/outside of a request/)
  })

  it('keeps the id header when a callback returns its own HTTPResponse', async () => {
    const { app } = loggedApp()
    app.get('/', () => new HTTPResponse('made here', 201, { 'X-Own': '1' }))
    const res = await new TestClient(app).get('/', { headers: { 'X-Request-Id': 'keep-me' } })
    expect(res.status).toBe(201)
    expect(res.header('x-own')).toBe('1')
    expect(res.header('x-request-id')).toBe('keep-me')
  })

  it('logs a malformed path that never reaches before_request hooks', async () => {
    const { app, entries } = loggedApp()
    const res = await new TestClient(app).get('/bad%zzpath')
    expect(res.status).toBe(400)
    expect((await settled(entries, 1))[0]).toMatchObject({ path: '/bad%zzpath', status: 400 })
  })

  it('escapes quotes and control bytes in common log request lines', async () => {
    const { app, lines } = loggedApp({ format: 'common' })
    const raw = await new TestClient(app).raw(
      'GET /a"b\\c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
    )
    expect(raw.toString()).toMatch(/^HTTP\/1\.1 404/)
    const [line] = await settled(lines, 1)
    expect(line).toContain('"GET /a\\"b\\\\c HTTP/1.1" 404 ')
  })

  it('logs each request once when installed on a parent and its mounted child', async () => {
    const parent = loggedApp()
    const child = new Bottle()
    child.get('/post/<id:int>', ({ id }) => `post ${id}`)
    child.install(parent.logger)
    parent.app.mount('/blog', child)
    const res = await new TestClient(parent.app).get('/blog/post/7')
    expect(res.text()).toBe('post 7')
    await settled(parent.entries, 1)
    await sleep(20)
    expect(parent.entries).toHaveLength(1)
    expect(parent.entries[0]).toMatchObject({ path: '/blog/post/7', status: 200, bytes: 6 })
  })

  it('logs what a mounted Node handler sends, status and bytes included', async () => {
    const { app, entries } = loggedApp()
    app.mount('/legacy', (_req: IncomingMessage, res: ServerResponse) => {
      res.statusCode = 202
      res.setHeader('Content-Type', 'text/plain')
      res.write('from ')
      res.end('node')
    })
    const res = await new TestClient(app).get('/legacy/thing', {
      headers: { 'X-Request-Id': 'node-1' },
    })
    expect(res.status).toBe(202)
    expect(res.text()).toBe('from node')
    expect(res.header('x-request-id')).toBe('node-1')
    expect((await settled(entries, 1))[0]).toMatchObject({
      id: 'node-1',
      path: '/legacy/thing',
      status: 202,
      bytes: 9,
    })
  })

  it('logs the bare 500 sent when catchall is off and an error escapes', async () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const { app, entries } = loggedApp()
      app.config.set('catchall', false)
      app.get('/escape', () => {
        throw new Error('not caught')
      })
      const res = await new TestClient(app).get('/escape')
      expect(res.status).toBe(500)
      expect((await settled(entries, 1))[0]).toMatchObject({
        status: 500,
        bytes: res.body.length,
      })
    } finally {
      spy.mockRestore()
    }
  })

  it('stops logging once uninstalled', async () => {
    const { app, logger, entries } = loggedApp()
    app.get('/', () => 'ok')
    const client = new TestClient(app)
    await client.get('/')
    await settled(entries, 1)
    expect(app.uninstall(logger)).toEqual([logger])
    const res = await client.get('/')
    await sleep(20)
    expect(entries).toHaveLength(1)
    expect(res.header('x-request-id')).toBeUndefined()
  })

  it('refuses bad options with messages that name them', () => {
    const bad = (o: object): RequestLogger => new RequestLogger(o)
    expect(() => bad({ format: 'xml' })).toThrow(/format must be 'json' or 'common'/)
    expect(() => bad({ slowMs: -1 })).toThrow(/slowMs must be a number >= 0/)
    expect(() => bad({ slowMs: Number.NaN })).toThrow(/slowMs/)
    expect(() => bad({ requestIdHeader: 'X Bad' })).toThrow(/requestIdHeader/)
    expect(() => bad({ sink: 42 })).toThrow(/sink must be a function/)
  })

  it('flags a response whose client went away mid-stream as aborted', async () => {
    const { app, entries, lines } = loggedApp()
    let finished = false
    app.get('/forever', async function* () {
      try {
        yield 'first chunk'
        for (;;) {
          await sleep(5)
          yield 'more'
        }
      } finally {
        finished = true
      }
    })
    const server = await listen(app)
    try {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest(`${server.url}/forever`, (res) => {
          res.once('data', () => {
            req.destroy()
            resolve()
          })
        })
        req.on('error', (err: NodeJS.ErrnoException) =>
          err.code === 'ECONNRESET' ? undefined : reject(err)
        )
        req.end()
      })
      const [entry] = await settled(entries, 1)
      expect(entry).toMatchObject({ path: '/forever', status: 200, aborted: true })
      expect(lines[0]).toBe(JSON.stringify(entry))
      expect(entry!.bytes).toBeGreaterThanOrEqual('first chunk'.length)
      await vi.waitFor(() => expect(finished).toBe(true))
    } finally {
      await server.close()
    }
  })
})

describeMatrix('Metrics', (client) => {
  it('counts requests per method, route rule and status class, and serves them', async () => {
    const app = new Bottle()
    app.install(new Metrics())
    app.get('/hello/<name>', ({ name }) => `Hello ${name}`)
    app.post('/form', () => 'posted')
    await client(app).get('/hello/a')
    await client(app).get('/hello/bb')
    await client(app).post('/form', { form: { x: '1' } })
    await client(app).get('/nowhere')
    await client(app).get('/form')
    const page = await client(app).get('/metrics')
    expect(page.status).toBe(200)
    expect(page.header('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const text = page.text()
    const total = (labels: string): number | undefined =>
      sample(text, 'http_requests_total', labels)
    expect(total('method="GET",route="/hello/<name>",status="2xx"')).toBe(2)
    expect(total('method="POST",route="/form",status="2xx"')).toBe(1)
    // 404 and 405 match no route.
    expect(total('method="GET",route="(unmatched)",status="4xx"')).toBe(2)
    expect(
      sample(text, 'http_response_bytes_total', 'method="GET",route="/hello/<name>",status="2xx"')
    ).toBe('Hello a'.length + 'Hello bb'.length)
    // The scrape itself is in flight while the page is rendered.
    expect(sample(text, 'http_requests_in_flight')).toBe(1)
  })

  it('labels failing callbacks 5xx and aborts by their status class', async () => {
    const app = new Bottle()
    app.logError = () => {}
    const metrics = app.install(new Metrics())
    app.get('/boom', () => {
      throw new Error('kaput')
    })
    app.get('/teapot', () => abort(418, 'short and stout'))
    await client(app).get('/boom')
    await client(app).get('/teapot')
    await vi.waitFor(() => expect(metrics.inFlight).toBe(0))
    const text = metrics.render()
    expect(sample(text, 'http_requests_total', 'method="GET",route="/boom",status="5xx"')).toBe(1)
    expect(sample(text, 'http_requests_total', 'method="GET",route="/teapot",status="4xx"')).toBe(1)
  })
})

describe('Metrics exposition', () => {
  it('keeps a cumulative histogram with +Inf, _sum and _count per series', async () => {
    const app = new Bottle()
    const metrics = app.install(new Metrics({ buckets: [0.1, 1] }))
    app.get('/fast', () => 'f')
    app.get('/slow', async () => {
      await sleep(150)
      return 's'
    })
    const client = new TestClient(app)
    await client.get('/fast')
    await client.get('/fast')
    await client.get('/slow')
    await vi.waitFor(() => expect(metrics.inFlight).toBe(0))
    const text = metrics.render()
    const fast = 'method="GET",route="/fast",status="2xx"'
    const slow = 'method="GET",route="/slow",status="2xx"'
    const bucket = (labels: string, le: string): number | undefined =>
      sample(text, 'http_request_duration_seconds_bucket', `${labels},le="${le}"`)
    expect(bucket(fast, '0.1')).toBe(2)
    expect(bucket(fast, '1')).toBe(2)
    expect(bucket(fast, '+Inf')).toBe(2)
    expect(bucket(slow, '0.1')).toBe(0)
    expect(bucket(slow, '1')).toBe(1)
    expect(bucket(slow, '+Inf')).toBe(1)
    expect(sample(text, 'http_request_duration_seconds_count', slow)).toBe(1)
    expect(sample(text, 'http_request_duration_seconds_sum', slow)).toBeGreaterThanOrEqual(0.14)
    expect(sample(text, 'http_request_duration_seconds_sum', fast)).toBeLessThan(0.2)
  })

  it('writes valid text format 0.0.4: HELP and TYPE once per family, then its samples', async () => {
    const app = new Bottle()
    const metrics = app.install(new Metrics())
    app.get('/', () => 'x')
    await new TestClient(app).get('/')
    await vi.waitFor(() => expect(metrics.inFlight).toBe(0))
    const text = metrics.render()
    expect(text.endsWith('\n')).toBe(true)
    const families = new Map<string, string>()
    let current = ''
    for (const line of text.trimEnd().split('\n')) {
      const type = /^# TYPE (\w+) (counter|gauge|histogram)$/.exec(line)
      if (type) {
        expect(families.has(type[1]!)).toBe(false)
        families.set(type[1]!, type[2]!)
        current = type[1]!
        continue
      }
      if (line.startsWith('# HELP ')) continue
      const m = /^([a-z_]+)(\{[^}]*\})? (-?\d+(\.\d+)?(e-?\d+)?)$/.exec(line)
      expect(m, line).not.toBeNull()
      expect(m![1]!.startsWith(current), line).toBe(true)
    }
    expect(Object.fromEntries(families)).toEqual({
      http_requests_total: 'counter',
      http_request_duration_seconds: 'histogram',
      http_response_bytes_total: 'counter',
      http_requests_in_flight: 'gauge',
    })
  })

  it('escapes backslashes and quotes in route labels', async () => {
    const app = new Bottle()
    const metrics = app.install(new Metrics())
    app.get('/num/<n:re:\\d+>', ({ n }) => n)
    await new TestClient(app).get('/num/42')
    await vi.waitFor(() => expect(metrics.inFlight).toBe(0))
    expect(metrics.render()).toContain(
      'http_requests_total{method="GET",route="/num/<n:re:\\\\d+>",status="2xx"} 1'
    )
  })

  it('counts unknown methods as OTHER so clients cannot mint new series', async () => {
    const app = new Bottle()
    const metrics = app.install(new Metrics())
    const client = new TestClient(app)
    await client.request('MKCOL', '/pot')
    await client.request('PROPFIND', '/pot')
    await vi.waitFor(() => expect(metrics.inFlight).toBe(0))
    const text = metrics.render()
    expect(
      sample(text, 'http_requests_total', 'method="OTHER",route="(unmatched)",status="4xx"')
    ).toBe(2)
    expect(text).not.toContain('MKCOL')
  })

  it('tracks requests in flight', async () => {
    const app = new Bottle()
    const metrics = app.install(new Metrics())
    let release = (): void => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    app.get('/wait', async () => {
      await gate
      return 'done'
    })
    const client = new TestClient(app)
    const pending = [client.get('/wait'), client.get('/wait')]
    await vi.waitFor(() => expect(metrics.inFlight).toBe(2))
    expect(sample(metrics.render(), 'http_requests_in_flight')).toBe(2)
    release()
    await Promise.all(pending)
    await vi.waitFor(() => expect(metrics.inFlight).toBe(0))
  })

  it('serves at a custom path, answers HEAD, and leaves POST to the router', async () => {
    const app = new Bottle()
    app.install(new Metrics({ path: '/_/stats' }))
    const client = new TestClient(app)
    expect((await client.get('/metrics')).status).toBe(404)
    const head = await client.head('/_/stats')
    expect(head.status).toBe(200)
    expect(head.header('content-type')).toContain('version=0.0.4')
    expect((await client.post('/_/stats')).status).toBe(404)
    const text = (await client.get('/_/stats')).text()
    expect(sample(text, 'http_requests_total', 'method="HEAD",route="/_/stats",status="2xx"')).toBe(
      1
    )
  })

  it('serves nothing with path: false, and render() still works', async () => {
    const app = new Bottle()
    const metrics = app.install(new Metrics({ path: false }))
    app.get('/internal/metrics', () => {
      response.contentType = Metrics.contentType
      return metrics.render()
    })
    const client = new TestClient(app)
    expect((await client.get('/metrics')).status).toBe(404)
    const page = await client.get('/internal/metrics')
    expect(page.header('content-type')).toBe(Metrics.contentType)
    expect(
      sample(page.text(), 'http_requests_total', 'method="GET",route="(unmatched)",status="4xx"')
    ).toBe(1)
  })

  it('lets a before_request hook installed first guard the metrics path', async () => {
    const app = new Bottle()
    app.hook('before_request')(() => {
      if (app.config.get('locked') === true) abort(403, 'metrics are internal')
    })
    app.config.set('locked', true)
    app.install(new Metrics())
    const client = new TestClient(app)
    expect((await client.get('/metrics')).status).toBe(403)
    app.config.set('locked', false)
    expect((await client.get('/metrics')).status).toBe(200)
  })

  it('labels routes of a mounted app with the mount prefix, and its misses as unmatched', async () => {
    const parent = new Bottle()
    const child = new Bottle()
    child.get('/post/<id:int>', ({ id }) => `post ${id}`)
    const metrics = new Metrics()
    parent.install(metrics)
    child.install(metrics)
    parent.mount('/blog', child)
    const client = new TestClient(parent)
    await client.get('/blog/post/1')
    await client.get('/blog/post/2')
    await client.get('/blog/nothing')
    await vi.waitFor(() => expect(metrics.inFlight).toBe(0))
    const text = metrics.render()
    expect(
      sample(text, 'http_requests_total', 'method="GET",route="/blog/post/<id:int>",status="2xx"')
    ).toBe(2)
    expect(
      sample(text, 'http_requests_total', 'method="GET",route="(unmatched)",status="4xx"')
    ).toBe(1)
  })

  it('labels a mount by its rule when only the parent observes it', async () => {
    const parent = new Bottle()
    const child = new Bottle()
    child.get('/', () => 'child')
    const metrics = parent.install(new Metrics())
    parent.mount('/sub', child)
    await new TestClient(parent).get('/sub/')
    await vi.waitFor(() => expect(metrics.inFlight).toBe(0))
    expect(metrics.render()).toContain('route="/sub/<:re:.*>",status="2xx"} 1')
  })

  it('agrees with the logger on bytes when both are installed', async () => {
    const { app, entries } = loggedApp()
    const metrics = app.install(new Metrics())
    app.get('/', () => 'x'.repeat(1000))
    await new TestClient(app).get('/')
    await settled(entries, 1)
    expect(entries[0]!.bytes).toBe(1000)
    expect(
      sample(metrics.render(), 'http_response_bytes_total', 'method="GET",route="/",status="2xx"')
    ).toBe(1000)
  })

  it('stops counting once uninstalled and clear() forgets the series', async () => {
    const app = new Bottle()
    const metrics = app.install(new Metrics())
    app.get('/', () => 'x')
    const client = new TestClient(app)
    await client.get('/')
    await vi.waitFor(() => expect(metrics.inFlight).toBe(0))
    app.uninstall('metrics')
    await client.get('/')
    expect((await client.get('/metrics')).status).toBe(404)
    await sleep(20)
    expect(
      sample(metrics.render(), 'http_requests_total', 'method="GET",route="/",status="2xx"')
    ).toBe(1)
    metrics.clear()
    expect(metrics.render()).not.toContain('http_requests_total{')
  })

  it('refuses bad options with messages that name them', () => {
    expect(() => new Metrics({ path: 'metrics' })).toThrow(/path must start with "\/"/)
    expect(() => new Metrics({ buckets: [] })).toThrow(/buckets/)
    expect(() => new Metrics({ buckets: [1, 0.5] })).toThrow(/increasing/)
    expect(() => new Metrics({ buckets: [0.1, Number.NaN] })).toThrow(/buckets/)
    expect(new Metrics({ buckets: [0.1, 1, Infinity] }).buckets).toEqual([0.1, 1])
  })
})
