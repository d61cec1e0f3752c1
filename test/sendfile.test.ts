/**
 * staticFile, ported by behaviour from Bottle's test_sendfile.py and extended with what
 * RFC 9110 asks for: quoted ETags, If-None-Match lists and weak comparison, If-Range,
 * 416 with Content-Range, HEAD, downloads with RFC 6266 names, streaming of large files
 * and offloading to a front server.
 */
import { createHash } from 'node:crypto'
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { readdir } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  Bottle,
  HTTPError,
  HTTPResponse,
  request,
  staticFile,
  type StaticFileOptions,
} from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import { describeMatrix, listen } from './_helpers.js'
import { parseRange } from '../src/internal/range.js'
import { FileBody } from '../src/static.js'

const FIXTURES = fileURLToPath(new URL('./fixtures/static/', import.meta.url))
const HELLO = readFileSync(join(FIXTURES, 'hello.txt'))
const HELLO_MTIME = Math.floor(statSync(join(FIXTURES, 'hello.txt')).mtimeMs / 1000)

let tmp: string
let big: Buffer
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'bottle-ts-sendfile-'))
  // Pseudo-random but reproducible bytes, so any misplaced chunk shows.
  const parts: Buffer[] = []
  for (let i = 0; parts.length * 32 < 1024 * 1024 + 777; i++) {
    parts.push(createHash('sha256').update(String(i)).digest())
  }
  big = Buffer.concat(parts).subarray(0, 1024 * 1024 + 777)
  writeFileSync(join(tmp, 'big.bin'), big)
  writeFileSync(join(tmp, 'app.js'), 'console.log(1)\n')
  writeFileSync(join(tmp, 'page.tar.gz'), 'not really a tarball')
  writeFileSync(join(tmp, 'page.html.br'), 'not really brotli')
  writeFileSync(join(tmp, 'Makefile'), 'all:\n')
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** An app serving `root` under /static/ with the given options. */
function staticApp(root: string, options: StaticFileOptions = {}, app = new Bottle()): Bottle {
  app.route('/static/<filepath:path>', { method: ['GET', 'HEAD', 'POST'] })(({ filepath }) =>
    staticFile(filepath, root, options)
  )
  return app
}

function fdCount(): Promise<number> {
  return readdir('/proc/self/fd').then((list) => list.length)
}

async function waitFor(check: () => Promise<boolean>, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return check()
}

describeMatrix('staticFile over both transports', (client) => {
  it('serves a file with its bytes, length, validators and Accept-Ranges', async () => {
    const res = await client(staticApp(FIXTURES)).get('/static/hello.txt')
    expect(res.status).toBe(200)
    expect(res.body.equals(HELLO)).toBe(true)
    expect(res.header('content-type')).toBe('text/plain; charset=UTF-8')
    expect(res.header('content-length')).toBe(String(HELLO.length))
    expect(res.header('accept-ranges')).toBe('bytes')
    expect(Date.parse(res.header('last-modified')!) / 1000).toBe(HELLO_MTIME)
    expect(res.header('etag')).toMatch(/^"[0-9a-f]{40}"$/)
  })

  it('answers 404 for a missing file and 403 for a path above the root', async () => {
    const c = client(staticApp(join(FIXTURES, 'sub')))
    const missing = await c.get('/static/not/a/file')
    expect(missing.status).toBe(404)
    expect(missing.text()).toContain('File does not exist.')
    // `..%2F` survives URL normalisation in the socket client; the router decodes it once.
    const above = await c.get('/static/..%2Fhello.txt')
    expect(above.status).toBe(403)
    expect(above.text()).toContain('Access denied.')
  })

  it('answers a matching If-None-Match with an empty 304 that keeps the ETag', async () => {
    const c = client(staticApp(FIXTURES))
    const etag = (await c.get('/static/hello.txt')).header('etag')!
    const res = await c.get('/static/hello.txt', { headers: { 'if-none-match': etag } })
    expect(res.status).toBe(304)
    expect(res.body.length).toBe(0)
    expect(res.header('etag')).toBe(etag)
    expect(res.header('content-length')).toBeUndefined()
  })

  it('serves a single range as 206 with Content-Range', async () => {
    const res = await client(staticApp(FIXTURES)).get('/static/hello.txt', {
      headers: { range: 'bytes=6-11' },
    })
    expect(res.status).toBe(206)
    expect(res.text()).toBe('static')
    expect(res.header('content-range')).toBe(`bytes 6-11/${HELLO.length}`)
    expect(res.header('content-length')).toBe('6')
  })

  it('answers HEAD with the GET headers and no body', async () => {
    const res = await client(staticApp(FIXTURES)).head('/static/hello.txt')
    expect(res.status).toBe(200)
    expect(res.body.length).toBe(0)
    expect(res.header('content-length')).toBe(String(HELLO.length))
    expect(res.header('content-type')).toBe('text/plain; charset=UTF-8')
  })

  it('streams a file larger than one chunk intact, and any range of it', async () => {
    const c = client(staticApp(tmp))
    const res = await c.get('/static/big.bin')
    expect(res.status).toBe(200)
    expect(res.header('content-length')).toBe(String(big.length))
    expect(res.body.equals(big)).toBe(true)
    const part = await c.get('/static/big.bin', { headers: { range: 'bytes=65535-200000' } })
    expect(part.status).toBe(206)
    expect(part.body.equals(big.subarray(65535, 200001))).toBe(true)
  })

  it('sends a download with Content-Disposition: attachment', async () => {
    const app = new Bottle()
    app.get('/dl', () => staticFile('hello.txt', FIXTURES, { download: true }))
    const res = await client(app).get('/dl')
    expect(res.header('content-disposition')).toBe('attachment; filename="hello.txt"')
    expect(res.body.equals(HELLO)).toBe(true)
  })
})

