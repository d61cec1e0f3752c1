/**
 * BaseRequest without bodies: request line, path and script-name normalisation,
 * pathShift, URL rebuilding, headers, cookies, query, auth, XHR and the trusted-proxy
 * rules; and the URL math of redirect(). Ports the request-line, header, URL and
 * redirect parts of Bottle's test_environ.py.
 */
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { IncomingMessage, createServer, request as httpRequest } from 'node:http'
import { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BaseRequest, Bottle, pathShift, redirect, request } from 'bottle-ts'
import type { TrustProxy } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import { isUnixPeer } from '../src/internal/proxy.js'
import { describeMatrix, listen } from './_helpers.js'

/** A Node request object as the HTTP parser would build it, without a connection. */
function fakeReq(init: {
  method?: string
  url?: string
  headers?: [string, string][]
  remoteAddress?: string
}): IncomingMessage {
  const socket = new Socket()
  Object.defineProperty(socket, 'remoteAddress', { value: init.remoteAddress ?? '127.0.0.1' })
  const req = new IncomingMessage(socket)
  req.method = init.method ?? 'GET'
  req.url = init.url ?? '/'
  for (const [k, v] of init.headers ?? []) {
    req.rawHeaders.push(k, v)
    const key = k.toLowerCase()
    const prev = req.headers[key]
    req.headers[key] = prev === undefined ? v : `${String(prev)}, ${v}`
  }
  return req
}

function make(init: Parameters<typeof fakeReq>[0] = {}, app: Bottle | null = null): BaseRequest {
  return new BaseRequest(fakeReq(init), app)
}

describe('BaseRequest: request line', () => {
  it('normalises the path to start with exactly one slash', () => {
    const req = fakeReq({})
    const cases: [string, string][] = [
      ['', '/'],
      ['x', '/x'],
      ['x/', '/x/'],
      ['/x', '/x'],
      ['/x/', '/x/'],
      ['///', '/'],
      ['//x', '/x'],
    ]
    for (const [raw, norm] of cases) expect(new BaseRequest(req, null, raw).path, raw).toBe(norm)
  })

  it('upper-cases the method, GET by default', () => {
    expect(make({ method: 'GET' }).method).toBe('GET')
    expect(make({ method: 'GeT' }).method).toBe('GET')
    expect(make({ method: 'post' }).method).toBe('POST')
    expect(make({ method: 'FanTASY' }).method).toBe('FANTASY')
    const noMethod = fakeReq({})
    noMethod.method = undefined
    expect(new BaseRequest(noMethod).method).toBe('GET')
  })

  it('splits the query string from the path', () => {
    const r = make({ url: '/p/a?x=1&y=2' })
    expect(r.path).toBe('/p/a')
    expect(r.queryString).toBe('x=1&y=2')
  })

  it('normalises the script name to a slash on both sides', () => {
    const cases: [string, string][] = [
      ['', '/'],
      ['x', '/x/'],
      ['x/', '/x/'],
      ['/x', '/x/'],
      ['/x/', '/x/'],
      ['///', '/'],
      ['///x///', '/x/'],
    ]
    for (const [raw, norm] of cases) {
      const r = make()
      r.scriptName = raw
      expect(r.scriptName, raw).toBe(norm)
    }
    expect(make().scriptName).toBe('/')
  })

  it('pathShift moves segments between script name and path', () => {
    const cases: [string, string, number, string, string][] = [
      ['/a/b', '/c/d', 0, '/a/b', '/c/d'],
      ['/a/b', '/c/d/', 0, '/a/b', '/c/d/'],
      ['/a/b', '/c/d', 1, '/a/b/c', '/d'],
      ['/a/b', '/c/d', -1, '/a', '/b/c/d'],
      ['/a/b', '/c/d/', 1, '/a/b/c', '/d/'],
      ['/a/b', '/c/d/', -1, '/a', '/b/c/d/'],
      ['/a/b/', '/c/d/', 1, '/a/b/c', '/d/'],
      ['/a/b/', '/c/d/', -1, '/a', '/b/c/d/'],
      ['/', '/a/b/c/d', 4, '/a/b/c/d', '/'],
      ['/a/b/c/d', '/', -4, '/', '/a/b/c/d/'],
    ]
    for (const [script, path, shift, s2, p2] of cases) {
      expect(pathShift(script, path, shift), `${script} ${path} ${shift}`).toEqual([s2, p2])
    }
    expect(() => pathShift('/a/b', '/c/d', 3)).toThrow(/Cannot shift/)
    expect(() => pathShift('/a/b', '/c/d', -3)).toThrow(/Cannot shift/)
  })

  it('request.pathShift updates scriptName, path and fullpath together', () => {
    const r = new BaseRequest(fakeReq({}), null, '/c/d')
    r.scriptName = '/a/b'
    r.pathShift(1)
    expect([r.scriptName, r.path, r.fullpath]).toEqual(['/a/b/c/', '/d', '/a/b/c/d'])
    r.pathShift(-2)
    expect([r.scriptName, r.path, r.fullpath]).toEqual(['/a/', '/b/c/d', '/a/b/c/d'])
  })
})

