/**
 * Bottle's data structures ("Common Utilities"): `MultiDict` for repeated keys,
 * `FormsDict` for query strings, forms and cookies, `HeaderDict` for case-insensitive
 * headers and `ConfigDict` for application configuration.
 *
 * Keys live in `Map`s, never on plain objects, so `__proto__` and `constructor` are
 * ordinary keys and cannot reach a prototype.
 * @module
 */
import { readFileSync } from 'node:fs'
import type { BodyLimits } from './body.js'
import { wireText } from './internal/http.js'

/** A dictionary that keeps every value of a repeated key; reads return the last one. */
export class MultiDict<V = string> implements Iterable<string> {
  protected readonly dict: Map<string, V[]> = new Map()

  /** Builds a dict from an object, an iterable of pairs or another MultiDict. */
  constructor(init?: Iterable<readonly [string, V]> | Record<string, V | V[]> | MultiDict<V>) {
    if (!init) return
    if (init instanceof MultiDict) {
      for (const [k, v] of init.allitems()) this.append(k, v)
    } else if (Symbol.iterator in init) {
      for (const [k, v] of init) this.append(k, v)
    } else {
      for (const k of Object.keys(init)) {
        const v = init[k]!
        if (Array.isArray(v)) for (const item of v) this.append(k, item)
        else this.append(k, v)
      }
    }
  }

  /** Normalises a key; `HeaderDict` makes it case-insensitive. */
  protected key(key: string): string {
    return key
  }

  /** Number of distinct keys. */
  get size(): number {
    return this.dict.size
  }

  /** The last value of `key`, or `fallback` when missing (or when `type` rejects it). */
  get(key: string): V | undefined
  get<D>(key: string, fallback: D, index?: number): V | D
  get<T, D>(key: string, fallback: D, index: number, type: (value: V) => T): T | D
  get(key: string, fallback?: unknown, index = -1, type?: (value: V) => unknown): unknown {
    const values = this.dict.get(this.key(key))
    if (!values) return fallback
    const value = values.at(index)
    if (value === undefined) return fallback
    if (!type) return value
    try {
      const converted = type(value)
      return typeof converted === 'number' && Number.isNaN(converted) ? fallback : converted
    } catch {
      return fallback
    }
  }

  /** Adds a value, keeping the existing ones (Bottle's `__setitem__` appends as well). */
  append(key: string, value: V): this {
    const k = this.key(key)
    const values = this.dict.get(k)
    if (values) values.push(value)
    else this.dict.set(k, [value])
    return this
  }

  /** Same as `append`. */
  set(key: string, value: V): this {
    return this.append(key, value)
  }

  /** The last value of `key`; when missing, adds `value` first (Bottle's `setdefault`). */
  setdefault(key: string, value: V): V {
    const values = this.dict.get(this.key(key))
    if (values?.length) return values[values.length - 1]!
    this.append(key, value)
    return value
  }

  /** Replaces every value of `key` with one. */
  replace(key: string, value: V): this {
    this.dict.set(this.key(key), [value])
    return this
  }

  /** Removes the key and all of its values. */
  delete(key: string): boolean {
    return this.dict.delete(this.key(key))
  }

  /** Whether the key is present. */
  has(key: string): boolean {
    return this.dict.has(this.key(key))
  }

  /** Every value of `key`, oldest first (an empty list when missing). */
  getall(key: string): V[] {
    return [...(this.dict.get(this.key(key)) ?? [])]
  }

  /** Alias of `getall`. */
  getlist(key: string): V[] {
    return this.getall(key)
  }

  /** Alias of `get` (Bottle's `getone`). */
  getone(key: string, fallback?: V): V | undefined {
    return this.get(key, fallback)
  }

  /** The keys, in insertion order. */
  keys(): IterableIterator<string> {
    return this.dict.keys()
  }

  /** The last value of each key. */
  *values(): IterableIterator<V> {
    for (const values of this.dict.values()) yield values[values.length - 1]!
  }

  /** `[key, lastValue]` pairs. */
  *items(): IterableIterator<[string, V]> {
    for (const [k, values] of this.dict) yield [k, values[values.length - 1]!]
  }

  /** `[key, value]` pairs for every value. */
  *allitems(): IterableIterator<[string, V]> {
    for (const [k, values] of this.dict) for (const v of values) yield [k, v]
  }

  /** Removes every key. */
  clear(): void {
    this.dict.clear()
  }

  [Symbol.iterator](): Iterator<string> {
    return this.dict.keys()
  }

  /** A plain object of the last values (null prototype, safe to spread). */
  toJSON(): Record<string, V> {
    const out = Object.create(null) as Record<string, V>
    for (const [k, v] of this.items()) out[k] = v
    return out
  }
}

