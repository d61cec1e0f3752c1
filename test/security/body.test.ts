/**
 * Hostile request data: oversized and truncated bodies, malformed multipart, client
 * aborts mid-upload, hostile JSON, prototype pollution, cookie tampering and header or
 * filename injection. Each case must end in a clear 4xx (or a harmless result), never a
 * crash or a hung request, and leave no temporary file or descriptor behind.
 */
import { once } from 'node:events'
import { readdirSync } from 'node:fs'
import { createServer, request as httpRequest, type Server } from 'node:http'
import { MemorySocket } from '../../src/internal/memory-socket.js'
import { connect, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { BaseResponse, Bottle, cookieEncode, request, response } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import { describeMatrix, listen } from '../_helpers.js'

const CT = { 'content-type': 'multipart/form-data; boundary=foo' }

/** Our temporary upload files that still exist. */
function tempFiles(): string[] {
  return readdirSync(tmpdir()).filter((f) => f.startsWith(`bottle-ts-${process.pid}-`))
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until `check` holds, for at most `ms`. */
async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(10)
  }
}

/** Sends raw bytes over a real socket, in pieces; resolves with all the server wrote. */
async function rawSocket(
  port: number,
  pieces: (string | Buffer)[],
  options: { gap?: number; destroyAfter?: boolean; halfClose?: boolean } = {}
): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  const chunks: Buffer[] = []
  socket.on('data', (c: Buffer) => chunks.push(c))
  socket.on('error', () => undefined)
  for (const p of pieces) {
    if (socket.destroyed) break
    socket.write(p)
    if (options.gap) await sleep(options.gap)
  }
  if (options.destroyAfter) {
    await sleep(20)
    socket.destroy()
    return Buffer.concat(chunks).toString('latin1')
  }
  if (options.halfClose) socket.end()
  await Promise.race([once(socket, 'close'), sleep(3000)])
  socket.destroy()
  return Buffer.concat(chunks).toString('latin1')
}

/** Runs raw bytes through the in-process client and over a real socket. */
const rawTransports: [string, (app: Bottle, data: string | Buffer) => Promise<string>][] = [
  ['in-process', async (app, data) => (await new TestClient(app).raw(data)).toString('latin1')],
  [
    'socket',
    async (app, data) => {
      const server = await listen(app)
      try {
        return await rawSocket(server.port, [data])
      } finally {
        await server.close()
      }
    },
  ],
]

function part(headers: string, content: string): string {
  return `--foo\r\n${headers}\r\n\r\n${content}\r\n`
}

let servers: { close: () => Promise<void> }[] = []
afterEach(async () => {
  for (const s of servers) await s.close()
  servers = []
})

describe.each(rawTransports)('oversized bodies (%s)', (_name, send) => {
  it('refuses a declared Content-Length over maxBodySize with 413 before reading, and closes', async () => {
    const app = new Bottle({ maxBodySize: 1000 })
    let called = false
    app.post('/', () => {
      called = true
      return 'never'
    })
    const head =
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\nContent-Type: text/plain\r\n\r\n'
    const out = await send(app, head)
    expect(out).toMatch(/^HTTP\/1\.1 413 /)
    expect(out).toMatch(/\r\nConnection: close\r\n/i)
    expect(out).toContain('Content-Length 100000000 exceeds the limit of 1000 bytes')
    expect(out).not.toContain('100 Continue')
    expect(called).toBe(false)
  })

  it('refuses a chunked body that grows past maxBodySize with 413', async () => {
    const app = new Bottle({ maxBodySize: 1000 })
    app.post('/', () => 'never')
    const chunk = 'x'.repeat(600)
    const data =
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' +
      `258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`
    const out = await send(app, data)
    expect(out).toMatch(/^HTTP\/1\.1 413 /)
    expect(out).toContain('more than the limit of 1000 bytes')
  })

  it('answers a malformed chunked body with 400', async () => {
    const app = new Bottle()
    app.post('/', () => 'never')
    for (const body of ['x\r\nx\r\n', 'zz\r\n']) {
      const out = await send(
        app,
        `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body}`
      )
      expect(out, body).toMatch(/^HTTP\/1\.1 400 /)
    }
  })
})

