/**
 * Bottle's "Exceptions" and the application helpers that throw them: `HTTPResponse`
 * (a response that can be returned or thrown), `HTTPError` (a response that renders
 * through the app's error handlers), `abort` and `redirect`, plus the internal error
 * classes with stable `code`s.
 * @module
 */
import { checkHeaderValue } from './internal/http.js'
import { currentOrNull } from './internal/storage.js'
import { BaseResponse, type HeadersInit } from './response.js'

/** Base class of bottle-ts's own errors; `code` is stable, the message is for humans. */
export class BottleException extends Error {
  /** A stable machine-readable code such as `'BOTTLE_ROUTE_SYNTAX'`. */
  readonly code: string
  constructor(message: string, code = 'BOTTLE_ERROR') {
    super(message)
    this.name = new.target.name
    this.code = code
  }
}

/** Errors of the routing system. */
export class RouteError extends BottleException {}
/** A rule that cannot be parsed or a filter regexp that is unsafe. */
export class RouteSyntaxError extends RouteError {
  constructor(message: string) {
    super(message, 'BOTTLE_ROUTE_SYNTAX')
  }
}
/** `getUrl` could not build a URL. */
export class RouteBuildError extends RouteError {
  constructor(message: string) {
    super(message, 'BOTTLE_ROUTE_BUILD')
  }
}
/** A plugin could not be installed or applied. */
export class PluginError extends BottleException {
  constructor(message: string) {
    super(message, 'BOTTLE_PLUGIN')
  }
}

/**
 * A response that can be returned or thrown from a callback: its status, headers,
 * cookies and body replace whatever was set on `response` so far (as Bottle's `apply`).
 * It bypasses error handlers, even for 4xx and 5xx statuses.
 */
export class HTTPResponse extends BaseResponse {
  /** Copies status, headers, cookies and body onto `target`. */
  apply(target: BaseResponse): void {
    this.applyTo(target)
  }
}

/** An error response: rendered by the handler registered with `app.error(code)`. */
export class HTTPError extends HTTPResponse {
  static override defaultStatus = 500
  /** The exception that caused this error, if any. */
  exception: unknown
  /** A stack trace text, shown only in debug mode. */
  traceback: string | undefined

  /** An error with a status (default 500), a body text and optionally its cause. */
  constructor(
    status?: number | string,
    body?: unknown,
    exception?: unknown,
    traceback?: string,
    headers?: HeadersInit
  ) {
    super(body ?? '', status, headers)
    this.exception = exception
    this.traceback = traceback
  }
}

/**
 * Throws an `HTTPError` that the app renders with its error handler.
 * @example abort(401, 'Access denied.')
 */
export function abort(code = 500, text = 'Unknown Error.'): never {
  throw new HTTPError(code, text)
}

/**
 * Throws an `HTTPResponse` that redirects: 303 for HTTP/1.1 requests, 302 otherwise, with
 * an absolute `Location` resolved against the request URL. Headers and cookies already set
 * on `response` are kept, as in Bottle.
 *
 * Security: the location is percent-encoded to ASCII and CR, LF and NUL are refused, so a
 * user-controlled target cannot split the response; the body carries no link. Whether
 * the target may point to another site is the caller's decision: check it before calling
 * with user input (`//evil.com` and `https:evil.com` are other sites).
 */
export function redirect(url: string, code?: number): never {
  const ctx = currentOrNull()
  const status = code ?? (ctx?.request.req.httpVersion === '1.1' ? 303 : 302)
  const res = ctx ? ctx.response.copy(HTTPResponse) : new HTTPResponse()
  res.status = status
  res.body = ''
  checkHeaderValue('Location', url)
  const base = ctx ? ctx.request.url : 'http://127.0.0.1/'
  let baseUrl: URL
  try {
    baseUrl = new URL(base)
  } catch {
    // Only the request's Host header can make its own URL unparsable: the client's fault.
    const host = ctx?.request.getHeader('host') ?? ''
    throw new HTTPError(400, `Invalid Host header: ${JSON.stringify(host)}`)
  }
  let location: string
  try {
    location = new URL(url, baseUrl).href
  } catch {
    throw new TypeError(`Invalid redirect target: ${JSON.stringify(url)}`)
  }
  res.setHeader('Location', location)
  throw res
}
