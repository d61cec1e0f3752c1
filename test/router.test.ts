/**
 * The router: Bottle's rule grammar (new `<name:filter>` and old `:name` syntax, escapes,
 * anonymous wildcards, custom filters), precedence, 404/405, URL building and the
 * registration-time refusal of unsafe `re` filters. Ports Bottle's test_router.py.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Bottle, HTTPError, RouteBuildError, RouteSyntaxError, Router } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import { describeMatrix } from './_helpers.js'

function router(): Router<string> {
  return new Router<string>()
}

/** Adds `rule` with itself as target and asserts that `url` matches it with `args`. */
function assertMatches(
  r: Router<string>,
  rule: string,
  url: string,
  args: Record<string, unknown> = {},
  method = 'GET'
): void {
  r.add(rule, method, rule)
  const { target, args: got } = r.match(method, url)
  expect(target).toBe(rule)
  expect(got).toEqual(args)
}

function status(fn: () => unknown): number {
  try {
    fn()
  } catch (err) {
    if (err instanceof HTTPError) return err.statusCode
    throw err
  }
  return 200
}

describe('Router: old :name syntax', () => {
  it('matches static rules exactly', () => {
    assertMatches(router(), '/static', '/static')
  })

  it('matches escaped colons, anonymous regexps and named regexps in one rule', () => {
    assertMatches(router(), '/\\:its/:#.+#/:test/:name#[a-z]+#/', '/:its/a/cruel/world/', {
      test: 'cruel',
      name: 'world',
    })
  })

  it('matches wildcards at the end, the start, the middle and as the whole rule', () => {
    const r = router()
    assertMatches(r, '/:test', '/test', { test: 'test' })
    assertMatches(r, ':test/', 'test/', { test: 'test' })
    assertMatches(r, '/:test/', '/test/', { test: 'test' })
    assertMatches(r, ':test', 'test', { test: 'test' })
    assertMatches(r, 'a/b/:c', 'a/b/c', { c: 'c' })
  })

  it('drops anonymous wildcards from the arguments', () => {
    assertMatches(router(), '/:#anon#/match', '/anon/match')
  })

  it('accepts wildcard names that contain letters and digits', () => {
    const r = router()
    assertMatches(r, '/alpha/:abc', '/alpha/alpha', { abc: 'alpha' })
    assertMatches(r, '/alnum/:md5', '/alnum/sha1', { md5: 'sha1' })
  })

  it('answers 404 for a path no rule matches', () => {
    const r = router()
    r.add('/:test/:name#[a-z]+#/', 'GET', 'x')
    expect(status(() => r.match('GET', '//no/m/at/ch/'))).toBe(404)
  })

  it('keeps parentheses around a wildcard literal and groups inside a regexp', () => {
    const r = router()
    assertMatches(r, '/func(:param)', '/func(foo)', { param: 'foo' })
    assertMatches(r, '/func2(:param#(foo|bar)#)', '/func2(foo)', { param: 'foo' })
    assertMatches(r, '/func2(:param#(foo|bar)#)', '/func2(bar)', { param: 'bar' })
    expect(status(() => r.match('GET', '/func2(baz)'))).toBe(404)
  })
})

