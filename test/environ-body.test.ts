import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BaseResponse, Bottle, request, response } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import { describeMatrix } from './_helpers.js'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

describeMatrix('request body, forms and params', (client) => {
  it('parses urlencoded POST data: repeated keys, empty values, bare keys, UTF-8', async () => {
    const app = new Bottle()
    app.post('/', () => ({
      a: request.POST.getall('a'),
      last: request.POST.get('a'),
      b: request.POST.get('b'),
      c: request.POST.get('c'),
      d: request.POST.get('d'),
      cn: request.POST.get('cn'),
      attr: (request.forms as unknown as Record<string, string>).cn,
    }))
    const res = await client(app).post('/', {
      body: 'a=a&a=1&b=b&c=&d&cn=%e7%93%b6',
      headers: FORM,
    })
    expect(res.json()).toEqual({
      a: ['a', '1'],
      last: '1',
      b: 'b',
      c: '',
      d: '',
      cn: '瓶',
      attr: '瓶',
    })
  })

  it('reads a body without a form content type as urlencoded too, as Bottle does', async () => {
    const app = new Bottle()
    app.post('/', () => ({ v: request.POST.get('foobar'), keys: [...request.forms.keys()] }))
    const res = await client(app).post('/', { body: 'foobar' })
    expect(res.json()).toEqual({ v: '', keys: ['foobar'] })
  })

  it('keeps the body readable after the forms were parsed', async () => {
    const app = new Bottle()
    app.post('/', () => {
      const first = request.body.read().toString()
      void request.POST
      const again = request.body.read().toString()
      return { first, again, part: request.body.read(3).toString() }
    })
    const res = await client(app).post('/', { body: 'a=a&a=1&b=b&c=&d', headers: FORM })
    expect(res.json()).toEqual({
      first: 'a=a&a=1&b=b&c=&d',
      again: 'a=a&a=1&b=b&c=&d',
      part: 'a=a',
    })
  })

  it('request.body reads like a file: read(size), seek, tell, text', async () => {
    const app = new Bottle()
    app.post('/', () => {
      const b = request.body
      const one = b.read(1).toString()
      const pos = b.tell()
      const rest = b.read().toString()
      b.seek(-2, 2)
      return { one, pos, rest, tail: b.read().toString(), text: b.text(), len: b.length }
    })
    const res = await client(app).post('/', { body: 'abcdef' })
    expect(res.json()).toEqual({
      one: 'a',
      pos: 1,
      rest: 'bcdef',
      tail: 'ef',
      text: 'abcdef',
      len: 6,
    })
  })

  it('combines query then forms in params, the form value winning', async () => {
    const app = new Bottle()
    app.post('/', () => ({
      keys: [...request.params.keys()].sort(),
      c: request.params.get('c'),
      get: [...request.GET.keys()],
      post: [...request.POST.keys()],
    }))
    const res = await client(app).post('/?a=a&c=g', { body: 'b=b&c=p', headers: FORM })
    expect(res.json()).toEqual({ keys: ['a', 'b', 'c'], c: 'p', get: ['a', 'c'], post: ['b', 'c'] })
  })

  it('splits query strings on & only: ; is data (Bottle CVE-2020-28473)', async () => {
    const app = new Bottle()
    app.get('/', () => ({ a: request.query.get('a'), cb: request.query.get('callback') ?? null }))
    const res = await client(app).get('/?a=1;callback=evil')
    expect(res.json()).toEqual({ a: '1;callback=evil', cb: null })
  })

  it('a routed request without a body has empty body, forms, files and null json', async () => {
    const app = new Bottle()
    app.get('/', () => ({
      body: request.body.read().length,
      forms: [...request.forms.keys()],
      files: request.files.size,
      json: request.json,
      params: request.params.get('q'),
    }))
    const res = await client(app).get('/?q=1', { headers: { 'content-type': 'application/json' } })
    expect(res.json()).toEqual({ body: 0, forms: [], files: 0, json: null, params: '1' })
  })

  it('reads chunked bodies and reports request.chunked', async () => {
    const app = new Bottle()
    app.post('/', () => ({ chunked: request.chunked, body: request.body.text() }))
    const res = await client(app).post('/', {
      body: 'x' + 'y'.repeat(255),
      headers: { 'transfer-encoding': 'chunked' },
    })
    expect(res.json()).toEqual({ chunked: true, body: 'x' + 'y'.repeat(255) })
  })

  it('spools a body past memfileMax to a temporary file, removed after the response', async () => {
    const app = new Bottle({ memfileMax: 1024 })
    let path: string | null = null
    app.post('/', () => {
      path = request.body.file.path
      const all = request.body.read()
      request.body.seek(0)
      return { spooled: existsSync(path!), size: all.length, part: request.body.read(1024).length }
    })
    const res = await client(app).post('/', { body: 'x'.repeat(1024 * 1000) })
    expect(res.json()).toEqual({ spooled: true, size: 1024 * 1000, part: 1024 })
    await new Promise((r) => setTimeout(r, 50))
    expect(path).not.toBeNull()
    expect(existsSync(path!)).toBe(false)
  })

  it('keeps a body at memfileMax in memory', async () => {
    const app = new Bottle({ memfileMax: 1024 })
    app.post('/', () => ({ path: request.body.file.path, size: request.body.length }))
    const res = await client(app).post('/', { body: 'x'.repeat(1024) })
    expect(res.json()).toEqual({ path: null, size: 1024 })
  })
})

