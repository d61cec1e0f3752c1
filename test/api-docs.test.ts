/**
 * docs/api.md lists every public name: values from the module namespaces of `bottle-ts`
 * and `bottle-ts/testing`, types from the `type` entries of src/index.ts (and the exported
 * declarations of src/testing.ts), each under the section of the module that exports it.
 * A name added to src/index.ts without a line in docs/api.md fails here, and so does a
 * documented name that is no longer exported.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const indexText = readFileSync(new URL('../src/index.ts', import.meta.url), 'utf8')
const testingText = readFileSync(new URL('../src/testing.ts', import.meta.url), 'utf8')
const docs = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8')

interface ExportEntry {
  name: string
  type: boolean
  /** The source module as docs/api.md names it, e.g. `src/app.ts`. */
  module: string
}

/** The entries of every `export { ... } from '...'` and `export type { ... } from '...'`. */
function indexEntries(text: string): ExportEntry[] {
  const entries: ExportEntry[] = []
  const block = /export\s+(type\s+)?\{([^}]*)\}\s*from\s*'([^']+)'/g
  for (const m of text.matchAll(block)) {
    const typeBlock = m[1] !== undefined
    const module = m[3]!.replace(/^\.\//, 'src/').replace(/\.js$/, '.ts')
    for (const raw of m[2]!.replace(/\/\/.*$/gm, '').split(',')) {
      const item = raw.trim()
      if (!item) continue
      const isType = typeBlock || item.startsWith('type ')
      const spec = item.replace(/^type\s+/, '')
      const name = spec.includes(' as ') ? spec.split(' as ')[1]!.trim() : spec
      entries.push({ name, type: isType, module })
    }
  }
  return entries
}

/** The declarations `export`ed by src/testing.ts, the `bottle-ts/testing` entry point. */
function testingEntries(text: string): ExportEntry[] {
  const declared = /^export\s+(?:declare\s+)?(class|function|const|interface|type)\s+(\w+)/gm
  return [...text.matchAll(declared)].map((m) => ({
    name: m[2]!,
    type: m[1] === 'interface' || m[1] === 'type',
    module: 'src/testing.ts',
  }))
}

/** Documented entries (`- \`name\`...` lines) with the `### \`module\`` section they sit in. */
function docEntries(text: string): ExportEntry[] {
  const entries: ExportEntry[] = []
  let module = ''
  for (const line of text.split('\n')) {
    const heading = /^### `([^`]+)`/.exec(line)
    if (heading) module = heading[1]!
    const entry = /^- `([^`]+)`( \(type\))?:/.exec(line)
    if (entry) entries.push({ name: entry[1]!, type: entry[2] !== undefined, module })
  }
  return entries
}

describe('docs/api.md', async () => {
  const namespace = await import('../src/index.js')
  const testing = await import('../src/testing.js')
  const values = [...Object.keys(namespace), ...Object.keys(testing)].sort()
  const exported = [...indexEntries(indexText), ...testingEntries(testingText)]
  const types = exported.filter((e) => e.type).map((e) => e.name)
  const documented = docEntries(docs)
  const documentedNames = new Set(documented.map((e) => e.name))

  it('reads src/index.ts the way the module exports it', () => {
    // Guards the parsers: their value names must be exactly the runtime namespaces.
    const parsedValues = exported.filter((e) => !e.type).map((e) => e.name)
    expect(parsedValues.sort()).toEqual(values)
    expect(types.length).toBeGreaterThan(0)
  })

  it('documents every exported value', () => {
    expect(values.filter((name) => !documentedNames.has(name))).toEqual([])
  })

  it('documents every exported type', () => {
    expect(types.filter((name) => !documentedNames.has(name))).toEqual([])
  })

  it('documents nothing that is not exported', () => {
    const all = new Set([...values, ...types])
    expect(documented.map((e) => e.name).filter((name) => !all.has(name))).toEqual([])
  })

  it('documents each name once, marks types, and files it under its module', () => {
    const seen = documented.map((e) => e.name)
    expect(seen.filter((name, i) => seen.indexOf(name) !== i)).toEqual([])
    const byName = new Map(documented.map((e) => [e.name, e]))
    const misplaced = exported
      .filter((e) => byName.has(e.name))
      .filter((e) => byName.get(e.name)!.module !== e.module || byName.get(e.name)!.type !== e.type)
      .map((e) => `${e.name} (${e.type ? 'type' : 'value'} from ${e.module})`)
    expect(misplaced).toEqual([])
  })

  it('gives every entry a signature and a description', () => {
    const bare = docs
      .split('\n')
      .filter((line) => line.startsWith('- `'))
      .filter((line) => !/^- `[^`]+`( \(type\))?: `.+` — \S.*$/.test(line))
    expect(bare).toEqual([])
  })
})
