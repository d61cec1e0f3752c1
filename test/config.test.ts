import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { Bottle, ConfigDict } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'

describe('ConfigDict', () => {
  it('behaves like a dict', () => {
    const c = new ConfigDict()
    c.set('key', 'value')
    c.set('k2', 'v1')
    c.set('k2', 'v2')
    expect(c.keys()).toEqual(['key', 'k2'])
    expect(c.get('key')).toBe('value')
    expect(c.get('k2')).toBe('v2')
    expect(c.get('cay')).toBeUndefined()
    expect(c.get('cay', 'fallback')).toBe('fallback')
    expect(c.has('key')).toBe(true)
    expect(c.has('cay')).toBe(false)
    expect([...c]).toEqual(['key', 'k2'])
    expect(c.setdefault('key', 'Val2')).toBe('value')
    expect(c.setdefault('new', 'Val3')).toBe('Val3')
    expect(c.delete('No key')).toBe(false)
  })

  it('updates from an object, with or without a namespace', () => {
    const c = new ConfigDict()
    c.set('key', 'value')
    c.update({ key: 'value2', key2: 'value3' })
    expect(c.get('key')).toBe('value2')
    expect(c.get('key2')).toBe('value3')
    c.update('a.b', { key: 'value' })
    expect(c.get('a.b.key')).toBe('value')
  })

  it('refuses non-string keys', () => {
    expect(() => new ConfigDict().set(5 as unknown as string, 'value')).toThrow(TypeError)
  })

  it('applies meta filters, and a throwing filter vetoes the value', () => {
    const c = new ConfigDict()
    c.metaSet('bool', 'filter', Boolean)
    c.metaSet('int', 'filter', (v: unknown) => {
      const n = Number(v)
      if (!Number.isInteger(n)) throw new RangeError(`not an int: ${String(v)}`)
      return n
    })
    c.set('bool', 'I am so true!')
    c.set('int', '6')
    expect(c.get('bool')).toBe(true)
    expect(c.get('int')).toBe(6)
    expect(() => c.update({ int: 'not an int' })).toThrow(/not an int/)
    expect(c.get('int')).toBe(6)
    c.metaSet('x', 'help', 'Some help')
    expect(c.metaGet('x', 'help')).toBe('Some help')
    expect(c.metaGet('x', 'nope', 'dflt')).toBe('dflt')
    expect(c.metaList('x')).toEqual(['help'])
  })

  it('flattens nested objects with loadDict, unicode keys included', () => {
    const c = new ConfigDict()
    c.loadDict({ a: { b: { foo: 5, bar: 6 }, baz: 7 } })
    expect(c.get('a.b.foo')).toBe(5)
    expect(c.get('a.b.bar')).toBe(6)
    expect(c.get('a.baz')).toBe(7)
    const key = String.fromCodePoint(12354)
    expect(new ConfigDict().loadDict({ [key]: 'value' }).get(key)).toBe('value')
    expect(new ConfigDict().loadDict({ [key]: { subkey: 'value' } }).get(`${key}.subkey`)).toBe(
      'value'
    )
  })

  it('keeps __proto__ and constructor as plain keys', () => {
    const c = new ConfigDict()
    c.loadDict(
      JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "x"}') as Record<string, unknown>
    )
    expect(c.get('__proto__.polluted')).toBe(1)
    expect(c.get('constructor')).toBe('x')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('loads upper-case exports of a module', async () => {
    const url = pathToFileURL(join(import.meta.dirname, 'fixtures/example-settings.mjs')).href
    const c = await new ConfigDict().loadModule(url)
    expect(c.get('A.B.C')).toBe(3)
    expect(c.get('DEBUG')).toBe(true)
    expect(c.has('lowercase')).toBe(false)
    const raw = await new ConfigDict().loadModule(url, false)
    expect(raw.get('A')).toEqual({ B: { C: 3 } })
  })

  it('overlays read through to their source until they set a key', () => {
    const source = new ConfigDict()
    source.set('key', 'source')
    const intermediate = source.makeOverlay()
    const overlay = intermediate.makeOverlay()
    expect(overlay.get('key')).toBe('source')
    expect(overlay.has('key')).toBe(true)
    source.set('key', 'source2')
    expect(overlay.get('key')).toBe('source2')
    overlay.set('key', 'overlay')
    expect(source.get('key')).toBe('source2')
    expect(intermediate.get('key')).toBe('source2')
    expect(overlay.get('key')).toBe('overlay')
    expect(overlay.delete('key')).toBe(true)
    expect(overlay.get('key')).toBe('source2')
    expect(overlay.delete('key')).toBe(false)
    source.delete('key')
    expect(overlay.has('key')).toBe(false)
    expect(intermediate.has('key')).toBe(false)
    source.set('key2', 'source')
    expect(overlay.get('key2')).toBe('source')
    overlay.set('key3', 'overlay')
    expect(intermediate.has('key3')).toBe(false)
    source.set('key3', 'source')
    expect(overlay.get('key3')).toBe('overlay')
    overlay.delete('key3')
    expect(overlay.get('key3')).toBe('source')
  })
})

describe('config files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bottle-ts-config-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('loads INI files as Bottle does', () => {
    const file = join(dir, 'example.ini')
    writeFileSync(
      file,
      [
        '[DEFAULT]',
        'default: 45',
        '[bottle]',
        'port = 8080',
        '[ROOT]',
        'namespace.key = test',
        '[NameSpace.Section]',
        'sub.namespace.key = test2',
        'default = otherDefault',
        '[compression]',
        'status=single',
        '; a comment',
        '# another',
      ].join('\n')
    )
    const c = new ConfigDict().loadConfig(file)
    expect(Object.fromEntries(c.entries())).toEqual({
      'compression.default': '45',
      'compression.status': 'single',
      default: '45',
      'namespace.key': 'test',
      'namespace.section.default': 'otherDefault',
      'namespace.section.sub.namespace.key': 'test2',
      port: '8080',
    })
  })

  it('loads JSON files, nested objects flattened', () => {
    const file = join(dir, 'conf.json')
    writeFileSync(file, JSON.stringify({ db: { host: 'localhost', port: 5432 }, debug: true }))
    const c = new ConfigDict().loadConfig(file)
    expect(c.get('db.host')).toBe('localhost')
    expect(c.get('db.port')).toBe(5432)
    expect(c.get('debug')).toBe(true)
  })

  it('refuses malformed INI lines and non-object JSON with a clear error', () => {
    const bad = join(dir, 'bad.ini')
    writeFileSync(bad, '[s]\njust words\n')
    expect(() => new ConfigDict().loadConfig(bad)).toThrow(/key = value/)
    const arr = join(dir, 'arr.json')
    writeFileSync(arr, '[1,2]')
    expect(() => new ConfigDict().loadConfig(arr)).toThrow(/JSON object/)
  })
})

