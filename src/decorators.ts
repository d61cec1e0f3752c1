/**
 * Class-based controllers with TC39 method decorators: `@get('/x')`, `@route('/x', opts)`
 * on methods record routes; `app.controller(instance, prefix)` registers them with the
 * methods bound to the instance.
 * @module
 */
import type { RouteOptions } from './types.js'

/** A route recorded by a method decorator, waiting for `app.controller()`. */
export interface PendingRoute {
  path: string | string[]
  options: RouteOptions
}

const pending = new WeakMap<object, PendingRoute[]>()

/** Whether the second argument of a decorator call is a TC39 method-decorator context. */
export function isMethodContext(value: unknown): value is ClassMethodDecoratorContext {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'method'
  )
}

/** Records a route for a decorated method. */
export function recordRoute(method: object, route: PendingRoute): void {
  const list = pending.get(method)
  if (list) list.push(route)
  else pending.set(method, [route])
}

/** The decorated methods of an instance (its whole prototype chain) and their routes. */
export function controllerRoutes(
  instance: object
): { method: (...args: unknown[]) => unknown; routes: PendingRoute[] }[] {
  const out: { method: (...args: unknown[]) => unknown; routes: PendingRoute[] }[] = []
  const seen = new Set<PropertyKey>()
  for (
    let proto = Object.getPrototypeOf(instance) as object | null;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const key of Reflect.ownKeys(proto)) {
      if (key === 'constructor' || seen.has(key)) continue
      seen.add(key)
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value as unknown
      if (typeof value !== 'function') continue
      const routes = pending.get(value)
      if (routes)
        out.push({
          method: value as (...args: unknown[]) => unknown,
          routes: [...routes].reverse(),
        })
    }
  }
  return out
}