/**
 * A `MultiDict` of strings for query strings, form data and cookies. Missing keys read
 * as `''` through `attr()` or through property access (`request.query.name`), as in
 * Bottle; methods win over keys of the same name.
 */
export class FormsDict extends MultiDict<string> {
  /** Bottle's input encoding; values here are already decoded UTF-8 strings. */
  inputEncoding = 'utf8'
  /** Kept for Bottle compatibility; decoding never fails in bottle-ts. */
  recodeUnicode = true

  /** The value of `key` as a string, `fallback` (default `''`) when missing. */
  attr(key: string, fallback = ''): string {
    return this.get(key, fallback)
  }

  /** Bottle's `getunicode`: values are already strings, so this is `get` with a default. */
  getunicode(key: string, fallback: string | null = null): string | null {
    return this.get(key, fallback)
  }

  /** A copy (Bottle's `decode()` re-encodes; here values are always UTF-8 already). */
  decode(): FormsDict {
    return FormsDict.create(this.allitems())
  }

  /** Creates a FormsDict with attribute access: `dict.name` reads `dict.attr('name')`. */
  static create(init?: ConstructorParameters<typeof MultiDict<string>>[0]): FormsDict {
    return new Proxy(new FormsDict(init), FORMS_PROXY)
  }
}

/** Lets `forms.name` read a field; any other key is looked up on the dict itself. */
const FORMS_PROXY: ProxyHandler<FormsDict> = {
  get(target, prop, receiver) {
    if (typeof prop !== 'string' || prop in target) {
      const value: unknown = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value
    }
    return target.attr(prop)
  },
}

/**
 * A case-insensitive `MultiDict` for HTTP headers; keys keep the spelling first given.
 * As in Bottle, `set` replaces (use `append` to add a value), values are strings, and a
 * CR, LF or NUL in a name or value is refused so no header can be split.
 */
export class HeaderDict extends MultiDict<string> {
  readonly #names = new Map<string, string>()

  /** Builds a dict from an object, an iterable of pairs or another MultiDict. */
  constructor(
    init?:
      Iterable<readonly [string, string]> | Record<string, string | string[]> | MultiDict<string>
  ) {
    // Private fields exist only after super(), so the values are added here.
    super()
    if (init) for (const [k, v] of new MultiDict<string>(init).allitems()) this.append(k, v)
  }

