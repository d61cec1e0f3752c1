/**
 * Output casting: what a callback returns becomes bytes on the wire, as Bottle's `_cast`
 * does it and DESIGN.md adjusts it (arrays are JSON, async values are awaited). Ports
 * Bottle's test_outputfilter.py plus streaming, abort and HEAD cases.
 */
import { once } from 'node:events'
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Bottle, HTTPError, HTTPResponse, abort, response } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import { describeMatrix, listen } from './_helpers.js'

/** Sends a raw request over a real socket and returns every byte until the server closes. */
async function rawOverSocket(app: Bottle, text: string): Promise<Buffer> {
  const server = await listen(app)
  try {
    const socket = connect(server.port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => {})
    socket.write(text)
    await once(socket, 'close')
    return Buffer.concat(chunks)
  } finally {
    await server.close()
  }
}

const silent = (app: Bottle): Bottle => {
  app.logError = () => {}
  return app
}

describeMatrix('Output casting', (client) => {
  it('sends Buffers and Uint8Arrays as they are, with Content-Length', async () => {
    const app = new Bottle()
    app.get('/buf', () => Buffer.from('test'))
    app.get('/u8', () => new Uint8Array([0x61, 0x62, 0x00, 0xff]))
    const c = client(app)
    const res = await c.get('/buf')
    expect(res.text()).toBe('test')
    expect(res.header('content-length')).toBe('4')
    const u8 = await c.get('/u8')
    expect([...u8.body]).toEqual([0x61, 0x62, 0x00, 0xff])
    expect(u8.header('content-length')).toBe('4')
  })

  it('sends strings as UTF-8 with Content-Length in bytes and the default Content-Type', async () => {
    const app = new Bottle()
    app.get('/', () => 'äöüß')
    const res = await client(app).get('/')
    expect(res.body.equals(Buffer.from('äöüß', 'utf8'))).toBe(true)
    expect(res.header('content-length')).toBe('8')
    expect(res.header('content-type')).toBe('text/html; charset=UTF-8')
  })

  it('encodes strings with the charset of the Content-Type (latin1)', async () => {
    const app = new Bottle()
    app.get('/latin1', () => {
      response.contentType = 'text/plain; charset=iso-8859-1'
      return 'äöüß'
    })
    app.get('/nocharset', () => {
      response.contentType = 'text/html'
      return 'äöüß'
    })
    const c = client(app)
    const res = await c.get('/latin1')
    expect([...res.body]).toEqual([0xe4, 0xf6, 0xfc, 0xdf])
    expect(res.header('content-length')).toBe('4')
    const utf8 = await c.get('/nocharset')
    expect(utf8.body.equals(Buffer.from('äöüß', 'utf8'))).toBe(true)
  })

  it('encodes with any single-byte charset: iso-8859-15 (latin9), koi8-r, streamed chunks too', async () => {
    const app = new Bottle()
    app.get('/latin9/<name>', ({ name }) => {
      response.contentType = `text/html; charset=${name}`
      return 'äöüß€'
    })
    app.get('/koi8', () => {
      response.contentType = 'text/plain; charset=koi8-r'
      return 'привет'
    })
    app.get('/stream', function* () {
      response.contentType = 'text/plain; charset=iso-8859-1'
      yield 'ä'
      yield 'ß'
    })
    const c = client(app)
    for (const name of ['iso-8859-15', 'latin9', 'ISO-8859-15']) {
      const res = await c.get(`/latin9/${name}`)
      expect([...res.body], name).toEqual([0xe4, 0xf6, 0xfc, 0xdf, 0xa4])
      expect(res.header('content-length'), name).toBe('5')
    }
    const koi8 = await c.get('/koi8')
    expect(new TextDecoder('koi8-r').decode(koi8.body)).toBe('привет')
    expect(koi8.body.length).toBe(6)
    expect([...(await c.get('/stream')).body]).toEqual([0xe4, 0xdf])
  })

  it('a character the charset lacks is a 500 naming it, never a silently wrong byte', async () => {
    const app = silent(new Bottle())
    app.get('/', () => {
      response.contentType = 'text/plain; charset=latin1'
      return 'ok 瓶'
    })
    const res = await client(app).get('/')
    expect(res.status).toBe(500)
    expect(res.text()).toContain('U+74F6')
    expect(res.header('content-type')).toBe('text/html; charset=UTF-8')
  })

  it('answers a charset it cannot encode with a 500 that names it', async () => {
    const app = silent(new Bottle())
    app.get('/', () => {
      response.contentType = 'text/plain; charset=x-unknown-9'
      return 'abc'
    })
    const res = await client(app).get('/')
    expect(res.status).toBe(500)
    expect(res.text()).toContain('x-unknown-9')
  })

  it('sends null, undefined, empty string and false as an empty body with Content-Length 0', async () => {
    const app = new Bottle()
    const values: Record<string, unknown> = {
      null: null,
      undefined: undefined,
      empty: '',
      false: false,
      zero: 0,
      emptybuf: Buffer.alloc(0),
    }
    for (const [name, value] of Object.entries(values)) app.get(`/${name}`, () => value)
    const c = client(app)
    for (const name of Object.keys(values)) {
      const res = await c.get(`/${name}`)
      expect(res.status, name).toBe(200)
      expect(res.body.length, name).toBe(0)
      expect(res.header('content-length'), name).toBe('0')
    }
  })

  it('keeps a Content-Length the callback set itself', async () => {
    const app = new Bottle()
    app.get('/', () => {
      response.setHeader('Content-Length', '3')
      return 'abc'
    })
    const res = await client(app).get('/')
    expect(res.header('content-length')).toBe('3')
    expect(res.text()).toBe('abc')
  })

  it('turns objects and arrays into JSON with application/json', async () => {
    const app = new Bottle()
    app.get('/obj', () => ({ a: 1, b: [1, 2] }))
    app.get('/arr', () => ['t', 'e', 'st'])
    app.get('/emptyarr', () => [])
    app.get('/emptyobj', () => ({}))
    const c = client(app)
    const obj = await c.get('/obj')
    expect(obj.text()).toBe('{"a":1,"b":[1,2]}')
    expect(obj.header('content-type')).toBe('application/json')
    expect(obj.header('content-length')).toBe(String(obj.body.length))
    expect((await c.get('/arr')).text()).toBe('["t","e","st"]')
    expect((await c.get('/emptyarr')).text()).toBe('[]')
    expect((await c.get('/emptyobj')).text()).toBe('{}')
  })

  it('with autojson off, arrays of strings are joined and objects give their keys', async () => {
    const app = new Bottle({ autojson: false })
    app.get('/arr', () => ['t', 'e', 'st'])
    app.get('/empty', () => [])
    app.get('/obj', () => ({ a: 1, b: 2 }))
    const c = client(app)
    const arr = await c.get('/arr')
    expect(arr.text()).toBe('test')
    expect(arr.header('content-type')).toBe('text/html; charset=UTF-8')
    expect((await c.get('/empty')).text()).toBe('')
    expect((await c.get('/obj')).text()).toBe('ab')
  })

  it('json.enable = false turns JSON casting off too', async () => {
    const app = new Bottle()
    app.config.set('json.enable', false)
    app.get('/', () => ({ a: 1 }))
    const res = await client(app).get('/')
    expect(res.text()).toBe('a')
    expect(res.header('content-type')).not.toBe('application/json')
  })

  it('a value JSON cannot serialise is a 500 with text/html, not a half-sent JSON body', async () => {
    const app = silent(new Bottle())
    app.get('/bigint', () => ({ a: 1n }))
    app.get('/cycle', () => {
      const o: Record<string, unknown> = {}
      o.self = o
      return o
    })
    const c = client(app)
    for (const path of ['/bigint', '/cycle']) {
      const res = await c.get(path)
      expect(res.status, path).toBe(500)
      expect(res.header('content-type'), path).toBe('text/html; charset=UTF-8')
    }
  })

  it('casts the object body of a returned HTTPResponse to JSON', async () => {
    const app = new Bottle()
    app.get('/', () => new HTTPResponse({ a: 1 }, 500))
    const res = await client(app).get('/')
    expect(res.status).toBe(500)
    expect(res.text()).toBe('{"a":1}')
    expect(res.header('content-type')).toBe('application/json')
  })

  it('casts the object body of a returned HTTPError to JSON for its error handler', async () => {
    const app = new Bottle()
    app.error(400, (e) => e.body)
    app.get('/', () => new HTTPError(400, { a: 1 }))
    const res = await client(app).get('/')
    expect(res.status).toBe(400)
    expect(res.text()).toBe('{"a":1}')
    expect(res.header('content-type')).toBe('application/json')
  })

  it('an unsupported return type is a 500 naming the problem', async () => {
    const app = silent(new Bottle())
    app.get('/', () => 1234)
    app.get('/sym', () => Symbol('x'))
    const c = client(app)
    const res = await c.get('/')
    expect(res.status).toBe(500)
    expect(res.text()).toContain('Unsupported response type')
    expect((await c.get('/sym')).status).toBe(500)
  })

  it('an exception is a 500 page showing its type only in debug mode', async () => {
    const throwing = (): never => {
      throw new RangeError('secret detail')
    }
    const plain = silent(new Bottle())
    plain.get('/', throwing)
    const res = await client(plain).get('/')
    expect(res.status).toBe(500)
    expect(res.text()).toContain('Internal Server Error')
    expect(res.text()).not.toContain('RangeError')
    expect(res.text()).not.toContain('secret detail')
    const debug = silent(new Bottle({ debug: true }))
    debug.get('/', throwing)
    const dres = await client(debug).get('/')
    expect(dres.status).toBe(500)
    expect(dres.text()).toContain('RangeError')
    expect(dres.text()).toContain('secret detail')
  })

  it('awaits Promises: a string, an object to JSON, a rejection to 500', async () => {
    const app = silent(new Bottle())
    app.get('/str', async () => {
      await new Promise((r) => setTimeout(r, 5))
      return 'later'
    })
    app.get('/obj', () => Promise.resolve({ ok: true }))
    app.get('/reject', () => Promise.reject(new Error('nope')))
    app.get('/abort', async () => {
      await Promise.resolve()
      abort(418, 'teapot')
    })
    const c = client(app)
    expect((await c.get('/str')).text()).toBe('later')
    expect((await c.get('/obj')).json()).toEqual({ ok: true })
    expect((await c.get('/reject')).status).toBe(500)
    const teapot = await c.get('/abort')
    expect(teapot.status).toBe(418)
    expect(teapot.text()).toContain('teapot')
  })

  it('streams large bodies completely, waiting for the client to drain', async () => {
    const app = new Bottle()
    const size = 64 * 1024
    app.get('/', function* () {
      for (let i = 0; i < 64; i++) yield Buffer.alloc(size, i)
    })
    const res = await client(app).get('/')
    expect(res.body.length).toBe(64 * size)
    for (let i = 0; i < 64; i++) {
      expect(res.body[i * size], `chunk ${i}`).toBe(i)
      expect(res.body[(i + 1) * size - 1], `chunk ${i}`).toBe(i)
    }
  })

  it('streams a Readable stream', async () => {
    const app = new Bottle()
    app.get('/', () => Readable.from([Buffer.from('te'), Buffer.from('st')]))
    const res = await client(app).get('/')
    expect(res.status).toBe(200)
    expect(res.text()).toBe('test')
    expect(res.header('content-length')).toBeUndefined()
  })

  it('streams sync generators, applying headers set before the first chunk', async () => {
    const app = new Bottle()
    app.get('/', function* () {
      response.setHeader('Test-Header', 'test')
      response.status = 201
      yield 'foo'
      yield Buffer.from('bar')
    })
    const res = await client(app).get('/')
    expect(res.status).toBe(201)
    expect(res.text()).toBe('foobar')
    expect(res.header('test-header')).toBe('test')
  })

  it('applies headers set after empty chunks, before the first non-empty one', async () => {
    const app = new Bottle()
    app.get('/nothing', function* () {
      yield ''
      response.setHeader('Test-Header', 'test')
    })
    app.get('/later', async function* () {
      yield ''
      yield Buffer.alloc(0)
      response.setHeader('Test-Header', 'late')
      yield 'x'
    })
    const c = client(app)
    const nothing = await c.get('/nothing')
    expect(nothing.text()).toBe('')
    expect(nothing.header('test-header')).toBe('test')
    const later = await c.get('/later')
    expect(later.text()).toBe('x')
    expect(later.header('test-header')).toBe('late')
  })

  it('streams async generators and non-ASCII chunks', async () => {
    const app = new Bottle()
    app.get('/', async function* () {
      yield 'äö'
      await new Promise((r) => setTimeout(r, 2))
      yield 'üß'
    })
    const res = await client(app).get('/')
    expect(res.body.equals(Buffer.from('äöüß'))).toBe(true)
  })

  it('an error before the first chunk becomes a 500 page', async () => {
    const app = silent(new Bottle({ debug: true }))
    // eslint-disable-next-line require-yield -- fails before yielding, on purpose
    app.get('/', function* () {
      throw new TypeError('generator failed')
    })
    const res = await client(app).get('/')
    expect(res.status).toBe(500)
    expect(res.text()).toContain('TypeError')
  })

  it('a Readable stream that fails before its first chunk becomes a 500 page', async () => {
    const app = silent(new Bottle())
    app.get(
      '/',
      () =>
        new Readable({
          read() {
            this.destroy(new Error('stream broke'))
          },
        })
    )
    const res = await client(app).get('/')
    expect(res.status).toBe(500)
    expect(res.header('content-type')).toBe('text/html; charset=UTF-8')
  })

  it('an abort after an empty chunk becomes the response', async () => {
    const app = new Bottle()
    app.get('/', function* () {
      yield ''
      abort(404, 'teststring')
    })
    const res = await client(app).get('/')
    expect(res.status).toBe(404)
    expect(res.text()).toContain('teststring')
    expect(res.text()).toContain('404 Not Found')
  })

  it('an HTTPResponse yielded first becomes the response', async () => {
    const app = new Bottle()
    app.get('/', function* () {
      yield new HTTPResponse('test', 202)
    })
    const res = await client(app).get('/')
    expect(res.status).toBe(202)
    expect(res.text()).toBe('test')
  })

  it('a first chunk of an unsupported type is a 500 naming the problem', async () => {
    const app = silent(new Bottle())
    app.get('/', function* () {
      yield 1234
    })
    const res = await client(app).get('/')
    expect(res.status).toBe(500)
    expect(res.text()).toContain('Unsupported response type')
  })

  it('closes iterators after use: generator finally blocks and return() always run', async () => {
    const app = new Bottle({ autojson: false })
    const closed: string[] = []
    app.get('/gen', function* () {
      try {
        yield 'abc'
        yield 'def'
      } finally {
        closed.push('gen')
      }
    })
    const iterable = (name: string, items: unknown[]): Iterable<unknown> => ({
      [Symbol.iterator]() {
        const it = items[Symbol.iterator]()
        return {
          next: () => it.next(),
          return: () => {
            closed.push(name)
            return { done: true, value: undefined }
          },
        }
      },
    })
    app.get('/bytes', () => iterable('bytes', [Buffer.from('abc'), Buffer.from('def')]))
    app.get('/text', () => iterable('text', ['abc', 'def']))
    app.get('/empty', () => iterable('empty', []))
    app.get('/head', () => iterable('head', ['abc', 'def']))
    const c = client(app)
    expect((await c.get('/gen')).text()).toBe('abcdef')
    expect((await c.get('/bytes')).text()).toBe('abcdef')
    expect((await c.get('/text')).text()).toBe('abcdef')
    expect((await c.get('/empty')).text()).toBe('')
    expect((await c.head('/head')).text()).toBe('')
    expect(closed.sort()).toEqual(['bytes', 'empty', 'gen', 'head', 'text'])
  })

  it('sends the cookies set by the callback', async () => {
    const app = new Bottle()
    app.get('/cookie', () => {
      response.setCookie('b', 'b')
      response.setCookie('c', 'c', { path: '/' })
      return 'hello'
    })
    const res = await client(app).get('/cookie')
    expect(res.headers['set-cookie']).toEqual(['b=b', 'c=c; Path=/'])
  })

  it('HEAD keeps the GET Content-Length but sends no body', async () => {
    const app = new Bottle()
    app.get('/str', () => 'Some body content')
    app.get('/json', () => ({ a: 1 }))
    app.get('/gen', function* () {
      yield 'streamed'
    })
    const c = client(app)
    const res = await c.head('/str')
    expect(res.status).toBe(200)
    expect(res.body.length).toBe(0)
    expect(res.header('content-length')).toBe('17')
    const json = await c.head('/json')
    expect(json.body.length).toBe(0)
    expect(json.header('content-length')).toBe('7')
    expect(json.header('content-type')).toBe('application/json')
    expect((await c.head('/gen')).body.length).toBe(0)
  })

  it('204 and 304 responses carry no body and no entity headers', async () => {
    const app = new Bottle()
    app.get('/test/<code:int>', ({ code }) => {
      response.status = code
      response.setHeader('Last-Modified', 'Thu, 01 Jan 1970 00:00:00 GMT')
      response.setHeader('Allow', 'GET')
      return 'Some body content'
    })
    const c = client(app)
    expect((await c.get('/test/200')).text()).toBe('Some body content')
    const nc = await c.get('/test/204')
    expect(nc.status).toBe(204)
    expect(nc.body.length).toBe(0)
    expect(nc.header('content-type')).toBeUndefined()
    expect(nc.header('content-length')).toBeUndefined()
    const nm = await c.get('/test/304')
    expect(nm.status).toBe(304)
    expect(nm.body.length).toBe(0)
    for (const h of ['content-type', 'content-length', 'last-modified', 'allow']) {
      expect(nm.header(h), h).toBeUndefined()
    }
  })
})

