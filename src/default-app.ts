/**
 * The default app stack and the module-level shortcuts bound to it (Bottle's
 * `default_app`, `app.push()`/`pop()` and `make_default_app_wrapper`). A shortcut binds
 * to whatever app is on top of the stack when it is called, as Bottle's do.
 * @module
 */
import { Bottle, type ErrorHandler, type HookName, type RouteDecorator } from './app.js'
import type { Handler, PluginLike, RouteOptions, RouteParams } from './types.js'

const stack: Bottle[] = []

/** The app on top of the default-app stack (created on first use). */
export function defaultApp(): Bottle {
  if (!stack.length) stack.push(new Bottle())
  return stack[stack.length - 1]!
}

/** Pushes an app (a new one by default) onto the stack; it becomes the default app. */
export function pushApp(app: Bottle = new Bottle()): Bottle {
  stack.push(app)
  return app
}

/** Removes the top app from the stack and returns it. */
export function popApp(): Bottle | undefined {
  return stack.pop()
}

/** Runs `fn` with `app` as the default app, then restores the stack (Bottle's `with app:`). */
export function withApp<T>(app: Bottle, fn: (app: Bottle) => T): T {
  stack.push(app)
  try {
    return fn(app)
  } finally {
    const index = stack.lastIndexOf(app)
    if (index !== -1) stack.splice(index, 1)
  }
}

type Shortcut = {
  <R extends string>(path: R | R[], callback: Handler<RouteParams<R>>): Handler<RouteParams<R>>
  <R extends string>(
    path: R | R[],
    options: RouteOptions,
    callback: Handler<RouteParams<R>>
  ): Handler<RouteParams<R>>
  <R extends string>(path: R | R[], options?: RouteOptions): RouteDecorator<RouteParams<R>>
}

function shortcut(method: 'route' | 'get' | 'post' | 'put' | 'patch' | 'delete'): Shortcut {
  return ((path: string, a?: unknown, b?: unknown) =>
    (defaultApp()[method] as (p: string, a?: unknown, b?: unknown) => unknown)(
      path,
      a,
      b
    )) as Shortcut
}

/** `route()` on the default app. */
export const route: Shortcut = shortcut('route')
/** `get()` on the default app. */
export const get: Shortcut = shortcut('get')
/** `post()` on the default app. */
export const post: Shortcut = shortcut('post')
/** `put()` on the default app. */
export const put: Shortcut = shortcut('put')
/** `patch()` on the default app. */
export const patch: Shortcut = shortcut('patch')
/** `delete()` on the default app (exported as `del` and `delete`). */
export const del: Shortcut = shortcut('delete')

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

/** `getUrl()` on the default app (Bottle's module-level `url`). */
export function url(
  name: string,
  params?: Record<string, unknown>,
  query?: Record<string, unknown>
): string {
  return defaultApp().getUrl(name, params, query)
}
