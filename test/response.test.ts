/**
 * BaseResponse: status parsing, headers (case-insensitive, CR/LF/NUL refused), typed
 * header properties, cookies and copy(); and HeaderDict. Ports the response parts of
 * Bottle's test_environ.py and the HeaderDict parts of test_mdict.py.
 */
import { describe, expect, it } from 'vitest'
import { BaseResponse, Bottle, HTTPResponse, HeaderDict, response } from 'bottle-ts'
import { describeMatrix } from './_helpers.js'

function setCookies(r: BaseResponse): string[] {
  return [...r.iterHeaders()].filter(([k]) => k.toLowerCase() === 'set-cookie').map(([, v]) => v)
}

describe('BaseResponse: constructor', () => {
  it('keeps the body', () => {
    expect(new BaseResponse('').body).toBe('')
    expect(new BaseResponse('YAY').body).toBe('YAY')
  })

  it('takes a status as a number or a status line', () => {
    expect(new BaseResponse('YAY', 200).statusCode).toBe(200)
    expect(new BaseResponse('YAY', 200).statusLine).toBe('200 OK')
    expect(new BaseResponse('YAY', '200 YAY').statusLine).toBe('200 YAY')
    expect(new BaseResponse('YAY', '200 YAY').statusCode).toBe(200)
  })

  it('takes headers as an object or a list of pairs, repeated names kept', () => {
    expect(new BaseResponse('', 200, { 'x-test': 'yay' }).getHeader('X-Test')).toBe('yay')
    const r = new BaseResponse('', 200, [
      ['X-A', '1'],
      ['x-a', '2'],
    ])
    expect(r.headers.getall('X-A')).toEqual(['1', '2'])
  })

  it('defaults to 200 OK, and HTTPError to 500', async () => {
    expect(new BaseResponse().statusLine).toBe('200 OK')
    const { HTTPError } = await import('bottle-ts')
    expect(new HTTPError().statusLine).toBe('500 Internal Server Error')
  })
})

describe('BaseResponse: status', () => {
  it('sets numbers and lines, unknown codes read "Unknown", custom reasons are kept', () => {
    const rs = new BaseResponse()
    rs.status = 200
    expect(rs.status).toBe(rs.statusLine)
    expect(rs.statusCode).toBe(200)
    expect(rs.statusLine).toBe('200 OK')
    rs.status = 999
    expect(rs.status).toBe('999 Unknown')
    expect(rs.statusCode).toBe(999)
    rs.status = 404
    expect(rs.statusLine).toBe('404 Not Found')
    rs.status = '999 Who knows?'
    expect(rs.statusCode).toBe(999)
    expect(rs.statusLine).toBe('999 Who knows?')
    rs.status = 555
    expect(rs.statusLine).toBe('555 Unknown')
    rs.status = '404 Brain not Found'
    expect(rs.statusCode).toBe(404)
    expect(rs.statusLine).toBe('404 Brain not Found')
  })

  it('refuses invalid statuses and keeps the previous value', () => {
    const rs = new BaseResponse()
    rs.status = '404 Brain not Found'
    const bad: (number | string)[] = [
      -200,
      5,
      1000,
      200.5,
      Number.NaN,
      '5 Illegal Code',
      '-99 Illegal Code',
      '1000 Illegal Code',
      '555',
      '',
      'OK 200',
      '200 OK\r\nX-Injected: 1',
      '200 OK\nX',
      '200 OK\0',
    ]
    for (const value of bad) {
      expect(() => (rs.status = value), JSON.stringify(value)).toThrow()
      expect(rs.statusCode).toBe(404)
      expect(rs.statusLine).toBe('404 Brain not Found')
    }
  })

  it('keeps non-ASCII reason phrases', () => {
    const rs = new BaseResponse()
    rs.status = '400 Non-ASÎÎ'
    expect(rs.statusCode).toBe(400)
    expect(rs.statusLine).toBe('400 Non-ASÎÎ')
  })
})

