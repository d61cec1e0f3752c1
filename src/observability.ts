/**
 * Observability plugins that ship with bottle-ts (Bottle has none): `RequestLogger`
 * writes one access-log line per response, JSON or Apache common log format, with a
 * request id; `Metrics` counts requests and times them per route for Prometheus. A
 * Bottle plugin only wraps matched routes, so both work through `before_request` /
 * `after_request` hooks installed by `setup(app)` and through Node's response `close`
 * event: they see every response (404s, 405s, aborts and 500s included) with the status
 * and the body bytes that really went out. An app that installs neither pays nothing.
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { Bottle } from './app.js'
import { HTTPResponse } from './errors.js'
import { currentOrNull, type RequestContext } from './internal/storage.js'
import type { BaseRequest } from './request.js'
import type { Callback, Plugin } from './types.js'

// --- Shared response tracking -----------------------------------------------------------

/** How one request ended, as the plugins see it once the response is closed. */
interface Outcome {
  status: number
  bytes: number
  ms: number
  aborted: boolean
}

type Listener = (x: Exchange, outcome: Outcome) => void

/** The route label of requests that matched no route (404, 405, bad paths). */
const UNMATCHED = '(unmatched)'

/** One request/response pair, tracked once however many plugins or apps observe it. */
class Exchange {
  readonly ctx: RequestContext
  readonly start: number = performance.now()
  readonly method: string
  /** The path as the client sent it, without the query string. */
  readonly target: string
  bytes = 0
  route: string | null = null
  id: string | null = null
  readonly listeners: Listener[] = []
  /** The response's own `write` and `end`, called by the counting ones. */
  write: ServerResponse['write'] | null = null
  end: ServerResponse['end'] | null = null

  constructor(ctx: RequestContext) {
    this.ctx = ctx
    const req = ctx.request.req
    this.method = req.method ?? 'GET'
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    this.target = q === -1 ? url : url.slice(0, q)
  }

  close(res: ServerResponse): void {
    const ms = performance.now() - this.start
    const aborted = !res.writableFinished
    // nginx's 499: the client went away before any status was sent.
    const status = res.headersSent || !aborted ? res.statusCode : 499
    const bodyless = this.method === 'HEAD' || status < 200 || status === 204 || status === 304
    this.route ??= routeLabel(this.ctx.request)
    const outcome: Outcome = { status, bytes: bodyless ? 0 : this.bytes, ms, aborted }
    for (const listener of this.listeners) {
      try {
        listener(this, outcome)
      } catch (err) {
        // Runs in an event handler: a throwing sink must not take the process down.
        reportError(this.ctx.request, err)
      }
    }
  }
}

/** Where a request context and its response keep their exchange: cheaper for the GC than a WeakMap. */
const EXCHANGE: unique symbol = Symbol('bottle-ts.exchange')
type Tracked = RequestContext & { [EXCHANGE]?: Exchange }
type TrackedResponse = ServerResponse & { [EXCHANGE]: Exchange }

/** The exchange of a request context, created (and its response watched) on first use. */
function track(ctx: RequestContext): Exchange {
  let x = (ctx as Tracked)[EXCHANGE]
  if (x !== undefined) return x
  x = new Exchange(ctx)
  ;(ctx as Tracked)[EXCHANGE] = x
  const res = ctx.res as TrackedResponse | undefined
  if (res) {
    res[EXCHANGE] = x
    // Shared functions rather than closures: nothing to allocate per request.
    const plain = res as ServerResponse
    // eslint-disable-next-line @typescript-eslint/unbound-method -- re-applied with the response as `this`
    x.write = plain.write
    // eslint-disable-next-line @typescript-eslint/unbound-method -- re-applied with the response as `this`
    x.end = plain.end
    plain.write = countingWrite as ServerResponse['write']
    plain.end = countingEnd as ServerResponse['end']
    // `close` follows `finish` on every ServerResponse, and also comes alone on an abort.
    res.on('close', onClose)
  }
  return x
}

/** `res.write`, counting body bytes first (an own property of the tracked response). */
function countingWrite(this: TrackedResponse, ...args: unknown[]): boolean {
  const x = this[EXCHANGE]
  x.bytes += chunkSize(args[0], args[1])
  return Reflect.apply(x.write!, this, args) as boolean
}

