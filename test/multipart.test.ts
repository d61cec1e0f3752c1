import { createServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import { Bottle, request } from 'bottle-ts'
import { MemorySocket } from '../src/internal/memory-socket.js'
import { describeMatrix, type Client } from './_helpers.js'

const CT = { 'content-type': 'multipart/form-data; boundary=foo' }

interface Part {
  name?: string
  filename?: string
  type?: string
  content: string | Buffer
}

/** A multipart/form-data body with boundary `foo`. */
function multipart(parts: Part[]): Buffer {
  const out: Buffer[] = []
  for (const p of parts) {
    let disp = 'Content-Disposition: form-data'
    if (p.name !== undefined) disp += `; name="${p.name}"`
    if (p.filename !== undefined) disp += `; filename="${p.filename}"`
    out.push(Buffer.from(`--foo\r\n${disp}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`))
    out.push(Buffer.from(p.content), Buffer.from('\r\n'))
  }
  out.push(Buffer.from('--foo--\r\n'))
  return Buffer.concat(out)
}

interface Report {
  forms: [string, string][]
  files: {
    field: string
    name: string
    raw: string
    type: string
    size: number
    spooled: boolean
    data: string
  }[]
  post: string[]
}

/** An app that reports what it parsed. */
function reportingApp(options: Record<string, unknown> = {}): Bottle {
  const app = new Bottle(options)
  app.post('/', () => ({
    forms: [...request.forms.allitems()],
    files: [...request.files.allitems()].map(([k, f]) => ({
      field: k,
      name: f.name,
      raw: f.rawFilename,
      type: f.contentType,
      size: f.contentLength,
      spooled: f.file.path !== null,
      data: f.file.read().toString('utf8'),
    })),
    post: [...request.POST.keys()],
  }))
  return app
}

const post = (c: Client, body: string | Buffer, headers: Record<string, string> = CT) =>
  c.post('/', { body, headers })

describeMatrix('multipart forms', (client) => {
  it('separates fields and files, with several values per key and UTF-8 names', async () => {
    const body = multipart([
      { name: 'field1', content: 'value1' },
      { name: 'field2', content: 'value2' },
      { name: 'field2', content: '万难' },
      { name: 'file1', filename: 'filename1.txt', content: 'content1', type: 'text/plain' },
      { name: '万难', filename: '万难foo.py', content: 'ä\nö\rü', type: 'text/x-python' },
    ])
    const res = await post(client(reportingApp()), body)
    const data = res.json<Report>()
    expect(data.forms).toEqual([
      ['field1', 'value1'],
      ['field2', 'value2'],
      ['field2', '万难'],
    ])
    expect(data.files).toEqual([
      {
        field: 'file1',
        name: 'file1',
        raw: 'filename1.txt',
        type: 'text/plain',
        size: 8,
        spooled: false,
        data: 'content1',
      },
      {
        field: '万难',
        name: '万难',
        raw: '万难foo.py',
        type: 'text/x-python',
        size: 8,
        spooled: false,
        data: 'ä\nö\rü',
      },
    ])
    expect(data.post).toEqual(['field1', 'field2', 'file1', '万难'])
  })

  it('sanitises the filename of a UTF-8 upload while keeping the raw one', async () => {
    const app = new Bottle()
    app.post('/', () => {
      const f = request.files.get('万难')!
      return {
        filename: f.filename,
        raw: f.rawFilename,
        missing: (request.files as unknown as Record<string, unknown>).file77 ?? null,
      }
    })
    const res = await post(
      client(app),
      multipart([{ name: '万难', filename: '万难foo.py', content: 'x' }])
    )
    expect(res.json()).toEqual({ filename: 'foo.py', raw: '万难foo.py', missing: null })
  })

  it('spools parts past memfileMax to disk and keeps smaller ones in memory', async () => {
    const abc = 'abc'.repeat(1024)
    const body = multipart([
      { name: 'file1', filename: 'random.png', type: 'image/png', content: abc },
      { name: 'file2', filename: 'random.png', type: 'image/png', content: abc + 'a' },
      { name: 'file3', filename: 'random.png', type: 'image/png', content: abc + abc },
    ])
    const res = await post(client(reportingApp({ memfileMax: abc.length })), body)
    const files = res.json<Report>().files as { field: string; spooled: boolean; data: string }[]
    expect(files.map((f) => [f.field, f.spooled, f.data.length])).toEqual([
      ['file1', false, 3072],
      ['file2', true, 3073],
      ['file3', true, 6144],
    ])
    expect(files[2]!.data).toBe(abc + abc)
  })

  it('an empty filename makes a plain field, an octet-stream part a file', async () => {
    const body = multipart([
      { name: 'a', filename: '', content: 'plain' },
      { name: 'b', type: 'application/octet-stream', content: 'bin' },
    ])
    const data = (await post(client(reportingApp()), body)).json<Report>()
    expect(data.forms).toEqual([['a', 'plain']])
    expect(data.files.map((f: { field: string; raw: string }) => [f.field, f.raw])).toEqual([
      ['b', ''],
    ])
  })

  it('accepts a preamble, folded part headers and content with a stray boundary', async () => {
    const preamble =
      'Preamble\r\n' +
      multipart([
        { name: 'file1', filename: 'random.png', type: 'image/png', content: 'abc' },
      ]).toString()
    const one = (await post(client(reportingApp()), preamble)).json<Report>()
    expect(one.files[0]).toMatchObject({
      field: 'file1',
      raw: 'random.png',
      type: 'image/png',
      data: 'abc',
    })

    const folded =
      '--foo\r\nContent-Disposition: form-data;\r\n\tname="file1"; filename="random.png"\r\n' +
      'Content-Type: image/png\r\n\r\nabc\r\n--foo\r\nContent-Disposition: form-data;\r\n name="text"\r\n\r\n' +
      'Test text\n with\r\n ümläuts!\r\n--foo--\r\n'
    const two = (await post(client(reportingApp()), folded)).json<Report>()
    expect(two.files[0]).toMatchObject({ field: 'file1', raw: 'random.png', data: 'abc' })
    expect(two.forms).toEqual([['text', 'Test text\n with\r\n ümläuts!']])

    const stray =
      '--foo\r\nContent-Disposition: form-data; name="file1"; filename="random.png"\r\n\r\nabc--foo\r\n' +
      'Content-Disposition: form-data; name="file2"; filename="random.png"\r\n\r\nabc\r\n--foo--'
    const three = (await post(client(reportingApp()), stray)).json<Report>()
    expect(three.files).toHaveLength(1)
    expect(three.files[0]!.data).toContain('name="file2"')
  })

  it('answers broken multipart bodies with a 400 naming the problem', async () => {
    const cases: [string, string, Record<string, string>, RegExp][] = [
      [
        'missing boundary',
        '--foo--\r\n',
        { 'content-type': 'multipart/form-data' },
        /Boundary not found/,
      ],
      [
        'no terminator',
        '--foo\r\nContent-Disposition: form-data; name="f"; filename="r.png"\r\n\r\nabc',
        CT,
        /Unexpected end of form/,
      ],
      [
        'no newline after content',
        '--foo\r\nContent-Disposition: form-data; name="f"; filename="r.png"\r\n\r\nabc--foo--',
        CT,
        /Unexpected end of form/,
      ],
      [
        'no start boundary',
        '--bar\r\n--nonsense\r\nContent-Disposition: form-data; name="f"\r\n\r\nabc\r\n--nonsense--',
        CT,
        /Unexpected end of form/,
      ],
      [
        'invalid header',
        '--foo\r\nContent-Disposition: form-data; name="f"\r\nBad header\r\n\r\nabc\r\n--foo--',
        CT,
        /Malformed part header/,
      ],
    ]
    for (const [what, body, headers, message] of cases) {
      const res = await post(client(reportingApp()), body, headers)
      expect(res.status, what).toBe(400)
      expect(res.text(), what).toMatch(message)
    }
  })

  it('several small uploads never trip a total-memory limit (Bottle #1470)', async () => {
    const parts: Part[] = []
    for (let i = 0; i < 40; i++)
      parts.push({ name: `f${i}`, filename: `f${i}.bin`, content: 'x'.repeat(10_000) })
    // 400 kB in total, each part well under memfileMax (100 kB by default).
    const data = (await post(client(reportingApp()), multipart(parts))).json<Report>()
    expect(data.files).toHaveLength(40)
    expect(
      data.files.every((f: { spooled: boolean; size: number }) => !f.spooled && f.size === 10_000)
    ).toBe(true)
  })
})

/** A body whose parts carry exactly the given header lines, with boundary `foo`. */
function rawParts(parts: { headers: string[]; content: string }[]): Buffer {
  let out = 'preamble\r\n'
  for (const p of parts) out += `--foo\r\n${p.headers.join('\r\n')}\r\n\r\n${p.content}\r\n`
  return Buffer.from(out + '--foo--\r\n')
}

/** Parts without, with and with look-alike Content-Type headers, files and fields mixed. */
const MIXED = rawParts([
  { headers: ['Content-Disposition: form-data; name="a"; filename="a.bin"'], content: 'A' },
  { headers: ['Content-Disposition: form-data; name="v1"'], content: 'plain field' },
  {
    headers: [
      'Content-Disposition: form-data; name="b"; filename="b.txt"',
      'Content-Type: text/plain',
    ],
    content: 'B',
  },
  {
    headers: [
      'content-type: image/png',
      'content-disposition: form-data; name="c"; filename="c.png"',
    ],
    content: 'C',
  },
  {
    headers: [
      'Content-Disposition: form-data; name="d"; filename="d.bin"',
      'X-Content-Type: image/gif',
      'Content-Type-Options: nosniff',
    ],
    content: 'Content-Type: text/html\r\n\r\nnot a header',
  },
  {
    headers: [
      'Content-Disposition: form-data; name="v2"',
      'Content-Type: text/plain; charset=utf-8',
    ],
    content: 'typed field',
  },
  {
    headers: [
      'CONTENT-TYPE: Application/JSON',
      'Content-Disposition: form-data; name="e"; filename="e.json"',
    ],
    content: '{}',
  },
  { headers: ['Content-Disposition: form-data; name="f"; filename="f.txt"'], content: 'F' },
  {
    headers: [
      'Content-Disposition: form-data; name="g"; filename="g.txt"',
      'Content-Type:   Text/Plain; charset=UTF-8',
    ],
    content: 'G',
  },
])

const MIXED_FILES = [
  ['a', '', 'A'],
  ['b', 'text/plain', 'B'],
  ['c', 'image/png', 'C'],
  ['d', '', 'Content-Type: text/html\r\n\r\nnot a header'],
  // As sent, the way Bottle reports it: case and parameters kept.
  ['e', 'Application/JSON', '{}'],
  ['f', '', 'F'],
  ['g', 'Text/Plain; charset=UTF-8', 'G'],
]

function typesApp(): Bottle {
  const app = new Bottle()
  app.post('/', () => ({
    forms: [...request.forms.allitems()],
    files: [...request.files.allitems()].map(([k, f]) => [
      k,
      f.contentType,
      f.file.read().toString('utf8'),
    ]),
    header: request.files.get('a')!.getHeader('Content-Type') ?? null,
  }))
  return app
}

describeMatrix('multipart part Content-Type', (client) => {
  it("a part sent without Content-Type has type '' (not busboy's text/plain), mixed with typed parts", async () => {
    const res = await post(client(typesApp()), MIXED)
    expect(res.status).toBe(200)
    expect(res.json()).toEqual({
      forms: [
        ['v1', 'plain field'],
        ['v2', 'typed field'],
      ],
      files: MIXED_FILES,
      header: null,
    })
  })
})

describe('multipart part Content-Type, body split at every byte (in-process)', () => {
  it('gives the same answer when every byte of the request arrives alone', async () => {
    const server = createServer(typesApp().handler)
    const [side, peer] = MemorySocket.pair()
    server.emit('connection', side)
    const chunks: Buffer[] = []
    peer.on('data', (c: Buffer) => chunks.push(c))
    const ended = new Promise((resolve) => peer.once('end', resolve))
    const head =
      'POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n' +
      `Content-Type: multipart/form-data; boundary=foo\r\nContent-Length: ${MIXED.length}\r\n\r\n`
    const bytes = Buffer.concat([Buffer.from(head), MIXED])
    for (let i = 0; i < bytes.length; i++) {
      peer.write(bytes.subarray(i, i + 1))
      // Let the parser take this byte before the next one arrives.
      await new Promise((resolve) => setImmediate(resolve))
    }
    await ended
    const text = Buffer.concat(chunks).toString('utf8')
    expect(text).toMatch(/^HTTP\/1\.1 200 /)
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({
      forms: [
        ['v1', 'plain field'],
        ['v2', 'typed field'],
      ],
      files: MIXED_FILES,
      header: null,
    })
  })
})

describeMatrix('multipart limits', (client) => {
  const files = (n: number): Part[] =>
    Array.from({ length: n }, (_, i) => ({ name: `f${i}`, filename: `${i}.txt`, content: 'x' }))
  const fields = (n: number): Part[] =>
    Array.from({ length: n }, (_, i) => ({ name: `v${i}`, content: 'x' }))

  it('accepts exactly the limit and answers one more with a 413 naming the limit', async () => {
    const cases: [Record<string, unknown>, Part[], Part[], RegExp][] = [
      [{ maxParts: 3 }, fields(3), fields(4), /Too many multipart parts \(limit 3\)/],
      [{ maxFields: 2 }, fields(2), fields(3), /Too many form fields \(limit 2\)/],
      [{ maxFiles: 2 }, files(2), files(3), /Too many uploaded files \(limit 2\)/],
      [
        { maxFieldSize: 5 },
        [{ name: 'a', content: '12345' }],
        [{ name: 'a', content: '123456' }],
        /Form field "a" too large \(limit 5 bytes\)/,
      ],
      [
        { maxFileSize: 5 },
        [{ name: 'a', filename: 'a', content: '12345' }],
        [{ name: 'a', filename: 'a', content: '123456' }],
        /Uploaded file "a" too large \(limit 5 bytes\)/,
      ],
    ]
    for (const [limits, ok, tooMany, message] of cases) {
      const c = client(reportingApp(limits))
      const good = await post(c, multipart(ok))
      expect(good.status, JSON.stringify(limits)).toBe(200)
      const bad = await post(c, multipart(tooMany))
      expect(bad.status, JSON.stringify(limits)).toBe(413)
      expect(bad.text().replace(/&quot;/g, '"')).toMatch(message)
    }
  })

  it('takes limits per route, overriding the app', async () => {
    const app = new Bottle({ maxFileSize: 5 })
    app.post('/big', { maxFileSize: 100 }, () => String(request.files.get('a')!.contentLength))
    app.post('/small', () => String(request.files.get('a')!.contentLength))
    const body = multipart([{ name: 'a', filename: 'a', content: 'x'.repeat(50) }])
    const c = client(app)
    expect((await c.post('/big', { body, headers: CT })).text()).toBe('50')
    expect((await c.post('/small', { body, headers: CT })).status).toBe(413)
  })
})

describe('urlencoded limits', () => {
  it('answers more than maxFields urlencoded pairs with a 413', async () => {
    const { TestClient } = await import('bottle-ts/testing')
    const app = new Bottle({ maxFields: 3 })
    app.post('/', () => String(request.forms.size))
    const c = new TestClient(app)
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    expect((await c.post('/', { body: 'a=1&b=2&c=3', headers: form })).text()).toBe('3')
    const res = await c.post('/', { body: 'a=1&b=2&c=3&d=4', headers: form })
    expect(res.status).toBe(413)
    expect(res.text()).toContain('Too many form fields (limit 3)')
  })
})