describe('Output casting: files and 1xx', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bottle-ts-out-'))
    await writeFile(join(dir, 'f.txt'), 'file content')
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('streams an open FileHandle and closes it', async () => {
    const app = new Bottle()
    const handles: Awaited<ReturnType<typeof open>>[] = []
    app.get('/', async () => {
      const fh = await open(join(dir, 'f.txt'))
      handles.push(fh)
      return fh
    })
    const res = await new TestClient(app).get('/')
    expect(res.text()).toBe('file content')
    await vi.waitFor(() => expect(handles[0]!.fd).toBe(-1))
  })

  it('a 1xx status set by the callback sends the status line and no body', async () => {
    const app = new Bottle()
    app.get('/test/<code:int>', ({ code }) => {
      response.status = code
      return 'Some body content'
    })
    for (const code of [100, 101]) {
      const raw = (
        await new TestClient(app).raw(`GET /test/${code} HTTP/1.0\r\nHost: x\r\n\r\n`)
      ).toString('latin1')
      expect(raw.startsWith(`HTTP/1.1 ${code} `)).toBe(true)
      expect(raw).not.toContain('Some body content')
    }
  })
})

describe('Output casting over a real socket: aborts', () => {
  it('an error after the first chunk aborts the connection instead of ending a complete 200', async () => {
    const app = silent(new Bottle())
    app.get('/', async function* () {
      yield 'first chunk;'
      await new Promise((r) => setTimeout(r, 5))
      throw new Error('failed mid-stream')
    })
    const raw = (
      await rawOverSocket(app, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    ).toString('latin1')
    expect(raw.startsWith('HTTP/1.1 200 OK')).toBe(true)
    expect(raw).toContain('Transfer-Encoding: chunked')
    expect(raw).toContain('first chunk;')
    // A complete chunked body ends with the zero-length chunk; an aborted one does not.
    expect(raw.endsWith('0\r\n\r\n')).toBe(false)
  })

  it('the same stream without the error ends with the final chunk (the check above can fail)', async () => {
    const app = new Bottle()
    app.get('/', async function* () {
      yield 'first chunk;'
      await new Promise((r) => setTimeout(r, 5))
      yield 'second'
    })
    const raw = (
      await rawOverSocket(app, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    ).toString('latin1')
    expect(raw.endsWith('0\r\n\r\n')).toBe(true)
  })

  it('closes the iterator when the client goes away mid-stream', async () => {
    const app = new Bottle()
    let finallyRan = false
    let produced = 0
    app.get('/', async function* () {
      try {
        for (;;) {
          produced++
          yield `chunk ${produced}\n`
          await new Promise((r) => setTimeout(r, 5))
        }
      } finally {
        finallyRan = true
      }
    })
    const server = await listen(app)
    try {
      const socket = connect(server.port, '127.0.0.1')
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
      await once(socket, 'data')
      socket.destroy()
      await vi.waitFor(() => expect(finallyRan).toBe(true), { timeout: 2000 })
      const after = produced
      await new Promise((r) => setTimeout(r, 50))
      expect(produced).toBe(after)
    } finally {
      await server.close()
    }
  })

  it('a chunk of an unsupported type after the first one aborts the connection', async () => {
    const app = silent(new Bottle())
    app.get('/', function* () {
      yield 'first;'
      yield 1234
    })
    const raw = (
      await rawOverSocket(app, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    ).toString('latin1')
    expect(raw).toContain('first;')
    expect(raw.endsWith('0\r\n\r\n')).toBe(false)
  })

  it('closes the iterator when a client stops reading and then goes away (backpressure)', async () => {
    const app = new Bottle()
    let finallyRan = false
    const big = Buffer.alloc(1 << 20, 0x61)
    app.get('/', function* () {
      try {
        for (;;) yield big
      } finally {
        finallyRan = true
      }
    })
    const server = await listen(app)
    try {
      const socket = connect(server.port, '127.0.0.1')
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
      await once(socket, 'data')
      socket.pause()
      await new Promise((r) => setTimeout(r, 100))
      expect(finallyRan).toBe(false)
      socket.destroy()
      await vi.waitFor(() => expect(finallyRan).toBe(true), { timeout: 2000 })
    } finally {
      await server.close()
    }
  })

  it('closes a Readable stream when the client goes away mid-stream', async () => {
    const app = new Bottle()
    let destroyed = false
    app.get('/', () => {
      let n = 0
      const stream = new Readable({
        read() {
          setTimeout(() => this.push(`line ${n++}\n`), 5)
        },
      })
      stream.on('close', () => (destroyed = true))
      return stream
    })
    const server = await listen(app)
    try {
      const socket = connect(server.port, '127.0.0.1')
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
      await once(socket, 'data')
      socket.destroy()
      await vi.waitFor(() => expect(destroyed).toBe(true), { timeout: 2000 })
    } finally {
      await server.close()
    }
  })
})