/** `res.end`, counting body bytes first (an own property of the tracked response). */
function countingEnd(this: TrackedResponse, ...args: unknown[]): ServerResponse {
  const x = this[EXCHANGE]
  x.bytes += chunkSize(args[0], args[1])
  return Reflect.apply(x.end!, this, args) as ServerResponse
}

function onClose(this: TrackedResponse): void {
  this[EXCHANGE].close(this)
}

function chunkSize(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string')
    return Buffer.byteLength(
      chunk,
      typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'
    )
  if (chunk instanceof Uint8Array) return chunk.byteLength
  return 0
}

/** The matched rule, prefixed with the mount point of the app that matched it. */
function routeLabel(request: BaseRequest): string {
  const route = request.route
  if (route === null) return UNMATCHED
  // A mounted app that matched nothing still has its parent's mount route in `route`.
  if (route.method === 'PROXY') {
    // Route config flattens nested dicts, as Bottle's load_dict does.
    if (route.config.get('mountpoint.target') === request.app) return UNMATCHED
  }
  const script = request.scriptName
  return script === '/' ? route.rule : script.slice(0, -1) + route.rule
}

function reportError(request: BaseRequest, err: unknown): void {
  try {
    if (request.app) request.app.logError(err, request)
    else process.stderr.write(`Error in an observability plugin: ${String(err)}\n`)
  } catch {
    // Nothing is left to report to.
  }
}

/**
 * Adds the plugin's hooks to an app, and takes them away again when an `app_reset` finds
 * the plugin uninstalled (so `app.uninstall(plugin)` leaves no hook behind).
 */
function attachHooks(app: Bottle, plugin: Plugin, before: () => void, after: () => void): void {
  const reset = (): void => {
    if (app.plugins.includes(plugin)) return
    app.removeHook('before_request', before)
    app.removeHook('after_request', after)
    app.removeHook('app_reset', reset)
  }
  app.addHook('before_request', before)
  app.addHook('after_request', after)
  app.addHook('app_reset', reset)
}

// --- RequestLogger ----------------------------------------------------------------------

/** One access-log entry, as JSON lines carry it and as a function sink receives it. */
export interface LogEntry {
  /** When the response ended, ISO 8601 (UTC). */
  time: string
  /** The request id: the client's `X-Request-Id` when valid, else a generated UUID. */
  id: string
  /** The request method as sent. */
  method: string
  /** The path as sent, percent-encoding kept, without the query string. */
  path: string
  /** The status sent; 499 when the client left before a status went out. */
  status: number
  /** Body bytes sent (0 for HEAD, 1xx, 204 and 304). */
  bytes: number
  /** Milliseconds from the start of handling to the end of the response. */
  ms: number
  /** Present when the request took longer than `slowMs`. */
  slow?: true
  /** Present when the connection closed before the response was complete. */
  aborted?: true
}

/** Where log lines go: a function (line without newline, plus the entry) or a writable stream. */
export type LogSink = ((line: string, entry: LogEntry) => void) | { write(chunk: string): unknown }

/** Options of `new RequestLogger()`. */
export interface RequestLoggerOptions {
  /** `'json'` (one JSON object per line, the default) or `'common'` (Apache common log). */
  format?: 'json' | 'common'
  /** Requests slower than this many milliseconds are flagged `slow` (default 1000). */
  slowMs?: number
  /** Where lines go (default `process.stderr`). */
  sink?: LogSink
  /** The header the request id is read from and echoed in (default `X-Request-Id`); `false` for neither. */
  requestIdHeader?: string | false
}

/** What a client-supplied request id may look like: UUIDs, hex and base64 ids, and similar. */
const VALID_ID = /^[A-Za-z0-9._~:@+=/-]{1,128}$/
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * An access logger plugin: one line per response, after it has been sent, with method,
 * path, status, body bytes, duration, a request id and a `slow` flag.
 *
 * Security: a client's request id is used (logged and echoed) only when it is 1 to 128
 * characters from `A-Z a-z 0-9 . _ ~ : @ + = / -`; anything else is replaced by a fresh
 * UUID, so the header cannot split log lines or responses. Query strings are left out of
 * the log because they often carry tokens. Remote addresses (common format) follow the
 * app's `trustProxy` setting.
 * @example
 * app.install(new RequestLogger({ format: 'common', slowMs: 500 }))
 */
