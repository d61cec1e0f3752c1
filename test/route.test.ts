/**
 * Route objects and regexp flattening: lazy, cached plugin application (`call`,
 * `reset()`, `prepare()`), callback introspection and capture-group flattening. Ports
 * Bottle's test_route.py; Python's decorator-unwrapping cases have no JavaScript
 * counterpart (functions carry no `__wrapped__`), so the callback as registered is kept.
 */
import { describe, expect, it } from 'vitest'
import { Bottle, Route } from 'bottle-ts'
import type { Callback } from 'bottle-ts'
import { flattenGroups } from '../src/internal/regex.js'

describe('flattenGroups (Bottle _re_flatten)', () => {
  it('turns capturing groups into non-capturing ones and leaves the rest', () => {
    expect(flattenGroups('(?:aaa)(_bbb)')).toBe('(?:aaa)(?:_bbb)')
    expect(flattenGroups('(aaa)(_bbb)')).toBe('(?:aaa)(?:_bbb)')
    expect(flattenGroups('aaa)(_bbb)')).toBe('aaa)(?:_bbb)')
    expect(flattenGroups('aaa(_bbb)')).toBe('aaa(?:_bbb)')
    expect(flattenGroups('aaa_bbb')).toBe('aaa_bbb')
  })

  it('keeps escaped parentheses, character classes and lookarounds', () => {
    expect(flattenGroups('\\(a\\)')).toBe('\\(a\\)')
    expect(flattenGroups('[(]x')).toBe('[(]x')
    expect(flattenGroups('(?=a)(?!b)(?<=c)(?<!d)')).toBe('(?=a)(?!b)(?<=c)(?<!d)')
    expect(flattenGroups('(?<name>x)(?P<py>y)')).toBe('(?:x)(?:y)')
  })
})

describe('Route', () => {
  it('keeps rule, method, callback, name and config', () => {
    const app = new Bottle()
    const cb = (): string => 'x'
    const route = new Route(app, '/a/<b>', 'GET', cb, { name: 'n', config: { k: 1 } })
    expect(route.rule).toBe('/a/<b>')
    expect(route.method).toBe('GET')
    expect(route.callback).toBe(cb)
    expect(route.name).toBe('n')
    expect(route.config.get('k')).toBe(1)
    expect(route.getConfig('k')).toBe(1)
    expect(route.getConfig('missing', 'fallback')).toBe('fallback')
    expect(route.getUndecoratedCallback()).toBe(cb)
    expect(String(route)).toBe('<GET /a/<b> -> cb>')
  })

  it('lists the wildcard names of its rule as callback arguments', () => {
    const app = new Bottle()
    const route = new Route(app, '/<a>/<b:int>/<:re:x>/:c', 'GET', () => 'x')
    expect(new Set(route.getCallbackArgs())).toEqual(new Set(['a', 'b', 'c']))
  })

  it('applies plugins lazily, once, until reset()', () => {
    const app = new Bottle()
    let applied = 0
    app.install((cb: Callback) => {
      applied++
      return cb
    })
    app.get('/', () => 'x')
    const route = app.routes[0]!
    expect(applied).toBe(0)
    const first = route.call
    expect(route.call).toBe(first)
    expect(applied).toBe(1)
    route.reset()
    expect(applied).toBe(1)
    expect(route.call).not.toBe(first)
    expect(applied).toBe(2)
    route.reset()
    route.prepare()
    expect(applied).toBe(3)
  })

  it('wraps app plugins outside route plugins, first installed outermost', () => {
    const app = new Bottle({ autojson: false })
    const tag =
      (name: string) =>
      (cb: Callback): Callback =>
      (args) =>
        `${name}(${String(cb(args))})`
    app.install(tag('app1'))
    app.install(tag('app2'))
    app.get('/', { apply: [tag('route1'), tag('route2')] }, () => 'cb')
    expect(app.routes[0]!.call({})).toBe('app1(app2(route1(route2(cb))))')
  })

  it('skips plugins by instance, name and true', () => {
    const app = new Bottle({ autojson: false })
    const named = {
      name: 'named',
      api: 2,
      apply:
        (cb: Callback): Callback =>
        () =>
          `n(${String(cb({}))})`,
    }
    const fn =
      (cb: Callback): Callback =>
      () =>
        `f(${String(cb({}))})`
    app.install(named)
    app.install(fn)
    app.get('/a', { skip: fn }, () => 'a')
    app.get('/b', { skip: 'named' }, () => 'b')
    app.get('/c', { skip: true }, () => 'c')
    app.get('/d', () => 'd')
    const calls = app.routes.map((r) => r.call({}))
    expect(calls).toEqual(['n(a)', 'f(b)', 'c', 'n(f(d))'])
  })
})
