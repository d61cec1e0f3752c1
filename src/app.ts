/**
 * Bottle's "Application Object". One request flows one way:
 *
 *   adapter -> app.handle(req, res) -> context (AsyncLocalStorage) -> before_request
 *   hooks -> router -> body read -> plugin-wrapped callback -> after_request hooks ->
 *   error handlers -> output casting (output.ts) -> socket
 *
 * The path stays synchronous until something returns a Promise, so a plain handler
 * costs no microtask hops.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  checkLimit,
  checkTempDir,
  DEFAULT_LIMITS,
  hasBody,
  LIMIT_KEYS,
  readBody,
  type BodyLimits,
  type SpoolLimits,
} from './body.js'
import { HTTPError, HTTPResponse, PluginError, RouteBuildError } from './errors.js'
import { storage, type RequestContext } from './internal/storage.js'
import { htmlEscape } from './internal/http.js'
import { decodePath } from './internal/url.js'
import { controllerRoutes } from './decorators.js'
import { literalRule, mountCallback, mountSegments, type MountPoint } from './mount.js'
import { errorPage, writeOutput } from './output.js'
import { isThenable, JSONPlugin, TemplatePlugin } from './plugins.js'
import { BaseRequest } from './request.js'
import { BaseResponse } from './response.js'
import { Route, Router } from './router.js'
import { ConfigDict } from './structures.js'
import type {
  Callback,
  Handler,
  PluginLike,
  RouteOptions,
  RouteParams,
  UrlParams,
} from './types.js'

/** Options of `new Bottle()`; any other key is stored in `app.config`. */
export interface BottleOptions {
  /** Render uncaught errors as 500 pages (default `true`); `false` lets them propagate. */
  catchall?: boolean
  /** Cast returned objects and arrays to JSON (default `true`); sets `json.enable`. */
  autojson?: boolean
  /** Debug mode: stack traces in error pages. */
  debug?: boolean
  [key: string]: unknown
}

/** An error handler: receives the `HTTPError`, returns the body. */
export type ErrorHandler = (error: HTTPError) => unknown

/** The names of Bottle's hooks. */
export type HookName = 'before_request' | 'after_request' | 'app_reset' | 'config'

type HookFn = (...args: never[]) => unknown

/** A Node request handler, as accepted by `app.mount` (Express, Connect, ...). */
export type NodeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (err?: unknown) => void
) => unknown

/** `app.route(...)` without a callback returns this decorator-like function. */
export type RouteDecorator<P> = <F extends Handler<P>>(callback: F) => F

/** Module-wide debug flag, set by `debug()` (Bottle's `DEBUG`). */
export const DEBUG: { enabled: boolean } = { enabled: false }

/**
 * A Bottle application: a route table, hooks, error handlers, plugins and config.
 * @example
 * const app = new Bottle()
 * app.get('/hello/<name>', ({ name }) => `Hello ${name}!`)
 * run(app, { port: 8080 })
 */