describe('BaseResponse: headers', () => {
  it('setHeader replaces, case-insensitively', () => {
    const r = new BaseResponse()
    r.setHeader('x-test', 'foo')
    expect(r.headers.getall('X-Test')).toEqual(['foo'])
    expect(r.getHeader('x-test')).toBe('foo')
    r.setHeader('X-Test', 'bar')
    expect(r.headers.getall('x-test')).toEqual(['bar'])
    expect(r.getHeader('X-TEST')).toBe('bar')
  })

  it('addHeader appends; getHeader returns the last value', () => {
    const r = new BaseResponse()
    r.setHeader('x-test', 'foo')
    r.addHeader('X-Test', 'bar')
    const sent = [...r.iterHeaders()].filter(([k]) => k.toLowerCase() === 'x-test')
    expect(sent.map(([, v]) => v)).toEqual(['foo', 'bar'])
    expect(r.getHeader('x-test')).toBe('bar')
  })

  it('deleteHeader removes every value; getHeader then gives the fallback', () => {
    const r = new BaseResponse()
    r.setHeader('x-test', 'foo')
    r.addHeader('x-test', 'bar')
    r.deleteHeader('X-tESt')
    expect(r.hasHeader('x-test')).toBe(false)
    expect(r.getHeader('x-test')).toBeUndefined()
    expect(r.getHeader('x-test', 'none')).toBe('none')
  })

  it('turns numbers into strings and keeps non-ASCII text', () => {
    const r = new BaseResponse()
    r.setHeader('x-test', 5)
    expect(r.getHeader('x-test')).toBe('5')
    r.setHeader('x-test', '瓶')
    expect(r.getHeader('x-test')).toBe('瓶')
  })

  it('refuses CR, LF and NUL in names and values, through every setter', () => {
    const masks = ['{}test', 'test{}', 'te{}st']
    const tests = ['\n', '\r', '\n\r', '\0']
    for (const mask of masks) {
      for (const t of tests) {
        const bad = mask.replace('{}', t)
        const rs = new BaseResponse()
        for (const api of ['setHeader', 'addHeader'] as const) {
          expect(() => rs[api](bad, 'test-value'), `${api} name ${JSON.stringify(bad)}`).toThrow()
          expect(() => rs[api]('test-name', bad), `${api} value ${JSON.stringify(bad)}`).toThrow()
        }
        expect(() => (rs.contentType = bad)).toThrow()
        expect(rs.hasHeaders).toBe(false)
        const hd = new HeaderDict()
        for (const api of ['append', 'replace', 'set'] as const) {
          expect(() => hd[api](bad, 'test-value'), `HeaderDict.${api} name`).toThrow()
          expect(() => hd[api]('test-name', bad), `HeaderDict.${api} value`).toThrow()
        }
        expect(hd.size).toBe(0)
      }
    }
  })

  it('refuses other control characters than tab in values, naming them', () => {
    const r = new BaseResponse()
    expect(() => r.setHeader('X-Test', 'a\u0001b')).toThrow(/U\+0001/)
    expect(() => r.addHeader('X-Test', 'a\u007fb')).toThrow(/U\+007F/)
    r.setHeader('X-Tab', 'a\tb')
    expect(r.getHeader('x-tab')).toBe('a\tb')
  })

  it('refuses header names that are not tokens', () => {
    const r = new BaseResponse()
    expect(() => r.setHeader('Bad Name', 'x')).toThrow()
    expect(() => r.setHeader('Bad:Name', 'x')).toThrow()
    expect(() => r.setHeader('', 'x')).toThrow()
  })

  it('adds the default Content-Type and drops entity headers for 204 and 304', () => {
    const r = new BaseResponse()
    expect([...r.iterHeaders()]).toEqual([['Content-Type', 'text/html; charset=UTF-8']])
    for (const h of ['Content-Length', 'Content-Type']) r.setHeader(h, 'foo')
    r.status = 204
    expect([...r.iterHeaders()]).toEqual([])
    const bad = [
      'Allow',
      'Content-Encoding',
      'Content-Language',
      'Content-Length',
      'Content-MD5',
      'Content-Range',
      'Content-Type',
      'Last-Modified',
    ]
    const r2 = new BaseResponse()
    for (const h of bad) r2.setHeader(h, 'foo')
    r2.setHeader('ETag', '"x"')
    r2.status = 304
    expect([...r2.iterHeaders()]).toEqual([['ETag', '"x"']])
  })
})

