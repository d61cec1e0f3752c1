import { describe, expect, it } from 'vitest'
import { HeaderDict, MultiDict } from 'bottle-ts'

describe('MultiDict', () => {
  it('behaves like a dict whose reads return the last value', () => {
    const m = new MultiDict<string | number>({ a: 5 })
    m.set('key', 'value')
    m.set('k2', 'v1')
    m.set('k2', 'v2')
    expect([...m.keys()]).toEqual(['a', 'key', 'k2'])
    expect([...m.values()]).toEqual([5, 'value', 'v2'])
    expect([...m]).toEqual(['a', 'key', 'k2'])
    expect(m.get('key')).toBe('value')
    expect(m.get('k2')).toBe('v2')
    expect(m.get('cay')).toBeUndefined()
    expect(m.size).toBe(3)
    expect(m.has('key')).toBe(true)
    expect(m.has('cay')).toBe(false)
  })

  it('keeps every value of a repeated key', () => {
    const m = new MultiDict<number>({ a: 5 })
    m.set('a', 6)
    expect(m.getall('a')).toEqual([5, 6])
    expect(m.getlist('a')).toEqual([5, 6])
    expect(m.getall('b')).toEqual([])
    expect([...m.allitems()]).toEqual([
      ['a', 5],
      ['a', 6],
    ])
    expect([...m.items()]).toEqual([['a', 6]])
  })

  it('get() takes a default, an index and a converting type', () => {
    const m = new MultiDict([
      ['n', '1'],
      ['n', 'x'],
    ])
    expect(m.get('n', 'd', 0)).toBe('1')
    expect(m.get('n', 'd', 0, Number)).toBe(1)
    expect(m.get('n', -1, -1, Number)).toBe(-1)
    expect(m.get('n', 'd', 5)).toBe('d')
    expect(m.get('missing', 'd')).toBe('d')
    expect(m.getone('n')).toBe('x')
  })

  it('replace(), setdefault(), delete() and clear() change the values', () => {
    const m = new MultiDict<string>()
    m.append('a', '1').append('a', '2')
    m.replace('a', '3')
    expect(m.getall('a')).toEqual(['3'])
    expect(m.setdefault('a', '9')).toBe('3')
    expect(m.setdefault('b', '9')).toBe('9')
    expect(m.delete('a')).toBe(true)
    expect(m.has('a')).toBe(false)
    m.clear()
    expect(m.size).toBe(0)
  })

  it('treats __proto__ and constructor as plain keys', () => {
    const m = new MultiDict<string>()
    m.set('__proto__', 'p')
    m.set('constructor', 'c')
    expect(m.get('__proto__')).toBe('p')
    expect(m.get('constructor')).toBe('c')
    const plain = m.toJSON()
    expect(Object.getPrototypeOf(plain)).toBeNull()
    expect(Object.keys(plain)).toEqual(['__proto__', 'constructor'])
    expect(({} as Record<string, unknown>).p).toBeUndefined()
  })
})

describe('HeaderDict', () => {
  it('replaces on set, appends on append, and turns values into strings', () => {
    const h = new HeaderDict({ 'Abc-Def': '5' })
    h.set('abc-def', 6)
    expect(h.getall('ABC-DEF')).toEqual(['6'])
    h.append('abc-def', 7)
    expect(h.getall('abc-def')).toEqual(['6', '7'])
    expect([...h.allitems()]).toEqual([
      ['Abc-Def', '6'],
      ['Abc-Def', '7'],
    ])
  })

  it('reads keys case-insensitively', () => {
    const h = new HeaderDict()
    h.set('UPPER', 'UPPER')
    h.set('lower', 'lower')
    expect(h.get('upper')).toBe('UPPER')
    expect(h.get('LOWER')).toBe('lower')
    expect(h.nameOf('upper')).toBe('UPPER')
  })

  it('refuses CR, LF and NUL in names and values through every setter', () => {
    for (const api of ['append', 'replace', 'set', 'setdefault'] as const) {
      for (const mask of ['{}test', 'test{}', 'te{}st']) {
        for (const bad of ['\n', '\r', '\n\r', '\0']) {
          const text = mask.replace('{}', bad)
          const h = new HeaderDict()
          expect(() => h[api](text, 'test-value'), `${api} name ${JSON.stringify(text)}`).toThrow(
            /CR, LF or NUL/
          )
          expect(() => h[api]('test-name', text), `${api} value`).toThrow(/CR, LF or NUL/)
        }
      }
    }
  })

  it('filter() removes the named headers', () => {
    const h = new HeaderDict([
      ['A', '1'],
      ['B', '2'],
      ['C', '3'],
    ])
    h.filter(['a', 'c'])
    expect([...h.keys()]).toEqual(['B'])
  })
})
