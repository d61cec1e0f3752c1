/**
 * Bottle's "Routing": the `Router` that parses Bottle rules (`/user/<id:int>`, the old
 * `:name` form, custom filters), matches a method and a decoded path to a route and builds
 * URLs back from route names; and the `Route` that wraps a callback with its plugins.
 *
 * Matching is static-first (a map lookup per method), then dynamic in insertion order.
 * Dynamic rules are not tried one by one: rules are grouped in a trie by their literal
 * leading segments, and the rules of one trie node are combined into alternation
 * regexps of 16 rules each. Within a node, rules whose slashes are all literal are further
 * indexed by their segment count and their last literal segment (`/u/<id>/r5` under `r5`),
 * so the cost grows with the path's depth and the number of rules that could match it
 * rather than with the table's size.
 * @module
 */
import { parse as parseExpress } from 'path-to-regexp'
import type { Bottle } from './app.js'
import { HTTPError, RouteBuildError, RouteSyntaxError } from './errors.js'
import { pyRepr } from './internal/http.js'
import { flattenGroups, isUnsafeRegex } from './internal/regex.js'
import type { ConfigDict } from './structures.js'
import type { Callback, PluginLike } from './types.js'

/** A filter: turns its config into `[regexp, toPython?, toUrl?]` as Bottle's filters do. */
export type RouteFilter = (
  conf: string | null
) => [
  pattern: string,
  toValue?: ((text: string) => unknown) | null,
  toUrl?: ((value: unknown) => string) | null,
]

type Token = { text: string } | { name: string | null; filter: string; conf: string | null }

