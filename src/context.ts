/**
 * Bottle's `LocalRequest` / `LocalResponse`: the module-level `request` and `response`
 * objects. Each property reads through to the instance bound to the current request by
 * AsyncLocalStorage, so they stay correct across `await`, timers and concurrent requests.
 * Touched outside a request they throw a clear error.
 * @module
 */
import { BottleException } from './errors.js'
import { storage, type RequestContext } from './internal/storage.js'
import { BaseRequest } from './request.js'
import { BaseResponse } from './response.js'

export { storage, type RequestContext }

/** The current request context; throws outside a request. */
export function current(): RequestContext {
  const ctx = storage.getStore()
  if (ctx === undefined) {
    throw new BottleException(
      'request/response used outside of a request: they are bound only while a request is handled',
      'BOTTLE_NO_CONTEXT'
    )
  }
  return ctx
}

/**
 * Builds an object whose properties delegate to `target()`. Known accessors and methods
 * are defined directly (fast); anything else, such as app-defined attributes
 * (`request.user = ...`), reaches the instance through a Proxy in the prototype chain.
 */
function makeLocal<T extends object>(proto: object, target: () => T, fields: string[]): T {
  const fallback = new Proxy(Object.create(null) as object, {
    get: (_t, key) => Reflect.get(target(), key) as unknown,
    set: (_t, key, value) => Reflect.set(target(), key, value),
    has: (_t, key) => key in target(),
  })
  const local = Object.create(fallback) as T
  const seen = new Set<PropertyKey>(['constructor'])
  for (
    let p: object | null = proto;
    p && p !== Object.prototype;
    p = Object.getPrototypeOf(p) as object | null
  ) {
    for (const key of Reflect.ownKeys(p)) {
      if (seen.has(key)) continue
      seen.add(key)
      const desc = Object.getOwnPropertyDescriptor(p, key)!
      if (desc.get || desc.set) {
        // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the bound instance below
        const get = desc.get as ((this: T) => unknown) | undefined
        // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the bound instance below
        const set = desc.set as ((this: T, v: unknown) => void) | undefined
        Object.defineProperty(local, key, {
          get: get && (() => get.call(target())),
          set: set && ((v: unknown) => set.call(target(), v)),
        })
      } else if (typeof desc.value === 'function') {
        const fn = desc.value as (...args: unknown[]) => unknown
        Object.defineProperty(local, key, {
          value: (...args: unknown[]) => fn.apply(target(), args),
        })
      }
    }
  }
  for (const key of fields) {
    Object.defineProperty(local, key, {
      get: () => (target() as Record<string, unknown>)[key],
      set: (v: unknown) => ((target() as Record<string, unknown>)[key] = v),
    })
  }
  return local
}

/**
 * The request being handled, bound to the current async context.
 * @example app.get('/hello', () => `Hello ${request.query.name}`)
 */
export const request: BaseRequest = makeLocal(BaseRequest.prototype, () => current().request, [
  'req',
  'app',
  'route',
  'urlArgs',
  '_body',
])

/**
 * The response being built for the current request.
 * @example response.setHeader('Cache-Control', 'no-store')
 */
export const response: BaseResponse = makeLocal(BaseResponse.prototype, () => current().response, [
  'body',
])