describe('staticFile: files and errors', () => {
  it('returns an HTTPResponse whose body holds the file, also outside a request', async () => {
    const res = await staticFile('hello.txt', FIXTURES)
    expect(res).toBeInstanceOf(HTTPResponse)
    expect(res).not.toBeInstanceOf(HTTPError)
    expect(res.statusCode).toBe(200)
    // The body is a lazy stream of the file (it opens the file when iterated), or the
    // bytes themselves once a small file sits in the cache.
    const chunks: Buffer[] = []
    if (Buffer.isBuffer(res.body)) chunks.push(res.body)
    else for await (const chunk of res.body as AsyncIterable<Buffer>) chunks.push(chunk)
    expect(Buffer.concat(chunks).equals(HELLO)).toBe(true)
  })

  it('returns an HTTPError with Bottle’s messages for missing and escaping names', async () => {
    const missing = await staticFile('not/a/file', FIXTURES)
    expect(missing).toBeInstanceOf(HTTPError)
    expect(missing.statusCode).toBe(404)
    expect(missing.body).toBe('File does not exist.')
    const escape = await staticFile('./../hello.txt', join(FIXTURES, 'sub'))
    expect(escape.statusCode).toBe(403)
    expect(escape.body).toBe('Access denied.')
  })

  it('answers 404 for a directory, the root itself and a missing root', async () => {
    const c = new TestClient(staticApp(FIXTURES))
    expect((await c.get('/static/sub')).status).toBe(404)
    expect((await c.get('/static/sub/')).status).toBe(404)
    expect((await staticFile('', FIXTURES)).statusCode).toBe(404)
    expect((await staticFile('.', FIXTURES)).statusCode).toBe(404)
    expect((await staticFile('x.txt', join(tmp, 'no-such-root'))).statusCode).toBe(404)
  })

  it('serves nested files and an empty file', async () => {
    const c = new TestClient(staticApp(FIXTURES))
    expect((await c.get('/static/sub/nested.txt')).text()).toBe('nested file\n')
    const empty = await c.get('/static/empty.bin')
    expect(empty.status).toBe(200)
    expect(empty.header('content-length')).toBe('0')
    expect(empty.body.length).toBe(0)
  })

  it('accepts a number from an int wildcard as the file name', async () => {
    writeFileSync(join(tmp, '42'), 'forty-two')
    const app = new Bottle()
    app.get('/n/<n:int>', ({ n }) => staticFile(n as unknown as string, tmp))
    const res = await new TestClient(app).get('/n/42')
    expect(res.status).toBe(200)
    expect(res.text()).toBe('forty-two')
  })

  it('lets an error handler render its errors', async () => {
    const app = staticApp(FIXTURES)
    app.error(404)((err) => `custom: ${String(err.body)}`)
    const res = await new TestClient(app).get('/static/nope.txt')
    expect(res.status).toBe(404)
    expect(res.text()).toBe('custom: File does not exist.')
  })
})