describe('Router: <name:filter> syntax', () => {
  it('matches escaped wildcards literally next to real ones', () => {
    assertMatches(router(), '/\\<its>/<:re:.+>/<test>/<name:re:[a-z]+>/', '/<its>/a/cruel/world/', {
      test: 'cruel',
      name: 'world',
    })
  })

  it('matches wildcards at the end, the start, the middle and as the whole rule', () => {
    const r = router()
    assertMatches(r, '/<test>', '/test', { test: 'test' })
    assertMatches(r, '<test>/', 'test/', { test: 'test' })
    assertMatches(r, '/<test>/', '/test/', { test: 'test' })
    assertMatches(r, '<test>', 'test', { test: 'test' })
  })

  it('drops anonymous wildcards from the arguments', () => {
    const r = router()
    assertMatches(r, '/<:re:anon>/match', '/anon/match')
    assertMatches(r, '/anon/<>', '/anon/whatever')
    assertMatches(r, '/anonfilter/<:int>', '/anonfilter/5')
    expect(status(() => r.match('GET', '/anonfilter/noint'))).toBe(404)
  })

  it('treats regexp characters in the literal parts as text', () => {
    const r = router()
    r.add('/file/<name>.txt', 'GET', 'txt')
    r.add('/a+b/<x>', 'GET', 'plus')
    r.add('/(c)/[d]/<x>', 'GET', 'brackets')
    expect(r.match('GET', '/file/readme.txt').args).toEqual({ name: 'readme' })
    expect(status(() => r.match('GET', '/file/readmeXtxt'))).toBe(404)
    expect(r.match('GET', '/a+b/1').target).toBe('plus')
    expect(status(() => r.match('GET', '/aab/1'))).toBe(404)
    expect(r.match('GET', '/(c)/[d]/1').target).toBe('brackets')
  })

  it('matches non-ASCII text in a wildcard', () => {
    assertMatches(router(), '/uni/<x>', '/uni/瓶', { x: '瓶' })
  })

  it('never lets a default wildcard span a slash or match an empty segment', () => {
    const r = router()
    r.add('/<a>/<b>', 'GET', 'ab')
    expect(r.match('GET', '/x/y').args).toEqual({ a: 'x', b: 'y' })
    expect(status(() => r.match('GET', '/x/y/z'))).toBe(404)
    expect(status(() => r.match('GET', '/save/'))).toBe(404)
    expect(status(() => r.match('GET', '//123'))).toBe(404)
  })

  it('int: converts to a number, accepts negatives, refuses words', () => {
    const r = router()
    assertMatches(r, '/object/<id:int>', '/object/567', { id: 567 })
    expect(r.match('GET', '/object/-3').args).toEqual({ id: -3 })
    expect(status(() => r.match('GET', '/object/abc'))).toBe(404)
  })

  it('int: a number beyond the safe range is a 400, not a wrong value', () => {
    const r = router()
    r.add('/n/<id:int>', 'GET', 'n')
    expect(status(() => r.match('GET', '/n/99999999999999999999'))).toBe(400)
  })

  it('float: converts 1, 1.1, .1 and 1. to numbers', () => {
    const r = router()
    assertMatches(r, '/object/<id:float>', '/object/1', { id: 1 })
    expect(r.match('GET', '/object/1.1').args).toEqual({ id: 1.1 })
    expect(r.match('GET', '/object/.1').args).toEqual({ id: 0.1 })
    expect(r.match('GET', '/object/1.').args).toEqual({ id: 1 })
    expect(r.match('GET', '/object/-2.5').args).toEqual({ id: -2.5 })
  })

  it('float: words and empty segments do not match; text the regexp takes but is no number is 400', () => {
    const r = router()
    r.add('/object/<id:float>', 'GET', 'f')
    expect(status(() => r.match('GET', '/object/abc'))).toBe(404)
    expect(status(() => r.match('GET', '/object/'))).toBe(404)
    expect(status(() => r.match('GET', '/object/.'))).toBe(400)
    expect(status(() => r.match('GET', '/object/1.2.3'))).toBe(400)
  })

  it('path: spans slashes, non-greedily, and mixes with other wildcards', () => {
    const r = router()
    assertMatches(r, '/<id:path>/:f', '/a/b', { id: 'a', f: 'b' })
    assertMatches(r, '/<id:path>', '/a', { id: 'a' })
    expect(r.match('GET', '/x/y/z').args).toEqual({ id: 'x/y', f: 'z' })
  })

  it('re: a custom regexp with capturing groups does not shift the arguments', () => {
    const r = router()
    r.add('/<a:re:(x|y)[a-z]*>/<b>', 'GET', 't')
    expect(r.match('GET', '/xyx/end').args).toEqual({ a: 'xyx', b: 'end' })
    r.add('/n/<a:re:((x)(y))>/<b>', 'GET', 'nested')
    expect(r.match('GET', '/n/xy/end').args).toEqual({ a: 'xy', b: 'end' })
  })

  it('custom filter: its converter runs, and a converter error is a 400', () => {
    const r = router()
    r.addFilter('test', () => [
      '.*',
      (text) => {
        if (!/^-?\d+$/.test(text)) throw new Error(`not an int: ${text}`)
        return Number(text)
      },
      (v) => String(v),
    ])
    assertMatches(r, '/int/<i:test>', '/int/5', { i: 5 })
    expect(status(() => r.match('GET', '/int/noint'))).toBe(400)
  })

  it('custom filter: receives the config text after the second colon', () => {
    const r = router()
    const seen: (string | null)[] = []
    r.addFilter('list', (conf) => {
      seen.push(conf)
      const sep = conf ?? ','
      return [`[a-z${sep}]+`, (t) => t.split(sep), (v) => (v as string[]).join(sep)]
    })
    r.add('/l/<items:list:;>', 'GET', 'l', 'list')
    expect(seen).toEqual([';'])
    expect(r.match('GET', '/l/a;b;c').args).toEqual({ items: ['a', 'b', 'c'] })
    expect(r.build('list', { items: ['x', 'y'] })).toBe('/l/x;y')
  })

  it('refuses an unknown filter at registration', () => {
    expect(() => router().add('/<x:nope>', 'GET', 'x')).toThrow(RouteSyntaxError)
    expect(() => router().add('/<x:nope>', 'GET', 'x')).toThrow(/nope/)
  })

  it('refuses a regexp that does not compile', () => {
    expect(() => router().add('/:bug#(#/', 'GET', 'x')).toThrow(RouteSyntaxError)
    expect(() => router().add('/<:re:(>/', 'GET', 'x')).toThrow(RouteSyntaxError)
  })

  it('refuses a named group in a re filter, which the rule grammar cuts at ">", without hanging', () => {
    expect(() => router().add('/<a:re:(?<n>x)>', 'GET', 'x')).toThrow(RouteSyntaxError)
    expect(() => router().add('/<a:re:(?P<n>x)>', 'GET', 'x')).toThrow(RouteSyntaxError)
  })

  it('refuses the same wildcard name twice in one rule', () => {
    expect(() => router().add('/<a>/<a>', 'GET', 'x')).toThrow(/Duplicate wildcard name/)
  })
})