export class RequestLogger implements Plugin {
  /** Plugin name, for `app.uninstall('logger')` and `skip`. */
  readonly name = 'logger'
  /** Bottle plugin API version. */
  readonly api = 2
  /** The line format. */
  readonly format: 'json' | 'common'
  /** The slow-request threshold in milliseconds. */
  readonly slowMs: number
  /** The request id header, or `false`. */
  readonly requestIdHeader: string | false
  readonly #write: (line: string, entry: LogEntry) => void
  readonly #batch: LineBatch | null = null
  readonly #headerKey: string
  readonly #listener: Listener = (x, outcome) => this.#log(x, outcome)

  /** A logger; see `RequestLoggerOptions`. Bad options throw a `TypeError` naming them. */
  constructor(options: RequestLoggerOptions = {}) {
    const { format = 'json', slowMs = 1000, sink = process.stderr } = options
    const header = options.requestIdHeader ?? 'X-Request-Id'
    if (format !== 'json' && format !== 'common')
      throw new TypeError(`RequestLogger format must be 'json' or 'common', not ${String(format)}`)
    if (typeof slowMs !== 'number' || Number.isNaN(slowMs) || slowMs < 0)
      throw new TypeError(`RequestLogger slowMs must be a number >= 0, not ${String(slowMs)}`)
    if (header !== false && (typeof header !== 'string' || !TOKEN.test(header)))
      throw new TypeError(`RequestLogger requestIdHeader is not a header name: ${String(header)}`)
    if (typeof sink === 'function') this.#write = sink
    else if (sink && typeof sink.write === 'function') {
      const batch = LineBatch.for(sink)
      this.#batch = batch
      this.#write = (line) => batch.add(line)
    } else throw new TypeError('RequestLogger sink must be a function or have a write() method')
    this.format = format
    this.slowMs = slowMs
    this.requestIdHeader = header
    this.#headerKey = header === false ? '' : header.toLowerCase()
  }

  /** Adds the hooks that observe every request of `app`. */
  setup(app: Bottle): void {
    attachHooks(
      app,
      this,
      () => this.#observe(),
      () => this.#observe()
    )
  }

  /** Leaves callbacks alone: the work happens in hooks, for matched and unmatched requests. */
  apply(callback: Callback): Callback {
    return callback
  }

  /** Writes out buffered lines now (called by `app.uninstall` and `app.close`). */
  close(): void {
    this.#batch?.flush()
  }

  /** The current request's id (read or generated); throws outside a request. */
  requestId(): string {
    const ctx = currentOrNull()
    if (!ctx) throw new Error('requestId() called outside of a request')
    return this.#assignId(track(ctx))
  }

  #observe(): void {
    const ctx = currentOrNull()
    // Without Node's response there is no end to observe, so nothing would be logged.
    if (!ctx?.res) return
    const x = track(ctx)
    if (!x.listeners.includes(this.#listener)) x.listeners.push(this.#listener)
    this.#assignId(x)
  }

  #assignId(x: Exchange): string {
    if (x.id !== null) return x.id
    let id: string | undefined
    if (this.#headerKey) {
      const sent = x.ctx.request.req.headers[this.#headerKey]
      if (typeof sent === 'string' && VALID_ID.test(sent)) id = sent
    }
    x.id = id ??= randomUUID()
    // On Node's response, not on `response`: an HTTPResponse applied later replaces those.
    const res = x.ctx.res
    if (this.requestIdHeader && res && !res.headersSent) res.setHeader(this.requestIdHeader, id)
    return id
  }

  #log(x: Exchange, outcome: Outcome): void {
    const ms = Math.round(outcome.ms * 1000) / 1000
    const entry: LogEntry = {
      time: isoNow(),
      id: x.id ?? this.#assignId(x),
      method: x.method,
      path: x.target,
      status: outcome.status,
      bytes: outcome.bytes,
      ms,
    }
    if (outcome.ms > this.slowMs) entry.slow = true
    if (outcome.aborted) entry.aborted = true
    const line = this.format === 'json' ? jsonLine(entry) : commonLine(x, entry)
    this.#write(line, entry)
  }
}