describe('BaseRequest: URL', () => {
  it('rebuilds the URL from Host, script name, path and raw query', () => {
    expect(make({ headers: [['Host', 'example.com']] }).url).toBe('http://example.com/')
    expect(make({ headers: [['Host', 'example.com:81']] }).url).toBe('http://example.com:81/')
    const r = new BaseRequest(
      fakeReq({ headers: [['Host', 'example.com']] }),
      null,
      '/path',
      '1=b&c=d'
    )
    r.scriptName = '/sp'
    expect(r.url).toBe('http://example.com/sp/path?1=b&c=d')
    expect(r.fullpath).toBe('/sp/path')
    expect(r.urlparts).toEqual({
      scheme: 'http',
      netloc: 'example.com',
      path: '/sp/path',
      query: '1=b&c=d',
      fragment: '',
    })
  })

  it('fullpath and url resolve dot segments as Bottle does; path keeps them', () => {
    // [path as decoded, fullpath] as Bottle 0.12 answers, except `/../../x` (Bottle: `x`).
    const cases: [string, string][] = [
      ['/s/../app.py', '/app.py'],
      ['/a/./b', '/a/b'],
      ['/../../x', '/x'],
      ['/a/b/..', '/a/'],
      ['/a/b/.', '/a/b/'],
      ['/a/b/../', '/a/'],
      ['/..', '/'],
      ['/.', '/'],
      ['/./x', '/x'],
      ['/.../x', '/.../x'],
      ['/a/.b/..c', '/a/.b/..c'],
      ['/a/b', '/a/b'],
    ]
    for (const [path, full] of cases) {
      const r = new BaseRequest(fakeReq({ headers: [['Host', 'h']] }), null, path, 'q=1')
      expect([r.path, r.fullpath, r.url], path).toEqual([path, full, `http://h${full}?q=1`])
    }
  })

  it('dot segments resolve across the script name but never above the root', () => {
    const r = new BaseRequest(fakeReq({ headers: [['Host', 'h']] }), null, '/../../x/./y')
    r.scriptName = '/app/sub'
    expect([r.path, r.fullpath, r.url]).toEqual(['/../../x/./y', '/x/y', 'http://h/x/y'])
    r.pathInfo = '/../z/..'
    expect(r.fullpath).toBe('/app/')
  })

  it('percent-encodes the path but passes the query through', () => {
    const r = new BaseRequest(
      fakeReq({ headers: [['Host', 'example.com']] }),
      null,
      '/pa th',
      'q=a b'
    )
    r.scriptName = '/s p'
    expect(r.url).toBe('http://example.com/s%20p/pa%20th?q=a b')
  })

  it('falls back to the local address without a Host header', () => {
    const req = fakeReq({})
    Object.defineProperty(req.socket, 'localAddress', { value: '10.0.0.1' })
    Object.defineProperty(req.socket, 'localPort', { value: 8080 })
    expect(new BaseRequest(req).url).toBe('http://10.0.0.1:8080/')
    const req80 = fakeReq({})
    Object.defineProperty(req80.socket, 'localAddress', { value: '10.0.0.1' })
    Object.defineProperty(req80.socket, 'localPort', { value: 80 })
    expect(new BaseRequest(req80).url).toBe('http://10.0.0.1/')
  })

  it('believes X-Forwarded-Proto/-Host only from a trusted proxy', () => {
    const headers: [string, string][] = [
      ['Host', 'internal:8080'],
      ['X-Forwarded-Proto', 'https'],
      ['X-Forwarded-Host', 'example.com'],
    ]
    expect(make({ headers }, new Bottle()).url).toBe('http://internal:8080/')
    expect(make({ headers }, new Bottle({ trustProxy: true })).url).toBe('https://example.com/')
    expect(make({ headers }, new Bottle({ trustProxy: ['127.0.0.1'] })).url).toBe(
      'https://example.com/'
    )
    expect(
      make({ headers, remoteAddress: '203.0.113.9' }, new Bottle({ trustProxy: ['127.0.0.1'] })).url
    ).toBe('http://internal:8080/')
  })
})