describe('Router: unsafe re filters are refused at registration', () => {
  for (const source of [
    '(a+)+',
    '(\\d*)*',
    '(a|aa)+',
    '(?:x+)*',
    '([a-z]+)+$',
    '(a*){2,}',
    '(\\w+\\s?)*',
  ]) {
    it(`refuses ${source}`, () => {
      expect(() => router().add(`/<x:re:${source}>`, 'GET', 'x')).toThrow(RouteSyntaxError)
      expect(() => router().add(`/<x:re:${source}>`, 'GET', 'x')).toThrow(/catastrophically/)
    })
  }

  it('refuses them in the old :name#re# syntax and through app.route as well', () => {
    expect(() => router().add('/:x#(a+)+#', 'GET', 'x')).toThrow(RouteSyntaxError)
    const app = new Bottle()
    expect(() => app.get('/<x:re:(a+)+>', () => 'x')).toThrow(RouteSyntaxError)
    expect(app.routes).toHaveLength(0)
  })

  it('accepts ordinary regexps with one level of quantifiers', () => {
    const r = router()
    for (const source of ['[a-z]+', '\\d{2,4}', '(foo|bar)', 'a+b*c?', '[0-9a-f]{8}-[0-9a-f]+']) {
      expect(() => r.add(`/ok/<x:re:${source}>`, 'GET', source)).not.toThrow()
    }
    expect(r.match('GET', '/ok/bar').target).toBe('[a-z]+')
    expect(r.match('GET', '/ok/12').target).toBe('\\d{2,4}')
  })

  it('refuses any quantified alternation, even a harmless one (the check is conservative)', () => {
    expect(() => router().add('/<x:re:(jpg|png)+>', 'GET', 'x')).toThrow(RouteSyntaxError)
    expect(() => router().add('/<x:re:(jpg|png)>', 'GET', 'x')).not.toThrow()
  })

  it('answers quickly for a hostile path on every built-in filter', () => {
    const r = router()
    r.add('/p/<a:path>/x/<b:path>/y', 'GET', 'p')
    r.add('/f/<a:float>/<b:float>', 'GET', 'f')
    r.add('/i/<a:int>-<b:int>', 'GET', 'i')
    const start = performance.now()
    expect(status(() => r.match('GET', '/p/' + 'a/x/'.repeat(2000) + 'z'))).toBe(404)
    expect(status(() => r.match('GET', '/f/' + '1.'.repeat(5000) + '/x'))).toBe(404)
    expect(status(() => r.match('GET', '/i/' + '1'.repeat(5000) + '-'))).toBe(404)
    expect(performance.now() - start).toBeLessThan(2000)
  })
})

describe('Router: precedence', () => {
  it('a static ANY route loses to a dynamic GET route', () => {
    const r = router()
    r.add('/foo', 'ANY', 'foo')
    expect(r.match('GET', '/foo').target).toBe('foo')
    r.add('/<:>', 'GET', 'bar')
    expect(r.match('GET', '/foo').target).toBe('bar')
  })

  it('a static ANY route beats a dynamic ANY route added earlier', () => {
    const r = router()
    r.add('/<:>', 'ANY', 'bar')
    expect(r.match('GET', '/foo').target).toBe('bar')
    r.add('/foo', 'ANY', 'foo')
    expect(r.match('GET', '/foo').target).toBe('foo')
  })

  it('falls back to dynamic ANY routes when the method is known but does not match', () => {
    const r = router()
    r.add('/bar<:>', 'GET', 'bar')
    expect(r.match('GET', '/barx').target).toBe('bar')
    r.add('/foo<:>', 'ANY', 'foo')
    expect(r.match('GET', '/foox').target).toBe('foo')
  })

  it('static rules beat dynamic ones whatever the order; dynamic rules go in insertion order', () => {
    const r = router()
    r.add('/<x>', 'GET', 'first-dynamic')
    r.add('/<y:re:[a-z]+>', 'GET', 'second-dynamic')
    r.add('/foo', 'GET', 'static')
    expect(r.match('GET', '/foo').target).toBe('static')
    expect(r.match('GET', '/bar').target).toBe('first-dynamic')
  })

  it('an earlier, less specific dynamic rule wins over a later, more specific one', () => {
    const r = router()
    r.add('/a/<rest:path>', 'GET', 'path')
    r.add('/a/b/<c>', 'GET', 'deep')
    expect(r.match('GET', '/a/b/c').target).toBe('path')
    const r2 = router()
    r2.add('/a/b/<c>', 'GET', 'deep')
    r2.add('/a/<rest:path>', 'GET', 'path')
    expect(r2.match('GET', '/a/b/c').target).toBe('deep')
    expect(r2.match('GET', '/a/x/y').target).toBe('path')
  })

  it('HEAD uses HEAD routes, then GET routes, then ANY routes', () => {
    const r = router()
    r.add('/x', 'ANY', 'any')
    expect(r.match('HEAD', '/x').target).toBe('any')
    r.add('/x', 'GET', 'get')
    expect(r.match('HEAD', '/x').target).toBe('get')
    r.add('/x', 'HEAD', 'head')
    expect(r.match('HEAD', '/x').target).toBe('head')
    expect(r.match('GET', '/x').target).toBe('get')
  })

  it('the same rule and method again replaces the earlier target', () => {
    const r = router()
    r.add('/s', 'GET', 'old')
    r.add('/s', 'GET', 'new')
    r.add('/d/<x>', 'GET', 'old')
    r.add('/d/<x>', 'GET', 'new')
    expect(r.match('GET', '/s').target).toBe('new')
    expect(r.match('GET', '/d/1').target).toBe('new')
  })

  it('strictOrder keeps static rules in insertion order too', () => {
    const r = new Router<string>({ strictOrder: true })
    r.add('/<x>', 'GET', 'dynamic')
    r.add('/foo', 'GET', 'static')
    expect(r.match('GET', '/foo').target).toBe('dynamic')
  })
})