describe('app config', () => {
  it('calls the config hook as (key, value) before storing, and a throw vetoes the change', () => {
    const app = new Bottle()
    const seen: [string, unknown][] = []
    app.hook('config')((key: string, value: unknown) => {
      if (key === 'locked') throw new Error('locked is read-only')
      seen.push([key, value])
    })
    app.config.set('a', 1)
    expect(seen).toEqual([['a', 1]])
    expect(() => app.config.set('locked', true)).toThrow(/read-only/)
    expect(app.config.has('locked')).toBe(false)
    app.config.set('a', 1)
    expect(seen).toHaveLength(1)
  })

  it('takes constructor options as config keys', () => {
    const app = new Bottle({ catchall: false, 'my.key': 'v' })
    expect(app.catchall).toBe(false)
    expect(app.config.get('catchall')).toBe(false)
    expect(app.config.get('my.key')).toBe('v')
    app.catchall = true
    expect(app.config.get('catchall')).toBe(true)
  })

  it('fails closed on bad limits', () => {
    const app = new Bottle()
    expect(() => app.config.set('maxBodySize', Number.NaN)).toThrow(/maxBodySize/)
    expect(() => app.config.set('maxBodySize', -1)).toThrow(/maxBodySize/)
    expect(() => app.config.set('memfileMax', '100' as unknown as number)).toThrow(/memfileMax/)
    expect(() => new Bottle({ maxBodySize: Infinity })).toThrow(/maxBodySize/)
  })

  it('route config overlays app config, and route options become route config', async () => {
    const app = new Bottle()
    app.config.set('greeting', 'hello')
    app.get('/a', () => String(app.routes[0]!.config.get('greeting')))
    app.get('/b', { greeting: 'hi' }, () => String(app.routes[1]!.config.get('greeting')))
    const c = new TestClient(app)
    expect((await c.get('/a')).text()).toBe('hello')
    expect((await c.get('/b')).text()).toBe('hi')
    app.config.set('greeting', 'hey')
    expect((await c.get('/a')).text()).toBe('hey')
  })
})