describe('BaseRequest: headers, cookies, query', () => {
  it('reads headers case-insensitively, with a fallback', () => {
    const r = make({
      headers: [
        ['Some-Header', 'some value'],
        ['Content-Type', 'Text/HTML; Charset=UTF-8'],
        ['Content-Length', '123'],
      ],
    })
    expect(r.headers.get('some-header')).toBe('some value')
    expect(r.headers.has('SOME-HEADER')).toBe(true)
    expect(r.getHeader('Some-Header')).toBe('some value')
    expect(r.getHeader('missing')).toBeUndefined()
    expect(r.getHeader('missing', 5)).toBe(5)
    expect(r.headers.get('Content-Length')).toBe('123')
    expect(r.contentType).toBe('text/html; charset=utf-8')
    expect(r.contentLength).toBe(123)
  })

  it('decodes UTF-8 header bytes and keeps other bytes as latin1 text', () => {
    const r = make({
      headers: [
        ['X-Utf8', Buffer.from('瓶 öäü').toString('latin1')],
        ['X-Latin1', '\u00e9t\u00e9'],
      ],
    })
    expect(r.getHeader('x-utf8')).toBe('瓶 öäü')
    expect(r.headers.get('X-UTF8')).toBe('瓶 öäü')
    expect(r.getHeader('x-latin1')).toBe('été')
    expect(r.headers.get('x-latin1')).toBe('été')
  })

  it('contentLength is -1 when missing or not a number; contentType "" when missing', () => {
    expect(make().contentLength).toBe(-1)
    expect(make({ headers: [['Content-Length', 'abc']] }).contentLength).toBe(-1)
    expect(make().contentType).toBe('')
  })

  it('reads cookies; for a repeated name the last value wins, as in Bottle', () => {
    const cases: [string, Record<string, string>][] = [
      ['a=a', { a: 'a' }],
      ['a=a; b=b', { a: 'a', b: 'b' }],
      ['a=a; a=b', { a: 'b' }],
    ]
    for (const [header, expected] of cases) {
      const r = make({ headers: [['Cookie', header]] })
      for (const [name, value] of Object.entries(expected)) {
        expect(r.cookies.get(name), header).toBe(value)
        expect(r.getCookie(name), header).toBe(value)
      }
    }
    const r = make({ headers: [['Cookie', 'e=']] })
    expect(r.getCookie('e', { default: 'dflt' })).toBe('dflt')
    expect(r.getCookie('missing')).toBeUndefined()
  })

  it('parses the query string: repeated keys, + as space, UTF-8 escapes', () => {
    const r = new BaseRequest(fakeReq({}), null, '/', 'a=a&a=1&b=b&c=c&cn=%e7%93%b6&s=x+y&k')
    expect(r.query.has('a')).toBe(true)
    expect(r.query.getall('a')).toEqual(['a', '1'])
    expect(r.query.getall('b')).toEqual(['b'])
    expect(r.query.get('a')).toBe('1')
    expect(r.query.get('cn')).toBe('瓶')
    expect((r.query as unknown as Record<string, string>).cn).toBe('瓶')
    expect((r.query as unknown as Record<string, string>).nothing).toBe('')
    expect(r.query.get('s')).toBe('x y')
    expect(r.query.get('k')).toBe('')
    expect(r.GET).toBe(r.query)
  })

  it('keeps malformed escapes in the query as text and replaces invalid UTF-8', () => {
    const r = new BaseRequest(fakeReq({}), null, '/', 'a=%zz&b=%E7%93&c=100%&d=%41%e7%93%b6')
    expect(r.query.get('a')).toBe('%zz')
    expect(r.query.get('b')).toBe('\ufffd')
    expect(r.query.get('c')).toBe('100%')
    expect(r.query.get('d')).toBe('A瓶')
  })

  it('treats ";" as data in the query string (CVE-2020-28473)', () => {
    const r = new BaseRequest(fakeReq({}), null, '/', 'a=1;b=2')
    expect(r.query.get('a')).toBe('1;b=2')
    expect(r.query.has('b')).toBe(false)
  })

  it('isXhr / isAjax follow X-Requested-With, case-insensitively', () => {
    expect(make().isAjax).toBe(false)
    expect(make({ headers: [['X-Requested-With', 'XMLHttpRequest']] }).isAjax).toBe(true)
    expect(make({ headers: [['X-Requested-With', 'xmlhttprequest']] }).isXhr).toBe(true)
  })

  it('auth decodes HTTP Basic credentials, null otherwise', () => {
    const basic = Buffer.from('marc:sec:ret').toString('base64')
    expect(make().auth).toBeNull()
    expect(make({ headers: [['Authorization', `basic ${basic}`]] }).auth).toEqual([
      'marc',
      'sec:ret',
    ])
    expect(make({ headers: [['Authorization', 'Bearer abc']] }).auth).toBeNull()
    expect(make({ headers: [['Authorization', 'Basic !!!']] }).auth).toBeNull()
    const noColon = Buffer.from('nocolon').toString('base64')
    expect(make({ headers: [['Authorization', `Basic ${noColon}`]] }).auth).toBeNull()
  })
})

