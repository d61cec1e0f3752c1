/**
 * Bottle's "Plugins": the built-in `JSONPlugin` (objects and arrays returned by callbacks
 * become JSON) and `TemplatePlugin` (a route's `template` option renders the returned
 * object). Both are installed in every app, first, so they are outermost and see a
 * callback's result last.
 * @module
 */
import type { Bottle } from './app.js'
import { current } from './context.js'
import { HTTPResponse } from './errors.js'
import type { Route } from './router.js'
import type { Callback, Plugin } from './types.js'

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

/** Whether a value is a plain object or array (what JSON casting applies to). */
export function isJsonValue(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false
  if (Array.isArray(value)) return true
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Options of `JSONPlugin`. */
export interface JSONPluginOptions {
  /** The serialiser; `JSON.stringify` by default. */
  dumps?: (value: unknown) => string
}

/**
 * Turns plain objects and arrays returned by callbacks (or set as an `HTTPResponse`
 * body) into JSON with `Content-Type: application/json`. Config: `json.enable` (false
 * turns casting off), `json.indent`.
 */
export class JSONPlugin implements Plugin {
  readonly name = 'json'
  readonly api = 2
  readonly dumps: (value: unknown) => string

  constructor(options: JSONPluginOptions = {}) {
    this.dumps = options.dumps ?? ((value) => JSON.stringify(value))
  }

  apply(callback: Callback, route: Route): Callback {
    if (route.config.get('json.enable', true) === false) return callback
    const indent = route.config.get('json.indent')
    const dumps = indent ? (v: unknown) => JSON.stringify(v, null, indent) : this.dumps
    const cast = (out: unknown): unknown => {
      if (isJsonValue(out)) {
        const text = dumps(out)
        current().response._setKnownHeader('Content-Type', 'application/json')
        return text
      }
      if (out instanceof HTTPResponse && isJsonValue(out.body)) {
        out.body = dumps(out.body)
        out.setHeader('Content-Type', 'application/json')
      }
      return out
    }
    // A thrown HTTPResponse is caught and returned, so its object body is cast too (as Bottle).
    const caught = (err: unknown): unknown => {
      if (err instanceof HTTPResponse) return cast(err)
      throw err
    }
    return (args) => {
      let out: unknown
      try {
        out = callback(args)
      } catch (err) {
        return caught(err)
      }
      // Strings and other primitives are never JSON: skip the checks.
      if (typeof out !== 'object' || out === null) return out
      return isThenable(out) ? out.then(cast, caught) : cast(out)
    }
  }
}

/** Renders a template: provided by the template module, so plugins.ts has no import cycle. */
export type TemplateRenderer = (
  name: string,
  vars: Record<string, unknown>,
  options?: Record<string, unknown>
) => unknown

let renderer: TemplateRenderer | null = null

/** Registers the renderer `TemplatePlugin` uses (the SimpleTemplate `template()` by default). */
export function setTemplateRenderer(fn: TemplateRenderer): void {
  renderer = fn
}

/**
 * Renders the object a callback returns with the template named in the route's
 * `template` option: `app.get('/', { template: 'index' }, () => ({ name }))`. The option
 * may also be `[name, options]`.
 */
export class TemplatePlugin implements Plugin {
  readonly name = 'template'
  readonly api = 2

  apply(callback: Callback, route: Route): Callback {
    const conf = route.config.get('template') as
      string | [string, Record<string, unknown>] | undefined
    if (!conf) return callback
    const [name, options] = Array.isArray(conf) ? conf : [conf, {}]
    const render = (out: unknown): unknown => {
      // As Bottle's view(): no result renders the template with its defaults alone.
      if (out === null || out === undefined) out = {}
      else if (!isJsonValue(out) || Array.isArray(out)) return out
      if (!renderer) throw new Error('No template engine is loaded')
      return renderer(name, out as Record<string, unknown>, options)
    }
    return (args) => {
      const out = callback(args)
      return isThenable(out) ? out.then(render) : render(out)
    }
  }

  /** Kept for symmetry with Bottle; nothing to set up. */
  setup(_app: Bottle): void {}
}

export { isThenable }