describe('BaseResponse: typed header properties', () => {
  it('contentType sets the Content-Type header', () => {
    const rs = new BaseResponse()
    rs.contentType = 'test/some'
    expect(rs.headers.get('Content-Type')).toBe('test/some')
    expect(rs.contentType).toBe('test/some')
  })

  it('charset reads the Content-Type parameter, UTF-8 by default', () => {
    const rs = new BaseResponse()
    expect(rs.charset).toBe('UTF-8')
    rs.contentType = 'text/html; charset=latin9'
    expect(rs.charset).toBe('latin9')
    rs.contentType = 'text/html; Charset="iso-8859-1"'
    expect(rs.charset).toBe('iso-8859-1')
    rs.contentType = 'text/html'
    expect(rs.charset).toBe('UTF-8')
  })

  it('contentLength reads as a number, -1 when unset', () => {
    const rs = new BaseResponse()
    expect(rs.contentLength).toBe(-1)
    rs.contentLength = 42
    expect(rs.contentLength).toBe(42)
    expect(rs.getHeader('Content-Length')).toBe('42')
  })

  it('expires writes an HTTP date and reads back a Date to the second', () => {
    const rs = new BaseResponse()
    expect(rs.expires).toBeUndefined()
    const now = new Date()
    rs.expires = now
    expect(Math.abs(rs.expires.getTime() - now.getTime())).toBeLessThan(1000)
    expect(rs.getHeader('Expires')).toBe(now.toUTCString())
    rs.expires = 42
    expect(rs.getHeader('Expires')).toBe('Thu, 01 Jan 1970 00:00:42 GMT')
    expect(rs.expires!.getTime()).toBe(42000)
    expect(() => (rs.expires = new Date('not a date'))).toThrow(/Not a valid date/)
    expect(() => (rs.expires = Number.NaN)).toThrow(/Not a valid date/)
    expect(rs.getHeader('Expires')).toBe('Thu, 01 Jan 1970 00:00:42 GMT')
  })
})

