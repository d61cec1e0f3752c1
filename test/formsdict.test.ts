import { describe, expect, it } from 'vitest'
import { Bottle, FormsDict, request } from 'bottle-ts'
import { describeMatrix } from './_helpers.js'

describe('FormsDict', () => {
  it('gives attribute access to UTF-8 string values', () => {
    const d = FormsDict.create({ py3: '瓶' }) as FormsDict & Record<string, string>
    expect(d.py3).toBe('瓶')
    expect(d.get('py3')).toBe('瓶')
  })

  it('reads missing attributes as an empty string', () => {
    const d = FormsDict.create() as FormsDict & Record<string, string>
    expect(d.missing).toBe('')
    expect(d.attr('missing', 'x')).toBe('x')
    expect(d.get('missing')).toBeUndefined()
  })

  it('getall() returns every value; get() the last', () => {
    const d = FormsDict.create([
      ['a', '1'],
      ['a', '2'],
    ])
    expect(d.getall('a')).toEqual(['1', '2'])
    expect(d.get('a')).toBe('2')
    expect(d.getunicode('a')).toBe('2')
    expect(d.getunicode('nope', 'd')).toBe('d')
    expect(d.decode().getall('a')).toEqual(['1', '2'])
  })

  it('keeps __proto__ and constructor as plain data, never reaching a prototype', () => {
    const d = FormsDict.create([
      ['__proto__', 'polluted'],
      ['constructor', 'c'],
      ['hasOwnProperty', 'h'],
    ])
    expect(d.get('__proto__')).toBe('polluted')
    expect(d.get('constructor')).toBe('c')
    expect(d.getall('hasOwnProperty')).toEqual(['h'])
    expect(Object.getPrototypeOf(d)).toBe(FormsDict.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
  })
})

describeMatrix('FormsDict in requests', (client) => {
  it('query and form values arrive as decoded UTF-8 strings with attribute access', async () => {
    const app = new Bottle()
    app.post('/', () => {
      const q = request.query as FormsDict & Record<string, string>
      const f = request.forms as FormsDict & Record<string, string>
      return { q: q.cn, f: f.cn, missing: f.nope, all: f.getall('a') }
    })
    const res = await client(app).post('/?cn=%e7%93%b6', {
      body: 'cn=%E7%93%B6&a=1&a=2',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(res.json()).toEqual({ q: '瓶', f: '瓶', missing: '', all: ['1', '2'] })
  })

  it('__proto__ in query and form keys stays a plain key', async () => {
    const app = new Bottle()
    app.post('/', () => ({
      q: request.query.get('__proto__'),
      f: request.forms.get('__proto__'),
      c: request.forms.get('constructor'),
      proto: Object.getPrototypeOf(request.forms.toJSON()),
      clean: (Object.prototype as Record<string, unknown>).x === undefined,
    }))
    const res = await client(app).post('/?__proto__=q&__proto__[x]=1', {
      body: '__proto__=f&constructor=c&__proto__[x]=y',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(res.json()).toEqual({ q: 'q', f: 'f', c: 'c', proto: null, clean: true })
  })
})
