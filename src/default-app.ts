/**
 * The default app stack and the module-level shortcuts bound to it (Bottle's
 * `default_app`/`app` AppStack and `make_default_app_wrapper`). A shortcut binds to
 * whatever app is on top of the stack when it is called, as Bottle's do. The route
 * shortcuts double as TC39 method decorators for class-based controllers.
 * @module
 */
import { Bottle, type ErrorHandler, type HookName, type NodeHandler } from './app.js'
import { isMethodContext, recordRoute } from './decorators.js'
import type { Handler, PluginLike, RouteOptions, RouteParams, UrlParams } from './types.js'

const stack: Bottle[] = []

/** The default-app stack: call it for the top app; `push()` and `pop()` change it. */
export interface AppStack {
  /** The app on top of the stack, created on first use. */
  (): Bottle
  /** Pushes an app (a new one by default) and returns it. */
  push(app?: Bottle): Bottle
  /** Removes and returns the top app. */
  pop(): Bottle | undefined
}

/** The app on top of the default-app stack; `defaultApp.push()` / `.pop()` manage the stack. */
export const defaultApp: AppStack = Object.assign(
  (): Bottle => {
    if (!stack.length) stack.push(new Bottle())
    return stack[stack.length - 1]!
  },
  {
    push(app: Bottle = new Bottle()): Bottle {
      stack.push(app)
      return app
    },
    pop(): Bottle | undefined {
      return stack.pop()
    },
  }
)

/** Runs `fn` with `app` as the default app, then restores the stack (Bottle's `with app:`). */
export function withApp<T>(app: Bottle, fn: (app: Bottle) => T): T {
  stack.push(app)
  const restore = (): void => {
    const index = stack.lastIndexOf(app)
    if (index !== -1) stack.splice(index, 1)
  }
  try {
    const out = fn(app)
    if (out instanceof Promise) return out.finally(restore) as T
    restore()
    return out
  } catch (err) {
    restore()
    throw err
  }
}

/** What a route shortcut returns without a callback: a registrar or a method decorator. */
export interface RouteRegistrar<P> {
  /** Registers `callback` on the default app. */
  <F extends Handler<P>>(callback: F): F
  /** As a TC39 method decorator: records the route for `app.controller(instance)`. */
  <F extends Handler<P>>(method: F, context: ClassMethodDecoratorContext): void
}

/** A module-level route shortcut. */
export interface Shortcut {
  <R extends string>(path: R | R[], callback: Handler<RouteParams<R>>): Handler<RouteParams<R>>
  <R extends string>(
    path: R | R[],
    options: RouteOptions,
    callback: Handler<RouteParams<R>>
  ): Handler<RouteParams<R>>
  <R extends string>(path: R | R[], options?: RouteOptions): RouteRegistrar<RouteParams<R>>
}

function shortcut(method: string | null): Shortcut {
  return ((path: string | string[], a?: RouteOptions | Handler, b?: Handler) => {
    const options: RouteOptions = typeof a === 'function' ? {} : { ...a }
    if (method && options.method === undefined) options.method = method
    const callback = typeof a === 'function' ? a : b
    if (callback) return defaultApp().route(path, options, callback)
    return (fn: Handler, context?: unknown) => {
      if (isMethodContext(context)) {
        recordRoute(fn, { path, options })
        return undefined
      }
      return defaultApp().route(path, options, fn)
    }
  }) as Shortcut
}

/** `route()` on the default app; also a method decorator: `@route('/x', { method: 'POST' })`. */
export const route: Shortcut = shortcut(null)
/** `get()` on the default app; also a method decorator: `@get('/x')`. */
export const get: Shortcut = shortcut('GET')
/** `post()` on the default app; also a method decorator. */
export const post: Shortcut = shortcut('POST')
/** `put()` on the default app; also a method decorator. */
export const put: Shortcut = shortcut('PUT')
/** `patch()` on the default app; also a method decorator. */
export const patch: Shortcut = shortcut('PATCH')
/** `delete()` on the default app (exported as `del` and `delete`); also a method decorator. */
export const del: Shortcut = shortcut('DELETE')

/** `error()` on the default app. */
export function error(code: number, handler: ErrorHandler): ErrorHandler
export function error(code?: number): <F extends ErrorHandler>(handler: F) => F
export function error(code?: number, handler?: ErrorHandler): unknown {
  return handler ? defaultApp().error(code ?? 500, handler) : defaultApp().error(code)
}

/** `hook()` on the default app. */
export function hook(name: HookName): <F extends (...args: never[]) => unknown>(fn: F) => F {
  return defaultApp().hook(name)
}

/** `install()` on the default app. */
export function install<P extends PluginLike>(plugin: P): P {
  return defaultApp().install(plugin)
}

/** `uninstall()` on the default app. */
export function uninstall(plugin: Parameters<Bottle['uninstall']>[0]): PluginLike[] {
  return defaultApp().uninstall(plugin)
}

/** `mount()` on the default app. */
export function mount(prefix: string, target: Bottle | NodeHandler, options?: RouteOptions): void {
  defaultApp().mount(prefix, target, options)
}

/** `getUrl()` on the default app (Bottle's module-level `url`). */
export function url<N extends string>(
  name: N,
  params?: UrlParams<N>,
  query?: Record<string, unknown>
): string {
  return defaultApp().getUrl(name, params, query)
}