  protected override key(key: string): string {
    const lower = key.toLowerCase()
    if (!this.#names.has(lower)) this.#names.set(lower, checkHeaderText('name', key))
    return lower
  }

  /** Adds a value (numbers become strings), keeping earlier ones. */
  override append(key: string, value: string | number): this {
    return super.append(key, checkHeaderText('value', String(value)))
  }

  /** Replaces every value of `key` (Bottle's `HeaderDict.__setitem__`). */
  override set(key: string, value: string | number): this {
    return this.replace(key, value)
  }

  /** Replaces every value of `key` with one. */
  override replace(key: string, value: string | number): this {
    return super.replace(key, checkHeaderText('value', String(value)))
  }

  /** The last value of `key`; when missing, sets `value` first. */
  override setdefault(key: string, value: string | number): string {
    return super.setdefault(key, checkHeaderText('value', String(value)))
  }

  /** Removes every header named in `names` (Bottle's `filter`). */
  filter(names: Iterable<string>): void {
    for (const name of names) this.delete(name)
  }

  /**
   * Replaces every value of a header whose name and value the caller has checked already
   * (the response's setters do): the hot path of every response.
   * @internal
   */
  _replaceChecked(name: string, value: string): void {
    const lower = name.toLowerCase()
    if (!this.#names.has(lower)) this.#names.set(lower, name)
    this.dict.set(lower, [value])
  }

  /**
   * Appends `name, value` for every value to `out` as `res.writeHead` takes them, names
   * as first spelled, leaving out the lower-case names in `skip`. Returns bit 1 when a
   * Content-Type was among them and bit 2 for a Content-Length.
   * @internal
   */
  _wire(out: string[], skip: ReadonlySet<string> | undefined): number {
    let seen = 0
    for (const [key, values] of this.dict) {
      if (skip?.has(key)) continue
      if (key === 'content-type') seen |= 1
      else if (key === 'content-length') seen |= 2
      const name = this.#names.get(key) ?? key
      for (const value of values) out.push(name, wireText(value))
    }
    return seen
  }

  /** The header name as first spelled. */
  nameOf(key: string): string {
    const lower = key.toLowerCase()
    return this.#names.get(lower) ?? key
  }

  override *items(): IterableIterator<[string, string]> {
    for (const [k, v] of super.items()) yield [this.#names.get(k) ?? k, v]
  }

  override *allitems(): IterableIterator<[string, string]> {
    for (const [k, v] of super.allitems()) yield [this.#names.get(k) ?? k, v]
  }

  override *keys(): IterableIterator<string> {
    for (const k of this.dict.keys()) yield this.#names.get(k) ?? k
  }

  override [Symbol.iterator](): Iterator<string> {
    return this.keys()
  }
}

const HEADER_BAD = /[\r\n\0]/

function checkHeaderText(what: 'name' | 'value', text: string): string {
  if (HEADER_BAD.test(text)) {
    throw new TypeError(`Header ${what} ${JSON.stringify(text)} must not contain CR, LF or NUL`)
  }
  return text
}

/** Config keys and their value types; plugins extend it through declaration merging. */
export interface ConfigKeys extends BodyLimits {
  /** Catch errors in callbacks and render a 500 page (default `true`). */
  catchall: boolean
  /** Debug mode: stack traces in error pages, templates not cached. */
  debug: boolean
  /** Cast objects and arrays returned by callbacks to JSON (default `true`). */
  'json.enable': boolean
  /** Extra arguments for `JSON.stringify`: indentation. */
  'json.indent': number | string
  /** Where bodies and uploads past `memfileMax` spool (an absolute path; `os.tmpdir()` by default). */
  tempDir: string
  /** Most query-string pairs (400 beyond). */
  maxQueryParams: number
  /** Which `X-Forwarded-*` headers to believe: see `BaseRequest.remoteAddr`. */
  trustProxy: TrustProxy
}

/** `true` (all), a hop count, a list of addresses and CIDRs, or a predicate. */
export type TrustProxy =
  boolean | number | string | string[] | ((addr: string, hop: number) => boolean)

/** A config key: a known key of `ConfigKeys` or any other string. */
export type ConfigKey = keyof ConfigKeys | (string & {})
/** The value type of a config key. */
export type ConfigValue<K extends string> = K extends keyof ConfigKeys ? ConfigKeys[K] : unknown

type ChangeListener = (key: string, value: unknown) => void

/**
 * Bottle's configuration dictionary: flat dotted keys (`'json.enable'`), change listeners
 * (the app's `config` hook), per-key meta data and overlays that read through to a parent.
 */
export class ConfigDict {
  readonly #own = new Map<string, unknown>()
  readonly #meta = new Map<string, Map<string, unknown>>()
  readonly #listeners: ChangeListener[] = []
  readonly #parent: ConfigDict | null

  /** A config dict, optionally filled from a (nested) object. */
  constructor(init?: Record<string, unknown>, parent: ConfigDict | null = null) {
    this.#parent = parent
    if (init) this.loadDict(init)
  }

  /** Whether the key is set here or in a parent. */
  has(key: string): boolean {
    return this.#own.has(key) || (this.#parent?.has(key) ?? false)
  }

  /** The value of `key`, or `fallback` when it is not set. */
  get<K extends ConfigKey>(key: K): ConfigValue<K> | undefined
  get<K extends ConfigKey, D>(key: K, fallback: D): ConfigValue<K> | D
  get(key: string, fallback?: unknown): unknown {
    if (this.#own.has(key)) return this.#own.get(key)
    return this.#parent ? this.#parent.get(key, fallback) : fallback
  }

  /** Sets a value; listeners may veto the change by throwing. */
  set<K extends ConfigKey>(key: K, value: ConfigValue<K>): this {
    if (typeof key !== 'string') throw new TypeError('Config keys must be strings')
    if (this.#own.has(key) && this.#own.get(key) === value) return this
    const filter = this.#meta.get(key)?.get('filter') as ((v: unknown) => unknown) | undefined
    const stored = filter ? filter(value) : value
    for (const listener of this.#listeners) listener(key, stored)
    this.#own.set(key, stored)
    return this
  }

  /** Sets `key` only if it has no value yet; returns the value now in place. */
  setdefault<K extends ConfigKey>(key: K, value: ConfigValue<K>): ConfigValue<K> {
    if (!this.has(key)) this.set(key, value)
    return this.get(key) as ConfigValue<K>
  }

  /** Removes a key set on this dict (a parent's value shows through again). */
  delete(key: string): boolean {
    return this.#own.delete(key)
  }

  /** Keys set here or in a parent. */
  keys(): string[] {
    const keys = new Set(this.#parent?.keys())
    for (const k of this.#own.keys()) keys.add(k)
    return [...keys]
  }

  /** `[key, value]` pairs, parent keys included. */
  entries(): [string, unknown][] {
    return this.keys().map((k) => [k, this.get(k)])
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]()
  }

  /** Flattens a nested object into dotted keys: `{ a: { b: 1 } }` sets `'a.b'`. */
  loadDict(source: Record<string, unknown>, namespace = ''): this {
    for (const key of Object.keys(source)) {
      const value = source[key]
      const full = namespace ? `${namespace}.${key}` : key
      if (
        value !== null &&
        typeof value === 'object' &&
        Object.getPrototypeOf(value) === Object.prototype
      ) {
        this.loadDict(value as Record<string, unknown>, full)
      } else {
        this.set(full, value)
      }
    }
    return this
  }

  /** Bottle's `update([namespace], dict)`: like `loadDict` with an optional prefix. */
  update(
    namespaceOrValues: string | Record<string, unknown>,
    values?: Record<string, unknown>
  ): this {
    if (typeof namespaceOrValues === 'string') return this.loadDict(values ?? {}, namespaceOrValues)
    return this.loadDict(namespaceOrValues)
  }

  /**
   * Loads INI text as Bottle's `load_config` does with Python's ConfigParser: keys of
   * `[bottle]` and `[ROOT]` go in as they are, keys of other sections get the section name
   * as prefix, `[DEFAULT]` values apply to every section, keys are lower-cased; `#` and
   * `;` start comment lines; `key = value` or `key: value`.
   */
  loadConfigText(text: string): this {
    const defaults = new Map<string, string>()
    const sections = new Map<string, Map<string, string>>()
    let current: Map<string, string> | null = null
    let lastKey: string | null = null
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim()
      if (!line || line.startsWith(';') || line.startsWith('#')) continue
      if (/^\s/.test(raw) && current && lastKey !== null) {
        // An indented line continues the previous value.
        current.set(lastKey, `${current.get(lastKey) ?? ''}\n${line}`)
        continue
      }
      const header = /^\[(.+)\]$/.exec(line)
      if (header) {
        const name = header[1]!.trim()
        if (name === 'DEFAULT') current = defaults
        else {
          current = sections.get(name) ?? new Map<string, string>()
          sections.set(name, current)
        }
        lastKey = null
        continue
      }
      const eq = line.search(/[=:]/)
      if (eq <= 0 || !current) {
        throw new SyntaxError(
          `Config line outside a [section] or without "key = value": ${JSON.stringify(line)}`
        )
      }
      lastKey = line.slice(0, eq).trim().toLowerCase()
      current.set(lastKey, line.slice(eq + 1).trim())
    }
    for (const [section, values] of sections) {
      const merged = new Map([...defaults, ...values])
      for (const [key, value] of merged) {
        const full = section === 'bottle' || section === 'ROOT' ? key : `${section}.${key}`
        this.set(full.toLowerCase(), value)
      }
    }
    return this
  }

  /** Loads an INI file, or a JSON file when the name ends in `.json` (Bottle's `load_config`). */
  loadConfig(filename: string): this {
    const text = readFileSync(filename, 'utf8')
    if (filename.toLowerCase().endsWith('.json')) {
      const data: unknown = JSON.parse(text)
      if (data === null || typeof data !== 'object' || Array.isArray(data)) {
        throw new TypeError(`Config file ${filename} must hold a JSON object`)
      }
      return this.loadDict(data as Record<string, unknown>)
    }
    return this.loadConfigText(text)
  }

  /**
   * Loads the upper-case exports of a module (Bottle's `load_module`). With `squash`
   * (the default) nested objects flatten to dotted keys: `A = { B: { C: 3 } }` sets
   * `'A.B.C'`; without it `'A'` holds the object.
   */
  async loadModule(specifier: string, squash = true): Promise<this> {
    const mod = (await import(specifier)) as Record<string, unknown>
    for (const key of Object.keys(mod)) {
      if (key !== key.toUpperCase() || key === 'default') continue
      const value = mod[key]
      if (squash && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        this.loadDict(value as Record<string, unknown>, key)
      } else this.set(key, value)
    }
    return this
  }

  /** Meta data of a key (`'help'`, `'filter'` …), or `fallback`. */
  metaGet(key: string, metaField: string, fallback?: unknown): unknown {
    return this.#meta.get(key)?.get(metaField) ?? fallback
  }

  /** Sets meta data; a `'filter'` applies to the current and later values. */
  metaSet(key: string, metaField: string, value: unknown): this {
    let meta = this.#meta.get(key)
    if (!meta) this.#meta.set(key, (meta = new Map<string, unknown>()))
    meta.set(metaField, value)
    if (metaField === 'filter' && this.#own.has(key)) {
      this.#own.set(key, (value as (v: unknown) => unknown)(this.#own.get(key)))
    }
    return this
  }

  /** The meta fields set for a key. */
  metaList(key: string): string[] {
    return [...(this.#meta.get(key)?.keys() ?? [])]
  }

  /** Calls `listener(key, value)` before each change; throwing vetoes it. */
  addChangeListener(listener: ChangeListener): void {
    this.#listeners.push(listener)
  }

  /** A child dict that reads through to this one until its own value is set. */
  makeOverlay(): ConfigDict {
    return new ConfigDict(undefined, this)
  }
}