describe('Router: 404 and 405', () => {
  it('405 lists the methods that would match, sorted and without spaces', () => {
    const r = router()
    r.add('/x', 'PUT', 'put')
    r.add('/x', 'POST', 'post')
    r.add('/<y>', 'DELETE', 'delete')
    try {
      r.match('GET', '/x')
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(HTTPError)
      const e = err as HTTPError
      expect(e.statusCode).toBe(405)
      expect(e.getHeader('Allow')).toBe('DELETE,POST,PUT')
    }
  })

  it('404 when no method matches, with the path in the message', () => {
    const r = router()
    r.add('/x', 'POST', 'post')
    try {
      r.match('GET', '/y')
      expect.unreachable()
    } catch (err) {
      const e = err as HTTPError
      expect(e.statusCode).toBe(404)
      expect(e.body).toBe("Not found: '/y'")
    }
  })

  it('HEAD and GET are not reported as allowed for each other', () => {
    const r = router()
    r.add('/h', 'HEAD', 'head')
    expect(status(() => r.match('GET', '/h'))).toBe(405)
  })
})

describe('Router: trailing slashes and paths', () => {
  it('treats /foo and /foo/ as different rules, never redirecting', () => {
    const r = router()
    r.add('/foo', 'GET', 'no-slash')
    expect(status(() => r.match('GET', '/foo/'))).toBe(404)
    r.add('/foo/', 'GET', 'slash')
    expect(r.match('GET', '/foo').target).toBe('no-slash')
    expect(r.match('GET', '/foo/').target).toBe('slash')
    r.add('/d/<x>', 'GET', 'dyn')
    expect(status(() => r.match('GET', '/d/1/'))).toBe(404)
  })

  it('does not fold double slashes', () => {
    const r = router()
    r.add('/foo', 'GET', 'foo')
    expect(status(() => r.match('GET', '//foo'))).toBe(404)
  })
})

describe('Router: building URLs', () => {
  it('fills named wildcards and puts extra values in the query string', () => {
    const r = router()
    r.add('/:test/:name#[a-z]+#/', 'GET', 'handler', 'testroute')
    expect(r.build('testroute', { test: 'hello', name: 'world' })).toBe('/hello/world/')
    expect(r.build('testroute', { test: 'hello', name: 'world', q: 'value' })).toBe(
      '/hello/world/?q=value'
    )
    expect(() => r.build('testroute')).toThrow(RouteBuildError)
    expect(() => r.build('testroute')).toThrow(/Missing URL argument: 'test'/)
  })

  it('fills anonymous wildcards from the positional values', () => {
    const r = router()
    r.add('/anon/:#.#', 'GET', 'handler', 'anonroute')
    expect(r.build('anonroute', {}, 'hello')).toBe('/anon/hello')
    expect(r.build('anonroute', { q: 'value' }, 'hello')).toBe('/anon/hello?q=value')
    expect(() => r.build('anonroute')).toThrow(RouteBuildError)
  })

  it('formats values through the filter, refusing values the filter cannot format', () => {
    const r = router()
    r.add('/int/<:int>', 'GET', 'handler', 'introute')
    r.add('/float/<f:float>', 'GET', 'handler', 'floatroute')
    expect(r.build('introute', {}, '5')).toBe('/int/5')
    expect(r.build('floatroute', { f: 2.5 })).toBe('/float/2.5')
    expect(() => r.build('introute', {}, 'hello')).toThrow()
  })

  it('repeats a key for every value of a list, and skips null values', () => {
    const r = router()
    r.add('/q', 'GET', 'q', 'q')
    expect(r.build('q', { a: [1, 2], b: 'x y', c: null })).toBe('/q?a=1&a=2&b=x+y')
  })

  it('refuses an unknown route name', () => {
    expect(() => router().build('nope')).toThrow(/No route with that name/)
  })

  it('builds by rule text as well as by name', () => {
    const r = router()
    r.add('/u/<id:int>', 'GET', 'u')
    expect(r.build('/u/<id:int>', { id: 7 })).toBe('/u/7')
  })
})

describe('Router: large tables', () => {
  it('matches the last of more routes than one combined pattern holds', () => {
    const r = router()
    const n = 109
    for (let i = 0; i < n; i++) r.add(`/<:>/${i}`, 'GET', String(i))
    expect(r.match('GET', `/foo/${n - 1}`).target).toBe(String(n - 1))
    expect(r.match('GET', '/foo/0').target).toBe('0')
  })

  it('a 1000-route table matches its first and last static and dynamic rules', () => {
    const r = router()
    for (let i = 0; i < 1000; i++) {
      r.add(`/static/${i}`, 'GET', `s${i}`)
      r.add(`/dyn/${i}/<id:int>`, 'GET', `d${i}`)
      r.add(`/res${i}/<name>/edit`, 'POST', `p${i}`)
    }
    expect(r.match('GET', '/static/0').target).toBe('s0')
    expect(r.match('GET', '/static/999').target).toBe('s999')
    expect(r.match('GET', '/dyn/0/5')).toEqual({ target: 'd0', args: { id: 5 } })
    expect(r.match('GET', '/dyn/999/7')).toEqual({ target: 'd999', args: { id: 7 } })
    expect(r.match('POST', '/res0/a/edit')).toEqual({ target: 'p0', args: { name: 'a' } })
    expect(r.match('POST', '/res999/z/edit')).toEqual({ target: 'p999', args: { name: 'z' } })
    expect(status(() => r.match('GET', '/dyn/1000/1'))).toBe(404)
    expect(status(() => r.match('GET', '/res5/a/edit'))).toBe(405)
  })

  it('a 1000-route table of dynamic rules sharing a prefix keeps insertion order', () => {
    const r = router()
    for (let i = 0; i < 1000; i++) r.add(`/api/<a>/${i}`, 'GET', `r${i}`)
    r.add('/api/<a>/<b>', 'GET', 'catch')
    expect(r.match('GET', '/api/x/0').target).toBe('r0')
    expect(r.match('GET', '/api/x/999').target).toBe('r999')
    expect(r.match('GET', '/api/x/1000').target).toBe('catch')
    const generic = router()
    generic.add('/api/<a>/<b>', 'GET', 'generic')
    for (let i = 0; i < 100; i++) generic.add(`/api/<a>/${i}`, 'GET', `r${i}`)
    expect(generic.match('GET', '/api/x/99').target).toBe('generic')
  })
})