describe('staticFile: content types', () => {
  const typeOf = async (name: string, options: StaticFileOptions = {}, root = FIXTURES) =>
    (await staticFile(name, root, options)).getHeader('Content-Type')

  it('guesses the type from the name and adds the charset to text and JavaScript', async () => {
    expect(await typeOf('hello.txt')).toBe('text/plain; charset=UTF-8')
    expect(await typeOf('style.css')).toBe('text/css; charset=UTF-8')
    expect(await typeOf('index.html')).toBe('text/html; charset=UTF-8')
    expect(await typeOf('app.js', {}, tmp)).toBe('text/javascript; charset=UTF-8')
    expect(await typeOf('data.json')).toBe('application/json')
  })

  it('sends unknown types as application/octet-stream, never as HTML', async () => {
    expect(await typeOf('Makefile', {}, tmp)).toBe('application/octet-stream')
    expect(await typeOf('big.bin', {}, tmp)).toBe('application/octet-stream')
  })

  it('lets an explicit mimetype win and appends the charset only to text types', async () => {
    expect(await typeOf('hello.txt', { mimetype: 'some/type' })).toBe('some/type')
    expect(await typeOf('hello.txt', { mimetype: 'text/foo' })).toBe('text/foo; charset=UTF-8')
    expect(await typeOf('hello.txt', { mimetype: 'text/foo', charset: 'latin1' })).toBe(
      'text/foo; charset=latin1'
    )
    expect(await typeOf('hello.txt', { mimetype: 'application/javascript' })).toBe(
      'application/javascript; charset=UTF-8'
    )
    expect(await typeOf('hello.txt', { mimetype: 'text/x; charset=ascii' })).toBe(
      'text/x; charset=ascii'
    )
    expect(await typeOf('hello.txt', { charset: false })).toBe('text/plain')
    expect(await typeOf('hello.txt', { mimetype: true })).toBe('text/plain; charset=UTF-8')
  })

  it('sets no type with mimetype: false, so a type in headers stays', async () => {
    expect(await typeOf('hello.txt', { mimetype: false })).toBeUndefined()
    const res = await staticFile('hello.txt', FIXTURES, {
      mimetype: false,
      headers: { 'Content-Type': 'text/markdown' },
    })
    expect(res.getHeader('Content-Type')).toBe('text/markdown')
  })

  it('serves .gz and .br files as their encoding, without Content-Encoding', async () => {
    const gz = await new TestClient(staticApp(FIXTURES)).get('/static/notes.txt.gz')
    expect(gz.header('content-type')).toBe('application/gzip')
    expect(gz.header('content-encoding')).toBeUndefined()
    expect(await typeOf('page.tar.gz', {}, tmp)).toBe('application/gzip')
    const br = await staticFile('page.html.br', tmp)
    expect(br.getHeader('Content-Type')).toBe('application/x-br')
    expect(br.hasHeader('Content-Encoding')).toBe(false)
  })

  it('guesses from the download name when one is given', async () => {
    expect(await typeOf('hello.txt', { download: 'foo.mp3' })).toBe('audio/mpeg')
  })
})