describe('BaseResponse: cookies', () => {
  it('renders cookies with their attributes', () => {
    const r = new BaseResponse()
    r.setCookie('name1', 'value', { maxAge: 5 })
    r.setCookie('name2', 'value 2', { path: '/foo' })
    const cookies = setCookies(r).sort()
    expect(cookies[0]).toBe('name1=value; Max-Age=5')
    // Differs from Bottle on purpose: values are percent-encoded, not Python-quoted.
    expect(cookies[1]).toBe('name2=value%202; Path=/foo')
  })

  it('refuses cookies too long for a browser', () => {
    const r = new BaseResponse()
    expect(() => r.setCookie('test', 'x'.repeat(4097))).toThrow()
    expect(() => r.setCookie('x'.repeat(4097), 'simple_value')).toThrow()
  })

  it('renders expires, secure, httpOnly and sameSite', () => {
    const r = new BaseResponse()
    r.setCookie('e1', 'v', { expires: 42 })
    r.setCookie('e2', 'v', { expires: new Date(43000) })
    r.setCookie('s1', 'v', { secure: true })
    r.setCookie('s2', 'v', { secure: false })
    r.setCookie('h1', 'v', { httpOnly: true })
    r.setCookie('h2', 'v', { httpOnly: false })
    r.setCookie('l', 'v', { sameSite: 'lax' })
    r.setCookie('t', 'v', { sameSite: 'Strict' })
    const c = Object.fromEntries(setCookies(r).map((s) => [s.split('=')[0], s.toLowerCase()]))
    expect(c.e1).toBe('e1=v; expires=thu, 01 jan 1970 00:00:42 gmt')
    expect(c.e2).toBe('e2=v; expires=thu, 01 jan 1970 00:00:43 gmt')
    expect(c.s1).toBe('s1=v; secure')
    expect(c.s2).toBe('s2=v')
    expect(c.h1).toBe('h1=v; httponly')
    expect(c.h2).toBe('h2=v')
    expect(c.l).toBe('l=v; samesite=lax')
    expect(c.t).toBe('t=v; samesite=strict')
  })

  it('refuses an invalid sameSite value and a non-string value without a secret', () => {
    const r = new BaseResponse()
    expect(() => r.setCookie('n', 'v', { sameSite: 'invalid' as unknown as 'lax' })).toThrow()
    expect(() => r.setCookie('n', 5)).toThrow(/secret/i)
  })

  it('refuses cookie names, paths and domains that could split the header', () => {
    const r = new BaseResponse()
    expect(() => r.setCookie('a;b', 'v')).toThrow()
    expect(() => r.setCookie('n', 'v', { path: '/;x' })).toThrow()
    expect(() => r.setCookie('n', 'v', { domain: 'a\r\nb' })).toThrow()
    expect(setCookies(r)).toEqual([])
  })

  it('deleteCookie expires the cookie in the past', () => {
    const r = new BaseResponse()
    r.setCookie('name', 'value')
    r.deleteCookie('name')
    const [cookie] = setCookies(r)
    expect(cookie).toContain('name=;')
    expect(cookie).toMatch(/Max-Age=-1|Expires=Thu, 01 Jan 1970 00:00:00 GMT/)
  })
})

describe('BaseResponse: copy', () => {
  it('copies status, headers and cookies, not the body, and the copy is independent', () => {
    const r = new BaseResponse('body', '418 Short and stout')
    r.setHeader('X-A', '1')
    r.addHeader('X-A', '2')
    r.setCookie('name1', 'value', { sameSite: 'strict' })
    const r2 = r.copy()
    expect(r2).toBeInstanceOf(BaseResponse)
    expect(r2.statusLine).toBe('418 Short and stout')
    expect(r2.headers.getall('x-a')).toEqual(['1', '2'])
    expect(setCookies(r2).map((s) => s.toLowerCase())).toEqual(['name1=value; samesite=strict'])
    expect(r2.body).toBe('')
    r2.setHeader('X-A', 'changed')
    r2.status = 200
    expect(r.headers.getall('x-a')).toEqual(['1', '2'])
    expect(r.statusCode).toBe(418)
  })

  it('copies into another class', () => {
    const r = new BaseResponse()
    r.setHeader('X-A', '1')
    const h = r.copy(HTTPResponse)
    expect(h).toBeInstanceOf(HTTPResponse)
    expect(h.getHeader('x-a')).toBe('1')
  })
})

describe('HeaderDict', () => {
  it('replaces on set, appends on append, and keeps the first spelling of a name', () => {
    const m = new HeaderDict({ 'abc-def': '5' })
    m.set('Abc-Def', '6')
    expect(m.getall('abc-def')).toEqual(['6'])
    m.append('ABC-DEF', 7)
    expect(m.getall('abc-def')).toEqual(['6', '7'])
    expect([...m.allitems()]).toEqual([
      ['abc-def', '6'],
      ['abc-def', '7'],
    ])
  })

  it('gets case-insensitively', () => {
    const d = new HeaderDict()
    d.set('UPPER', 'UPPER')
    d.set('lower', 'lower')
    expect(d.get('upper')).toBe('UPPER')
    expect(d.get('LOWER')).toBe('lower')
    expect(d.has('Upper')).toBe(true)
    expect(d.get('missing')).toBeUndefined()
    expect(d.get('missing', 5)).toBe(5)
  })
})