describe('Router: rules that share a trie node', () => {
  // `/u/<id>/...` rules all land in the node of `/u/`; the later literal segment is what
  // tells them apart, and it must never let a later rule jump ahead of an earlier one.

  it('an earlier path wildcard beats a later rule with a literal last segment', () => {
    const r = router()
    r.add('/u/<id>/<rest:path>', 'GET', 'path')
    r.add('/u/<id>/r5', 'GET', 'r5')
    expect(r.match('GET', '/u/1/r5')).toEqual({ target: 'path', args: { id: '1', rest: 'r5' } })
    expect(r.match('GET', '/u/1/r5/x').target).toBe('path')
  })

  it('an earlier rule with a literal last segment beats a later generic one', () => {
    const r = router()
    r.add('/u/<id>/r5', 'GET', 'r5')
    r.add('/u/<id>/<x>', 'GET', 'generic')
    r.add('/u/<id>/r6', 'GET', 'r6')
    expect(r.match('GET', '/u/1/r5')).toEqual({ target: 'r5', args: { id: '1' } })
    expect(r.match('GET', '/u/1/r6')).toEqual({ target: 'generic', args: { id: '1', x: 'r6' } })
    expect(r.match('GET', '/u/1/zz').target).toBe('generic')
  })

  it('an earlier fallback rule beats a later rule of a bucket whose first rule does not match', () => {
    const r = router()
    r.add('/u/<id:int>/r5', 'GET', 'int-r5')
    r.add('/u/<id>/<rest:path>', 'GET', 'path')
    r.add('/u/<id>/r5', 'GET', 'str-r5')
    expect(r.match('GET', '/u/1/r5')).toEqual({ target: 'int-r5', args: { id: 1 } })
    expect(r.match('GET', '/u/ab/r5')).toEqual({ target: 'path', args: { id: 'ab', rest: 'r5' } })
  })

  it('finds the earliest of many literal-tailed rules and a generic rule between them', () => {
    const r = router()
    for (let i = 0; i < 500; i++) r.add(`/u/<id>/r${i}`, 'GET', `r${i}`)
    r.add('/u/<id>/<x>', 'GET', 'generic')
    for (let i = 500; i < 1000; i++) r.add(`/u/<id>/r${i}`, 'GET', `r${i}`)
    expect(r.match('GET', '/u/7/r0')).toEqual({ target: 'r0', args: { id: '7' } })
    expect(r.match('GET', '/u/7/r499').target).toBe('r499')
    expect(r.match('GET', '/u/7/r500').target).toBe('generic')
    expect(r.match('GET', '/u/7/r999').target).toBe('generic')
    expect(status(() => r.match('GET', '/u/7/r1/x'))).toBe(404)
  })

  it('keeps the same literal tail with different filters in registration order', () => {
    const r = router()
    r.add('/u/<id:int>/edit', 'GET', 'int')
    r.add('/u/<id>/edit', 'GET', 'str')
    r.add('/u/<id:int>/edit', 'POST', 'post')
    expect(r.match('GET', '/u/12/edit')).toEqual({ target: 'int', args: { id: 12 } })
    expect(r.match('GET', '/u/ab/edit')).toEqual({ target: 'str', args: { id: 'ab' } })
  })

  it('tells apart rules with different segment counts in one node', () => {
    const r = router()
    r.add('/u/<id>/r1', 'GET', 'short')
    r.add('/u/<id>/r1/edit', 'GET', 'long')
    r.add('/u/<id>/<a>/r1', 'GET', 'middle')
    r.add('/u/<id>/', 'GET', 'trailing')
    r.add('/u/<id>/r1/<b>', 'GET', 'generic-long')
    r.add('/u/x<id>/r1', 'GET', 'prefixed')
    expect(r.match('GET', '/u/1/r1').target).toBe('short')
    expect(r.match('GET', '/u/1/r1/edit').target).toBe('long')
    expect(r.match('GET', '/u/1/r1/r1').target).toBe('middle')
    expect(r.match('GET', '/u/1/r1/view')).toEqual({
      target: 'generic-long',
      args: { id: '1', b: 'view' },
    })
    expect(r.match('GET', '/u/1/')).toEqual({ target: 'trailing', args: { id: '1' } })
    // The earlier `/u/<id>/r1` takes `/u/x1/r1` too; `prefixed` is reachable only if it
    // came first, which a second table checks.
    expect(r.match('GET', '/u/x1/r1').target).toBe('short')
    const r2 = router()
    r2.add('/u/x<id>/r1', 'GET', 'prefixed')
    r2.add('/u/<id>/r1', 'GET', 'short')
    expect(r2.match('GET', '/u/x1/r1')).toEqual({ target: 'prefixed', args: { id: '1' } })
    expect(r2.match('GET', '/u/1/r1').target).toBe('short')
    expect(status(() => r.match('GET', '/u/1/r1/edit/x'))).toBe(404)
    expect(status(() => r.match('GET', '/u/1'))).toBe(404)
  })

  it('indexes rules without a leading slash and literal-only rules of a strict-order table', () => {
    const r = new Router<string>({ strictOrder: true })
    r.add('<a>/b', 'GET', 'relative')
    r.add('/s/<x>', 'GET', 'dynamic')
    r.add('/s/t', 'GET', 'static')
    r.add('/s/u', 'GET', 'static-u')
    expect(r.match('GET', 'x/b')).toEqual({ target: 'relative', args: { a: 'x' } })
    expect(r.match('GET', '/s/t').target).toBe('dynamic')
    const r2 = new Router<string>({ strictOrder: true })
    r2.add('/s/t', 'GET', 'static')
    r2.add('/s/<x>', 'GET', 'dynamic')
    expect(r2.match('GET', '/s/t').target).toBe('static')
    expect(r2.match('GET', '/s/v').target).toBe('dynamic')
  })

  // Each of these regexps can match a `/`, so a path with more segments than the rule's
  // literal slashes still matches it; it must stay ahead of the later, literal-tailed rule.
  const slashy: [string, string][] = [
    ['.+', 'the any-character dot'],
    ['[^x]+', 'a negated class without a slash'],
    ['[^!\\-~]+', 'a negated class with an escaped dash, which is no range'],
    ['[!-~]+', 'a range that spans the slash'],
    ['\\S+', 'a negated class escape'],
    ['[\\w\\W]+', 'a class with a negated class escape'],
    ['[\\w\\x2f]+', 'a hex escape'],
    ['[a-z\\/]+', 'an escaped slash in a class'],
    ['(?:[a-z]|/)', 'a literal slash'],
  ]
  for (const [conf, what] of slashy) {
    it(`keeps a re filter that can match "/" in order: ${what} (${conf})`, () => {
      const r = router()
      r.add(`/f/<x:re:${conf}>/end`, 'GET', 're')
      r.add('/f/<a>/<b>/end', 'GET', 'later')
      const path = conf === '(?:[a-z]|/)' ? '/f///end' : '/f/a/b/end'
      expect(r.match('GET', path)).toEqual({ target: 're', args: { x: path.slice(3, -4) } })
    })
  }

  it('keeps a custom filter that can match "/" in order', () => {
    const r = router()
    r.addFilter('dirs', () => ['[a-z/]+', null, null])
    r.add('/f/<x:dirs>/end', 'GET', 'dirs')
    r.add('/f/<a>/<b>/end', 'GET', 'later')
    expect(r.match('GET', '/f/a/b/end')).toEqual({ target: 'dirs', args: { x: 'a/b' } })
    expect(r.match('GET', '/f/1/b/end').target).toBe('later')
  })

  it('indexes re filters that cannot match "/" without changing what they match', () => {
    const r = router()
    r.add('/f/<x:re:[^/]+>/end', 'GET', 'negated')
    r.add('/f/<x:re:[a-z\\-]+>/<y:int>/end', 'GET', 'class')
    r.add('/f/<x:re:\\w+\\.\\d>/end2', 'GET', 'escapes')
    r.add('/f/<a>/<b>/end', 'GET', 'later')
    expect(r.match('GET', '/f/a.b/end')).toEqual({ target: 'negated', args: { x: 'a.b' } })
    expect(r.match('GET', '/f/a-b/3/end')).toEqual({ target: 'class', args: { x: 'a-b', y: 3 } })
    expect(r.match('GET', '/f/A1/3/end').target).toBe('later')
    expect(r.match('GET', '/f/ab.1/end2')).toEqual({ target: 'escapes', args: { x: 'ab.1' } })
    expect(status(() => r.match('GET', '/f/ab/end2'))).toBe(404)
  })

  it('answers 405 with Allow, and HEAD and ANY fallbacks, across indexed rules', () => {
    const r = router()
    r.add('/u/<id>/r1', 'GET', 'get-r1')
    r.add('/u/<id>/r1', 'PUT', 'put-r1')
    r.add('/u/<id>/<x>', 'DELETE', 'delete-any-tail')
    r.add('/u/<id>/r2', 'POST', 'post-r2')
    r.add('/u/<id>/r3', 'ANY', 'any-r3')
    r.add('/u/<id>/r3/<rest:path>', 'PATCH', 'patch-deep')
    try {
      r.match('PATCH', '/u/1/r1')
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(HTTPError)
      expect((err as HTTPError).statusCode).toBe(405)
      expect((err as HTTPError).getHeader('Allow')).toBe('DELETE,GET,PUT')
    }
    expect(r.allowedMethods('/u/1/r2')).toEqual(['DELETE', 'POST'])
    expect(r.match('HEAD', '/u/1/r1').target).toBe('get-r1')
    expect(r.match('POST', '/u/1/r3').target).toBe('any-r3')
    expect(r.match('PATCH', '/u/1/r3/a/b')).toEqual({
      target: 'patch-deep',
      args: { id: '1', rest: 'a/b' },
    })
    expect(status(() => r.match('GET', '/u/1/r2'))).toBe(405)
    expect(status(() => r.match('GET', '/u/1/r2/x'))).toBe(404)
  })

  it('a later rule added after the first match is still found in order', () => {
    const r = router()
    r.add('/u/<id>/r1', 'GET', 'r1')
    expect(r.match('GET', '/u/1/r1').target).toBe('r1')
    r.add('/u/<id>/<rest:path>', 'GET', 'path')
    r.add('/u/<id>/r2', 'GET', 'r2')
    expect(r.match('GET', '/u/1/r1').target).toBe('r1')
    expect(r.match('GET', '/u/1/r2').target).toBe('path')
  })
})