describe('staticFile: conditional requests', () => {
  const c = () => new TestClient(staticApp(FIXTURES))
  const get = (headers: Record<string, string>) => c().get('/static/hello.txt', { headers })

  it('answers 304 when If-Modified-Since is at or after the modification time', async () => {
    const now = await get({ 'if-modified-since': new Date().toUTCString() })
    expect(now.status).toBe(304)
    expect(now.body.length).toBe(0)
    const exact = await get({ 'if-modified-since': new Date(HELLO_MTIME * 1000).toUTCString() })
    expect(exact.status).toBe(304)
    const old = await get({ 'if-modified-since': new Date(100_000).toUTCString() })
    expect(old.status).toBe(200)
    expect(old.body.equals(HELLO)).toBe(true)
  })

  it('reads If-Modified-Since in RFC 850 and asctime form and drops old parameters', async () => {
    const later = new Date(Date.now() + 86_400_000)
    const [wd, d, mon, y, time] = later.toUTCString().replace(',', '').split(' ')
    const full = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
    const rfc850 = `${full[later.getUTCDay()]}, ${d}-${mon}-${y!.slice(2)} ${time} GMT`
    const asctime = `${wd} ${mon} ${String(later.getUTCDate()).padStart(2, ' ')} ${time} ${y}`
    expect((await get({ 'if-modified-since': rfc850 })).status).toBe(304)
    expect((await get({ 'if-modified-since': asctime })).status).toBe(304)
    const withLength = `${later.toUTCString()}; length=20`
    expect((await get({ 'if-modified-since': withLength })).status).toBe(304)
  })

  it('ignores an empty or unparsable If-Modified-Since', async () => {
    expect((await get({ 'if-modified-since': '' })).status).toBe(200)
    expect((await get({ 'if-modified-since': 'Bad 123' })).status).toBe(200)
  })

  it('gives each file its own ETag and matches If-None-Match lists, W/ and *', async () => {
    const etag = (await get({})).header('etag')!
    const other = (await c().get('/static/style.css')).header('etag')!
    expect(other).not.toBe(etag)
    expect((await get({ 'if-none-match': `"nope", ${etag}` })).status).toBe(304)
    expect((await get({ 'if-none-match': `W/${etag}` })).status).toBe(304)
    expect((await get({ 'if-none-match': '*' })).status).toBe(304)
    const miss = await c().get('/static/style.css', { headers: { 'if-none-match': etag } })
    expect(miss.status).toBe(200)
    expect(miss.header('etag')).toBe(other)
  })

  it('lets If-None-Match win over If-Modified-Since', async () => {
    const res = await get({
      'if-none-match': '"something-else"',
      'if-modified-since': new Date().toUTCString(),
    })
    expect(res.status).toBe(200)
    expect(res.body.equals(HELLO)).toBe(true)
  })

  it('answers a matching If-None-Match on other methods with 412', async () => {
    const app = staticApp(FIXTURES)
    const res = await new TestClient(app).post('/static/hello.txt', {
      headers: { 'if-none-match': '*' },
    })
    expect(res.status).toBe(412)
  })

  it('answers a failed If-Match or If-Unmodified-Since with 412 before anything else', async () => {
    const etag = (await get({})).header('etag')!
    expect((await get({ 'if-match': '"other"' })).status).toBe(412)
    expect((await get({ 'if-match': `W/${etag}` })).status).toBe(412)
    expect((await get({ 'if-match': `"other", ${etag}` })).status).toBe(200)
    expect((await get({ 'if-match': '*' })).status).toBe(200)
    const before = new Date((HELLO_MTIME - 60) * 1000).toUTCString()
    const after = new Date((HELLO_MTIME + 60) * 1000).toUTCString()
    expect((await get({ 'if-unmodified-since': before })).status).toBe(412)
    expect((await get({ 'if-unmodified-since': after })).status).toBe(200)
    // If-Match decides alone when present.
    expect((await get({ 'if-match': etag, 'if-unmodified-since': before })).status).toBe(200)
    // A failed precondition wins over a Range.
    const ranged = await get({ 'if-match': '"other"', range: 'bytes=0-4' })
    expect(ranged.status).toBe(412)
  })

  it('uses a given ETag (quoted when bare) or none with etag: false', async () => {
    const bare = await staticFile('hello.txt', FIXTURES, { etag: 'v1' })
    expect(bare.getHeader('ETag')).toBe('"v1"')
    const quoted = await staticFile('hello.txt', FIXTURES, { etag: 'W/"v2"' })
    expect(quoted.getHeader('ETag')).toBe('W/"v2"')
    const app = new Bottle()
    app.get('/noetag', () => staticFile('hello.txt', FIXTURES, { etag: false }))
    app.get('/v1', () => staticFile('hello.txt', FIXTURES, { etag: 'v1' }))
    const client = new TestClient(app)
    const none = await client.get('/noetag', { headers: { 'if-none-match': '"v1"' } })
    expect(none.status).toBe(200)
    expect(none.header('etag')).toBeUndefined()
    const hit = await client.get('/v1', { headers: { 'if-none-match': '"v1"' } })
    expect(hit.status).toBe(304)
  })

  it('follows the file: a new modification time gives a new ETag', async () => {
    const file = join(tmp, 'changing.txt')
    writeFileSync(file, 'one')
    utimesSync(file, 1_000_000, 1_000_000)
    const first = (await staticFile('changing.txt', tmp)).getHeader('ETag')
    utimesSync(file, 2_000_000, 2_000_000)
    const second = await staticFile('changing.txt', tmp)
    expect(second.getHeader('ETag')).not.toBe(first)
    expect(second.getHeader('Last-Modified')).toBe(new Date(2_000_000_000).toUTCString())
  })
})

