/**
 * `BaseRequest` (Bottle's "BaseRequest"): a thin, lazily parsed view of Node's
 * `IncomingMessage`. Nothing is parsed until it is read, and everything parsed is cached,
 * so a handler that reads only `request.path` pays for nothing else.
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { parse as parseCookies } from 'cookie'
import type { Bottle } from './app.js'
import { emptyBody, type FileUpload, type RequestBody } from './body.js'
import { cookieDecode } from './cookies.js'
import { BottleException, HTTPError } from './errors.js'
import {
  compileTrust,
  forwardedChain,
  isUnixPeer,
  kScriptName,
  trustsPeer,
  type TrustFn,
} from './internal/proxy.js'
import { parseQuery, quotePath } from './internal/url.js'
import type { Route } from './router.js'
import { FormsDict, HeaderDict, type MultiDict } from './structures.js'

/** Options of `request.getCookie`. */
export interface GetCookieOptions<D> {
  /** Returned when the cookie is missing, empty, or fails its signature check. */
  default?: D
  /** Verify and decode a signed cookie with this secret. */
  secret?: string | Buffer
}

/** The parts of the request URL, as Python's `urlsplit` gives them. */
export interface UrlParts {
  scheme: string
  netloc: string
  path: string
  query: string
  fragment: string
}

// Compiled per config and recompiled when the setting changes.
const trustCache = new WeakMap<object, { setting: unknown; fn: TrustFn }>()

/** The request being handled: method, path, headers, query, cookies, body and more. */
export class BaseRequest {
  /** Node's request object. */
  readonly req: IncomingMessage
  /** The application handling this request (the mounted child inside a mount). */
  app: Bottle | null
  /** The matched route, once routing is done. */
  route: Route | null = null
  /** The wildcard values of the matched route. */
  urlArgs: Record<string, unknown> = {}
  /** Set by the body reader before the callback runs; see body.ts. */
  _body: RequestBody | null = null
  #method: string
  #pathInfo: string
  #scriptName = '/'
  #rawQuery: string
  #query: FormsDict | null = null
  #cookies: FormsDict | null = null
  #headers: HeaderDict | null = null

  /** Wraps a Node request; `pathInfo` is the decoded path the router matches. */
  constructor(
    req: IncomingMessage,
    app: Bottle | null = null,
    pathInfo?: string,
    rawQuery?: string
  ) {
    this.req = req
    this.app = app
    this.#method = (req.method ?? 'GET').toUpperCase()
    if (pathInfo === undefined) {
      const url = req.url ?? '/'
      const q = url.indexOf('?')
      pathInfo = q === -1 ? url : url.slice(0, q)
      rawQuery = q === -1 ? '' : url.slice(q + 1)
    }
    this.#pathInfo = pathInfo
    this.#rawQuery = rawQuery ?? ''
    const script = (req as IncomingMessage & { [kScriptName]?: string })[kScriptName]
    if (script) this.scriptName = script
  }

  /** Node's request object (Bottle's `environ` plays this role). */
  get raw(): IncomingMessage {
    return this.req
  }

  /** The request method, upper-case. */
  get method(): string {
    return this.#method
  }
  set method(value: string) {
    this.#method = value.toUpperCase()
  }

  /** The decoded path the router sees (Bottle's `PATH_INFO`), relative to `scriptName`. */
  get pathInfo(): string {
    return this.#pathInfo
  }
  set pathInfo(value: string) {
    this.#pathInfo = value
  }

  /** The path below the mount point, always starting with exactly one `/`. */
  get path(): string {
    const p = this.#pathInfo
    return p.charCodeAt(0) === 47 && p.charCodeAt(1) !== 47 ? p : '/' + p.replace(/^\/+/, '')
  }

