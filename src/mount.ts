/**
 * Mounting (Bottle's `Bottle.mount`): a child app or any Node `(req, res)` handler
 * serves every path under a prefix. As in Bottle 0.12 and as Bottle issue #1205 asks,
 * a mounted Bottle app keeps its own hooks, plugins and error handlers and sees its own
 * path (`request.path` relative, `request.scriptName` = the prefix); the parent's hooks
 * run around it. Express, Connect or plain Node handlers mount the same way and answer
 * with their own 404s.
 * @module
 */
import type { ServerResponse } from 'node:http'
import type { Bottle, NodeHandler } from './app.js'
import { current } from './context.js'
import { HTTPError } from './errors.js'
import type { RequestContext } from './internal/storage.js'
import { isThenable } from './plugins.js'
import type { Callback } from './types.js'

/** What a mount callback returns once a Node handler has written the response itself. */
export const HANDLED: unique symbol = Symbol('bottle-ts.handled')

/** A mount point, as kept by the parent app for `getUrl`. */
export interface MountPoint {
  prefix: string
  target: Bottle | NodeHandler
}

/** Normalises a prefix to `/a/b/` (or `/`) and returns its segments. */
export function mountSegments(prefix: string): string[] {
  if (!prefix.startsWith('/'))
    throw new TypeError(`Mount prefix must start with "/": ${JSON.stringify(prefix)}`)
  return prefix.split('/').filter(Boolean)
}

/** Escapes rule syntax so a prefix is matched literally. */
export function literalRule(text: string): string {
  return text.replace(/[\\<:]/g, (c) => '\\' + c)
}

/** The callback of the PROXY route behind a mount. */
export function mountCallback(
  parent: Bottle,
  target: Bottle | NodeHandler,
  depth: number,
  isApp: boolean
): Callback {
  if (isApp) {
    const child = target as Bottle
    return () => {
      const ctx = current()
      const request = ctx.request
      const saved = {
        app: request.app,
        route: request.route,
        urlArgs: request.urlArgs,
        scriptName: request.scriptName,
        pathInfo: request.pathInfo,
      }
      const restore = (): void => {
        request.app = saved.app
        request.route = saved.route
        request.urlArgs = saved.urlArgs
        request.scriptName = saved.scriptName
        request.pathInfo = saved.pathInfo
      }
      request.pathShift(depth)
      request.app = child
      let out: unknown
      try {
        out = child._process(ctx)
      } catch (err) {
        restore()
        throw err
      }
      if (isThenable(out)) {
        return Promise.resolve(out).then(
          (v) => {
            restore()
            return v
          },
          (err: unknown) => {
            restore()
            throw err
          }
        )
      }
      restore()
      return out
    }
  }
  const handler = target as NodeHandler
  return () => {
    const ctx = current()
    const { req } = ctx.request
    const res = ctx.res
    if (!res)
      throw new HTTPError(500, 'Node handlers can only be mounted on apps served by a Node server')
    const originalUrl = req.url
    const query = ctx.request.queryString
    const shifted = shiftUrl(ctx, depth)
    return new Promise<unknown>((resolve) => {
      let settled = false
      const finish = (value: unknown): void => {
        if (settled) return
        settled = true
        req.url = originalUrl
        resolve(value)
      }
      interceptHead(parent, ctx, res)
      res.once('finish', () => finish(HANDLED))
      res.once('close', () => finish(HANDLED))
      req.url = shifted + (query ? `?${query}` : '')
      // Node handlers expect Node to have answered Expect: 100-continue already.
      if (/^100-continue$/i.test(req.headers.expect ?? '') && !res.headersSent) res.writeContinue()
      const next = (err?: unknown): void => {
        // Drop the interceptor (an own property) so this app writes its own answer.
        delete (res as { writeHead?: unknown }).writeHead
        if (err) finish(new HTTPError(500, 'Internal Server Error', err))
        else finish(new HTTPError(404, 'Not found: ' + JSON.stringify(ctx.request.path)))
      }
      // Express and Connect apps (they have `.handle`) answer their own 404s when given no
      // `next`; bare middleware with a third parameter gets one and falls back to this app.
      const passNext =
        handler.length >= 3 && typeof (handler as { handle?: unknown }).handle !== 'function'
      try {
        const r = passNext ? handler(req, res, next) : handler(req, res)
        if (isThenable(r))
          Promise.resolve(r).catch((err: unknown) =>
            next(err ?? new Error('mounted handler failed'))
          )
      } catch (err) {
        next(err ?? new Error('mounted handler failed'))
      }
    })
  }
}

function shiftUrl(ctx: RequestContext, depth: number): string {
  const segments = (ctx.request.req.url ?? '/').split('?')[0]!.split('/')
  // segments[0] is '' (leading slash); drop the prefix's segments from the raw path.
  const rest = segments.slice(1 + depth).join('/')
  return '/' + rest
}

/**
 * Runs the parent's after_request hooks when the mounted handler sends its headers, and
 * merges the headers set on `response` (by hooks) into the child's response.
 */
function interceptHead(parent: Bottle, ctx: RequestContext, res: ServerResponse): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- re-applied with the response as `this`
  const original = res.writeHead
  res.writeHead = function (
    this: ServerResponse,
    ...args: Parameters<ServerResponse['writeHead']>
  ) {
    res.writeHead = original
    const response = ctx.response
    const code = typeof args[0] === 'number' ? args[0] : res.statusCode
    response.status = code
    parent._runAfterHooksNow(ctx)
    if (response.hasHeaders) {
      for (const [name, value] of response.headers.allitems()) {
        if (!res.hasHeader(name)) res.setHeader(name, value)
        else if (name.toLowerCase() !== 'content-type') res.setHeader(name, value)
      }
    }
    for (const cookie of response.cookieHeaders) res.appendHeader('Set-Cookie', cookie)
    return original.apply(this, args)
  } as ServerResponse['writeHead']
}
