/**
 * Hostile HTTP over raw sockets: smuggling shapes, header and response splitting, open
 * redirects, oversized requests, faults in every layer, slow and aborting clients. Each
 * case checks the status, that the server still serves, and that no descriptor leaked.
 */
import { readdirSync } from 'node:fs'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Bottle, abort, redirect, request, response, run, type ServerHandle } from 'bottle-ts'

const handlerCalls: string[] = []

function buildApp(): Bottle {
  const app = new Bottle()
  app.logError = () => {}
  app.get('/', () => 'ok')
  app.post('/echo', () => {
    handlerCalls.push('echo')
    return request.body.text()
  })
  app.get('/setheader', () => {
    response.setHeader('X-Test', String(request.query.get('v') ?? ''))
    return 'set'
  })
  app.get('/status', () => {
    response.status = String(request.query.get('v') ?? '')
    return 'status'
  })
  app.get('/cookie', () => {
    response.setCookie(String(request.query.get('name') ?? 'a'), 'v', {
      path: String(request.query.get('path') ?? '/'),
    })
    return 'cookie'
  })
  app.get('/go', () => redirect(String(request.query.get('to') ?? '/')))
  app.get('/throw', () => {
    throw new Error('secret detail')
  })
  app.get('/stream-fail', function* () {
    yield 'first chunk '
    throw new Error('after first chunk')
  })
  app.get('/slow', async () => {
    await new Promise((r) => setTimeout(r, 200))
    return 'slow'
  })
  app.route('/any', { method: 'ANY' }, () => `any ${request.method}`)
  app.post('/only-post', () => 'posted')
  app.get('/abort', () => abort(418, 'teapot'))
  return app
}

let handle: ServerHandle
let port = 0

beforeAll(async () => {
  handle = run(buildApp(), {
    port: 0,
    quiet: true,
    handleSignals: false,
    headersTimeout: 1000,
    requestTimeout: 2000,
  })
  const address = await handle.ready
  port = typeof address === 'string' ? 0 : address.port
})
afterAll(() => handle.close())

/** Sends raw bytes and collects the answer until the server closes or `ms` pass. */
function raw(data: string | Buffer, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const done = (): void => {
      socket.destroy()
      resolve(Buffer.concat(chunks).toString('latin1'))
    }
    const timer = setTimeout(done, ms)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('close', () => {
      clearTimeout(timer)
      done()
    })
    socket.on('error', () => undefined)
    socket.write(data)
  })
}

const statusOf = (answer: string): number => Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0)

const fdCount = (): number => readdirSync('/proc/self/fd').length

async function stillServing(): Promise<void> {
  const answer = await raw('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  expect(statusOf(answer)).toBe(200)
  expect(answer.endsWith('ok')).toBe(true)
}

describe('request smuggling shapes are refused by the parser', () => {
  const cases: [string, string][] = [
    [
      'Content-Length with Transfer-Encoding',
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'duplicate Content-Length',
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
    ],
    [
      'bad chunk size',
      'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
    ],
    [
      'obfuscated Transfer-Encoding',
      'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
    ],
    [
      'space before the header colon',
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length : 3\r\n\r\nabc',
    ],
    [
      'bare LF line endings in chunked body',
      'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n',
    ],
    ['invalid header name', 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n'],
  ]
  for (const [name, payload] of cases) {
    it(`answers ${name} with 400 and never reaches the handler`, async () => {
      const before = handlerCalls.length
      const fds = fdCount()
      const answer = await raw(payload)
      expect(statusOf(answer)).toBe(400)
      expect(handlerCalls.length).toBe(before)
      await stillServing()
      expect(fdCount()).toBeLessThanOrEqual(fds + 1)
    })
  }
})

describe('oversized requests', () => {
  it('answers a header block over the limit with 431', async () => {
    const answer = await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    expect(statusOf(answer)).toBe(431)
    await stillServing()
  })

  it('answers a URL over the header limit with 431', async () => {
    const answer = await raw(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)
    expect(statusOf(answer)).toBe(431)
    await stillServing()
  })

  it('answers thousands of query parameters with 400 instead of parsing them all', async () => {
    const qs = Array.from({ length: 2000 }, (_, i) => `k${i}=v`).join('&')
    const app = new Bottle()
    app.get('/', () => String(request.query.size))
    const { TestClient } = await import('bottle-ts/testing')
    const res = await new TestClient(app).get(`/?${qs}`)
    expect(res.status).toBe(400)
    expect(res.text()).toContain('Too many query parameters')
  })
})

describe('Expect: 100-continue', () => {
  it('refuses an oversized declared body with 413 before any 100 Continue', async () => {
    const answer = await raw(
      'POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 50000000\r\n\r\n'
    )
    expect(answer).not.toContain('100 Continue')
    expect(statusOf(answer)).toBe(413)
    await stillServing()
  })

  it('sends 100 Continue once the body is accepted, then the answer', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      let text = ''
      socket.on('data', (c: Buffer) => {
        text += c.toString('latin1')
        if (text.includes('100 Continue') && !text.includes('hello')) socket.write('hello')
        if (text.endsWith('hello')) socket.end()
      })
      socket.on('close', () => resolve(text))
      socket.write(
        'POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n'
      )
    })
    expect(answer.startsWith('HTTP/1.1 100 Continue')).toBe(true)
    expect(answer).toMatch(/HTTP\/1\.1 200 OK[\s\S]*hello$/)
  })
})