describeMatrix('request.json', (client) => {
  const app = new Bottle()
  app.post('/', () => ({ json: request.json }))
  const data = { a: 5, b: 'test', c: [1, 2, 3] }

  it('parses JSON bodies with a JSON media type, charset and case notwithstanding', async () => {
    for (const type of [
      'application/json',
      'application/json; charset=UTF-8',
      'Application/JSON',
      'application/vnd.api+json',
      'application/json-rpc',
    ]) {
      const res = await client(app).post('/', {
        body: JSON.stringify(data),
        headers: { 'content-type': type },
      })
      expect(res.json(), type).toEqual({ json: data })
    }
  })

  it('is null without a JSON media type, also for forged types (Bottle #616)', async () => {
    for (const type of [undefined, 'text/plain;application/json', 'application/json garbage']) {
      const res = await client(app).post('/', {
        body: JSON.stringify(data),
        headers: type ? { 'content-type': type } : {},
      })
      expect(res.json(), String(type)).toEqual({ json: null })
    }
  })

  it('is null for an empty JSON body', async () => {
    const res = await client(app).post('/', {
      body: '',
      headers: { 'content-type': 'application/json', 'content-length': '0' },
    })
    expect(res.json()).toEqual({ json: null })
  })

  it('answers invalid JSON with a 400 that names the problem', async () => {
    const res = await client(app).post('/', {
      body: '{"a": ',
      headers: { 'content-type': 'application/json' },
    })
    expect(res.status).toBe(400)
    expect(res.text()).toContain('Invalid JSON')
  })

  it('answers JSON over maxBodySize with a 413', async () => {
    const small = new Bottle({ maxBodySize: 100 })
    small.post('/', () => ({ json: request.json }))
    const res = await client(small).post('/', {
      body: JSON.stringify({ big: 'x'.repeat(200) }),
      headers: { 'content-type': 'application/json' },
    })
    expect(res.status).toBe(413)
  })
})

describeMatrix('request cookies', (client) => {
  it('parses the Cookie header into a dict; getCookie reads one', async () => {
    const app = new Bottle()
    app.get('/', () => ({
      all: request.cookies.toJSON(),
      a: request.getCookie('a'),
      missing: request.getCookie('zz', { default: 'd' }),
    }))
    for (const [header, expected] of [
      ['a=a', { a: 'a' }],
      ['a=a; b=b', { a: 'a', b: 'b' }],
      ['a=%E7%93%B6; b="quoted"', { a: '瓶', b: 'quoted' }],
    ] as const) {
      const res = await client(app).get('/', { headers: { cookie: header } })
      expect(res.json(), header).toEqual({ all: expected, a: expected.a, missing: 'd' })
    }
  })

  it('reads the last of repeated cookie names, as Bottle does', async () => {
    const app = new Bottle()
    app.get('/', () => ({ last: request.getCookie('a') }))
    const res = await client(app).get('/', { headers: { cookie: 'a=a; a=b' } })
    expect(res.json<{ last: string }>().last).toBe('b')
  })

  it('an empty cookie reads as the default', async () => {
    const app = new Bottle()
    app.get('/', () => request.getCookie('a', { default: 'fallback' }))
    const res = await client(app).get('/', { headers: { cookie: 'a=' } })
    expect(res.text()).toBe('fallback')
  })

  it('sends Set-Cookie headers, signed cookies included, and reads them back', async () => {
    const app = new Bottle()
    app.get('/set', () => {
      response.setCookie('plain', 'v 1', { path: '/', httponly: true, samesite: 'lax' })
      response.setCookie('signed', { user: 'ü' }, { secret: 's3cret', maxAge: 60 })
      return 'ok'
    })
    app.get('/get', () => ({
      plain: request.getCookie('plain'),
      signed: request.getCookie('signed', { secret: 's3cret' }),
    }))
    const c = client(app)
    const res = await c.get('/set')
    const set = ([] as string[]).concat(res.headers['set-cookie'] ?? [])
    expect(set).toHaveLength(2)
    expect(set[0]).toBe('plain=v%201; Path=/; HttpOnly; SameSite=Lax')
    expect(set[1]).toMatch(/^signed=![\w-]{43}\?[\w-]+; Max-Age=60$/)
    const cookie = set.map((s) => s.split(';')[0]).join('; ')
    const back = await c.get('/get', { headers: { cookie } })
    expect(back.json()).toEqual({ plain: 'v 1', signed: { user: 'ü' } })
  })
})