  /** The mount point: `'/'` for the root app, `'/blog/'` inside an app mounted at `/blog`. */
  get scriptName(): string {
    return this.#scriptName
  }
  set scriptName(value: string) {
    const trimmed = value.replace(/^\/+|\/+$/g, '')
    this.#scriptName = trimmed ? `/${trimmed}/` : '/'
  }

  /** Moves `shift` path segments from `pathInfo` to `scriptName` (negative: back). */
  pathShift(shift = 1): void {
    const [script, path] = pathShift(this.#scriptName, this.#pathInfo, shift)
    this.scriptName = script
    this.#pathInfo = path
  }

  /**
   * `scriptName` and `path` joined and decoded, with `.` and `..` segments resolved as
   * Bottle's `urljoin` does (`/s/../app.py` is `/app.py`); `path` keeps them as sent.
   */
  get fullpath(): string {
    return removeDotSegments(this.#scriptName + this.path.slice(1))
  }

  /** The raw query string, without the `?`. */
  get queryString(): string {
    return this.#rawQuery
  }

  /** Query parameters: `&`-separated, `+` as space, UTF-8 decoded. Alias: `GET`. */
  get query(): FormsDict {
    if (this.#query) return this.#query
    const dict = FormsDict.create()
    const limit = this.app?.config.get('maxQueryParams') ?? 1000
    if (parseQuery(this.#rawQuery, (k, v) => dict.append(k, v), limit) > limit) {
      throw new HTTPError(400, `Too many query parameters (limit ${limit})`)
    }
    return (this.#query = dict)
  }

  /** Alias of `query`. */
  get GET(): FormsDict {
    return this.query
  }

  /** The request headers, case-insensitive. */
  get headers(): HeaderDict {
    if (this.#headers) return this.#headers
    const dict = new HeaderDict()
    const raw = this.req.rawHeaders
    for (let i = 0; i < raw.length; i += 2) dict.append(raw[i]!, headerText(raw[i + 1]!))
    return (this.#headers = dict)
  }

  /** One header's value (repeated headers joined as Node joins them), or `fallback`. */
  getHeader(name: string): string | undefined
  getHeader<D>(name: string, fallback: D): string | D
  getHeader(name: string, fallback?: unknown): unknown {
    const value = this.req.headers[name.toLowerCase()]
    if (value === undefined) return fallback
    return headerText(Array.isArray(value) ? value.join(', ') : value)
  }

  /** The cookies the client sent, undecoded signatures included. */
  get cookies(): FormsDict {
    if (this.#cookies) return this.#cookies
    const header = this.req.headers.cookie
    const dict = FormsDict.create()
    if (header) {
      // Bottle (SimpleCookie) keeps the last of repeated names; cookie.parse keeps the first.
      const parsed = parseCookies(header.split(';').reverse().join(';'))
      for (const key of Object.keys(parsed).reverse()) {
        let value = parsed[key]
        if (value === undefined) continue
        // Bottle (Python's SimpleCookie) unquotes "quoted" values.
        if (value.length > 1 && value.startsWith('"') && value.endsWith('"')) {
          value = value.slice(1, -1)
        }
        dict.append(key, value)
      }
    }
    return (this.#cookies = dict)
  }

  /**
   * A cookie's value. With `secret`, only a cookie signed with that secret for this name
   * is returned; tampered, foreign and malformed cookies read as `default`.
   */
  getCookie(key: string): string | undefined
  getCookie<D = undefined>(
    key: string,
    options: GetCookieOptions<D> & { secret?: undefined }
  ): string | D
  getCookie<D = undefined>(key: string, options: GetCookieOptions<D>): unknown
  getCookie(key: string, options: GetCookieOptions<unknown> = {}): unknown {
    const value = this.cookies.get(key)
    if (options.secret !== undefined) {
      if (!value) return options.default
      const decoded = cookieDecode(key, value, options.secret)
      return decoded === undefined ? options.default : decoded
    }
    return value || options.default
  }

  /** The lower-cased Content-Type header, `''` when missing. */
  get contentType(): string {
    return (this.req.headers['content-type'] ?? '').toLowerCase()
  }

  /** The Content-Length header as a number, `-1` when missing or invalid. */
  get contentLength(): number {
    const value = this.req.headers['content-length']
    if (value === undefined || !/^\d+$/.test(value)) return -1
    return Number(value)
  }

  /** Whether the body uses chunked transfer encoding. */
  get chunked(): boolean {
    return (this.req.headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')
  }

  /** Whether `X-Requested-With: XMLHttpRequest` was sent. */
  get isXhr(): boolean {
    return (this.getHeader('x-requested-with') ?? '').toLowerCase() === 'xmlhttprequest'
  }

  /** Alias of `isXhr`. */
  get isAjax(): boolean {
    return this.isXhr
  }

  /** HTTP Basic credentials as `[user, password]`, or `null`. */
  get auth(): [string, string] | null {
    const header = this.req.headers.authorization
    if (!header) return null
    const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)
    if (!match) return null
    const text = Buffer.from(match[1]!, 'base64').toString('utf8')
    const colon = text.indexOf(':')
    return colon === -1 ? null : [text.slice(0, colon), text.slice(colon + 1)]
  }

  #trust(): TrustFn {
    const config = this.app?.config
    if (!config) return compileTrust(undefined)
    const setting = config.get('trustProxy')
    const cached = trustCache.get(config)
    if (cached && cached.setting === setting) return cached.fn
    const fn = compileTrust(setting)
    trustCache.set(config, { setting, fn })
    return fn
  }

  /**
   * The addresses from the client to this server. `X-Forwarded-For` counts only as far
   * as the app's `trustProxy` setting trusts the hops; by default only the socket's peer.
   */
  get remoteRoute(): string[] {
    return forwardedChain(
      this.req.socket?.remoteAddress,
      this.getHeader('x-forwarded-for'),
      this.#trust(),
      isUnixPeer(this.req.socket)
    )
  }

  /** The client address: the first address of `remoteRoute`, or `null`. */
  get remoteAddr(): string | null {
    return this.remoteRoute[0] ?? null
  }

  /** The URL parts: scheme and host honour `X-Forwarded-Proto/-Host` from trusted proxies. */
  get urlparts(): UrlParts {
    const socket = this.req.socket
    const trusted = trustsPeer(socket?.remoteAddress, this.#trust(), isUnixPeer(socket))
    const fwdProto = trusted ? this.getHeader('x-forwarded-proto') : undefined
    const encrypted = (this.req.socket as TLSSocket | undefined)?.encrypted === true
    const scheme = (fwdProto?.split(',')[0]?.trim() || (encrypted ? 'https' : 'http')).toLowerCase()
    const fwdHost = trusted ? this.getHeader('x-forwarded-host')?.split(',')[0]?.trim() : undefined
    let host: string | undefined = fwdHost || this.getHeader('host') || this.getHeader(':authority')
    if (!host) {
      const addr = this.req.socket?.localAddress ?? '127.0.0.1'
      const port = this.req.socket?.localPort ?? 80
      const name = addr.includes(':') ? `[${addr}]` : addr
      host = port === (scheme === 'https' ? 443 : 80) ? name : `${name}:${port}`
    }
    return {
      scheme,
      netloc: host,
      path: quotePath(this.fullpath),
      query: this.#rawQuery,
      fragment: '',
    }
  }

  /** The full URL the client asked for, rebuilt from the request (see `urlparts`). */
  get url(): string {
    const p = this.urlparts
    return `${p.scheme}://${p.netloc}${p.path}${p.query ? '?' + p.query : ''}`
  }

  #bodyOrThrow(): RequestBody {
    if (this._body) return this._body
    // Routed requests without a body read as an empty one; before routing there is none yet.
    if (this.route) return (this._body = emptyBody(this.contentType))
    throw new BottleException(
      'The request body is not available here: it is read after routing, before the callback',
      'BOTTLE_BODY_NOT_READ'
    )
  }

  /** Whether the body has been read (it is, by the time a route callback runs). */
  get bodyRead(): boolean {
    return this._body !== null || this.route !== null
  }

  /**
   * The body as a seekable reader, rewound on every access: `read(size?)`, `seek()`,
   * `tell()`, `text()`, `stream()`, and `.buffer` for all the bytes. Past `memfileMax`
   * it reads from a temporary file. Empty for multipart bodies (see `forms`, `files`).
   */
  get body(): RequestBody {
    return this.#bodyOrThrow().rewind()
  }

  /**
   * The parsed JSON body, or `null` unless the media type is JSON (`application/json`,
   * `application/json-rpc`, `+json`) and the body is not empty. Invalid JSON is a 400.
   */
  get json(): unknown {
    return this.#bodyOrThrow().json(this.contentType)
  }

  /** Form fields from a urlencoded or multipart body (files excluded); UTF-8 strings. */
  get forms(): FormsDict {
    return this.#bodyOrThrow().forms
  }

  /** Uploaded files from a multipart body, by field name. */
  get files(): MultiDict<FileUpload> {
    return this.#bodyOrThrow().files
  }

  /** Form fields and files together. */
  get POST(): MultiDict<string | FileUpload> {
    return this.#bodyOrThrow().post
  }

  /** Query parameters then form fields; on a conflict the form value wins. */
  get params(): FormsDict {
    const dict = FormsDict.create(this.query)
    if (this._body || this.route) for (const [k, v] of this.forms.allitems()) dict.append(k, v)
    return dict
  }
}

const HIGH_BYTES = /[\u0080-\u00ff]/

/**
 * Node hands over header bytes as latin1 text; valid UTF-8 among them is decoded, as
 * Bottle decodes headers, and anything else is left as it came.
 */
function headerText(value: string): string {
  if (!HIGH_BYTES.test(value)) return value
  const utf8 = Buffer.from(value, 'latin1').toString('utf8')
  return utf8.includes('\ufffd') ? value : utf8
}

/**
 * RFC 3986 §5.2.4 `remove_dot_segments` for an absolute path: never climbs above `/`.
 * Differs from Python's `urljoin` on purpose: empty segments (`//`) are kept, and `/../x`
 * is `/x`, not `x`.
 */
function removeDotSegments(path: string): string {
  // Most paths have no dot segment at all; skip the split for them.
  if (!/(^|\/)\.\.?(\/|$)/.test(path)) return path
  const input = path.split('/')
  const out: string[] = []
  for (let i = 1; i < input.length; i++) {
    const seg = input[i]!
    const last = i === input.length - 1
    if (seg === '.' || seg === '..') {
      if (seg === '..' && out.length) out.pop()
      // A trailing dot segment still names a directory: keep its slash.
      if (last) out.push('')
    } else {
      out.push(seg)
    }
  }
  return '/' + out.join('/')
}

/** Bottle's `path_shift`: moves segments between the script name and the path. */
export function pathShift(scriptName: string, pathInfo: string, shift = 1): [string, string] {
  const pathList = pathInfo
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter(Boolean)
  const scriptList = scriptName
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter(Boolean)
  if (shift > 0 && shift <= pathList.length) {
    scriptList.push(...pathList.splice(0, shift))
  } else if (shift < 0 && -shift <= scriptList.length) {
    pathList.unshift(...scriptList.splice(scriptList.length + shift))
  } else if (shift !== 0) {
    throw new RangeError(
      'Cannot shift. Nothing left from ' + (shift > 0 ? 'PATH_INFO' : 'SCRIPT_NAME')
    )
  }
  let newPath = '/' + pathList.join('/')
  if (pathInfo.endsWith('/') && pathList.length) newPath += '/'
  return ['/' + scriptList.join('/'), newPath]
}