// Bottle's rule_syntax: escaped wildcards, the old `:name#re#` form and `<name:filter:conf>`.
const RULE_SYNTAX =
  /(\\*)(?::([a-zA-Z_][a-zA-Z_0-9]*)?()(?:#(.*?)#)?|<([a-zA-Z_][a-zA-Z_0-9]*)?(?::([a-zA-Z_]*)(?::((?:\\.|[^\\>])+)?)?)?>)/g

/** Splits a rule into literal text and wildcards. */
export function tokenize(rule: string): Token[] {
  // Rules in the plain `:name` form go through path-to-regexp's parser.
  if (/^[\w/.~-]*(?::[a-zA-Z_]\w*[\w/.~-]*)+$/.test(rule) && !/[a-zA-Z0-9_]:/.test(rule)) {
    const fromExpress = tokenizeExpress(rule)
    if (fromExpress) return fromExpress
  }
  const tokens: Token[] = []
  let offset = 0
  let prefix = ''
  for (const m of rule.matchAll(RULE_SYNTAX)) {
    prefix += rule.slice(offset, m.index)
    const slashes = m[1]!
    if (slashes.length % 2) {
      prefix += m[0].slice(slashes.length)
      offset = m.index + m[0].length
      continue
    }
    if (prefix) tokens.push({ text: prefix })
    const old = m[3] !== undefined
    const name = (old ? m[2] : m[5]) ?? null
    const filter = (old ? (m[4] !== undefined ? 're' : null) : m[6]) || 'default'
    const conf = (old ? m[4] : m[7]) || null
    tokens.push({ name: name || null, filter, conf })
    offset = m.index + m[0].length
    prefix = ''
  }
  if (offset < rule.length || prefix) tokens.push({ text: prefix + rule.slice(offset) })
  return tokens
}

function tokenizeExpress(rule: string): Token[] | null {
  try {
    const tokens: Token[] = []
    for (const t of parseExpress(rule).tokens) {
      if (t.type === 'text') tokens.push({ text: t.value })
      else if (t.type === 'param') tokens.push({ name: t.name, filter: 'default', conf: null })
      else return null
    }
    return tokens
  } catch {
    return null
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
}

const FLOAT_TEXT = /^-?(?:\d+\.?\d*|\.\d+)$/

/** A compiled dynamic rule: where its groups sit and how to convert them. */
interface DynamicEntry {
  index: number
  route: unknown
  pattern: string
  keys: string[]
  converters: (((text: string) => unknown) | null)[]
  anon: boolean[]
}

/** A rule that matched: the entry, the regexp's groups and where the entry's groups start. */
interface Hit {
  entry: DynamicEntry
  match: RegExpExecArray
  marker: number
}

const CHUNK_SIZE = 16

/** Rules tried together, in insertion order, as combined alternation regexps. */
class RuleSet {
  readonly entries: DynamicEntry[] = []
  #chunks: { regex: RegExp; markers: (DynamicEntry | undefined)[] }[] = []

  compile(): void {
    this.#chunks = []
    // V8 runs one huge alternation far slower than a few small ones (Bottle also splits
    // its patterns, at 99 groups), so rules are combined in chunks.
    for (let start = 0; start < this.entries.length; start += CHUNK_SIZE) {
      let source = '^(?:'
      let group = 1
      const markers: (DynamicEntry | undefined)[] = []
      this.entries.slice(start, start + CHUNK_SIZE).forEach((e, i) => {
        if (i) source += '|'
        source += '()' + e.pattern
        markers[group] = e
        group += 1 + e.keys.length
      })
      this.#chunks.push({ regex: new RegExp(source + ')$'), markers })
    }
  }

  /** The earliest-registered rule of this set that matches `path`. */
  exec(path: string): Hit | undefined {
    for (const { regex, markers } of this.#chunks) {
      const match = regex.exec(path)
      if (!match) continue
      // The first empty group is the marker of the alternative that matched: the groups
      // of earlier alternatives are all undefined.
      const marker = match.indexOf('', 1)
      // Later chunks hold only later rules, so the first chunk that matches has the winner.
      return { entry: markers[marker]!, match, marker }
    }
    return undefined
  }
}

/**
 * A trie node keyed by literal path segments. Its rules are split in two, so that a path
 * is only tried against the rules that could match it:
 *
 * - `indexed`: rules with no wildcard that can match `/` and a literal segment after the
 *   node's own. Every path such a rule matches has exactly the rule's literal slashes, so
 *   the same segment count, and that segment's literal text at the same position; the
 *   rule sits in the bucket of (slash count, position, text) and no other. Positions
 *   count from the end, where the distinguishing segment usually is.
 * - `fallback`: every other rule of the node (a `path` wildcard, a regexp that may span
 *   `/`, no literal segment to index by).
 *
 * Why order is preserved: a rule outside the fallback and the buckets named by the path
 * cannot match it. The fallback and each bucket give their earliest match, and the
 * earliest of those is the earliest rule of the node that matches, as a single ordered
 * list would give.
 */
class Node {
  readonly children = new Map<string, Node>()
  readonly fallback = new RuleSet()
  /** Buckets by literal segment, one map per (slash count, position from the end). */
  readonly indexed: IndexGroup[] = []
  /** Lowest insertion index anywhere in this subtree (to stop early). */
  minIndex = Infinity

  /** Files `entry` under its index key, or in the fallback; returns the set it joined. */
  add(entry: DynamicEntry, key: IndexKey | null): RuleSet {
    let set = this.fallback
    if (key) {
      let group = this.indexed.find((g) => g.slashes === key.slashes && g.fromEnd === key.fromEnd)
      if (!group) {
        group = { slashes: key.slashes, fromEnd: key.fromEnd, buckets: new Map() }
        this.indexed.push(group)
      }
      set = group.buckets.get(key.text) ?? new RuleSet()
      group.buckets.set(key.text, set)
    }
    set.entries.push(entry)
    return set
  }

  /** The earliest rule of this node that matches `path`, which has `slashes` slashes. */
  match(path: string, slashes: number): Hit | undefined {
    let hit = this.fallback.entries.length ? this.fallback.exec(path) : undefined
    for (const group of this.indexed) {
      if (group.slashes !== slashes) continue
      const set = group.buckets.get(segmentFromEnd(path, group.fromEnd))
      // A bucket whose first rule comes after the best so far cannot improve on it.
      if (!set || (hit && set.entries[0]!.index > hit.entry.index)) continue
      const found = set.exec(path)
      if (found && (!hit || found.entry.index < hit.entry.index)) hit = found
    }
    return hit
  }
}

/** Where an indexed rule is filed: its slash count and one literal segment, from the end. */
interface IndexKey {
  slashes: number
  fromEnd: number
  text: string
}

interface IndexGroup {
  slashes: number
  fromEnd: number
  buckets: Map<string, RuleSet>
}

/** The number of `/` in `path`. */
function countSlashes(path: string): number {
  let n = 0
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) n++
  return n
}

/** The `fromEnd`-th segment of `path` counting from the last (0), as `split('/')` gives it. */
function segmentFromEnd(path: string, fromEnd: number): string {
  let end = path.length
  let slash = path.lastIndexOf('/', end - 1)
  for (let i = 0; i < fromEnd && slash !== -1; i++) {
    end = slash
    slash = end ? path.lastIndexOf('/', end - 1) : -1
  }
  return path.slice(slash + 1, end)
}

/**
 * Whether a wildcard's regexp might match a `/`. Conservative: anything it cannot read
 * (`.`, `\W`, `\x2f`, backreferences, unbalanced groups...) counts as "might", which only
 * keeps the rule in the ordered fallback list.
 */
function mayMatchSlash(source: string): boolean {
  let depth = 0
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!
    if (ch === '\\') {
      const next = source[i + 1]
      if (next === undefined || next === '/') return true
      // \d \w \s and the assertions \b \B never consume a slash; escaped punctuation is itself.
      if (!'dwsbB'.includes(next) && /[A-Za-z0-9]/.test(next)) return true
      i++
    } else if (ch === '.' || ch === '/') return true
    else if (ch === '(') depth++
    else if (ch === ')') {
      // An unbalanced `)` would break out of the wildcard's group and change the rule's shape.
      if (--depth < 0) return true
    } else if (ch === '[') {
      const end = classEnd(source, i)
      if (end === -1 || classMayMatchSlash(source.slice(i + 1, end))) return true
      i = end
    }
  }
  return depth !== 0
}

/** The index of the `]` closing the class opened at `open`, or -1. */
function classEnd(source: string, open: number): number {
  for (let i = open + 1; i < source.length; i++) {
    if (source[i] === '\\') i++
    else if (source[i] === ']') return i
  }
  return -1
}

/** Whether a character class body (between `[` and `]`) might match a `/`. */
function classMayMatchSlash(body: string): boolean {
  const negated = body.startsWith('^')
  // Members: a character code, a class escape that includes `/` (\D \W \S), one that does
  // not (\d \w \s), or something not understood.
  const members: (number | 'slash' | 'none' | 'unknown')[] = []
  for (let i = negated ? 1 : 0; i < body.length; i++) {
    const ch = body[i]!
    if (ch !== '\\') {
      members.push(ch.charCodeAt(0))
      continue
    }
    const next = body[++i]
    if (next === undefined) members.push('unknown')
    else if ('dws'.includes(next)) members.push('none')
    else if ('DWS'.includes(next)) members.push('slash')
    // An escaped `-` is a literal, never a range operator.
    else if (next === '-') members.push('none')
    else if (/[A-Za-z0-9]/.test(next)) members.push('unknown')
    else members.push(next.charCodeAt(0))
  }
  const SLASH = 0x2f
  let hasSlash = false
  let unsure = false
  for (let i = 0; i < members.length; i++) {
    const m = members[i]!
    const dash = members[i + 1] === 0x2d && i + 2 < members.length
    if (dash) {
      const hi = members[i + 2]!
      i += 2
      if (typeof m === 'number' && typeof hi === 'number') {
        if (m <= SLASH && SLASH <= hi) hasSlash = true
      } else unsure = true
      continue
    }
    if (m === SLASH || m === 'slash') hasSlash = true
    else if (m === 'unknown') unsure = true
  }
  // `[^]` matches anything; a negated class is safe only when it surely excludes `/`.
  return negated ? !hasSlash : hasSlash || unsure
}

/** The result of a successful match. */
export interface RouteMatch<T> {
  target: T
  args: Record<string, unknown>
}

/** Bottle's router: rules in, `(target, args)` out; 404 and 405 as `HTTPError`s. */
export class Router<T = Route> {
  /** The regexp of a wildcard without a filter. */
  defaultPattern = '[^/]+'
  /** The filter of a wildcard without one. */
  defaultFilter = 're'
  /** When set before rules are added, static rules keep their insertion order too. */
  strictOrder = false
  /** The filters by name: `re`, `int`, `float`, `path` and any added with `addFilter`. */
  readonly filters: Map<string, RouteFilter> = new Map()
  readonly #static = new Map<string, Map<string, T>>()
  readonly #dynamic = new Map<string, Node>()
  readonly #builder = new Map<
    string,
    { text?: string; key?: string; toUrl?: (v: unknown) => string }[]
  >()
  readonly #patterns = new Map<string, DynamicEntry>()
  #count = 0
  #dirty = new Set<RuleSet>()

  constructor(options: { strictOrder?: boolean } = {}) {
    this.strictOrder = options.strictOrder ?? false
    this.filters.set('re', (conf) => [flattenGroups(conf ?? this.defaultPattern), null, null])
    this.filters.set('int', () => [
      '-?\\d+',
      (text) => {
        const n = Number(text)
        if (!Number.isSafeInteger(n)) throw new RangeError(`integer out of range: ${text}`)
        return n
      },
      (v) => {
        const n = Number(v)
        if (!Number.isFinite(n)) throw new RouteBuildError(`Not an integer: ${String(v)}`)
        return String(Math.trunc(n))
      },
    ])
    this.filters.set('float', () => [
      '-?[\\d.]+',
      (text) => {
        if (!FLOAT_TEXT.test(text)) throw new RangeError(`not a number: ${text}`)
        return Number(text)
      },
      (v) => {
        const n = Number(v)
        if (!Number.isFinite(n)) throw new RouteBuildError(`Not a number: ${String(v)}`)
        return String(n)
      },
    ])
    this.filters.set('path', () => ['.+?', null, null])
  }

  /**
   * Adds a filter: `fn(conf)` returns `[regexp, toValue?, toUrl?]`. A `toValue` that
   * throws answers the request with 400.
   */
  addFilter(name: string, fn: RouteFilter): void {
    this.filters.set(name, fn)
  }

  /** Adds a rule for a method; `name` makes it buildable with `build`. */
  add(rule: string, method: string, target: T, name?: string | null): void {
    const builder: { text?: string; key?: string; toUrl?: (v: unknown) => string }[] = []
    const keys: string[] = []
    const anon: boolean[] = []
    const converters: (((text: string) => unknown) | null)[] = []
    let pattern = ''
    let literalPrefix = ''
    let isStatic = true
    let anons = 0
    // The rule's `/`-separated segments: the text of the literal ones, null where a wildcard
    // sits; valid as the shape of matching paths only while no wildcard may match `/`.
    const ruleSegments: (string | null)[] = ['']
    let slashFree = true
    for (const token of tokenize(rule)) {
      if ('text' in token) {
        pattern += escapeRegex(token.text)
        if (isStatic) literalPrefix += token.text
        builder.push({ text: token.text })
        const [first, ...rest] = token.text.split('/')
        const last = ruleSegments.length - 1
        if (ruleSegments[last] !== null) ruleSegments[last] += first!
        ruleSegments.push(...rest)
        continue
      }
      isStatic = false
      ruleSegments[ruleSegments.length - 1] = null
      const mode = token.filter === 'default' ? this.defaultFilter : token.filter
      const filter = this.filters.get(mode)
      if (!filter)
        throw new RouteSyntaxError(`Unknown filter "${mode}" in rule ${JSON.stringify(rule)}`)
      const [mask, toValue, toUrl] = filter(token.conf)
      if (slashFree && mayMatchSlash(mask)) slashFree = false
      if (mode === 're' && token.conf && isUnsafeRegex(token.conf)) {
        throw new RouteSyntaxError(
          `Unsafe regexp in rule ${JSON.stringify(rule)}: nested quantifiers can backtrack catastrophically`
        )
      }
      const key = token.name ?? `anon${anons++}`
      if (token.name) {
        if (keys.includes(key))
          throw new RouteSyntaxError(`Duplicate wildcard name "${key}" in ${JSON.stringify(rule)}`)
        pattern += `(${mask})`
        keys.push(key)
        anon.push(false)
        converters.push(toValue ?? null)
      } else {
        pattern += `(?:${mask})`
      }
      builder.push({ key, toUrl: toUrl ?? String })
    }
    this.#builder.set(rule, builder)
    if (name) this.#builder.set(name, builder)

    if (isStatic && !this.strictOrder) {
      let table = this.#static.get(method)
      if (!table) this.#static.set(method, (table = new Map<string, T>()))
      table.set(this.build(rule), target)
      return
    }
    try {
      new RegExp(`^${pattern}$`)
    } catch (err) {
      throw new RouteSyntaxError(
        `Could not compile rule ${JSON.stringify(rule)}: ${(err as Error).message}`
      )
    }
    const patternKey = `${method} ${pattern}`
    const existing = this.#patterns.get(patternKey)
    if (existing) {
      // Same method and pattern again: the new target replaces the old one in place (Bottle).
      existing.route = target
      existing.converters = converters
      existing.keys = keys
      return
    }
    const entry: DynamicEntry = {
      index: this.#count++,
      route: target,
      pattern,
      keys,
      converters,
      anon,
    }
    this.#patterns.set(patternKey, entry)
    let node: Node | undefined = this.#dynamic.get(method)
    if (!node) this.#dynamic.set(method, (node = new Node()))
    // Literal leading segments (each ending in `/`) index the rule in the trie; rules
    // without a leading slash (only reachable through `match`) stay at the root.
    const segments = literalPrefix.startsWith('/') ? literalPrefix.split('/') : ['']
    segments.pop()
    for (const seg of segments.slice(1)) {
      let child: Node | undefined = node.children.get(seg)
      if (!child) node.children.set(seg, (child = new Node()))
      node.minIndex = Math.min(node.minIndex, entry.index)
      node = child
    }
    node.minIndex = Math.min(node.minIndex, entry.index)
    // The last literal segment below the node's own (those are the same for all its rules).
    let key: IndexKey | null = null
    const slashes = ruleSegments.length - 1
    for (let p = slashes; slashFree && p >= segments.length; p--) {
      const text = ruleSegments[p]
      if (text === null || text === undefined) continue
      key = { slashes, fromEnd: slashes - p, text }
      break
    }
    this.#dirty.add(node.add(entry, key))
  }

  #compile(): void {
    for (const set of this.#dirty) set.compile()
    this.#dirty.clear()
  }

  #matchDynamic(root: Node, path: string): RouteMatch<T> | null | undefined {
    let best: Hit | undefined
    let slashes = -1
    let node: Node | undefined = root
    let start = 1
    while (node) {
      if (best && node.minIndex > best.entry.index) break
      // Counted once, and only when a node with indexed rules needs it.
      if (slashes < 0 && node.indexed.length) slashes = countSlashes(path)
      const hit = node.match(path, slashes)
      if (hit && (!best || hit.entry.index < best.entry.index)) best = hit
      if (start > path.length) break
      const end = path.indexOf('/', start)
      if (end === -1) break // the last segment never indexes a node: nodes need a trailing '/'
      node = node.children.get(path.slice(start, end))
      start = end + 1
    }
    if (!best) return null
    const { entry, match, marker } = best
    const args: Record<string, unknown> = {}
    for (let i = 0; i < entry.keys.length; i++) {
      const text = match[marker + 1 + i]!
      const convert = entry.converters[i]
      if (convert) {
        try {
          args[entry.keys[i]!] = convert(text)
        } catch {
          throw new HTTPError(400, 'Path has wrong format.')
        }
      } else args[entry.keys[i]!] = text
    }
    return { target: entry.route as T, args }
  }

  #matchMethod(method: string, path: string): RouteMatch<T> | null | undefined {
    const hit = this.#static.get(method)?.get(path)
    if (hit !== undefined) return { target: hit, args: {} }
    const node = this.#dynamic.get(method)
    return node ? this.#matchDynamic(node, path) : null
  }

  /**
   * Finds the route for a method and a decoded path: `PROXY` (mounts) first, then the
   * method (HEAD falls back to GET), then `ANY`. Throws `HTTPError` 404, or 405 with an
   * `Allow` header when only other methods match.
   */
  match(method: string, path: string): RouteMatch<T> {
    if (this.#dirty.size) this.#compile()
    const methods =
      method === 'HEAD' ? HEAD_ORDER : method === 'GET' ? GET_ORDER : ['PROXY', method, 'ANY']
    for (const m of methods) {
      const found = this.#matchMethod(m, path)
      if (found) return found
    }
    const allowed = new Set<string>()
    for (const m of new Set([...this.#static.keys(), ...this.#dynamic.keys()])) {
      if (methods.includes(m)) continue
      if (this.#matchMethod(m, path)) allowed.add(m)
    }
    if (allowed.size) {
      throw new HTTPError(405, 'Method not allowed.', undefined, undefined, {
        Allow: [...allowed].sort().join(','),
      })
    }
    throw new HTTPError(404, 'Not found: ' + pyRepr(path))
  }

  /** The methods that have a route for this path (for `Allow` and OPTIONS answers). */
  allowedMethods(path: string): string[] {
    if (this.#dirty.size) this.#compile()
    const out: string[] = []
    for (const m of new Set([...this.#static.keys(), ...this.#dynamic.keys()])) {
      if (this.#matchMethod(m, path)) out.push(m)
    }
    return out.sort()
  }

  /**
   * Builds a URL path from a route name (or rule) and its wildcard values; values not used
   * by the rule go to the query string. Anonymous wildcards take `anons` in order.
   */
  build(name: string, params: Record<string, unknown> = {}, ...anons: unknown[]): string {
    const builder = this.#builder.get(name)
    if (!builder) throw new RouteBuildError(`No route with that name: ${pyRepr(name)}`)
    const query = { ...params }
    let anonIndex = 0
    let url = ''
    for (const part of builder) {
      if (part.text !== undefined) {
        url += part.text
        continue
      }
      const key = part.key!
      let value: unknown
      if (key in query) {
        value = query[key]
        delete query[key]
      } else if (/^anon\d+$/.test(key) && anonIndex < anons.length) {
        value = anons[anonIndex++]
      } else {
        throw new RouteBuildError(`Missing URL argument: ${pyRepr(key)}`)
      }
      url += part.toUrl!(value)
    }
    const qs = encodeQuery(query)
    return qs ? `${url}?${qs}` : url
  }
}

const HEAD_ORDER = ['PROXY', 'HEAD', 'GET', 'ANY']
const GET_ORDER = ['PROXY', 'GET', 'ANY']

/** `urlencode(query, doseq=True)`: arrays give repeated keys; `null`/`undefined` are skipped. */
export function encodeQuery(query: Record<string, unknown>): string {
  const parts: string[] = []
  const enc = (v: unknown): string => encodeURIComponent(String(v)).replace(/%20/g, '+')
  for (const key of Object.keys(query)) {
    const value = query[key]
    if (value === undefined || value === null) continue
    if (Array.isArray(value)) for (const v of value) parts.push(`${enc(key)}=${enc(v)}`)
    else parts.push(`${enc(key)}=${enc(value)}`)
  }
  return parts.join('&')
}

/** Options that `app.route()` passes to a Route besides its free config keys. */
export interface RouteInit {
  name?: string | null
  plugins?: PluginLike[]
  skiplist?: (PluginLike | string | boolean | (abstract new (...args: never[]) => unknown))[]
  config?: Record<string, unknown>
}

/** One rule, method and callback, plus the plugins that wrap it. */
export class Route {
  /** The application that owns the route. */
  readonly app: Bottle
  /** The rule string, e.g. `'/user/<id:int>'`. */
  rule: string
  /** The HTTP method, upper-case (`'ANY'` matches all). */
  readonly method: string
  /** The callback as registered, without plugins. */
  readonly callback: Callback
  /** The route's name, for `getUrl`. */
  readonly name: string | null
  /** Plugins applied to this route only (the `apply` option). */
  readonly plugins: PluginLike[]
  /** Plugins not applied to this route (the `skip` option). */
  readonly skiplist: NonNullable<RouteInit['skiplist']>
  /** Route config, reading through to `app.config`. */
  readonly config: ConfigDict
  #call: Callback | null = null

  constructor(app: Bottle, rule: string, method: string, callback: Callback, init: RouteInit = {}) {
    this.app = app
    this.rule = rule
    this.method = method
    this.callback = callback
    this.name = init.name ?? null
    this.plugins = init.plugins ?? []
    this.skiplist = init.skiplist ?? []
    this.config = app.config.makeOverlay()
    if (init.config) this.config.loadDict(init.config)
  }

  /** The callback wrapped by all plugins, built on first use and cached. */
  get call(): Callback {
    return (this.#call ??= this.#makeCallback())
  }

  /** Forgets the cached `call`, so plugins apply again on the next request. */
  reset(): void {
    this.#call = null
  }

  /** Applies the plugins now rather than on the first request. */
  prepare(): void {
    void this.call
  }

  /** The plugins that apply to this route, outermost first, after `skip` is honoured. */
  allPlugins(): PluginLike[] {
    const unique = new Set<string>()
    const out: PluginLike[] = []
    const all = [...this.app.plugins, ...this.plugins].reverse()
    if (this.skiplist.includes(true)) return out
    for (const p of all) {
      const name = typeof p === 'object' ? p.name : undefined
      if (name && (this.skiplist.includes(name) || unique.has(name))) continue
      if (this.skiplist.includes(p)) continue
      if (
        this.skiplist.some(
          // Arrow-function plugins have no prototype: `instanceof` would throw on them.
          (s) =>
            typeof s === 'function' &&
            typeof s.prototype === 'object' &&
            typeof p === 'object' &&
            p instanceof s
        )
      )
        continue
      if (name) unique.add(name)
      out.push(p)
    }
    return out
  }

  #makeCallback(): Callback {
    let callback = this.callback
    for (const plugin of this.allPlugins()) {
      callback =
        typeof plugin === 'function' ? plugin(callback, this) : plugin.apply(callback, this)
    }
    return callback
  }

  /** The callback as registered, without plugins. */
  getUndecoratedCallback(): Callback {
    return this.callback
  }

  /** The wildcard names of the rule, in order (Bottle's `get_callback_args`). */
  getCallbackArgs(): string[] {
    return tokenize(this.rule).flatMap((t) => ('name' in t && t.name ? [t.name] : []))
  }

  /** A config value of this route (reading through to the app), or `fallback`. */
  getConfig(key: string, fallback?: unknown): unknown {
    return this.config.get(key, fallback)
  }

  toString(): string {
    return `<${this.method} ${this.rule} -> ${this.callback.name || 'anonymous'}>`
  }
}