export class Bottle {
  /** Configuration; `route.config` reads through to it. */
  readonly config: ConfigDict
  /** Every route added, in order. */
  readonly routes: Route[] = []
  /** The router that matches requests to routes. */
  readonly router: Router<Route> = new Router<Route>()
  /** Error handlers by status code. */
  readonly errorHandler: Map<number, ErrorHandler> = new Map()
  /** Installed plugins, in installation order. */
  readonly plugins: PluginLike[] = []
  /** `(req, res) => void` for any Node HTTP server. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void
  /** Where uncaught errors are reported (stderr by default). */
  logError: (error: unknown, request: BaseRequest) => void = defaultLogError
  readonly #hooks: Record<HookName, HookFn[]> = {
    before_request: [],
    after_request: [],
    app_reset: [],
    config: [],
  }
  #before: HookFn[] | null = null
  #afterHooks: HookFn[] | null = null
  #limits: SpoolLimits | null = null
  #routeLimitCache = new WeakMap<Route, SpoolLimits>()
  readonly #mounts: MountPoint[] = []

  /** A new application; `options` become config keys (`catchall`, `autojson`, ...). */
  constructor(options: BottleOptions = {}) {
    this.config = new ConfigDict()
    this.config.addChangeListener((key, value) => {
      if (LIMIT_KEYS.includes(key)) checkLimit(key, value)
      else if (key === 'tempDir' && value !== undefined) checkTempDir(value)
      this.#limits = null
      this.#routeLimitCache = new WeakMap()
      for (const fn of this.#hooks.config) (fn as (k: string, v: unknown) => void)(key, value)
    })
    const { catchall, autojson, debug, ...rest } = options
    this.config.set('catchall', catchall ?? true)
    if (autojson === false) this.config.set('json.enable', false)
    if (debug !== undefined) this.config.set('debug', debug)
    this.config.loadDict(rest)
    this.handler = (req, res) => {
      let out: Promise<void> | undefined
      try {
        out = this.handle(req, res)
      } catch (err) {
        // A bug must cost one request, not the process.
        failSafe(res, err)
        return
      }
      if (out) out.catch((err: unknown) => failSafe(res, err))
    }
    this.install(new JSONPlugin())
    this.install(new TemplatePlugin())
  }

  /** Whether uncaught errors become 500 pages (`config.catchall`). */
  get catchall(): boolean {
    return this.config.get('catchall', true) !== false
  }
  set catchall(value: boolean) {
    this.config.set('catchall', value)
  }

  /** Debug mode for this app (or globally through `debug()`). */
  get debug(): boolean {
    return this.config.get('debug', false) === true || DEBUG.enabled
  }

  // --- Routes ----------------------------------------------------------------------

  /**
   * Adds a route. Three forms: `route(path, callback)`, `route(path, options, callback)`,
   * and `route(path, options?)(callback)`. `path` may be a list and `options.method` a
   * list; one route is created per pair. Returns the callback (or a decorator).
   * @example
   * app.route('/hello/<name>', { method: ['GET', 'POST'] })(({ name }) => `Hi ${name}`)
   */
  route<R extends string>(path: R | R[], callback: Handler<RouteParams<R>>): Handler<RouteParams<R>>
  route<R extends string>(
    path: R | R[],
    options: RouteOptions,
    callback: Handler<RouteParams<R>>
  ): Handler<RouteParams<R>>
  route<R extends string>(path: R | R[], options?: RouteOptions): RouteDecorator<RouteParams<R>>
  route(path: string | string[], a?: RouteOptions | Handler<never>, b?: Handler<never>): unknown {
    const options = typeof a === 'function' ? {} : (a ?? {})
    const callback = typeof a === 'function' ? a : b
    const add = (fn: Handler<never>): Handler<never> => {
      const { method = 'GET', name, apply, skip, ...config } = options
      const methods = (Array.isArray(method) ? method : [method]).map((m) => m.toUpperCase())
      const plugins = apply === undefined ? [] : Array.isArray(apply) ? apply : [apply]
      const skiplist = skip === undefined ? [] : Array.isArray(skip) ? skip : [skip]
      for (const rule of Array.isArray(path) ? path : [path]) {
        for (const verb of methods) {
          this.addRoute(
            new Route(this, rule, verb, fn as Callback, {
              name: name ?? null,
              plugins: plugins,
              skiplist,
              config,
            })
          )
        }
      }
      return fn
    }
    return callback ? add(callback) : add
  }

  /** Adds a GET route; same forms as `route`. */
  get<R extends string>(path: R | R[], callback: Handler<RouteParams<R>>): Handler<RouteParams<R>>
  get<R extends string>(
    path: R | R[],
    options: RouteOptions,
    callback: Handler<RouteParams<R>>
  ): Handler<RouteParams<R>>
  get<R extends string>(path: R | R[], options?: RouteOptions): RouteDecorator<RouteParams<R>>
  get(path: string | string[], a?: RouteOptions | Handler<never>, b?: Handler<never>): unknown {
    return this.#shortcut('GET', path, a, b)
  }

  /** Adds a POST route; same forms as `route`. */
  post<R extends string>(path: R | R[], callback: Handler<RouteParams<R>>): Handler<RouteParams<R>>
  post<R extends string>(
    path: R | R[],
    options: RouteOptions,
    callback: Handler<RouteParams<R>>
  ): Handler<RouteParams<R>>
  post<R extends string>(path: R | R[], options?: RouteOptions): RouteDecorator<RouteParams<R>>
  post(path: string | string[], a?: RouteOptions | Handler<never>, b?: Handler<never>): unknown {
    return this.#shortcut('POST', path, a, b)
  }

  /** Adds a PUT route; same forms as `route`. */
  put<R extends string>(path: R | R[], callback: Handler<RouteParams<R>>): Handler<RouteParams<R>>
  put<R extends string>(
    path: R | R[],
    options: RouteOptions,
    callback: Handler<RouteParams<R>>
  ): Handler<RouteParams<R>>
  put<R extends string>(path: R | R[], options?: RouteOptions): RouteDecorator<RouteParams<R>>
  put(path: string | string[], a?: RouteOptions | Handler<never>, b?: Handler<never>): unknown {
    return this.#shortcut('PUT', path, a, b)
  }

  /** Adds a PATCH route; same forms as `route`. */
  patch<R extends string>(path: R | R[], callback: Handler<RouteParams<R>>): Handler<RouteParams<R>>
  patch<R extends string>(
    path: R | R[],
    options: RouteOptions,
    callback: Handler<RouteParams<R>>
  ): Handler<RouteParams<R>>
  patch<R extends string>(path: R | R[], options?: RouteOptions): RouteDecorator<RouteParams<R>>
  patch(path: string | string[], a?: RouteOptions | Handler<never>, b?: Handler<never>): unknown {
    return this.#shortcut('PATCH', path, a, b)
  }

  /** Adds a DELETE route; same forms as `route`. */
  delete<R extends string>(
    path: R | R[],
    callback: Handler<RouteParams<R>>
  ): Handler<RouteParams<R>>
  delete<R extends string>(
    path: R | R[],
    options: RouteOptions,
    callback: Handler<RouteParams<R>>
  ): Handler<RouteParams<R>>
  delete<R extends string>(path: R | R[], options?: RouteOptions): RouteDecorator<RouteParams<R>>
  delete(path: string | string[], a?: RouteOptions | Handler<never>, b?: Handler<never>): unknown {
    return this.#shortcut('DELETE', path, a, b)
  }

  #shortcut(
    method: string,
    path: string | string[],
    a?: RouteOptions | Handler<never>,
    b?: Handler<never>
  ): unknown {
    if (typeof a === 'function')
      return this.route(path, { method }, a as Handler<RouteParams<string>>)
    return this.route(
      path,
      { ...a, method: a?.method ?? method },
      b as Handler<RouteParams<string>>
    )
  }

  /**
   * Registers the routes of a controller instance, whose methods carry `@get`, `@post`,
   * `@route`... decorators; the methods run bound to the instance. Returns the instance.
   * @example
   * class Users { @get('/<id:int>') show({ id }: { id: number }) { return `user ${id}` } }
   * app.controller(new Users(), '/users')
   */
  controller<T extends object>(instance: T, prefix = ''): T {
    const base = prefix.replace(/\/+$/, '')
    for (const { method, routes } of controllerRoutes(instance)) {
      const bound = method.bind(instance) as Handler
      for (const { path, options } of routes) {
        const paths = (Array.isArray(path) ? path : [path]).map((p) => base + p)
        this.route(paths, options, bound)
      }
    }
    return instance
  }

  /** Adds a `Route` object to the table. */
  addRoute(route: Route): void {
    readLimits(route.config) // a bad per-route limit fails here, not on the first request
    // Router first: a rule it refuses must not linger in `routes`.
    this.router.add(route.rule, route.method, route, route.name)
    this.routes.push(route)
    if (this.debug) route.prepare()
  }

  /** Adds routes of another app (or a list of routes) to this one, unchanged. */
  merge(routes: Bottle | Route[]): void {
    for (const route of routes instanceof Bottle ? routes.routes : routes) this.addRoute(route)
  }

  /** The route and wildcard values for a method and path, or throws HTTPError 404/405. */
  match(method: string, path: string): { route: Route; args: Record<string, unknown> } {
    const { target, args } = this.router.match(method.toUpperCase(), path)
    return { route: target, args }
  }

  /**
   * Builds the URL of a named route: wildcards from `params`, leftover params and `query`
   * as the query string, prefixed with the current mount point.
   */
  getUrl<N extends string>(
    name: N,
    params: UrlParams<N> = {} as UrlParams<N>,
    query: Record<string, unknown> = {}
  ): string {
    // Inside a request to this app the mount point is known; otherwise this app is the root.
    const request = storage.getStore()?.request
    const script = request && request.app === this ? request.scriptName : '/'
    return script + this.#buildPath(name, { ...params, ...query }).replace(/^\/+/, '')
  }

  /** Builds a route's path, looking into mounted apps when this app has no such name. */
  #buildPath(name: string, params: Record<string, unknown>): string {
    try {
      return this.router.build(name, params)
    } catch (err) {
      if (!(err instanceof RouteBuildError) || !err.message.startsWith('No route')) throw err
      for (const mount of this.#mounts) {
        if (!(mount.target instanceof Bottle)) continue
        try {
          return mount.prefix + mount.target.#buildPath(name, params).replace(/^\/+/, '')
        } catch (inner) {
          if (!(inner instanceof RouteBuildError) || !inner.message.startsWith('No route'))
            throw inner
        }
      }
      throw err
    }
  }

  /**
   * Mounts a child app or a Node `(req, res)` handler (Express, Connect...) under a prefix.
   * The child sees paths relative to the prefix and keeps its own hooks, plugins and
   * error handlers; this app's hooks run around it. A prefix without a trailing slash
   * also answers the bare prefix (`/blog` as well as `/blog/...`).
   * @example
   * const blog = new Bottle()
   * blog.get('/', () => 'Blog index')
   * app.mount('/blog/', blog)
   */
  mount(prefix: string, target: Bottle | NodeHandler, options: RouteOptions = {}): void {
    const segments = mountSegments(prefix)
    const base = segments.length ? `/${segments.join('/')}/` : '/'
    const isApp = target instanceof Bottle
    const callback = mountCallback(this, target, segments.length, isApp)
    const opts: RouteOptions = {
      skip: true,
      ...options,
      method: 'PROXY',
      mountpoint: { prefix: base, target },
    }
    this.route(literalRule(base) + '<:re:.*>', opts, callback)
    if (segments.length && !prefix.endsWith('/'))
      this.route(literalRule(base.slice(0, -1)), opts, callback)
    if (isApp) {
      target.config.set('_mount.prefix', base)
      target.config.set('_mount.app', this)
    }
    this.#mounts.push({ prefix: base, target })
  }

  // --- Errors and hooks ------------------------------------------------------------

  /**
   * Registers an error handler for a status code: `app.error(404, handler)` or
   * `app.error(404)(handler)`. The handler's return value is the response body.
   */
  error(code: number, handler: ErrorHandler): ErrorHandler
  error(code?: number): <F extends ErrorHandler>(handler: F) => F
  error(code = 500, handler?: ErrorHandler): unknown {
    const add = <F extends ErrorHandler>(fn: F): F => {
      this.errorHandler.set(Math.trunc(code), fn)
      return fn
    }
    return handler ? add(handler) : add
  }

  /** Attaches a hook: `before_request`, `after_request`, `app_reset` or `config`. */
  addHook(name: HookName, fn: HookFn): void {
    const list = this.#hooks[name]
    if (!list) throw new TypeError(`Unknown hook name: ${JSON.stringify(name)}`)
    // after_request hooks run in reverse order of registration, as in Bottle.
    if (name === 'after_request') list.unshift(fn)
    else list.push(fn)
    this.#before = this.#afterHooks = null
  }

  /** Removes a hook; returns whether it was attached. */
  removeHook(name: HookName, fn: HookFn): boolean {
    const list = this.#hooks[name]
    if (!list) throw new TypeError(`Unknown hook name: ${JSON.stringify(name)}`)
    const index = list.indexOf(fn)
    if (index === -1) return false
    list.splice(index, 1)
    this.#before = this.#afterHooks = null
    return true
  }

  /** Calls every hook of a name with the arguments; returns their results. */
  triggerHook(name: HookName, ...args: unknown[]): unknown[] {
    const list = this.#hooks[name]
    if (!list) throw new TypeError(`Unknown hook name: ${JSON.stringify(name)}`)
    return [...list].map((fn) => (fn as (...a: unknown[]) => unknown)(...args))
  }

  /** Decorator form of `addHook`: `app.hook('before_request')(fn)`. */
  hook(name: HookName): <F extends HookFn>(fn: F) => F {
    return (fn) => {
      this.addHook(name, fn)
      return fn
    }
  }

  // --- Plugins -----------------------------------------------------------------------

  /**
   * Installs a plugin for every route: calls its `setup(app)`, then applies it lazily.
   * @example app.install((callback) => (args) => { const t = Date.now(); try { return callback(args) } finally { log(Date.now() - t) } })
   */
  install<P extends PluginLike>(plugin: P): P {
    if (typeof plugin === 'object' && plugin !== null && typeof plugin.setup === 'function')
      plugin.setup(this)
    if (typeof plugin !== 'function' && typeof plugin?.apply !== 'function') {
      throw new PluginError('Plugins must be functions or objects with an apply() method')
    }
    this.plugins.push(plugin)
    this.reset()
    return plugin
  }

  /**
   * Uninstalls plugins: by instance, by class, by name, or `true` for all. Calls their
   * `close()`; returns the removed plugins.
   */
  uninstall(
    plugin: PluginLike | string | boolean | (abstract new (...args: never[]) => unknown)
  ): PluginLike[] {
    const removed: PluginLike[] = []
    for (let i = this.plugins.length - 1; i >= 0; i--) {
      const p = this.plugins[i]!
      const name = typeof p === 'object' ? p.name : undefined
      if (
        plugin === true ||
        plugin === p ||
        (typeof plugin === 'string' && name === plugin) ||
        (typeof plugin === 'function' &&
          typeof p === 'object' &&
          plugin.prototype !== undefined &&
          p instanceof plugin)
      ) {
        removed.push(p)
        this.plugins.splice(i, 1)
        if (typeof p === 'object' && typeof p.close === 'function') p.close()
      }
    }
    if (removed.length) this.reset()
    return removed
  }

  /** Forgets cached plugin wrappers (all routes, or one by object or index); fires `app_reset`. */
  reset(route?: Route | number): void {
    const targets =
      route === undefined ? this.routes : [typeof route === 'number' ? this.routes[route]! : route]
    for (const r of targets) r.reset()
    if (this.debug) for (const r of targets) r.prepare()
    this.triggerHook('app_reset')
  }

  /** Closes every plugin that has a `close()`. */
  close(): void {
    for (const p of this.plugins)
      if (typeof p === 'object' && typeof p.close === 'function') p.close()
  }

  // --- Request handling --------------------------------------------------------------

  /**
   * Handles one request from any Node HTTP server. Returns nothing when the response was
   * written synchronously, else a Promise that settles once it is written.
   */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    let url = req.url ?? '/'
    if (url.charCodeAt(0) !== 47) url = absoluteFormPath(url)
    const q = url.indexOf('?')
    const rawPath = q === -1 ? url : url.slice(0, q)
    const pathInfo = decodePath(rawPath)
    const request = new BaseRequest(
      req,
      this,
      pathInfo ?? rawPath,
      q === -1 ? '' : url.slice(q + 1)
    )
    const ctx: RequestContext = { request, response: new BaseResponse(), res }
    return storage.run(ctx, serve, this, ctx, res, pathInfo === null)
  }

  /**
   * Runs the request through hooks, router and callback and resolves everything up to
   * the body to send (error handlers included). Used by `handle` and by parent apps of a
   * mount; `output.ts` writes the result.
   */
  _process(ctx: RequestContext, badPath = false): unknown {
    return this._processThen(ctx, badPath, identity)
  }

  /**
   * `_process`, handing the result to `next` in the same step: an async callback costs one
   * promise less than chaining `next` on the result (on Node 20 each promise also pays
   * for AsyncLocalStorage's hooks). `next` must accept a thenable too.
   * @internal
   */
  _processThen(ctx: RequestContext, badPath: boolean, next: (out: unknown) => unknown): unknown {
    let out: unknown
    try {
      out = badPath
        ? new HTTPError(400, 'Invalid path: malformed percent-encoding or NUL byte')
        : this.#route(ctx)
      if (isThenable(out))
        return out.then(
          (v) => next(this.#afterRoute(ctx, v, false)),
          (e: unknown) => next(this.#afterRoute(ctx, e, true))
        )
    } catch (err) {
      return next(this.#afterRoute(ctx, err, true))
    }
    return next(this.#afterRoute(ctx, out, false))
  }

  #route(ctx: RequestContext): unknown {
    const before = (this.#before ??= [...this.#hooks.before_request])
    if (before.length) {
      for (let i = 0; i < before.length; i++) {
        const r = (before[i] as () => unknown)()
        if (isThenable(r)) return r.then(() => this.#continueHooks(ctx, before, i + 1))
      }
    }
    return this.#dispatch(ctx)
  }

  #continueHooks(ctx: RequestContext, hooks: HookFn[], from: number): unknown {
    for (let i = from; i < hooks.length; i++) {
      const r = (hooks[i] as () => unknown)()
      if (isThenable(r)) return r.then(() => this.#continueHooks(ctx, hooks, i + 1))
    }
    return this.#dispatch(ctx)
  }

  #dispatch(ctx: RequestContext): unknown {
    const request = ctx.request
    const { target: route, args } = this.router.match(request.method, request.pathInfo)
    request.route = route
    request.urlArgs = args
    const req = request.req
    // Mounted apps read the body themselves, with their own limits.
    if (route.method !== 'PROXY' && hasBody(req)) {
      const limits = this.#routeLimits(route)
      const res = ctx.res
      return readBody(req, limits, { res }).then(
        (body) => {
          request._body = body
          // Temporary files live until the response is finished or the connection is gone.
          if (res && body.needsCleanup) onceClosed(res, () => void body.cleanup())
          return route.call(args)
        },
        (err: unknown) => {
          // A full disk or a bad tempDir is the operator's to fix: log the file-system error.
          if (err instanceof HTTPError && err.statusCode >= 500) {
            this.logError(err.exception ?? err, request)
          }
          throw err
        }
      )
    }
    return route.call(args)
  }

  #routeLimits(route: Route): SpoolLimits {
    const app = (this.#limits ??= readLimits(this.config))
    // Route config reads through to the app's, so only a route's own keys differ.
    let own: SpoolLimits | undefined = this.#routeLimitCache.get(route)
    if (own === undefined) {
      own = readLimits(route.config)
      this.#routeLimitCache.set(route, own)
    }
    for (const key of Object.keys(own) as (keyof SpoolLimits)[]) {
      if (own[key] !== app[key]) return own
    }
    return app
  }

  /** Applies a returned or thrown value, runs after_request hooks, resolves errors. */
  #afterRoute(ctx: RequestContext, value: unknown, thrown: boolean): unknown {
    if (!thrown && isThenable(value)) {
      return value.then(
        (v) => this.#afterRoute(ctx, v, false),
        (e: unknown) => this.#afterRoute(ctx, e, true)
      )
    }
    let out = value
    let propagate: { error: unknown } | null = null
    if (value instanceof HTTPResponse) {
      value.apply(ctx.response)
      out = value
    } else if (thrown) {
      if (!this.catchall) propagate = { error: value }
      out = this._internalError(ctx, value)
      ;(out as HTTPError).apply(ctx.response)
    }
    const after = (this.#afterHooks ??= [...this.#hooks.after_request])
    if (after.length && ctx.afterDone !== this) {
      const r = this.#runAfterHooks(ctx, after, 0, out)
      if (isThenable(r)) return r.then((o) => this.#finish(ctx, o, propagate))
      out = r
    }
    return this.#finish(ctx, out, propagate)
  }

  #runAfterHooks(ctx: RequestContext, hooks: HookFn[], from: number, out: unknown): unknown {
    for (let i = from; i < hooks.length; i++) {
      try {
        const r = (hooks[i] as () => unknown)()
        if (isThenable(r)) {
          return r.then(
            () => this.#runAfterHooks(ctx, hooks, i + 1, out),
            (err: unknown) => this.#runAfterHooks(ctx, hooks, i + 1, this.#hookError(ctx, err))
          )
        }
      } catch (err) {
        out = this.#hookError(ctx, err)
      }
    }
    return out
  }

  #hookError(ctx: RequestContext, err: unknown): unknown {
    const res = err instanceof HTTPResponse ? err : this._internalError(ctx, err)
    res.apply(ctx.response)
    return res
  }

  #finish(ctx: RequestContext, out: unknown, propagate: { error: unknown } | null): unknown {
    if (propagate) throw propagate.error
    // `out` was applied to the response already; applying again would drop hook headers.
    return this._resolve(ctx, out, out)
  }

  /**
   * Runs the after_request hooks synchronously now (a mounted Node handler is about to
   * send its headers); they will not run again for this request.
   */
  _runAfterHooksNow(ctx: RequestContext): void {
    if (ctx.afterDone === this) return
    ctx.afterDone = this
    for (const hook of (this.#afterHooks ??= [...this.#hooks.after_request])) {
      try {
        void hook()
      } catch (err) {
        this.logError(err, ctx.request)
      }
    }
  }

  /** An `HTTPError(500)` for an uncaught exception, reported through `logError`. */
  _internalError(ctx: RequestContext, err: unknown): HTTPError {
    if (err instanceof HTTPError) return err
    if (this.catchall) this.logError(err, ctx.request)
    const stack = err instanceof Error ? err.stack : String(err)
    return new HTTPError(500, 'Internal Server Error', err, stack)
  }

  /**
   * Turns `HTTPResponse`s and `HTTPError`s into a plain body: applies them to the
   * response and renders errors with the registered handler or the default page.
   */
  _resolve(ctx: RequestContext, out: unknown, applied?: unknown, depth = 0): unknown {
    for (; depth < 8; depth++) {
      if (out instanceof HTTPError) {
        if (out !== applied) out.apply(ctx.response)
        const handler = this.errorHandler.get(out.statusCode)
        if (!handler) return errorPage(ctx, out, this.debug)
        let rendered: unknown
        try {
          rendered = handler(out)
        } catch (err) {
          return this.#criticalError(ctx, err)
        }
        if (isThenable(rendered)) {
          return rendered.then(
            (v) => this._resolve(ctx, v, undefined, depth + 1),
            (err: unknown) => this.#criticalError(ctx, err)
          )
        }
        out = rendered
      } else if (out instanceof HTTPResponse) {
        if (out !== applied) out.apply(ctx.response)
        out = out.body
      } else {
        return out
      }
    }
    // Handlers that keep answering with errors (or a response nested in itself) end here.
    if (out instanceof HTTPResponse)
      return this.#criticalError(ctx, new Error('Error handlers and responses nest too deeply'))
    return out
  }

  #criticalError(ctx: RequestContext, err: unknown): string {
    this.logError(err, ctx.request)
    const response = new HTTPError(500, 'Critical error while processing request')
    response.apply(ctx.response)
    ctx.response.setHeader('Content-Type', 'text/html; charset=UTF-8')
    const page = `<h1>Critical error while processing request: ${htmlEscape(ctx.request.pathInfo)}</h1>`
    return this.debug && err instanceof Error
      ? `${page}<h2>Traceback:</h2><pre>${htmlEscape(err.stack ?? '')}</pre>`
      : page
  }
}

/** Runs inside the request's async context: process, then write. */
function serve(
  app: Bottle,
  ctx: RequestContext,
  res: ServerResponse,
  badPath: boolean
): Promise<void> | undefined {
  let done: unknown
  try {
    done = app._processThen(ctx, badPath, (out) => writeOutput(app, ctx, res, out))
  } catch (err) {
    return Promise.reject(err)
  }
  return (done as Promise<void> | undefined) ?? undefined
}

function identity(value: unknown): unknown {
  return value
}

/** Absolute-form request targets (`GET http://host/path`) route by their path. */
function absoluteFormPath(url: string): string {
  if (url === '*') return '*'
  try {
    const parsed = new URL(url)
    return parsed.pathname + parsed.search
  } catch {
    return '/' + url
  }
}

/** The body limits and `tempDir` a config dict sets, defaults filled in; a bad value throws. */
function readLimits(config: ConfigDict): SpoolLimits {
  const out: SpoolLimits = { ...DEFAULT_LIMITS }
  for (const key of Object.keys(out) as (keyof BodyLimits)[]) {
    const value = config.get(key)
    if (value !== undefined) {
      checkLimit(key, value)
      out[key] = value
    }
  }
  const tempDir = config.get('tempDir')
  if (tempDir !== undefined) {
    checkTempDir(tempDir)
    out.tempDir = tempDir
  }
  return out
}

/** Calls `fn` once the response is finished or its connection closed (now, if already). */
function onceClosed(res: ServerResponse, fn: () => void): void {
  if (res.destroyed || (res.writableFinished && !res.socket)) fn()
  else res.once('close', fn)
}

function defaultLogError(error: unknown, request: BaseRequest): void {
  const where = `${request.method} ${request.fullpath}`
  process.stderr.write(
    `Error while handling ${where}:\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
  )
}

/** Last line of defence for errors that escape `handle` (catchall off, or a bug). */
function failSafe(res: ServerResponse, err: unknown): void {
  process.stderr.write(
    `Unhandled error in request handler: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`
  )
  if (!res.headersSent) {
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8', Connection: 'close' })
    res.end('Internal Server Error')
  } else {
    res.destroy()
  }
}