describe('BaseRequest: remote address and trusted proxies', () => {
  const xff: [string, string][] = [['X-Forwarded-For', '1.2.3.4, 2.3.4.5, 3.4.5.6']]
  const route = (trustProxy?: TrustProxy, remoteAddress = '127.0.0.1'): string[] =>
    make(
      { headers: xff, remoteAddress },
      new Bottle(trustProxy === undefined ? {} : { trustProxy })
    ).remoteRoute

  it('ignores X-Forwarded-For unless the proxy is trusted (Bottle trusts everyone)', () => {
    expect(route()).toEqual(['127.0.0.1'])
    expect(make({ headers: xff }, new Bottle()).remoteAddr).toBe('127.0.0.1')
    expect(make({}, new Bottle()).remoteRoute).toEqual(['127.0.0.1'])
  })

  it('follows a trustProxy setting changed after the first request', () => {
    const app = new Bottle()
    expect(make({ headers: xff }, app).remoteAddr).toBe('127.0.0.1')
    app.config.set('trustProxy', true)
    expect(make({ headers: xff }, app).remoteAddr).toBe('1.2.3.4')
  })

  it('trustProxy: true believes the whole chain, as Bottle does', () => {
    expect(route(true)).toEqual(['1.2.3.4', '2.3.4.5', '3.4.5.6', '127.0.0.1'])
    expect(make({ headers: xff }, new Bottle({ trustProxy: true })).remoteAddr).toBe('1.2.3.4')
  })

  it('a hop count believes that many proxies', () => {
    expect(route(1)).toEqual(['3.4.5.6', '127.0.0.1'])
    expect(route(2)).toEqual(['2.3.4.5', '3.4.5.6', '127.0.0.1'])
  })

  it('a CIDR list believes hops inside it only', () => {
    expect(route(['127.0.0.1/8', '3.4.5.0/24'])).toEqual(['2.3.4.5', '3.4.5.6', '127.0.0.1'])
    expect(route(['10.0.0.0/8'])).toEqual(['127.0.0.1'])
    expect(route('loopback')).toEqual(['3.4.5.6', '127.0.0.1'])
  })

  it('a function decides per hop', () => {
    expect(route((addr) => addr === '127.0.0.1')).toEqual(['3.4.5.6', '127.0.0.1'])
  })

  it('refuses a malformed trustProxy setting with a clear error', () => {
    expect(
      () => make({ headers: xff }, new Bottle({ trustProxy: ['not-an-ip'] })).remoteRoute
    ).toThrow(/not-an-ip/)
  })
})