describe('path edge cases', () => {
  it.each([
    ['/%', 400],
    ['/%zz', 400],
    ['/%C3%28', 400],
    ['/a%00b', 400],
    ['/%2e%2e/%2e%2e/etc/passwd', 404],
  ])('GET %s -> %i', async (path, status) => {
    const answer = await raw(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
    expect(statusOf(answer)).toBe(status)
    await stillServing()
  })

  it('routes absolute-form targets by their path', async () => {
    const answer = await raw(
      'GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n'
    )
    expect(statusOf(answer)).toBe(200)
    expect(answer.endsWith('ok')).toBe(true)
  })
})

describe('header and response splitting', () => {
  it('refuses CR/LF in setHeader values with a 500 and no injected header', async () => {
    const answer = await raw(
      'GET /setheader?v=a%0D%0AX-Injected:%201 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
    )
    expect(statusOf(answer)).toBe(500)
    expect(answer).not.toMatch(/\r\nX-Injected/i)
  })

  it('refuses CR/LF in a status line', async () => {
    const answer = await raw(
      'GET /status?v=200%20OK%0D%0AX-Injected:%201 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
    )
    expect(statusOf(answer)).toBe(500)
    expect(answer).not.toMatch(/\r\nX-Injected/i)
  })

  it('refuses cookie names and attributes that would inject', async () => {
    const name = await raw(
      'GET /cookie?name=a%3Bb HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
    )
    expect(statusOf(name)).toBe(500)
    const path = await raw(
      'GET /cookie?path=/%3B%20Domain%3Devil.com HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
    )
    expect(statusOf(path)).toBe(500)
    expect(path).not.toMatch(/Domain=evil/i)
  })

  it('refuses CR/LF in redirect targets', async () => {
    const answer = await raw(
      'GET /go?to=/x%0D%0ASet-Cookie:%20a=b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
    )
    expect(statusOf(answer)).toBe(500)
    expect(answer).not.toMatch(/\r\nSet-Cookie/i)
  })
})

describe('redirects', () => {
  it.each([
    ['//evil.com', 'http://evil.com/'],
    ['/\\evil.com', 'http://evil.com/'],
    ['https:evil.com', 'https://evil.com/'],
    ['/next?a=1', 'http://x/next?a=1'],
    ['/ünïcode path', 'http://x/%C3%BCn%C3%AFcode%20path'],
  ])(
    'redirect(%j) sends an absolute, ASCII Location (%s) and no body link',
    async (target, location) => {
      const answer = await raw(
        `GET /go?to=${encodeURIComponent(target)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`
      )
      expect(statusOf(answer)).toBe(303)
      const header = /\r\nLocation: ([^\r]*)\r\n/i.exec(answer)?.[1]
      expect(header).toBe(location)
      expect(header).toMatch(/^[\x21-\x7e]+$/)
      expect(answer).not.toMatch(/<a /i)
    }
  )

  it('answers HTTP/1.0 clients with 302', async () => {
    const answer = await raw('GET /go?to=/x HTTP/1.0\r\nHost: x\r\n\r\n')
    expect(statusOf(answer)).toBe(302)
  })
})

describe('HEAD and OPTIONS', () => {
  it('HEAD on a GET route sends headers with the GET Content-Length and no body', async () => {
    const answer = await raw('HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(statusOf(answer)).toBe(200)
    expect(answer).toMatch(/\r\nContent-Length: 2\r\n/i)
    expect(answer.endsWith('\r\n\r\n')).toBe(true)
  })

  it('HEAD on an ANY route, on a POST-only route and on a missing route', async () => {
    expect(statusOf(await raw('HEAD /any HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))).toBe(
      200
    )
    const post = await raw('HEAD /only-post HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(statusOf(post)).toBe(405)
    expect(post).toMatch(/\r\nAllow: POST\r\n/i)
    expect(
      statusOf(await raw('HEAD /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))
    ).toBe(404)
  })

  it('OPTIONS gets 405 with Allow where other methods exist, the ANY route otherwise', async () => {
    const answer = await raw('OPTIONS /only-post HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(statusOf(answer)).toBe(405)
    expect(answer).toMatch(/\r\nAllow: POST\r\n/i)
    const any = await raw('OPTIONS /any HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(any.endsWith('any OPTIONS')).toBe(true)
  })
})

describe('faults', () => {
  it('an exception in a handler is a 500 without details', async () => {
    const answer = await raw('GET /throw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(statusOf(answer)).toBe(500)
    expect(answer).not.toContain('secret detail')
    await stillServing()
  })

  it('a stream failing after its first chunk aborts the connection (never a complete 200)', async () => {
    const answer = await raw('GET /stream-fail HTTP/1.1\r\nHost: x\r\n\r\n')
    expect(statusOf(answer)).toBe(200)
    expect(answer).toContain('first chunk')
    // A chunked response that ended cleanly carries the terminating zero-size chunk.
    expect(answer.endsWith('0\r\n\r\n')).toBe(false)
    await stillServing()
  })

  it('a stream failing before its first chunk is a 500 that keeps the after_request headers', async () => {
    const app = new Bottle()
    app.logError = () => {}
    app.hook('after_request')(() => response.setHeader('Access-Control-Allow-Origin', '*'))
    // eslint-disable-next-line require-yield -- it fails before yielding its first chunk
    app.get('/gen', function* () {
      response.setHeader('Content-Type', 'text/plain')
      throw new Error('before the first chunk')
    })
    app.get('/async', () => Promise.reject(new Error('rejected')))
    const { TestClient } = await import('bottle-ts/testing')
    const client = new TestClient(app)
    for (const path of ['/gen', '/async']) {
      const res = await client.get(path)
      expect(res.status).toBe(500)
      expect(res.header('access-control-allow-origin')).toBe('*')
      expect(res.header('content-type')).toContain('text/html')
    }
  })

  it('faults in hooks, plugins and error handlers are 500s, and the server keeps serving', async () => {
    const app = new Bottle()
    app.logError = () => {}
    app.get('/hook', () => 'x')
    app.get(
      '/plugin',
      {
        apply: [
          () => () => {
            throw new Error('plugin')
          },
        ],
      },
      () => 'x'
    )
    app.hook('before_request')(() => {
      if (request.path === '/hook') throw new Error('hook')
    })
    app.error(418, () => {
      throw new Error('error handler')
    })
    app.get('/teapot', () => abort(418))
    const { TestClient } = await import('bottle-ts/testing')
    const client = new TestClient(app)
    expect((await client.get('/hook')).status).toBe(500)
    expect((await client.get('/plugin')).status).toBe(500)
    const teapot = await client.get('/teapot')
    expect(teapot.status).toBe(500)
    expect(teapot.text()).toContain('Critical error')
  })

  it('a client that aborts mid-request or mid-response leaves the server serving and no descriptor behind', async () => {
    const fds = fdCount()
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc')
        setTimeout(() => {
          socket.destroy()
          resolve()
        }, 50)
      })
    })
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')
        setTimeout(() => {
          socket.destroy()
          resolve()
        }, 20)
      })
    })
    await new Promise((r) => setTimeout(r, 300))
    await stillServing()
    expect(fdCount()).toBeLessThanOrEqual(fds + 1)
  })

  it('serves normal clients while slowloris clients trickle headers, and drops the slow ones', async () => {
    const slow = Array.from({ length: 20 }, () => {
      const socket = connect(port, '127.0.0.1')
      socket.on('error', () => undefined)
      socket.resume()
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n')
      const timer = setInterval(() => socket.write('X-a: b\r\n'), 200)
      return { socket, timer, closed: new Promise<void>((r) => socket.on('close', () => r())) }
    })
    try {
      for (let i = 0; i < 5; i++) await stillServing()
      // headersTimeout is 1 s here; the server's periodic check may take up to 2 s more.
      await Promise.race([
        Promise.all(slow.map((s) => s.closed)),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('slow clients still open')), 6000)
        ),
      ])
    } finally {
      for (const s of slow) {
        clearInterval(s.timer)
        s.socket.destroy()
      }
    }
  }, 10_000)
})