describe('staticFile: ranges', () => {
  const c = () => new TestClient(staticApp(FIXTURES))
  const get = (headers: Record<string, string>) => c().get('/static/hello.txt', { headers })
  const size = HELLO.length

  it('answers several ranges with the first satisfiable one, as Bottle', async () => {
    const res = await get({ range: 'bytes=10-15,-8' })
    expect(res.status).toBe(206)
    expect(res.body.equals(HELLO.subarray(10, 16))).toBe(true)
    expect(res.header('content-range')).toBe(`bytes 10-15/${size}`)
    expect(res.header('accept-ranges')).toBe('bytes')
    const skip = await get({ range: 'bytes=500-600, 0-4' })
    expect(skip.text()).toBe('Hello')
  })

  it('serves suffix ranges, open ranges and clamps an end past the size', async () => {
    expect((await get({ range: 'bytes=-7' })).text()).toBe('world!\n')
    expect((await get({ range: 'bytes=13-' })).text()).toBe('world!\n')
    const clamped = await get({ range: 'bytes=13-999' })
    expect(clamped.header('content-range')).toBe(`bytes 13-${size - 1}/${size}`)
    const whole = await get({ range: 'bytes=-999' })
    expect(whole.status).toBe(206)
    expect(whole.body.equals(HELLO)).toBe(true)
  })

  it('answers an unsatisfiable range with 416 and Content-Range: bytes */size', async () => {
    for (const range of [`bytes=${size}-`, 'bytes=-0', 'bytes=5-2', 'bytes=abc']) {
      const res = await get({ range })
      expect(res.status, range).toBe(416)
      expect(res.header('content-range'), range).toBe(`bytes */${size}`)
    }
  })

  it('ignores a Range in another unit', async () => {
    const res = await get({ range: 'items=0-3' })
    expect(res.status).toBe(200)
    expect(res.body.equals(HELLO)).toBe(true)
  })

  it('applies the Range only when If-Range matches the ETag or date', async () => {
    const etag = (await get({})).header('etag')!
    const lastModified = (await get({})).header('last-modified')!
    expect((await get({ range: 'bytes=0-4', 'if-range': etag })).status).toBe(206)
    expect((await get({ range: 'bytes=0-4', 'if-range': lastModified })).status).toBe(206)
    const stale = await get({ range: 'bytes=0-4', 'if-range': '"old"' })
    expect(stale.status).toBe(200)
    expect(stale.body.equals(HELLO)).toBe(true)
    expect((await get({ range: 'bytes=0-4', 'if-range': `W/${etag}` })).status).toBe(200)
    const oldDate = new Date(100_000).toUTCString()
    expect((await get({ range: 'bytes=0-4', 'if-range': oldDate })).status).toBe(200)
  })

  it('answers HEAD with a range as 206 without a body', async () => {
    const res = await c().head('/static/hello.txt', { headers: { range: 'bytes=0-4' } })
    expect(res.status).toBe(206)
    expect(res.header('content-length')).toBe('5')
    expect(res.body.length).toBe(0)
  })

  it('serves an empty file whole whatever the Range says', async () => {
    const res = await c().get('/static/empty.bin', { headers: { range: 'bytes=0-10' } })
    expect(res.status).toBe(200)
    expect(res.header('content-length')).toBe('0')
  })

  it('parses range headers as Bottle does, with inclusive ends', () => {
    expect(parseRange('bytes=-10', 100)).toEqual([{ start: 90, end: 99 }])
    expect(parseRange('bytes=10-', 100)).toEqual([{ start: 10, end: 99 }])
    expect(parseRange('bytes=5-10', 100)).toEqual([{ start: 5, end: 10 }])
    expect(parseRange('bytes=10-,-10,5-10', 100)).toEqual([
      { start: 10, end: 99 },
      { start: 90, end: 99 },
      { start: 5, end: 10 },
    ])
    expect(parseRange('Bytes = 1-2 , 3-4', 100)).toEqual([
      { start: 1, end: 2 },
      { start: 3, end: 4 },
    ])
    expect(parseRange('bytes=1-2', 0)).toEqual([])
    expect(parseRange('lines=1-2', 100)).toBeNull()
    expect(parseRange('bytes=+1-2,0x1-3,1e2-', 1000)).toEqual([])
  })
})

