/**
 * Property-based checks with fast-check: the router agrees with the URLs it builds, the
 * query parser round-trips what URLSearchParams writes, template escaping holds for any
 * string and random templates either render or fail with a located TemplateError, and
 * Range parsing only ever yields in-bounds ranges.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Bottle, FormsDict, Router, template } from 'bottle-ts'
import { parseRange } from '../../src/internal/range.js'
import { parseQuery } from '../../src/internal/url.js'
import { TemplateError } from '../../src/template/base.js'

const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/)
const segmentValue = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('/'))

type Part = { kind: 'static'; text: string } | { kind: 'str' | 'int' | 'float' | 'path' }

const partArb: fc.Arbitrary<Part> = fc.oneof(
  word.map((text): Part => ({ kind: 'static', text })),
  fc.constantFrom<Part>({ kind: 'str' }, { kind: 'int' }, { kind: 'float' })
)

describe('router properties', () => {
  it('every rule matches the URLs getUrl builds for it, with the same values back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(partArb, { minLength: 1, maxLength: 4 }), fc.boolean()), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.array(
          fc.tuple(
            segmentValue,
            fc.integer({ min: -1e6, max: 1e6 }),
            fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 1000)
          ),
          {
            minLength: 12,
            maxLength: 12,
          }
        ),
        (rules, values) => {
          const router = new Router<number>()
          const built: { url: string; index: number; expected: Record<string, unknown> }[] = []
          rules.forEach(([parts, withPath], index) => {
            // A unique literal first segment keeps rules from shadowing each other.
            let rule = `/r${index}`
            const expected: Record<string, unknown> = {}
            const [text, int, float] = values[index]!
            parts.forEach((part, i) => {
              if (part.kind === 'static') rule += `/${part.text}`
              else {
                const name = `w${i}`
                rule += part.kind === 'str' ? `/<${name}>` : `/<${name}:${part.kind}>`
                expected[name] = part.kind === 'str' ? text : part.kind === 'int' ? int : float
              }
            })
            if (withPath) {
              rule += '/<rest:path>'
              expected.rest = `${text}/x`
            }
            router.add(rule, 'GET', index, `n${index}`)
            built.push({ url: router.build(`n${index}`, expected), index, expected })
          })
          for (const { url, index, expected } of built) {
            const decoded = url // build() does not percent-encode path values, as Bottle
            const { target, args } = router.match('GET', decoded)
            expect(target).toBe(index)
            for (const [k, v] of Object.entries(expected)) {
              if (typeof v === 'number') expect(args[k]).toBeCloseTo(v, 6)
              else expect(args[k]).toBe(v)
            }
          }
        }
      ),
      { numRuns: 150 }
    )
  })

  it('never throws anything but an HTTP error for arbitrary paths', () => {
    const app = new Bottle()
    app.get('/<a>/<b:int>', () => 'x')
    app.get('/p/<x:float>', () => 'x')
    app.get('/s/<rest:path>', () => 'x')
    app.get('/r/<r:re:[a-z]+[0-9]*>', () => 'x')
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (tail) => {
        try {
          app.match('GET', '/' + tail)
        } catch (err) {
          expect((err as { statusCode?: number }).statusCode).toBeOneOf([400, 404, 405])
        }
      }),
      { numRuns: 500 }
    )
  })
})

describe('query parsing', () => {
  it('round-trips what URLSearchParams writes, in order, repeated keys included', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 20 }), (pairs) => {
        const qs = new URLSearchParams(pairs).toString()
        const got: [string, string][] = []
        parseQuery(qs, (k, v) => got.push([k, v]))
        expect(got).toEqual(pairs)
        const dict = FormsDict.create(got)
        for (const [k] of got)
          expect(dict.getall(k)).toEqual(got.filter(([k2]) => k2 === k).map(([, v]) => v))
      }),
      { numRuns: 300 }
    )
  })

  it('never throws on arbitrary query strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (qs) => {
        parseQuery(qs, () => undefined)
      }),
      { numRuns: 500 }
    )
  })
})

describe('template properties', () => {
  const unescape = (s: string): string =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#0?39;/g, "'")
      .replace(/&amp;/g, '&')

  it('escapes any string: no raw markup characters, and unescaping gives it back', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (s) => {
        const out = template('<p>{{x}}</p>', { x: s })
        const inner = out.slice(3, -4)
        expect(inner).not.toMatch(/[<>"']/)
        expect(unescape(inner)).toBe(s)
      }),
      { numRuns: 300 }
    )
  })

  it('random templates either render or fail with a located TemplateError', () => {
    const fragment = fc.constantFrom(
      'text ',
      '{{',
      '}}',
      '{{x}}',
      '{{!x}}',
      '{{ x + 1 }}',
      '\n',
      '% ',
      '%%',
      '\\%',
      'if (x):',
      '% if (x):\n',
      '% else:\n',
      '% end\n',
      '<%',
      '%>',
      '%#',
      '{',
      '}',
      '"',
      "'",
      '`',
      '\\\\\n',
      'undefinedVar',
      '{{undefinedVar}}'
    )
    fc.assert(
      fc.property(fc.array(fragment, { minLength: 1, maxLength: 25 }), (parts) => {
        const source = '\n' + parts.join('')
        try {
          const out = template(source, { x: 1 })
          expect(typeof out).toBe('string')
        } catch (err) {
          expect(err).toBeInstanceOf(TemplateError)
          expect((err as TemplateError).line).toBeTypeOf('number')
        }
      }),
      { numRuns: 300 }
    )
  })
})

describe('Range parsing', () => {
  it('only yields ranges inside the representation, start <= end', () => {
    const spec = fc.oneof(
      fc.tuple(fc.nat(2000), fc.nat(2000)).map(([a, b]) => `${a}-${b}`),
      fc.nat(2000).map((a) => `${a}-`),
      fc.nat(2000).map((n) => `-${n}`),
      fc.string({ maxLength: 8 })
    )
    fc.assert(
      fc.property(fc.array(spec, { maxLength: 5 }), fc.nat(1500), (specs, size) => {
        const ranges = parseRange(`bytes=${specs.join(',')}`, size)
        expect(ranges).not.toBeNull()
        for (const r of ranges!) {
          expect(r.start).toBeGreaterThanOrEqual(0)
          expect(r.start).toBeLessThanOrEqual(r.end)
          expect(r.end).toBeLessThan(size)
        }
      }),
      { numRuns: 500 }
    )
  })

  it('ignores headers that are not byte ranges', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (h) => {
        fc.pre(!/^\s*bytes\s*=/i.test(h))
        expect(parseRange(h, 100)).toBeNull()
      })
    )
  })
})