describe('response.setCookie', () => {
  const cookies = (r: BaseResponse): string[] =>
    [...r.iterHeaders()].filter(([k]) => k === 'Set-Cookie').map(([, v]) => v)

  it('renders Max-Age, Path and a percent-encoded value', () => {
    const r = new BaseResponse()
    r.setCookie('name1', 'value', { maxAge: 5 })
    r.setCookie('name2', 'value 2', { path: '/foo' })
    expect(cookies(r).sort()).toEqual(['name1=value; Max-Age=5', 'name2=value%202; Path=/foo'])
  })

  it('renders expires from seconds and from a Date', () => {
    const r = new BaseResponse()
    r.setCookie('name1', 'value', { expires: 42 })
    r.setCookie('name2', 'value', { expires: new Date(Date.UTC(1970, 0, 1, 0, 0, 43)) })
    expect(cookies(r).sort()).toEqual([
      'name1=value; Expires=Thu, 01 Jan 1970 00:00:42 GMT',
      'name2=value; Expires=Thu, 01 Jan 1970 00:00:43 GMT',
    ])
  })

  it('adds Secure, HttpOnly, SameSite and Partitioned only when asked', () => {
    const r = new BaseResponse()
    r.setCookie('a', 'v', { secure: true })
    r.setCookie('b', 'v', { secure: false, httponly: false })
    r.setCookie('c', 'v', { httponly: true })
    r.setCookie('d', 'v', { samesite: 'strict' })
    r.setCookie('e', 'v', { sameSite: 'None', secure: true, partitioned: true })
    expect(cookies(r)).toEqual([
      'a=v; Secure',
      'b=v',
      'c=v; HttpOnly',
      'd=v; SameSite=Strict',
      'e=v; Secure; Partitioned; SameSite=None',
    ])
  })

  it('refuses an unknown samesite value with a clear error', () => {
    const r = new BaseResponse()
    expect(() => r.setCookie('n', 'v', { samesite: 'invalid' as 'lax' })).toThrow(
      /samesite must be 'lax', 'strict' or 'none'/
    )
  })

  it('refuses values that do not fit into a cookie', () => {
    const r = new BaseResponse()
    expect(() => r.setCookie('test', 'x'.repeat(4097))).toThrow(/too large/)
    expect(() => r.setCookie('x'.repeat(4097), 'v')).toThrow(/too large/)
    expect(() => r.setCookie('s', 'x'.repeat(3000), { secret: 'k' })).toThrow(/too large/)
  })

  it('requires a secret for non-string values', () => {
    expect(() => new BaseResponse().setCookie('n', 5)).toThrow(/secret is required/)
  })

  it('copies cookies with copy()', () => {
    const r = new BaseResponse()
    r.setCookie('name1', 'value', { samesite: 'strict' })
    expect(cookies(r.copy(BaseResponse))).toEqual(['name1=value; SameSite=Strict'])
  })

  it('deleteCookie() expires the cookie with the same path', () => {
    const r = new BaseResponse()
    r.setCookie('name', 'value')
    r.deleteCookie('name', { path: '/x' })
    expect(cookies(r)).toEqual([
      'name=; Max-Age=-1; Path=/x; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    ])
  })

  it('a deleted cookie disappears from the test client jar', async () => {
    const app = new Bottle()
    app.get('/in', () => response.setCookie('k', 'v'))
    app.get('/out', () => response.deleteCookie('k'))
    app.get('/', () => request.getCookie('k', { default: 'none' }))
    const c = new TestClient(app)
    await c.get('/in')
    expect((await c.get('/')).text()).toBe('v')
    await c.get('/out')
    expect((await c.get('/')).text()).toBe('none')
  })
})