describe('staticFile: downloads and headers', () => {
  const disposition = async (download: string | boolean, name = 'hello.txt') =>
    (await staticFile(name, FIXTURES, { download })).getHeader('Content-Disposition')

  it('names the attachment after the file or the given name', async () => {
    expect(await disposition(true)).toBe('attachment; filename="hello.txt"')
    expect(await disposition(true, 'sub/nested.txt')).toBe('attachment; filename="nested.txt"')
    expect(await disposition('report.txt')).toBe('attachment; filename="report.txt"')
  })

  it('drops quotes, control characters and path parts from the download name', async () => {
    expect(await disposition('a"b.txt')).toBe('attachment; filename="ab.txt"')
    expect(await disposition('../../etc/x.txt')).toBe('attachment; filename="x.txt"')
    expect(await disposition('C:\\temp\\y.txt')).toBe('attachment; filename="y.txt"')
    expect(await disposition('bad\r\nSet-Cookie: x=1.txt')).toBe(
      'attachment; filename="badSet-Cookie: x=1.txt"'
    )
  })

  it('encodes a non-ASCII download name per RFC 6266 with an ASCII fallback', async () => {
    expect(await disposition('résumé 2024.pdf')).toBe(
      `attachment; filename="r?sum? 2024.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%202024.pdf`
    )
    expect(await disposition('日本(1).txt')).toBe(
      `attachment; filename="??(1).txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%281%29.txt`
    )
  })

  it('adds custom headers without changing the caller’s object', async () => {
    const headers = { 'X-Custom-Header': 'test-value', 'Cache-Control': 'max-age=60' }
    const before = { ...headers }
    const res = await new TestClient(staticApp(FIXTURES, { headers })).get('/static/hello.txt')
    expect(res.header('x-custom-header')).toBe('test-value')
    expect(res.header('cache-control')).toBe('max-age=60')
    expect(headers).toEqual(before)
    const notModified = await new TestClient(staticApp(FIXTURES, { headers })).get(
      '/static/hello.txt',
      { headers: { 'if-none-match': '*' } }
    )
    expect(notModified.status).toBe(304)
    expect(notModified.header('cache-control')).toBe('max-age=60')
  })
})

describe('staticFile: streaming and descriptors', () => {
  it('closes the file when the client aborts mid-stream', async () => {
    const file = join(tmp, 'huge.bin')
    writeFileSync(file, Buffer.alloc(16 * 1024 * 1024, 7))
    const server = await listen(staticApp(tmp))
    try {
      const baseline = await fdCount()
      let opened = 0
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest(`${server.url}/static/huge.bin`, (res) => {
          res.once('data', () => {
            void fdCount().then((n) => {
              opened = n
              req.destroy()
              resolve()
            })
          })
        })
        req.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code !== 'ECONNRESET') reject(err)
        })
        req.end()
      })
      // While streaming: the client socket, the server socket and the file.
      expect(opened).toBeGreaterThanOrEqual(baseline + 3)
      expect(await waitFor(async () => (await fdCount()) <= baseline)).toBe(true)
    } finally {
      await server.close()
    }
  })

  it('cuts the connection when the file shrinks mid-stream, never ending a short 200', async () => {
    const file = join(tmp, 'shrinking.bin')
    writeFileSync(file, Buffer.alloc(8 * 1024 * 1024, 1))
    const logged: unknown[] = []
    const app = new Bottle()
    app.logError = (err) => logged.push(err)
    const server = await listen(staticApp(tmp, {}, app))
    try {
      const outcome = await new Promise<{ complete: boolean; received: number; length: number }>(
        (resolve, reject) => {
          const req = httpRequest(`${server.url}/static/shrinking.bin`, (res) => {
            let received = 0
            res.on('data', (chunk: Buffer) => {
              if (received === 0) truncateSync(file, 100_000)
              received += chunk.length
            })
            res.on('close', () =>
              resolve({
                complete: res.complete,
                received,
                length: Number(res.headers['content-length']),
              })
            )
          })
          req.on('error', (err: NodeJS.ErrnoException) => {
            if (err.code !== 'ECONNRESET') reject(err)
          })
          req.end()
        }
      )
      expect(outcome.length).toBe(8 * 1024 * 1024)
      expect(outcome.received).toBeLessThan(outcome.length)
      expect(outcome.complete).toBe(false)
      expect(String(logged[0])).toMatch(/File shrank while being sent/)
    } finally {
      await server.close()
    }
  })

  it('opens no descriptor for a response that is never sent', async () => {
    const app = new Bottle()
    app.get('/', async () => {
      const unused = await staticFile('big.bin', tmp)
      expect(unused.statusCode).toBe(200)
      return 'something else'
    })
    const client = new TestClient(app)
    await client.get('/')
    const baseline = await fdCount()
    for (let i = 0; i < 20; i++) expect((await client.get('/')).text()).toBe('something else')
    expect(await waitFor(async () => (await fdCount()) <= baseline)).toBe(true)
  })

  it('serves many concurrent large requests with the same bytes', async () => {
    const client = new TestClient(staticApp(tmp))
    const all = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.get('/static/big.bin', { headers: { range: `bytes=${i * 1000}-` } })
      )
    )
    all.forEach((res, i) => expect(res.body.equals(big.subarray(i * 1000))).toBe(true))
  })
})