describe('BaseRequest: trusted proxies on a Unix socket', () => {
  let dir = ''
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bottle-ts-unix-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const ask = async (trustProxy: TrustProxy | undefined, name: string): Promise<unknown> => {
    const app = new Bottle(trustProxy === undefined ? {} : { trustProxy })
    app.get('/', () => JSON.stringify([request.remoteRoute, request.remoteAddr, request.url]))
    const path = join(dir, `${name}.sock`)
    const server = createServer(app.handler).listen(path)
    await once(server, 'listening')
    try {
      const text = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(
          {
            socketPath: path,
            path: '/',
            headers: {
              Host: 'internal:8080',
              'X-Forwarded-For': '1.2.3.4, 2.3.4.5',
              'X-Forwarded-Proto': 'https',
              'X-Forwarded-Host': 'example.com',
            },
          },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () => resolve(Buffer.concat(chunks).toString()))
          }
        )
        req.on('error', reject)
        req.end()
      })
      return JSON.parse(text)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }

  it("'loopback' trusts the peer: a Unix socket is local by definition", async () => {
    expect(await ask('loopback', 'loopback')).toEqual([
      ['2.3.4.5'],
      '2.3.4.5',
      'https://example.com/',
    ])
    expect(await ask(['loopback', '2.3.4.0/24'], 'list')).toEqual([
      ['1.2.3.4', '2.3.4.5'],
      '1.2.3.4',
      'https://example.com/',
    ])
  })

  it('other settings keep their meaning for a Unix-socket peer', async () => {
    const untrusted = [[], null, 'http://internal:8080/']
    expect(await ask(undefined, 'default')).toEqual(untrusted)
    expect(await ask(['10.0.0.0/8'], 'cidr')).toEqual(untrusted)
    expect(await ask(true, 'all')).toEqual([
      ['1.2.3.4', '2.3.4.5'],
      '1.2.3.4',
      'https://example.com/',
    ])
  })

  it('an address-less socket is local only when its server listens on a path', () => {
    // An unconnected socket has no address, as one closed before it was read.
    const socket = (server: unknown, remoteAddress?: string): Socket =>
      remoteAddress === undefined
        ? Object.assign(new Socket(), { server })
        : ({ server, remoteAddress } as unknown as Socket)
    const on = (address: unknown): unknown => ({ address: () => address })
    expect(isUnixPeer(socket(on('/run/app.sock')))).toBe(true)
    expect(isUnixPeer(socket(on({ address: '0.0.0.0', port: 80 })))).toBe(false)
    expect(isUnixPeer(socket(on(null)))).toBe(false)
    expect(isUnixPeer(socket(undefined))).toBe(false)
    expect(isUnixPeer(socket(on('/run/app.sock'), '127.0.0.1'))).toBe(false)
    expect(isUnixPeer(undefined)).toBe(false)
  })
})

describeMatrix('BaseRequest in a request', (client) => {
  it('request.app, route and urlArgs are set for the callback, route is null in before_request', async () => {
    const app = new Bottle()
    const seen: unknown[] = []
    app.hook('before_request')(() => void seen.push(request.route))
    app.get('/x/<id:int>', () => {
      seen.push(request.app === app, request.route === app.routes[0], request.urlArgs)
      return 'ok'
    })
    await client(app).get('/x/3')
    expect(seen).toEqual([null, true, true, { id: 3 }])
  })

  it('exposes the Node request as raw, and the decoded path', async () => {
    const app = new Bottle()
    app.get('/<p:path>', () =>
      JSON.stringify([request.raw.url, request.path, request.fullpath, request.queryString])
    )
    const res = await client(app).get('/a%20b/c?x=%41')
    expect(JSON.parse(res.text())).toEqual(['/a%20b/c?x=%41', '/a b/c', '/a b/c', 'x=%41'])
  })

  it('reads repeated request headers joined by Node, and the query', async () => {
    const app = new Bottle()
    app.get('/', () =>
      JSON.stringify([request.getHeader('x-test'), request.query.getall('a'), request.isAjax])
    )
    const res = await client(app).get('/?a=1&a=2', {
      // UTF-8 bytes on the wire, as browsers send them.
      headers: {
        'X-Test': Buffer.from('öäü').toString('latin1'),
        'X-Requested-With': 'XMLHttpRequest',
      },
    })
    const [header, all, ajax] = JSON.parse(res.text()) as [string, string[], boolean]
    expect(header).toBe('öäü')
    expect(all).toEqual(['1', '2'])
    expect(ajax).toBe(true)
  })

  it('remoteAddr is the socket peer by default', async () => {
    const app = new Bottle()
    app.get('/', () => String(request.remoteAddr))
    const res = await client(app).get('/', { headers: { 'X-Forwarded-For': '6.6.6.6' } })
    expect(res.text()).toMatch(/^(127\.0\.0\.1|::ffff:127\.0\.0\.1)$/)
  })
})