let isoMs = -1
let isoText = ''

/** The current time in ISO 8601, formatted once per millisecond. */
function isoNow(): string {
  const now = Date.now()
  if (now !== isoMs) {
    isoMs = now
    isoText = new Date(now).toISOString()
  }
  return isoText
}

/** `JSON.stringify(entry)`, in the same key order, at a quarter of its cost. */
function jsonLine(e: LogEntry): string {
  let line =
    `{"time":"${e.time}","id":${JSON.stringify(e.id)},"method":${JSON.stringify(e.method)},` +
    `"path":${JSON.stringify(e.path)},"status":${e.status},"bytes":${e.bytes},"ms":${e.ms}`
  if (e.slow) line += ',"slow":true'
  if (e.aborted) line += ',"aborted":true'
  return line + '}'
}

const pending = new Set<LineBatch>()

/**
 * Joins the lines of one event-loop turn into a single `write` on a stream sink, so a busy
 * server makes one write call per turn rather than one per request. Lines still pending
 * when the process exits are written by an `exit` handler.
 */
class LineBatch {
  static readonly #byStream = new WeakMap<object, LineBatch>()
  readonly #stream: { write(chunk: string): unknown }
  #text = ''

  /** The batch of a stream, shared by every logger writing to it (one 'error' listener). */
  static for(stream: { write(chunk: string): unknown }): LineBatch {
    let batch = LineBatch.#byStream.get(stream)
    if (batch === undefined) {
      batch = new LineBatch(stream)
      LineBatch.#byStream.set(stream, batch)
    }
    return batch
  }

  constructor(stream: { write(chunk: string): unknown }) {
    this.#stream = stream
    // A stream's 'error' event with no listener would crash the process; a failing log
    // sink is worth a warning, not an outage.
    const events = stream as { on?: (event: 'error', fn: (err: unknown) => void) => unknown }
    if (typeof events.on === 'function') {
      let warned = false
      events.on.call(stream, 'error', (err) => {
        if (!warned) process.emitWarning(`RequestLogger sink failed: ${String(err)}`)
        warned = true
      })
    }
  }

  add(line: string): void {
    if (this.#text === '') {
      if (pending.size === 0 && !exitHooked) {
        exitHooked = true
        process.once('exit', flushAll)
      }
      pending.add(this)
      setImmediate(() => this.flush())
    }
    this.#text += line + '\n'
    if (this.#text.length > 65536) this.flush()
  }

  flush(): void {
    const text = this.#text
    if (text === '') return
    this.#text = ''
    pending.delete(this)
    try {
      this.#stream.write(text)
    } catch (err) {
      // Outside any request, and a log sink failing must not crash the server.
      process.emitWarning(`RequestLogger could not write to its sink: ${String(err)}`)
    }
  }
}

let exitHooked = false

function flushAll(): void {
  exitHooked = false
  for (const batch of [...pending]) batch.flush()
}

/**
 * Apache's common log format, `host ident user [date] "request" status bytes`, followed by
 * `id=... ms=...` and the words `slow` / `aborted` when they apply.
 */
function commonLine(x: Exchange, entry: LogEntry): string {
  const request = x.ctx.request
  let host: string | null = null
  try {
    host = request.remoteAddr
  } catch {
    // A malformed forwarding header leaves the address unknown, as Apache prints it.
  }
  const version = request.req.httpVersion
  const line =
    `${host ?? '-'} - - [${clfDate(Date.now())}] ` +
    `"${clfEscape(entry.method)} ${clfEscape(entry.path)} HTTP/${version}" ` +
    `${entry.status} ${entry.bytes || '-'} id=${entry.id} ms=${entry.ms}`
  return line + (entry.slow ? ' slow' : '') + (entry.aborted ? ' aborted' : '')
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
let clfSecond = -1
let clfText = ''

/** `10/Oct/2000:13:55:36 +0000`, in UTC, formatted once per second. */
function clfDate(now: number): string {
  const second = Math.floor(now / 1000)
  if (second === clfSecond) return clfText
  const d = new Date(second * 1000)
  const pad = (n: number): string => (n < 10 ? '0' + n : String(n))
  clfSecond = second
  clfText =
    `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  return clfText
}

/** Escapes `"`, `\` and non-printable bytes as Apache does (`\"`, `\\`, `\xhh`). */
function clfEscape(text: string): string {
  if (/^[\x21\x23-\x5b\x5d-\x7e]*$/.test(text)) return text
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    if (byte === 0x22) out += '\\"'
    else if (byte === 0x5c) out += '\\\\'
    else if (byte < 0x21 || byte > 0x7e) out += '\\x' + byte.toString(16).padStart(2, '0')
    else out += String.fromCharCode(byte)
  }
  return out
}

// --- Metrics ----------------------------------------------------------------------------

/** Options of `new Metrics()`. */
export interface MetricsOptions {
  /** Where the app serves the metrics (GET and HEAD; default `/metrics`); `false` to serve none. */
  path?: string | false
  /** Upper bounds of the duration histogram in seconds, increasing (default `DEFAULT_BUCKETS`). */
  buckets?: readonly number[]
}

/** Prometheus' default histogram buckets, in seconds. */
const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
])