describe('Router: order against a reference list', () => {
  // The reference tries every rule's own regexp in registration order, as Bottle's
  // documented semantics read: static rules first (unless strictOrder), then the first
  // dynamic rule that matches; method fallbacks, then 405 with Allow, then 404.
  type Kind = 'lit' | 'str' | 'int' | 'anon-int' | 'path' | 'slashy' | 'mixed'
  const LITERALS = ['a', 'r1']
  const segmentArb = fc.tuple(
    fc.constantFrom<Kind>('lit', 'lit', 'str', 'int', 'anon-int', 'path', 'slashy', 'mixed'),
    fc.constantFrom(...LITERALS)
  )
  const ruleArb = (maxSegments: number): fc.Arbitrary<RuleSpec> =>
    fc.record({
      segments: fc.array(segmentArb, { minLength: 1, maxLength: maxSegments }),
      method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'ANY'),
    })
  const pathArb = fc
    .array(fc.constantFrom('a', 'r1', 'x', '7', '-3', 'a7', ''), {
      minLength: 1,
      maxLength: 4,
    })
    .map((parts) => '/u/' + parts.join('/'))
  const VALUES: Record<Kind, string[]> = {
    lit: [],
    str: ['a', '7', 'r1'],
    int: ['7', '-3'],
    'anon-int': ['7'],
    path: ['a', 'a/r1', '7'],
    slashy: ['a', 'r1/a', '7'],
    mixed: ['7', 'r1'],
  }

  /** A path that the spec's own rule matches, with values picked by `choices`. */
  function instantiate(spec: RuleSpec, choices: number[]): string {
    return (
      '/u/' +
      spec.segments
        .map(([kind, text], i) => {
          if (kind === 'lit') return text
          const values = VALUES[kind]
          const value = values[(choices[i] ?? 0) % values.length]!
          return kind === 'mixed' ? 'a' + value : value
        })
        .join('/')
    )
  }

  interface RuleSpec {
    segments: [Kind, string][]
    method: string
  }

  interface RefRule {
    rule: string
    method: string
    label: string
    isStatic: boolean
    regex: RegExp
    keys: string[]
    ints: boolean[]
  }

  function reference(specs: RuleSpec[]): RefRule[] {
    return specs.map(({ segments, method }) => {
      let rule = '/u'
      let source = '^\\/u'
      const keys: string[] = []
      const ints: boolean[] = []
      segments.forEach(([kind, text], i) => {
        rule += '/'
        source += '\\/'
        const name = `w${i}`
        if (kind === 'lit') {
          rule += text
          source += text
          return
        }
        if (kind === 'anon-int') {
          rule += '<:int>'
          source += '(?:-?\\d+)'
          return
        }
        const [piece, group] = {
          str: [`<${name}>`, '([^/]+)'],
          int: [`<${name}:int>`, '(-?\\d+)'],
          path: [`<${name}:path>`, '(.+?)'],
          slashy: [`<${name}:re:[^x]+>`, '([^x]+)'],
          mixed: [`a<${name}>`, 'a([^/]+)'],
        }[kind]
        rule += piece
        source += group
        keys.push(name)
        ints.push(kind === 'int')
      })
      return {
        rule,
        method,
        label: `${method} ${rule}`,
        isStatic: keys.length === 0 && !rule.includes('<'),
        regex: new RegExp(source + '$'),
        keys,
        ints,
      }
    })
  }

  type Outcome =
    { target: string; args: Record<string, unknown> } | { status: number; allow: string | null }

  function expected(rules: RefRule[], strict: boolean, method: string, path: string): Outcome {
    const find = (m: string): Outcome | undefined => {
      const mine = rules.filter((r) => r.method === m)
      if (!strict) {
        const hit = mine.find((r) => r.isStatic && r.rule === path)
        if (hit) return { target: hit.label, args: {} }
      }
      for (const r of mine) {
        if (r.isStatic && !strict) continue
        const m = r.regex.exec(path)
        if (!m) continue
        const args: Record<string, unknown> = {}
        r.keys.forEach((k, i) => (args[k] = r.ints[i] ? Number(m[i + 1]) : m[i + 1]))
        return { target: r.label, args }
      }
      return undefined
    }
    const order =
      method === 'HEAD'
        ? ['HEAD', 'GET', 'ANY']
        : method === 'GET'
          ? ['GET', 'ANY']
          : [method, 'ANY']
    for (const m of order) {
      const found = find(m)
      if (found) return found
    }
    const allowed = [...new Set(rules.map((r) => r.method))]
      .filter((m) => !order.includes(m) && find(m))
      .sort()
    return allowed.length ? { status: 405, allow: allowed.join(',') } : { status: 404, allow: null }
  }

  function actual(r: Router<string>, method: string, path: string): Outcome {
    try {
      return r.match(method, path)
    } catch (err) {
      if (!(err instanceof HTTPError)) throw err
      return { status: err.statusCode, allow: err.getHeader('Allow') ?? null }
    }
  }

  // Short rules collide more often (same tail, different filters), long ones reach deeper.
  for (const maxSegments of [2, 3]) {
    it(`matches exactly what the ordered reference list matches, rules of up to ${maxSegments} segments`, () => {
      fc.assert(
        fc.property(
          fc.array(ruleArb(maxSegments), { minLength: 1, maxLength: 14 }),
          fc.array(fc.tuple(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT'), pathArb), {
            minLength: 1,
            maxLength: 25,
          }),
          fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
          fc.boolean(),
          (specs, requests, choices, strict) => {
            const rules = reference(specs)
            const r = new Router<string>({ strictOrder: strict })
            for (const rule of rules) r.add(rule.rule, rule.method, rule.label)
            // Besides random paths, one path per rule that this rule matches, so that
            // rules meet the paths of the other rules they may shadow.
            const own = specs.map((spec): [string, string] => ['GET', instantiate(spec, choices)])
            for (const [method, path] of [...requests, ...own]) {
              expect(actual(r, method, path), `${method} ${path}`).toEqual(
                expected(rules, strict, method, path)
              )
            }
          }
        ),
        { numRuns: 400 }
      )
    })
  }
})

