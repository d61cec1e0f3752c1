/**
 * `BaseResponse` (Bottle's "BaseResponse"): status, headers and cookies of the response
 * being built. The module-level `response` object (context.ts) points at the current
 * request's instance; `HTTPResponse` (errors.ts) extends this class.
 * @module
 */
import { serialize, type SerializeOptions } from 'cookie'
import { cookieEncode } from './cookies.js'
import {
  checkHeaderName,
  checkHeaderValue,
  HTTP_CODES,
  httpDate,
  parseDate,
} from './internal/http.js'
import { HeaderDict } from './structures.js'

/** Options of `response.setCookie`, Bottle's keyword arguments in camelCase. */
export interface SetCookieOptions {
  /** Sign the value with this secret (HMAC-SHA256 over JSON); any JSON value may be stored. */
  secret?: string | Buffer
  /** Lifetime in seconds (Bottle's `max_age`). */
  maxAge?: number
  /** Expiry as a Date, a timestamp in seconds or an HTTP date string. */
  expires?: Date | number | string
  /** Cookie domain. */
  domain?: string
  /** Cookie path. */
  path?: string
  /** Only over HTTPS. */
  secure?: boolean
  /** Hidden from JavaScript (Bottle's spelling). */
  httponly?: boolean
  /** Same as `httponly`. */
  httpOnly?: boolean
  /** `'lax'`, `'strict'` or `'none'` (Bottle's spelling); `true` means `'strict'`. */
  samesite?: SameSite
  /** Same as `samesite`. */
  sameSite?: SameSite
  /** CHIPS partitioned cookie. */
  partitioned?: boolean
  /** Chrome's cookie priority. */
  priority?: 'low' | 'medium' | 'high'
}

/** The values `samesite` accepts. */
export type SameSite = 'lax' | 'strict' | 'none' | 'Lax' | 'Strict' | 'None' | boolean

/** RFC 6265 cookie-name: an RFC 9110 token. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Header values accepted by the header setters. */
export type HeaderValue = string | number

/** What `new BaseResponse(body, status, headers)` accepts for headers. */
export type HeadersInit = Record<string, HeaderValue> | Iterable<readonly [string, HeaderValue]>

const STATUS_LINE = /^([1-9]\d\d) (.+)$/

/** Headers that must not accompany these statuses (Bottle's `bad_headers`). */
const BAD_HEADERS: Readonly<Record<number, ReadonlySet<string>>> = {
  204: new Set(['content-type', 'content-length']),
  304: new Set([
    'allow',
    'content-encoding',
    'content-language',
    'content-length',
    'content-range',
    'content-type',
    'content-md5',
    'last-modified',
  ]),
}

/** The response being built: status, headers, cookies and (for HTTPResponse) a body. */
export class BaseResponse {
  /** The status used when none is set. */
  static defaultStatus = 200
  /** The Content-Type added when none is set. */
  static defaultContentType = 'text/html; charset=UTF-8'

  /** The body, for `HTTPResponse` objects and `response.body` assignments. */
  body: unknown = ''
  #code: number
  #reason: string | null = null
  #headers: HeaderDict | null = null
  #cookies: Map<string, string> | null = null

  /** A response with an optional body, status (number or line) and headers. */
  constructor(body: unknown = '', status?: number | string, headers?: HeadersInit) {
    this.body = body
    this.#code = (this.constructor as typeof BaseResponse).defaultStatus
    if (status !== undefined && status !== null) this.status = status
    if (headers) {
      const pairs = Symbol.iterator in headers ? headers : Object.entries(headers)
      for (const [name, value] of pairs as Iterable<readonly [string, HeaderValue]>) {
        this.addHeader(name, value)
      }
    }
  }