describeMatrix('Response on the wire', (client) => {
  it('sends the status line with a custom reason and unknown codes', async () => {
    const app = new Bottle()
    app.get('/custom', () => {
      response.status = '404 Brain not Found'
      return 'x'
    })
    app.get('/odd', () => {
      response.status = 599
      return 'x'
    })
    const c = client(app)
    const res = await c.get('/custom')
    expect(res.status).toBe(404)
    expect(res.statusText).toBe('Brain not Found')
    const odd = await c.get('/odd')
    expect(odd.status).toBe(599)
    expect(odd.statusText).toBe('Unknown')
  })

  it('sends repeated headers and every cookie', async () => {
    const app = new Bottle()
    app.get('/', () => {
      response.addHeader('X-Multi', 'a')
      response.addHeader('X-Multi', 'b')
      response.setCookie('one', '1')
      response.setCookie('two', '2', { httpOnly: true })
      return 'x'
    })
    const res = await client(app).get('/')
    expect(res.header('x-multi')).toBe('a, b')
    expect(res.headers['set-cookie']).toEqual(['one=1', 'two=2; HttpOnly'])
  })

  it('an invalid status set in a callback is a 500, not a crash', async () => {
    const app = new Bottle()
    app.logError = () => {}
    app.get('/', () => {
      response.status = '200 OK\r\nX-Injected: 1'
      return 'x'
    })
    const res = await client(app).get('/')
    expect(res.status).toBe(500)
    expect(res.header('x-injected')).toBeUndefined()
  })

  it('a header value with a newline set in a callback is a 500 and never reaches the wire', async () => {
    const app = new Bottle()
    app.logError = () => {}
    app.get('/set', () => {
      response.setHeader('X-Test', 'a\r\nX-Injected: 1')
      return 'x'
    })
    app.get('/dict', () => {
      response.headers.append('X-Test', 'a\nX-Injected: 1')
      return 'x'
    })
    const c = client(app)
    for (const path of ['/set', '/dict']) {
      const res = await c.get(path)
      expect(res.status, path).toBe(500)
      expect(res.header('x-injected'), path).toBeUndefined()
    }
  })

  it('a header Node refuses to send, set past the setters, is a bare 500 and the server lives on', async () => {
    const app = new Bottle()
    app.logError = () => {}
    app.get('/bad', () => {
      // HeaderDict refuses CR, LF and NUL only; Node refuses the other control characters.
      response.headers.append('X-Test', 'a\u0001b')
      return 'never sent'
    })
    app.get('/ok', () => 'fine')
    const c = client(app)
    const res = await c.get('/bad')
    expect(res.status).toBe(500)
    expect(res.text()).toBe('Internal Server Error')
    expect(res.header('content-type')).toBe('text/plain; charset=UTF-8')
    expect((await c.get('/ok')).text()).toBe('fine')
  })

  it('non-ASCII header values go out as UTF-8 bytes, as Bottle sends them', async () => {
    const app = new Bottle()
    app.get('/', () => {
      response.setHeader('X-Test', 'öäü瓶')
      return 'x'
    })
    app.get('/text', () => {
      response.setHeader('X-Test', 'öäü瓶')
      return 'äö'
    })
    app.get('/stream', function* () {
      response.setHeader('X-Test', 'öäü瓶')
      yield 'a'
      yield 'ü'
    })
    app.get('/reason', () => {
      response.status = '400 Non-ASÎÎ'
      return 'x'
    })
    const c = client(app)
    for (const path of ['/', '/text', '/stream']) {
      const res = await c.get(path)
      expect(res.status, path).toBe(200)
      // Node reads header bytes as latin1; decoding them as UTF-8 gives the text back.
      expect(Buffer.from(res.header('x-test')!, 'latin1').toString('utf8'), path).toBe('öäü瓶')
    }
    expect((await c.get('/text')).text()).toBe('äö')
    expect((await c.get('/stream')).text()).toBe('aü')
    const reason = await c.get('/reason')
    expect(reason.status).toBe(400)
    expect(Buffer.from(reason.statusText, 'latin1').toString('utf8')).toBe('Non-ASÎÎ')
  })
})