describe('Expect: 100-continue', () => {
  it('sends no 100 Continue before a 413, and one before accepting a body', async () => {
    const app = new Bottle({ maxBodySize: 10 })
    app.post('/', () => request.body.text())
    const server: Server = createServer(app.handler)
    server.on('checkContinue', app.handler)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    try {
      const refused = await rawSocket(port, [
        'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 50\r\n\r\n',
      ])
      expect(refused).toMatch(/^HTTP\/1\.1 413 /)
      expect(refused).not.toContain('100 Continue')
      const accepted = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(
          { port, method: 'POST', headers: { expect: '100-continue', 'content-length': '5' } },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () => resolve(Buffer.concat(chunks).toString()))
          }
        )
        req.on('error', reject)
        req.on('continue', () => req.end('hello'))
      })
      expect(accepted).toBe('hello')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})

describeMatrix('malformed multipart: every busboy error is a 400', (client) => {
  const app = new Bottle()
  app.post('/', () => ({ forms: request.forms.toJSON(), files: request.files.size }))

  const cases: [string, string | Buffer, Record<string, string>, RegExp][] = [
    [
      'missing boundary',
      '--foo--',
      { 'content-type': 'multipart/form-data' },
      /Boundary not found/,
    ],
    [
      'empty boundary',
      '--foo--',
      { 'content-type': 'multipart/form-data; boundary=' },
      /Malformed content type/,
    ],
    [
      'leading space in the first part header (dicer CVE-2022-24434)',
      '--foo\r\n Content-Disposition: form-data; name="x"\r\n\r\n\r\n--foo--',
      CT,
      /Malformed part header/,
    ],
    [
      'NUL in filename',
      part('Content-Disposition: form-data; name="x"; filename="a\0b"', 'x') + '--foo--',
      CT,
      /Malformed part header/,
    ],
    [
      'part header over 16 KiB',
      part(`Content-Disposition: form-data; name="x"\r\nX-Big: ${'a'.repeat(17000)}`, 'x') +
        '--foo--',
      CT,
      /Malformed part header/,
    ],
    [
      'truncated body',
      '--foo\r\nContent-Disposition: form-data; name="x"\r\n\r\nabc',
      CT,
      /Unexpected end of form/,
    ],
    [
      'truncated file',
      '--foo\r\nContent-Disposition: form-data; name="x"; filename="a"\r\n\r\nabc',
      CT,
      /Unexpected end of form/,
    ],
    [
      'no closing boundary',
      part('Content-Disposition: form-data; name="x"', 'v'),
      CT,
      /Unexpected end of form/,
    ],
    [
      'field without a name (multer CVE-2025-48997)',
      part('Content-Disposition: form-data; name=""', 'v') + '--foo--',
      CT,
      /field without a name/,
    ],
    [
      'file without a name',
      part('Content-Disposition: form-data; filename="a.txt"', 'v') + '--foo--',
      CT,
      /file part without a name/,
    ],
    [
      'CR LF in a decoded filename* (header injection)',
      part(
        `Content-Disposition: form-data; name="x"; filename*=utf-8''a%0D%0AX-Evil%3A%201.txt`,
        'v'
      ) + '--foo--',
      CT,
      /filename contains CR, LF or NUL/,
    ],
    [
      'two errors at once (multer CVE-2025-7338)',
      part('Content-Disposition: form-data; name=""', 'v') + '--foo\r\n Bad: x\r\n\r\nabc',
      CT,
      /without a name|Malformed/,
    ],
  ]
  for (const [what, body, headers, message] of cases) {
    it(`${what}`, async () => {
      const before = tempFiles().length
      const res = await client(app).post('/', { body, headers })
      expect(res.status).toBe(400)
      expect(res.text().replace(/&quot;/g, '"')).toMatch(message)
      expect(tempFiles().length).toBe(before)
    })
  }

  it('a 252-byte boundary fragmented across writes still parses', async () => {
    const boundary = 'b'.repeat(70)
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue\r\n--${boundary}--\r\n`
    const res = await client(app).post('/', {
      body,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    })
    expect(res.json()).toEqual({ forms: { a: 'value' }, files: 0 })
  })
})

describe('fragmented multipart over a socket', () => {
  it('parses a body with a long boundary sent one byte at a time', async () => {
    const app = new Bottle()
    app.post('/', () => request.forms.get('a') ?? 'missing')
    const server = await listen(app)
    servers.push(server)
    const boundary = 'Z'.repeat(68)
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue\r\n--${boundary}--\r\n`
    const head = `POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`
    const pieces = [head, ...body.split('')]
    const out = await rawSocket(server.port, pieces, { gap: 0 })
    expect(out).toMatch(/^HTTP\/1\.1 200 /)
    expect(out.endsWith('value')).toBe(true)
  })
})