describe('BaseRequest: dot segments on the wire', () => {
  const dotApp = (): Bottle => {
    const app = new Bottle()
    app.get('/s/<p:path>', () =>
      JSON.stringify([request.path, request.urlArgs.p, request.fullpath, request.url])
    )
    return app
  }
  const expected = (host: string): unknown[] => [
    '/s/../app.py',
    '../app.py',
    '/app.py',
    `http://${host}/app.py?x=1`,
  ]

  it('routes on the path as sent, while url and fullpath resolve them (in-process)', async () => {
    const res = await new TestClient(dotApp()).get('/s/%2e%2e/app.py?x=1', {
      headers: { Host: 'h' },
    })
    expect(JSON.parse(res.text())).toEqual(expected('h'))
  })

  it('routes on the path as sent, while url and fullpath resolve them (socket)', async () => {
    // A WHATWG URL would resolve the dots before sending, so the path goes in as given.
    const server = await listen(dotApp())
    try {
      const text = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port: server.port, path: '/s/%2e%2e/app.py?x=1', agent: false },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () => resolve(Buffer.concat(chunks).toString()))
          }
        )
        req.on('error', reject)
        req.end()
      })
      expect(JSON.parse(text)).toEqual(expected(`127.0.0.1:${server.port}`))
    } finally {
      await server.close()
    }
  })
})

