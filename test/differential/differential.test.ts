/**
 * The differential suite's entry: the same raw requests to app.py under real Bottle and
 * to app.ts under bottle-ts, one test per area, one printed line per mismatch and a
 * per-area summary at the end. Skips with a message when /usr/bin/python3 cannot import
 * bottle (`.ci/run` installs python3-bottle). Also keeps docs/porting.md's list of
 * deliberate differences equal to differences.ts.
 * @module
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApps, hasExport } from './app.js'
import { AREAS } from './cases/index.js'
import { DIFFERENCES, KNOWN_BUGS, NORMALISED } from './differences.js'
import {
  bottleAvailable,
  check,
  diff,
  encodeRequest,
  formatMismatch,
  formatSummary,
  normalise,
  normaliseCookie,
  parseResponse,
  pool,
  req,
  runCase,
  startBottle,
  startBottleTs,
  type Outcome,
  type RawResponse,
  type Side,
} from './runner.js'

const known = new Set([...DIFFERENCES, ...KNOWN_BUGS].map((d) => d.id))
const documented = new Set(DIFFERENCES.map((d) => d.id))
const availability = bottleAvailable()
if (!availability.ok) {
  process.stderr.write(`differential suite skipped: ${availability.why}\n`)
}

describe.skipIf(!availability.ok)('differential: bottle-ts against Bottle', () => {
  let py: Side | undefined
  let ts: Side | undefined
  const outcomes: Outcome[] = []

  beforeAll(async () => {
    ;[py, ts] = await Promise.all([startBottle(), startBottleTs(buildApps())])
  })

  afterAll(async () => {
    await Promise.all([py?.close(), ts?.close()])
    if (outcomes.length)
      process.stdout.write(
        `\nBottle ${py?.version ?? '?'} vs bottle-ts\n${formatSummary(outcomes)}\n`
      )
  })

  for (const area of AREAS) {
    const skip = area.requires !== undefined && !hasExport(area.requires)
    it.skipIf(skip)(`${area.area} answers as Bottle does`, async () => {
      const results = await pool(area.cases, 6, (c) =>
        runCase(area.area, c, py!, ts!, known, hasExport)
      )
      outcomes.push(...results)
      const bad = results.filter((r) => r.kind === 'mismatch')
      const text = bad.map(formatMismatch).join('\n')
      if (text) process.stdout.write(text + '\n')
      expect(bad.length, `\n${text}`).toBe(0)
    })
  }
})

describe('differential: the list of differences', () => {
  it('has unique ids with every field filled in', () => {
    expect(known.size).toBe(DIFFERENCES.length + KNOWN_BUGS.length)
    for (const d of [...DIFFERENCES, ...KNOWN_BUGS])
      for (const field of ['id', 'area', 'bottle', 'bottleTs', 'why'] as const)
        expect(d[field].trim(), `${d.id}.${field}`).not.toBe('')
  })

  it('names only known differences in cases, and each one in some case', () => {
    const used = new Set(
      AREAS.flatMap((a) => a.cases.flatMap((c) => (c.differs ? [c.differs] : [])))
    )
    expect([...used].filter((id) => !known.has(id))).toEqual([])
    for (const id of NORMALISED) used.add(id)
    expect([...known].filter((id) => !used.has(id))).toEqual([])
  })

  it('is the list docs/porting.md shows under "Deliberate differences"', () => {
    const doc = readFileSync(new URL('../../docs/porting.md', import.meta.url), 'utf8')
    const start = doc.indexOf('\n## Deliberate differences')
    expect(start, 'docs/porting.md has a "## Deliberate differences" section').toBeGreaterThan(-1)
    const rest = doc.slice(start + 1)
    const end = rest.indexOf('\n## ', 1)
    const section = end === -1 ? rest : rest.slice(0, end)
    const ids = [...section.matchAll(/^\|\s*`([^`]+)`\s*\|/gm)].map((m) => m[1])
    expect([...ids].sort()).toEqual([...documented].sort())
  })
})

describe('differential: the runner', () => {
  const raw = (text: string): RawResponse => parseResponse(Buffer.from(text, 'latin1'))

  it('parses a chunked answer and keeps repeated headers', () => {
    const res = raw(
      'HTTP/1.1 200 OK\r\nX-A: 1\r\nX-A: 2\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'
    )
    expect(res.status).toBe(200)
    expect(res.body.toString()).toBe('abcde')
    expect(normalise(res, 'GET').headers.get('x-a')).toEqual(['1', '2'])
  })

  it('compares JSON bodies as values, not as text', () => {
    const a = normalise(
      raw(
        'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"b": 1, "a": 2}'
      ),
      'GET'
    )
    const b = normalise(
      raw(
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 13\r\n\r\n{"a":2,"b":1}'
      ),
      'GET'
    )
    expect(diff(a, b, {})).toEqual([])
  })

  it('reports a Content-Length that does not match the body', () => {
    const res = normalise(raw('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort'), 'GET')
    expect(res.faults).toEqual(['Content-Length 9 but the body has 5 bytes'])
  })

  it('masks signed cookie values of both formats and sorts attributes', () => {
    expect(normaliseCookie('s="!abc=?gAWV"; Path=/; HttpOnly')).toBe('s=<signed>; httponly; path=/')
    expect(normaliseCookie('s=!sig%3Fpayload; HttpOnly; Path=/')).toBe(
      's=<signed>; httponly; path=/'
    )
    expect(normaliseCookie('a=1; Max-Age=60')).toBe('a=1; max-age=60')
  })

  it('reduces both error pages to status, URL and message', () => {
    const py012 =
      '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head><title>Error: 404 Not Found</title></head>' +
      '<body><h1>Error: 404 Not Found</h1><p>Sorry, the requested URL <tt>&#039;http://localhost/x&#039;</tt>\n' +
      '               caused an error:</p>\n<pre>Not found: &#039;/x&#039;</pre></body></html>'
    const ts =
      '<!DOCTYPE html>\n<html>\n  <head>\n    <title>Error: 404 Not Found</title>\n  </head>\n  <body>\n' +
      '    <p>Sorry, the requested URL <tt>&#039;http://localhost/x&#039;</tt> caused an error:</p>\n' +
      '    <pre>Not found: &#039;/x&#039;</pre>\n  </body>\n</html>\n'
    const page = (body: string): string =>
      normalise(raw(`HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n${body}`), 'GET').body
    expect(page(py012)).toBe(page(ts))
    expect(page(ts)).toBe(
      '[error page] status=404 url=&#039;http://localhost/x&#039; message=Not found: &#039;/x&#039;'
    )
  })

  it('names every field that differs', () => {
    const a = normalise(raw('HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nok'), 'GET')
    const b = normalise(raw('HTTP/1.1 201 Created\r\nX-A: 2\r\nContent-Length: 2\r\n\r\nno'), 'GET')
    expect(diff(a, b, {})).toEqual([
      'status: Bottle 200, bottle-ts 201',
      'header x-a: Bottle "1", bottle-ts "2"',
      'body: Bottle "ok", bottle-ts "no"',
    ])
  })

  it('checks an expectation field by field', () => {
    const res = normalise(raw('HTTP/1.1 404 Not Found\r\nX-A: 1\r\n\r\n'), 'GET')
    expect(check('bottle-ts', res, { status: 404, headers: { 'x-a': '1', 'x-b': null } })).toEqual(
      []
    )
    expect(check('bottle-ts', res, { status: 200, headers: { 'x-a': /2/ } })).toEqual([
      'bottle-ts status: expected 200, got 404',
      'bottle-ts header x-a: expected one value like /2/, got "1"',
    ])
  })

  it('builds requests with Host, Connection and Content-Length', () => {
    expect(encodeRequest(req('POST', '/p', { body: 'abc' })).toString()).toBe(
      'POST /p HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc'
    )
  })
})