describe('client aborts mid-upload (real socket)', () => {
  it('no hung handler, no temporary file and no descriptor left behind', async () => {
    const statuses: number[] = []
    const app = new Bottle({ memfileMax: 1000 })
    let called = false
    app.post('/', () => {
      called = true
      return 'never'
    })
    app.hook('after_request')(() => statuses.push(response.statusCode))
    const server = await listen(app)
    servers.push(server)
    const fds = openFds()
    const before = tempFiles().length
    for (let round = 0; round < 5; round++) {
      const socket = connect(server.port, '127.0.0.1')
      socket.on('error', () => undefined)
      await once(socket, 'connect')
      socket.write(
        'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=foo\r\n' +
          'Content-Length: 10000000\r\n\r\n' +
          '--foo\r\nContent-Disposition: form-data; name="f"; filename="big.bin"\r\n\r\n' +
          'x'.repeat(200_000)
      )
      // The upload is spooling to a temporary file when the client goes away.
      await eventually(() => tempFiles().length > before)
      socket.destroy()
    }
    await eventually(() => statuses.length === 5)
    expect(statuses).toEqual([400, 400, 400, 400, 400])
    expect(called).toBe(false)
    await eventually(() => tempFiles().length === before)
    await eventually(() => openFds() <= fds + 1)
  })

  it('a raw (non-multipart) body cut short is released the same way', async () => {
    const statuses: number[] = []
    const app = new Bottle({ memfileMax: 100 })
    app.post('/', () => 'never')
    app.hook('after_request')(() => statuses.push(response.statusCode))
    const server = await listen(app)
    servers.push(server)
    const before = tempFiles().length
    await rawSocket(
      server.port,
      ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n\r\n', 'y'.repeat(20_000)],
      { destroyAfter: true }
    )
    await rawSocket(
      server.port,
      ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n\r\n', 'y'.repeat(500)],
      { halfClose: true }
    )
    await eventually(() => statuses.length === 2)
    expect(statuses).toEqual([400, 400])
    await eventually(() => tempFiles().length === before)
  })

  it('temporary files of a finished upload are gone once the response is sent', async () => {
    const app = new Bottle({ memfileMax: 10 })
    let seen: string | null = null
    app.post('/', () => {
      seen = request.files.get('f')!.file.path
      return 'ok'
    })
    const res = await new TestClient(app).post('/', {
      body:
        part('Content-Disposition: form-data; name="f"; filename="a"', 'z'.repeat(5000)) +
        '--foo--',
      headers: CT,
    })
    expect(res.text()).toBe('ok')
    expect(seen).toMatch(/bottle-ts-/)
    await eventually(() => !tempFiles().some((f) => seen!.endsWith(f)))
  })
})