/** Methods kept as labels; anything else is counted as `OTHER` so clients cannot add series. */
const METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'CONNECT',
  'TRACE',
])

interface Series {
  labels: string
  count: number
  sum: number
  bytes: number
  /** Per-bucket counts (not cumulative; summed when rendered). */
  buckets: number[]
}

/**
 * A metrics plugin: per route rule, method and status class (`2xx`...) it counts requests
 * and body bytes and keeps a request-duration histogram; it also tracks requests in
 * flight. It serves them in the Prometheus text exposition format 0.0.4 at `path`.
 * Requests that match no route are labelled `route="(unmatched)"`; a route of a mounted
 * app carries the mount prefix.
 *
 * Security: the page shows the app's route rules and traffic. Serve it only where
 * scrapers can reach it: add a `before_request` hook that refuses other clients before
 * installing the plugin, or use `path: false` and serve `metrics.render()` from a route
 * of your own.
 * @example
 * app.install(new Metrics({ path: '/metrics' }))
 */
export class Metrics implements Plugin {
  /** The media type of `render()`'s output. */
  static readonly contentType: string = 'text/plain; version=0.0.4; charset=utf-8'
  /** Prometheus' default buckets, in seconds. */
  static readonly defaultBuckets: readonly number[] = DEFAULT_BUCKETS
  /** Plugin name, for `app.uninstall('metrics')` and `skip`. */
  readonly name = 'metrics'
  /** Bottle plugin API version. */
  readonly api = 2
  /** Where the metrics are served, or `false`. */
  readonly path: string | false
  /** The histogram's upper bounds in seconds. */
  readonly buckets: readonly number[]
  #inFlight = 0
  readonly #series = new Map<string, Series>()
  readonly #listener: Listener = (x, outcome) => this.#record(x, outcome)

