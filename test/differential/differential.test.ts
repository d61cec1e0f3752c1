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
  formatMismatch,
  formatSummary,
  pool,
  runCase,
  startBottle,
  startBottleTs,
  type Outcome,
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