describeMatrix('Router through the app', (client) => {
  it('a filter conversion error is a 400 page naming the problem', async () => {
    const app = new Bottle()
    app.get('/f/<x:float>', ({ x }) => `x=${x}`)
    const c = client(app)
    expect((await c.get('/f/1.5')).text()).toBe('x=1.5')
    const res = await c.get('/f/1.2.3')
    expect(res.status).toBe(400)
    expect(res.text()).toContain('Path has wrong format.')
  })

  it('405 responses carry a sorted Allow header', async () => {
    const app = new Bottle()
    app.put('/r', () => 'put')
    app.post('/r', () => 'post')
    const res = await client(app).get('/r')
    expect(res.status).toBe(405)
    expect(res.header('allow')).toBe('POST,PUT')
  })

  it('matches the percent-decoded path, %2F included', async () => {
    const app = new Bottle()
    app.get('/a b/<x>', ({ x }) => `x=${x}`)
    app.get('/p/<rest:path>', ({ rest }) => `rest=${rest}`)
    app.get('/my-öäü/<s>', ({ s }) => s)
    const c = client(app)
    expect((await c.get('/a%20b/c%3Fd')).text()).toBe('x=c?d')
    expect((await c.get('/p/x%2Fy')).text()).toBe('rest=x/y')
    const utf8 = await c.get('/my-%C3%B6%C3%A4%C3%BC/urf8-%C3%B6%C3%A4%C3%BC')
    expect(utf8.text()).toBe('urf8-öäü')
  })

  it('answers 400 for malformed escapes and NUL bytes in the path', async () => {
    const app = new Bottle()
    app.get('/<x>', ({ x }) => x)
    const c = client(app)
    expect((await c.get('/%zz')).status).toBe(400)
    expect((await c.get('/%E0%A4%A')).status).toBe(400)
    expect((await c.get('/a%00b')).status).toBe(400)
    expect((await c.get('/ok')).status).toBe(200)
  })

  it('custom filters added to app.router convert arguments for callbacks', async () => {
    const app = new Bottle()
    app.router.addFilter('csv', () => [
      '[^/]+',
      (t) => t.split(','),
      (v) => (v as string[]).join(','),
    ])
    app.get('/sum/<nums:csv>', { name: 'sum' }, ({ nums }) =>
      String((nums as unknown as string[]).map(Number).reduce((a, b) => a + b, 0))
    )
    expect((await client(app).get('/sum/1,2,3')).text()).toBe('6')
    expect(app.getUrl('sum', { nums: ['4', '5'] })).toBe('/sum/4,5')
  })

  it('old-style :name rules work through the app', async () => {
    const app = new Bottle()
    app.get('/api/:version/users/:id', ({ version, id }) => `${version}:${id}`)
    app.get('/file/:name.json', ({ name }) => `json ${name}`)
    const c = client(app)
    expect((await c.get('/api/v2/users/7')).text()).toBe('v2:7')
    expect((await c.get('/file/report.json')).text()).toBe('json report')
  })

  it('passes int wildcards to the callback as numbers', async () => {
    const app = new Bottle()
    app.get('/user/<id:int>', ({ id }) => `${typeof id}:${id * 2}`)
    expect((await client(app).get('/user/21')).text()).toBe('number:42')
  })
})

describe('app.getUrl', () => {
  it('builds named routes with filters and extra params as the query string', async () => {
    const app = new Bottle()
    app.get('/user/<id:int>/<tab>', { name: 'user' }, () => 'u')
    app.get('/files/<p:path>', { name: 'files' }, () => 'f')
    expect(app.getUrl('user', { id: 5, tab: 'posts' })).toBe('/user/5/posts')
    expect(app.getUrl('user', { id: 5, tab: 'posts', page: 2 })).toBe('/user/5/posts?page=2')
    expect(app.getUrl('user', { id: 5, tab: 'posts' }, { q: 'a&b' })).toBe('/user/5/posts?q=a%26b')
    expect(app.getUrl('files', { p: 'a/b.txt' })).toBe('/files/a/b.txt')
    expect(() => app.getUrl('nope')).toThrow(RouteBuildError)
    // Inside a request, with the app at the root, the URL is the same.
    app.get('/here', () => app.getUrl('user', { id: 1, tab: 't' }))
    expect((await new TestClient(app).get('/here')).text()).toBe('/user/1/t')
  })
})