  /** A metrics collector; see `MetricsOptions`. Bad options throw a `TypeError` naming them. */
  constructor(options: MetricsOptions = {}) {
    const { path = '/metrics', buckets = DEFAULT_BUCKETS } = options
    if (path !== false && (typeof path !== 'string' || !path.startsWith('/')))
      throw new TypeError(`Metrics path must start with "/": ${String(path)}`)
    const bounds = [...buckets].filter((b) => b !== Infinity)
    if (
      bounds.length === 0 ||
      bounds.some(
        (b, i) => typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]!)
      )
    )
      throw new TypeError(`Metrics buckets must be finite, increasing numbers: ${String(buckets)}`)
    this.path = path
    this.buckets = Object.freeze(bounds)
  }

  /** Requests being handled now (the `http_requests_in_flight` gauge). */
  get inFlight(): number {
    return this.#inFlight
  }

  /** Adds the hooks that observe (and, at `path`, answer) every request of `app`. */
  setup(app: Bottle): void {
    attachHooks(
      app,
      this,
      () => this.#before(),
      () => this.#after()
    )
  }

  /** Leaves callbacks alone: the work happens in hooks, for matched and unmatched requests. */
  apply(callback: Callback): Callback {
    return callback
  }

  /** The metrics in the Prometheus text exposition format 0.0.4. */
  render(): string {
    const series = [...this.#series.values()].sort((a, b) =>
      a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0
    )
    const lines: string[] = [
      '# HELP http_requests_total Requests answered, by method, route rule and status class.',
      '# TYPE http_requests_total counter',
    ]
    for (const s of series) lines.push(`http_requests_total{${s.labels}} ${s.count}`)
    lines.push(
      '# HELP http_request_duration_seconds Time from the start of handling to the end of the response.',
      '# TYPE http_request_duration_seconds histogram'
    )
    for (const s of series) {
      let cumulative = 0
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += s.buckets[i]!
        lines.push(
          `http_request_duration_seconds_bucket{${s.labels},le="${this.buckets[i]}"} ${cumulative}`
        )
      }
      lines.push(`http_request_duration_seconds_bucket{${s.labels},le="+Inf"} ${s.count}`)
      lines.push(`http_request_duration_seconds_sum{${s.labels}} ${s.sum}`)
      lines.push(`http_request_duration_seconds_count{${s.labels}} ${s.count}`)
    }
    lines.push(
      '# HELP http_response_bytes_total Response body bytes sent.',
      '# TYPE http_response_bytes_total counter'
    )
    for (const s of series) lines.push(`http_response_bytes_total{${s.labels}} ${s.bytes}`)
    lines.push(
      '# HELP http_requests_in_flight Requests being handled.',
      '# TYPE http_requests_in_flight gauge',
      `http_requests_in_flight ${this.#inFlight}`
    )
    return lines.join('\n') + '\n'
  }

  /** Forgets every recorded series (the in-flight gauge stays). */
  clear(): void {
    this.#series.clear()
  }

  #before(): void {
    const x = this.#observe()
    if (x === null || this.path === false) return
    const request = x.ctx.request
    if ((x.method === 'GET' || x.method === 'HEAD') && request.path === this.path) {
      const script = request.scriptName
      x.route = script === '/' ? this.path : script.slice(0, -1) + this.path
      throw new HTTPResponse(this.render(), 200, {
        'Content-Type': Metrics.contentType,
        'Cache-Control': 'no-store',
      })
    }
  }

  #observe(): Exchange | null {
    const ctx = currentOrNull()
    // Without Node's response there is no end to observe: counting it would leak in flight.
    if (!ctx?.res) return null
    const x = track(ctx)
    if (!x.listeners.includes(this.#listener)) {
      x.listeners.push(this.#listener)
      this.#inFlight++
    }
    return x
  }

  #after(): void {
    const x = this.#observe()
    // The first after_request hook to run is the innermost app's: it knows the real route.
    if (x !== null && x.route === null) x.route = routeLabel(x.ctx.request)
  }

  #record(x: Exchange, outcome: Outcome): void {
    this.#inFlight--
    const method = METHODS.has(x.method) ? x.method : 'OTHER'
    const route = x.route ?? UNMATCHED
    const status = `${Math.floor(outcome.status / 100)}xx`
    const key = `${method}\0${route}\0${status}`
    let s = this.#series.get(key)
    if (s === undefined) {
      s = {
        labels: `method="${method}",route="${labelValue(route)}",status="${status}"`,
        count: 0,
        sum: 0,
        bytes: 0,
        buckets: new Array<number>(this.buckets.length).fill(0),
      }
      this.#series.set(key, s)
    }
    const seconds = outcome.ms / 1000
    s.count++
    s.sum += seconds
    s.bytes += outcome.bytes
    const i = this.buckets.findIndex((b) => seconds <= b)
    if (i !== -1) s.buckets[i]!++
  }
}

/** Escapes a label value for the text format: backslash, double quote and newline. */
function labelValue(text: string): string {
  return text.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : '\\' + c))
}