describe('staticFile: the small-file cache', () => {
  // Files changed in the last two seconds are never cached (they may be mid-write): the
  // clock moves on instead of the test waiting.
  const settle = () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 5000)
  }
  afterEach(() => vi.useRealTimers())

  it('serves a settled small file from memory once read, and rereads it when it changes', async () => {
    const dir = mkdtempSync(join(tmp, 'cache-'))
    writeFileSync(join(dir, 'a.txt'), 'first version')
    const client = new TestClient(staticApp(dir))
    // Fresh files are read from disk every time.
    expect((await client.get('/static/a.txt')).text()).toBe('first version')
    expect((await staticFile('a.txt', dir)).body).toBeInstanceOf(FileBody)
    settle()
    expect((await client.get('/static/a.txt')).text()).toBe('first version')
    const hit = await staticFile('a.txt', dir)
    expect(Buffer.isBuffer(hit.body)).toBe(true)
    expect(String(hit.body)).toBe('first version')
    // Same size, new bytes: the changed mtime/ctime in this request's stat drops the entry.
    writeFileSync(join(dir, 'a.txt'), 'secnd version')
    expect((await client.get('/static/a.txt')).text()).toBe('secnd version')
    // A file replaced by another (a new inode) is never answered from the old bytes.
    writeFileSync(join(dir, 'b.txt'), 'other file!!!')
    rmSync(join(dir, 'a.txt'))
    writeFileSync(join(dir, 'a.txt'), 'third version')
    expect((await client.get('/static/a.txt')).text()).toBe('third version')
    rmSync(join(dir, 'a.txt'))
    expect((await client.get('/static/a.txt')).status).toBe(404)
  })

  it('answers ranges and validators of a cached file like any other', async () => {
    const dir = mkdtempSync(join(tmp, 'cache-'))
    writeFileSync(join(dir, 'r.txt'), '0123456789')
    settle()
    const client = new TestClient(staticApp(dir))
    const first = await client.get('/static/r.txt')
    expect(Buffer.isBuffer((await staticFile('r.txt', dir)).body)).toBe(true)
    const part = await client.get('/static/r.txt', { headers: { range: 'bytes=2-4' } })
    expect(part.status).toBe(206)
    expect(part.text()).toBe('234')
    expect(part.header('content-range')).toBe('bytes 2-4/10')
    const again = await client.get('/static/r.txt', {
      headers: { 'if-none-match': first.header('etag')! },
    })
    expect(again.status).toBe(304)
    expect(again.body.length).toBe(0)
    const head = await client.head('/static/r.txt')
    expect(head.header('content-length')).toBe('10')
    expect(head.body.length).toBe(0)
  })

  it('keeps nothing with staticFile.cacheSize 0 and evicts the least recently used', async () => {
    const dir = mkdtempSync(join(tmp, 'cache-'))
    const a = Buffer.alloc(40 * 1024, 'a')
    const b = Buffer.alloc(40 * 1024, 'b')
    writeFileSync(join(dir, 'a.bin'), a)
    writeFileSync(join(dir, 'b.bin'), b)
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(64 * 1024 + 1))
    settle()
    const off = new Bottle()
    off.config.set('staticFile.cacheSize', 0)
    const offClient = new TestClient(staticApp(dir, {}, off))
    expect((await offClient.get('/static/a.bin')).body.equals(a)).toBe(true)
    off.get('/probe', async () =>
      (await staticFile('a.bin', dir)).body instanceof FileBody ? 'disk' : 'memory'
    )
    expect((await offClient.get('/probe')).text()).toBe('disk')

    // A budget for one of the two files: reading b pushes a out.
    const small = new Bottle()
    small.config.set('staticFile.cacheSize', 50 * 1024)
    small.get('/probe/<name>', async ({ name }) =>
      (await staticFile(name, dir)).body instanceof FileBody ? 'disk' : 'memory'
    )
    const client = new TestClient(staticApp(dir, {}, small))
    expect((await client.get('/static/a.bin')).body.equals(a)).toBe(true)
    expect((await client.get('/probe/a.bin')).text()).toBe('memory')
    expect((await client.get('/static/b.bin')).body.equals(b)).toBe(true)
    expect((await client.get('/probe/b.bin')).text()).toBe('memory')
    expect((await client.get('/probe/a.bin')).text()).toBe('disk')
    // Larger files are always streamed from disk.
    expect((await client.get('/static/big.bin')).body.length).toBe(64 * 1024 + 1)
    expect((await client.get('/probe/big.bin')).text()).toBe('disk')
  })

  it('refuses a staticFile.cacheSize that is not a whole number of bytes', async () => {
    const app = new Bottle()
    const logged: unknown[] = []
    app.logError = (err) => logged.push(err)
    app.config.set('staticFile.cacheSize', -1)
    const res = await new TestClient(staticApp(FIXTURES, {}, app)).get('/static/hello.txt')
    expect(res.status).toBe(500)
    expect(String(logged[0])).toMatch(/staticFile\.cacheSize.*whole number of bytes/)
  })
})