describeMatrix('hostile JSON', (client) => {
  const app = new Bottle()
  app.post('/', () => {
    const data = request.json as Record<string, unknown>
    const target: Record<string, unknown> = {}
    Object.assign(target, data)
    return { proto: Object.getPrototypeOf(target) === Object.prototype, polluted: 'polluted' in {} }
  })
  const post = (c: ReturnType<typeof client>, body: string, type = 'application/json') =>
    c.post('/', { body, headers: { 'content-type': type } })

  it('refuses __proto__ keys, escaped or nested, with a 400', async () => {
    for (const body of [
      '{"__proto__": {"polluted": true}}',
      '{"a": {"__proto__": {"polluted": true}}}',
      '{"\\u005f_proto__": {"polluted": true}}',
      '{"constructor": {"prototype": {"polluted": true}}}',
    ]) {
      const res = await post(client(app), body)
      expect(res.status, body).toBe(400)
      expect(res.text(), body).toContain('Invalid JSON')
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('accepts constructor as an ordinary key', async () => {
    const echo = new Bottle()
    echo.post('/', () => request.json)
    const res = await post(client(echo), '{"constructor": "x", "proto": 1}')
    expect(res.json()).toEqual({ constructor: 'x', proto: 1 })
  })

  it('answers truncated, empty-looking and non-UTF-8 JSON with a 400', async () => {
    for (const body of ['{', '{"a":1}}', 'nul', '\u0000', '[1,]', "{'a':1}"]) {
      const res = await post(client(app), body)
      expect(res.status, JSON.stringify(body)).toBe(400)
    }
  })

  it('does not take a confused content type for JSON', async () => {
    const echo = new Bottle()
    echo.post('/', () => ({ json: request.json ?? 'not json' }))
    for (const type of [
      'text/plain; application/json',
      'application/json garbage',
      'application/jsonx',
      'json',
    ]) {
      const res = await post(client(echo), '{"a":1}', type)
      expect(res.json(), type).toEqual({ json: 'not json' })
    }
    const spaced = await post(client(echo), '{"a":1}', 'application/json\t; charset=utf-8')
    expect(spaced.json()).toEqual({ json: { a: 1 } })
  })

  it('survives deeply nested JSON', async () => {
    const echo = new Bottle()
    echo.post('/', () => (Array.isArray(request.json) ? 'array' : 'other'))
    const depth = 100_000
    const res = await post(client(echo), '['.repeat(depth) + ']'.repeat(depth))
    expect([200, 400]).toContain(res.status)
  })
})

describeMatrix('prototype pollution through query, forms and multipart', (client) => {
  it('__proto__, constructor and prototype stay plain keys everywhere', async () => {
    const app = new Bottle()
    app.post('/', () => ({
      query: request.query.toJSON(),
      forms: request.forms.toJSON(),
      params: request.params.getall('__proto__'),
      polluted: 'polluted' in {},
    }))
    const body =
      part('Content-Disposition: form-data; name="__proto__"', 'polluted') +
      part('Content-Disposition: form-data; name="constructor"', 'c') +
      '--foo--'
    const res = await client(app).post('/?__proto__=polluted&prototype=p&__proto__[polluted]=1', {
      body,
      headers: CT,
    })
    // JSON.parse keeps "__proto__" as an own key, as the server sent it.
    expect(res.json()).toEqual(
      JSON.parse(
        '{"query": {"__proto__": "polluted", "prototype": "p", "__proto__[polluted]": "1"},' +
          '"forms": {"__proto__": "polluted", "constructor": "c"},' +
          '"params": ["polluted", "polluted"], "polluted": false}'
      )
    )
  })

  it('answers more than maxQueryParams query pairs with a 400', async () => {
    const app = new Bottle({ maxQueryParams: 10 })
    app.get('/', () => String(request.query.size))
    const qs = Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&')
    const res = await client(app).get(`/?${qs}`)
    expect(res.status).toBe(400)
    expect(res.text()).toContain('Too many query parameters (limit 10)')
  })
})

describeMatrix('cookie tampering and injection', (client) => {
  it('tampered, foreign, swapped and garbage signed cookies read as missing', async () => {
    const app = new Bottle()
    app.get('/', () => ({ user: request.getCookie('user', { secret: 'k', default: 'anonymous' }) }))
    const good = cookieEncode('user', 'alice', 'k')
    const swapped = cookieEncode('other', 'admin', 'k')
    const forged =
      good.slice(0, good.indexOf('?') + 1) + Buffer.from('["user","admin"]').toString('base64url')
    const c = client(app)
    expect((await c.get('/', { headers: { cookie: `user=${good}` } })).json()).toEqual({
      user: 'alice',
    })
    for (const value of [
      swapped,
      forged,
      cookieEncode('user', 'admin', 'wrong'),
      '!!!?!!!',
      '%ZZ',
      'a'.repeat(5000),
    ]) {
      const res = await c.get('/', { headers: { cookie: `user=${value}` } })
      expect(res.status).toBe(200)
      expect(res.json(), value.slice(0, 40)).toEqual({ user: 'anonymous' })
    }
  })

  it('a cookie header full of odd names and escapes never crashes parsing', async () => {
    const app = new Bottle()
    app.get('/', () => ({
      n: request.cookies.size,
      proto: request.cookies.get('__proto__') ?? null,
    }))
    const res = await client(app).get('/', {
      headers: { cookie: '__proto__=x; constructor=y; hasOwnProperty=z; b=%E0%A4%A; ;;=; =v' },
    })
    expect(res.status).toBe(200)
    expect(res.json<{ proto: string }>().proto).toBe('x')
  })
})

describe('setCookie refuses injection (cookie CVE-2024-47764)', () => {
  const r = new BaseResponse()
  it('refuses names that are not tokens', () => {
    for (const name of ['a;b', 'a b', 'userName=<script>; Max-Age=1; a', 'a\r\nb', '', 'a=b']) {
      expect(() => r.setCookie(name, 'v'), JSON.stringify(name)).toThrow(/Invalid cookie name/)
    }
  })
  it('refuses domains and paths that would add attributes', () => {
    expect(() => r.setCookie('a', 'v', { domain: 'x.com; HttpOnly' })).toThrow(/Cookie "a"/)
    expect(() => r.setCookie('a', 'v', { path: '/;x' })).toThrow(/Cookie "a"/)
    expect(() => r.setCookie('a', 'v', { path: '/\r\nSet-Cookie: x=y' })).toThrow(/Cookie "a"/)
  })
  it('percent-encodes CR, LF and ; in values', () => {
    const res = new BaseResponse()
    res.setCookie('a', 'b\r\nSet-Cookie: x=y; Path=/')
    const header = res.cookieHeaders[0]!
    expect(header).toBe('a=b%0D%0ASet-Cookie%3A%20x%3Dy%3B%20Path%3D%2F')
  })
  it('a cookie set in a handler with a bad name is a 500, not a crash', async () => {
    const app = new Bottle()
    app.logError = () => undefined
    app.get('/', () => {
      response.setCookie('bad name', 'v')
      return 'x'
    })
    const res = await new TestClient(app).get('/')
    expect(res.status).toBe(500)
    expect(res.headers['set-cookie']).toBeUndefined()
  })
})

describe('limits fail closed at configuration time', () => {
  it('refuses NaN, negative, fractional and string limits on the app', () => {
    for (const [key, value] of [
      ['maxBodySize', NaN],
      ['maxBodySize', Infinity],
      ['memfileMax', -1],
      ['maxParts', 1.5],
      ['maxFields', '100'],
      ['maxFiles', null],
      ['maxFieldSize', [1]],
      ['maxFileSize', -Infinity],
      ['maxHeaderPairs', '10kb'],
      ['maxQueryParams', NaN],
    ] as [string, unknown][]) {
      expect(() => new Bottle({ [key]: value }), `${key}=${String(value)}`).toThrow(RangeError)
      const app = new Bottle()
      expect(() => app.config.set(key, value)).toThrow(new RegExp(key))
    }
  })

  it('refuses a bad limit on a route when it is added', () => {
    const app = new Bottle()
    expect(() => app.post('/', { maxFileSize: -5 }, () => 'x')).toThrow(/maxFileSize/)
    expect(app.routes).toHaveLength(0)
  })

  it('accepts Infinity where a count or size may be unbounded', () => {
    expect(() => new Bottle({ maxFileSize: Infinity, maxParts: Infinity })).not.toThrow()
  })
})

describe('oversized parts over a real socket', () => {
  it('a file past maxFileSize while spooling is a 413 and its temporary file is removed', async () => {
    const app = new Bottle({ memfileMax: 1000, maxFileSize: 100_000 })
    let called = false
    app.post('/', () => {
      called = true
      return 'never'
    })
    const server = await listen(app)
    servers.push(server)
    const before = tempFiles().length
    const body =
      part('Content-Disposition: form-data; name="f"; filename="big.bin"', 'x'.repeat(300_000)) +
      '--foo--'
    const out = await rawSocket(server.port, [
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=foo\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
    ])
    expect(out).toMatch(/^HTTP\/1\.1 413 /)
    expect(out.replace(/&quot;/g, '"')).toContain(
      'Uploaded file "f" too large (limit 100000 bytes)'
    )
    expect(called).toBe(false)
    await eventually(() => tempFiles().length === before)
  })

  it('a client still sending a chunked body past the limit receives the 413', async () => {
    const app = new Bottle({ maxBodySize: 1024 * 1024 })
    app.post('/', () => 'never')
    const server = await listen(app)
    servers.push(server)
    const status = await new Promise<number | string>((resolve) => {
      const req = httpRequest(
        { port: server.port, host: '127.0.0.1', method: 'POST', path: '/' },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        }
      )
      req.on('error', (err) => resolve(err.message))
      const chunk = Buffer.alloc(64 * 1024, 120)
      let sent = 0
      const pump = (): void => {
        while (sent < 80 && !req.destroyed) {
          sent++
          if (!req.write(chunk)) return void req.once('drain', pump)
        }
        req.end()
      }
      pump()
    })
    expect(status).toBe(413)
  })
})

describe('client aborts mid-upload (in-process, no socket)', () => {
  it('a connection dropped mid-file releases the handler, the spool and the descriptor', async () => {
    const statuses: number[] = []
    const app = new Bottle({ memfileMax: 1000 })
    let called = false
    app.post('/', () => {
      called = true
      return 'never'
    })
    app.hook('after_request')(() => statuses.push(response.statusCode))
    const server = createServer(app.handler)
    const fds = openFds()
    const before = tempFiles().length
    const [side, client] = MemorySocket.pair()
    server.emit('connection', side)
    client.write(
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=foo\r\n' +
        'Content-Length: 10000000\r\n\r\n' +
        '--foo\r\nContent-Disposition: form-data; name="f"; filename="big.bin"\r\n\r\n' +
        'x'.repeat(100_000)
    )
    await eventually(() => tempFiles().length > before)
    client.destroy()
    await eventually(() => statuses.length === 1)
    expect(statuses).toEqual([400])
    expect(called).toBe(false)
    await eventually(() => tempFiles().length === before)
    await eventually(() => openFds() <= fds)
  })
})