describe('redirect: URL resolution', () => {
  /** Redirects from `path` (with an optional script name) to `target`; returns the Location. */
  async function location(
    target: string,
    init: { path?: string; script?: string; headers?: Record<string, string>; app?: Bottle } = {}
  ): Promise<[number, string | undefined]> {
    const app = init.app ?? new Bottle()
    app.route(['/', '/<p:path>'], { method: 'ANY' }, () => {
      if (init.script) request.scriptName = init.script
      redirect(target)
    })
    const res = await new TestClient(app).get(encodeURI(init.path ?? '/'), {
      headers: { host: '127.0.0.1', ...init.headers },
    })
    return [res.status, res.header('location')]
  }

  it('resolves absolute paths against the host', async () => {
    expect(await location('/')).toEqual([303, 'http://127.0.0.1/'])
    expect(await location('/test.html')).toEqual([303, 'http://127.0.0.1/test.html'])
    expect((await location('/test.html', { path: '/some/sub/path/' }))[1]).toBe(
      'http://127.0.0.1/test.html'
    )
    expect((await location('/test.html', { script: '/some/sub/path/' }))[1]).toBe(
      'http://127.0.0.1/test.html'
    )
    expect((await location('/foo/test.html', { path: '/some/sub/file.html' }))[1]).toBe(
      'http://127.0.0.1/foo/test.html'
    )
  })

  it('resolves relative paths against the full request URL, script name included', async () => {
    const cases: [string, { path?: string; script?: string }, string][] = [
      ['./', {}, 'http://127.0.0.1/'],
      ['./test.html', {}, 'http://127.0.0.1/test.html'],
      ['./test.html', { path: '/foo/' }, 'http://127.0.0.1/foo/test.html'],
      ['./test.html', { path: '/foo/bar.html' }, 'http://127.0.0.1/foo/test.html'],
      ['./test.html', { script: '/foo/' }, 'http://127.0.0.1/foo/test.html'],
      [
        './test.html',
        { script: '/foo/', path: '/bar/baz.html' },
        'http://127.0.0.1/foo/bar/test.html',
      ],
      ['./foo/test.html', {}, 'http://127.0.0.1/foo/test.html'],
      ['./foo/test.html', { path: '/bar/file.html' }, 'http://127.0.0.1/bar/foo/test.html'],
      ['../test.html', { path: '/foo/' }, 'http://127.0.0.1/test.html'],
      ['../test.html', { path: '/foo/bar/' }, 'http://127.0.0.1/foo/test.html'],
      ['../test.html', { path: '/foo/bar.html' }, 'http://127.0.0.1/test.html'],
      ['../test.html', { script: '/foo/' }, 'http://127.0.0.1/test.html'],
      [
        '../test.html',
        { script: '/foo/', path: '/bar/baz.html' },
        'http://127.0.0.1/foo/test.html',
      ],
      ['../baz/../test.html', { path: '/foo/bar/' }, 'http://127.0.0.1/foo/test.html'],
    ]
    for (const [target, init, expected] of cases) {
      expect((await location(target, init))[1], `${target} ${JSON.stringify(init)}`).toBe(expected)
    }
  })

  it('uses the Host header, its port, and a trusted proxy host and scheme', async () => {
    expect((await location('./test.html', { headers: { host: 'example.com' } }))[1]).toBe(
      'http://example.com/test.html'
    )
    expect((await location('./test.html', { headers: { host: 'example.com:81' } }))[1]).toBe(
      'http://example.com:81/test.html'
    )
    const fwd = { 'X-Forwarded-Host': 'example.com', 'X-Forwarded-Proto': 'https' }
    expect((await location('./test.html', { headers: fwd }))[1]).toBe('http://127.0.0.1/test.html')
    expect(
      (await location('./test.html', { headers: fwd, app: new Bottle({ trustProxy: true }) }))[1]
    ).toBe('https://example.com/test.html')
  })

  it('percent-encodes the target to ASCII (Bottle leaves it unquoted)', async () => {
    const [, loc] = await location('./te st.html', {
      headers: { host: 'example.com' },
      script: '/a a/',
      path: '/b b/',
    })
    expect(loc).toBe('http://example.com/a%20a/b%20b/te%20st.html')
    expect((await location('/ü?x=ä'))[1]).toBe('http://127.0.0.1/%C3%BC?x=%C3%A4')
  })

  it('refuses CR, LF and NUL in the target: a 500, never a split header', async () => {
    const app = new Bottle()
    app.logError = () => {}
    for (const bad of ['/x\r\nSet-Cookie: a=b', '/x\nX-Injected: 1', '/x\0']) {
      const a = new Bottle()
      a.logError = () => {}
      const [status, loc] = await location(bad, { app: a })
      expect(status, JSON.stringify(bad)).toBe(500)
      expect(loc).toBeUndefined()
    }
    expect(() => redirect('/x\r\ny')).toThrow(/CR, LF or NUL/)
  })

  it('a malformed Host header makes a redirect a 400 naming the header', async () => {
    const app = new Bottle()
    app.get('/', () => redirect('/yes'))
    const c = new TestClient(app)
    for (const host of ['exa mple.com', '[::1', 'x:99999']) {
      const raw = (
        await c.raw(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
      ).toString('latin1')
      expect(raw, host).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
      expect(raw, host).toContain('Invalid Host header')
      expect(raw, host).not.toContain('Location:')
    }
  })

  it('answers 302 to HTTP/1.0 clients and 303 to HTTP/1.1 clients', async () => {
    const app = new Bottle()
    app.get('/', () => redirect('/yes'))
    app.get('/one', () => redirect('/yes', 305))
    const c = new TestClient(app)
    const http10 = (await c.raw('GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n')).toString('latin1')
    expect(http10).toMatch(/^HTTP\/1\.1 302 Found\r\n/)
    expect(http10).toContain('\r\nLocation: http://127.0.0.1/yes\r\n')
    const noHost = (await c.raw('GET / HTTP/1.0\r\n\r\n')).toString('latin1')
    expect(noHost).toContain('\r\nLocation: http://127.0.0.1/yes\r\n')
    const explicit = (await c.raw('GET /one HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n')).toString(
      'latin1'
    )
    expect(explicit).toMatch(/^HTTP\/1\.1 305 /)
    const http11 = (
      await c.raw('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
    ).toString('latin1')
    expect(http11).toMatch(/^HTTP\/1\.1 303 See Other\r\n/)
  })

  it('routes absolute-form request targets by their path', async () => {
    const app = new Bottle()
    app.get('/path', () => `${request.path} ${request.queryString}`)
    const raw = (
      await new TestClient(app).raw(
        'GET http://example.com/path?q=1 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n'
      )
    ).toString('latin1')
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK/)
    expect(raw.endsWith('/path q=1')).toBe(true)
  })
})