  /** The status line, e.g. `'200 OK'`; set it with a number or a full status line. */
  get status(): string {
    return this.statusLine
  }
  set status(value: number | string) {
    if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < 100 || value > 999) {
        throw new RangeError(`Status code out of range: ${value}`)
      }
      this.#code = value
      this.#reason = null
      return
    }
    const match = STATUS_LINE.exec(String(value).trim())
    if (!match) throw new RangeError(`Not a status line: ${JSON.stringify(value)}`)
    checkHeaderValue('status line', value)
    this.#code = Number(match[1])
    this.#reason = match[2]!
  }

  /** The status code as a number. */
  get statusCode(): number {
    return this.#code
  }

  /** The status line: code and reason phrase (`'999 Unknown'` for unknown codes). */
  get statusLine(): string {
    return `${this.#code} ${this.reason}`
  }

  /** The reason phrase alone. */
  get reason(): string {
    return this.#reason ?? HTTP_CODES[this.#code] ?? 'Unknown'
  }

  /** Whether a custom reason phrase was set with a status line. */
  get hasCustomReason(): boolean {
    return this.#reason !== null
  }

  /** The headers, as a case-insensitive dict shared with this response. */
  get headers(): HeaderDict {
    return (this.#headers ??= new HeaderDict())
  }

  /** Whether any header has been set (cheap, does not create the dict). */
  get hasHeaders(): boolean {
    return this.#headers !== null && this.#headers.size > 0
  }

  /** The last value of a header, or `fallback`. */
  getHeader(name: string): string | undefined
  getHeader<D>(name: string, fallback: D): string | D
  getHeader(name: string, fallback?: unknown): unknown {
    return this.#headers ? this.#headers.get(name, fallback) : fallback
  }

  /** Sets a header, replacing earlier values. CR, LF and NUL are refused. */
  setHeader(name: string, value: HeaderValue): void {
    this.headers._replaceChecked(checkHeaderName(name), checkHeaderValue(name, String(value)))
  }

  /**
   * Sets a header from a constant the framework knows to be valid, skipping the checks.
   * @internal
   */
  _setKnownHeader(name: string, value: string): void {
    this.headers._replaceChecked(name, value)
  }

  /** Adds a header value, keeping earlier ones. CR, LF and NUL are refused. */
  addHeader(name: string, value: HeaderValue): void {
    this.headers.append(checkHeaderName(name), checkHeaderValue(name, String(value)))
  }

  /** Removes a header. */
  deleteHeader(name: string): void {
    this.#headers?.delete(name)
  }

  /** Whether a header is set. */
  hasHeader(name: string): boolean {
    return this.#headers?.has(name) ?? false
  }

  /** The Content-Type header. */
  get contentType(): string | undefined {
    return this.getHeader('Content-Type')
  }
  set contentType(value: string) {
    this.setHeader('Content-Type', value)
  }

  /** The Content-Length header as a number, `-1` when unset. */
  get contentLength(): number {
    const value = this.getHeader('Content-Length')
    return value === undefined ? -1 : Number(value)
  }
  set contentLength(value: number) {
    this.setHeader('Content-Length', value)
  }

  /** The Expires header as a Date (or `undefined`); set it with a Date or seconds. */
  get expires(): Date | undefined {
    const seconds = parseDate(this.getHeader('Expires'))
    return seconds === null ? undefined : new Date(seconds * 1000)
  }
  set expires(value: Date | number | string) {
    this.setHeader('Expires', httpDate(value))
  }

  /** The charset of the Content-Type, `'UTF-8'` when none is given. */
  get charset(): string {
    const type = this.contentType
    if (type && type.includes(';')) {
      const match = /;\s*charset=("?)([^";]+)\1/i.exec(type)
      if (match) return match[2]!
    }
    return 'UTF-8'
  }

  /**
   * Sets a cookie. With `secret`, the value is signed (any JSON value may be stored) and
   * reads back only through `getCookie(name, { secret })` with the same secret.
   *
   * Security: names must be RFC 6265 tokens and `domain`, `path` and `samesite` are
   * validated, so no input can add attributes or another cookie (cookie CVE-2024-47764);
   * values are percent-encoded. A signed value is readable by the client (signed, not
   * encrypted) and a value over 4 KB is refused, as browsers would drop it.
   */
  setCookie(name: string, value: unknown, options: SetCookieOptions = {}): void {
    const { secret, maxAge, expires, domain, path, secure, partitioned, priority } = options
    if (typeof name !== 'string' || !COOKIE_NAME.test(name)) {
      throw new TypeError(
        `Invalid cookie name: ${JSON.stringify(name)} (must be an RFC 6265 token)`
      )
    }
    let text: string
    if (secret !== undefined) text = cookieEncode(name, value, secret)
    else if (typeof value === 'string') text = value
    else
      throw new TypeError(
        `Cookie ${JSON.stringify(name)}: a secret is required for non-string values`
      )
    // Bottle refuses name + value over 3800 characters; browsers drop cookies over 4096 bytes.
    if (name.length + text.length > 3800) {
      throw new RangeError(
        `Cookie ${JSON.stringify(name)} is too large: ${name.length + text.length} characters, at most 3800 fit into a cookie`
      )
    }
    // Signed values are base64url plus `!` and `?`, all cookie-octets: sent as they are.
    const opts: SerializeOptions = secret !== undefined ? { encode: (v) => v } : {}
    if (domain !== undefined) opts.domain = domain
    if (path !== undefined) opts.path = path
    if (secure) opts.secure = true
    if (options.httponly ?? options.httpOnly) opts.httpOnly = true
    if (partitioned) opts.partitioned = true
    if (priority !== undefined) opts.priority = priority
    if (maxAge !== undefined) {
      if (typeof maxAge !== 'number' || !Number.isFinite(maxAge)) {
        throw new TypeError(`Cookie ${JSON.stringify(name)}: maxAge must be a number of seconds`)
      }
      opts.maxAge = Math.trunc(maxAge)
    }
    if (expires !== undefined) {
      const date =
        expires instanceof Date
          ? expires
          : new Date(typeof expires === 'number' ? expires * 1000 : expires)
      if (Number.isNaN(date.getTime())) {
        throw new TypeError(`Cookie ${JSON.stringify(name)}: invalid expires ${String(expires)}`)
      }
      opts.expires = date
    }
    const sameSite = options.samesite ?? options.sameSite
    if (sameSite !== undefined && sameSite !== false) {
      const v = sameSite === true ? 'strict' : String(sameSite).toLowerCase()
      if (v !== 'lax' && v !== 'strict' && v !== 'none') {
        throw new TypeError(
          `Cookie ${JSON.stringify(name)}: samesite must be 'lax', 'strict' or 'none', got ${JSON.stringify(sameSite)}`
        )
      }
      opts.sameSite = v
    }
    let header: string
    try {
      // cookie.serialize refuses domains and paths that could inject attributes.
      header = serialize(name, text, opts)
    } catch (err) {
      throw new TypeError(`Cookie ${JSON.stringify(name)}: ${(err as Error).message}`, {
        cause: err,
      })
    }
    checkHeaderValue('Set-Cookie', header)
    ;(this.#cookies ??= new Map()).set(name, header)
  }

  /**
   * Deletes a cookie in the client by expiring it; pass the same `path` and `domain` as
   * when it was set.
   */
  deleteCookie(
    name: string,
    options: Omit<SetCookieOptions, 'secret' | 'maxAge' | 'expires'> = {}
  ): void {
    this.setCookie(name, '', { ...options, maxAge: -1, expires: new Date(0) })
  }

  /** The `Set-Cookie` header values to send. */
  get cookieHeaders(): string[] {
    return this.#cookies ? [...this.#cookies.values()] : []
  }

  /** A copy of status, headers and cookies (not the body), optionally as another class. */
  copy<T extends BaseResponse = BaseResponse>(cls?: new () => T): T {
    const copy = new (cls ?? (this.constructor as new () => T))()
    copy.#code = this.#code
    copy.#reason = this.#reason
    if (this.#headers) for (const [k, v] of this.#headers.allitems()) copy.headers.append(k, v)
    if (this.#cookies) copy.#cookies = new Map(this.#cookies)
    return copy
  }

  /** Moves status, headers and cookies of this response onto `target` (Bottle's `apply`). */
  protected applyTo(target: BaseResponse): void {
    target.#code = this.#code
    target.#reason = this.#reason
    target.#headers = this.#headers
    target.#cookies = this.#cookies
    target.body = this.body
  }

  /**
   * The header list to send, as alternating names and values for `res.writeHead`, with
   * the default Content-Type and without the headers this status must not carry.
   */
  headerList(): string[] {
    return this._headerList(null)
  }

  /**
   * `headerList()`, plus `Content-Length: length` when `length` is given, no such header
   * is set and the status may carry one: one pass for the writer of the response.
   * @internal
   */
  _headerList(length: number | null): string[] {
    const out: string[] = []
    const code = this.#code
    const bad = BAD_HEADERS[code]
    const seen = this.#headers ? this.#headers._wire(out, bad) : 0
    if (!(seen & 1) && !bad) {
      out.push('Content-Type', (this.constructor as typeof BaseResponse).defaultContentType)
    }
    if (this.#cookies) for (const value of this.#cookies.values()) out.push('Set-Cookie', value)
    if (length !== null && !(seen & 2) && code >= 200 && code !== 204 && code !== 304) {
      out.push('Content-Length', String(length))
    }
    return out
  }

  /** Iterates `[name, value]` header pairs as they will be sent. */
  *iterHeaders(): IterableIterator<[string, string]> {
    const list = this.headerList()
    for (let i = 0; i < list.length; i += 2) yield [list[i]!, list[i + 1]!]
  }
}