describe('staticFile: offloading to a front server', () => {
  it('answers with X-Accel-Redirect under the prefix and no body', async () => {
    const app = staticApp(FIXTURES, { offload: 'x-accel-redirect', prefix: '/protected/' })
    const res = await new TestClient(app).get('/static/sub/nested.txt')
    expect(res.status).toBe(200)
    expect(res.header('x-accel-redirect')).toBe('/protected/sub/nested.txt')
    expect(res.header('content-type')).toBe('text/plain; charset=UTF-8')
    expect(res.body.length).toBe(0)
  })

  it('answers with X-Sendfile and the resolved absolute path', async () => {
    const res = await staticFile('do..ts.txt', FIXTURES, { offload: 'x-sendfile' })
    expect(res.getHeader('X-Sendfile')).toBe(join(FIXTURES, 'do..ts.txt'))
    expect(res.body).toBe('')
  })

  it('percent-encodes the offloaded path', async () => {
    writeFileSync(join(tmp, 'a b?#%.txt'), 'odd name')
    const res = await staticFile('a b?#%.txt', tmp, { offload: 'x-accel-redirect', prefix: '/p' })
    expect(res.getHeader('X-Accel-Redirect')).toBe('/p/a%20b%3F%23%25.txt')
  })

  it('reads the offload settings from the app config', async () => {
    const app = new Bottle()
    app.config.set('staticFile.offload', 'x-accel-redirect')
    app.config.set('staticFile.offloadPrefix', '/internal')
    staticApp(FIXTURES, {}, app)
    const res = await new TestClient(app).get('/static/hello.txt')
    expect(res.header('x-accel-redirect')).toBe('/internal/hello.txt')
    const noOffload = new Bottle()
    noOffload.config.set('staticFile.offload', 'x-sendfile')
    noOffload.get('/f', () => staticFile('hello.txt', FIXTURES, { offload: false }))
    const plain = await new TestClient(noOffload).get('/f')
    expect(plain.header('x-sendfile')).toBeUndefined()
    expect(plain.body.equals(HELLO)).toBe(true)
  })

  it('keeps the path checks when offloading', async () => {
    const app = staticApp(FIXTURES, { offload: 'x-sendfile' })
    const c = new TestClient(app)
    expect((await c.get('/static/nope.txt')).status).toBe(404)
    expect((await c.get('/static/../sendfile.test.ts')).status).toBe(403)
    expect((await c.get('/static/.env')).status).toBe(404)
  })

  it('fails loudly when X-Accel-Redirect has no prefix', async () => {
    await expect(
      staticFile('hello.txt', FIXTURES, { offload: 'x-accel-redirect' })
    ).rejects.toThrow(/needs a prefix/)
  })
})

describe('staticFile: request context', () => {
  it('reads the current request, also after an await in the handler', async () => {
    const app = new Bottle()
    app.get('/late', async () => {
      await new Promise((r) => setTimeout(r, 5))
      expect(request.getHeader('range')).toBe('bytes=0-4')
      return staticFile('hello.txt', FIXTURES)
    })
    const res = await new TestClient(app).get('/late', { headers: { range: 'bytes=0-4' } })
    expect(res.status).toBe(206)
    expect(res.text()).toBe('Hello')
  })
})
