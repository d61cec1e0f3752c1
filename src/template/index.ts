/**
 * Bottle's template helpers: `template()` renders a template given by name or source,
 * `view()` wraps a handler so the object it returns fills a template, `TEMPLATE_PATH`
 * is where names are looked up and `TEMPLATES` caches what was compiled. Loading this
 * module registers `template()` as the renderer of the `TemplatePlugin` (the `template`
 * route option).
 * @module
 */
import { DEBUG } from '../app.js'
import { currentOrNull } from '../internal/storage.js'
import { isJsonValue, isThenable, setTemplateRenderer } from '../plugins.js'
import {
  BaseTemplate,
  TemplateError,
  type TemplateAdapter,
  type TemplateInit,
  type TemplateSettings,
} from './base.js'
import { SimpleTemplate } from './stpl.js'

export {
  BaseTemplate,
  TemplateError,
  type TemplateAdapter,
  type TemplateInit,
  type TemplateSettings,
}
export { EtaTemplate } from './eta.js'
export {
  SimpleTemplate,
  StplParser,
  StplSyntaxError,
  escapeHtml,
  type SimpleTemplateOptions,
  type SimpleTemplateSettings,
  type StplCode,
} from './stpl.js'

/** Directories searched for template names, relative to the working directory. */
export const TEMPLATE_PATH: string[] = ['./', './views/']

/** Compiled templates by adapter, lookup path and name or source; `TEMPLATES.clear()` empties it. */
export const TEMPLATES: Map<string, BaseTemplate> = new Map()

/** Options of `template()` and `view()` (Bottle's `template_*` keyword arguments). */
export interface TemplateOptions {
  /** The engine; `SimpleTemplate` by default. */
  templateAdapter?: TemplateAdapter
  /** Directories to search; `TEMPLATE_PATH` by default. */
  templateLookup?: readonly string[]
  /** Engine settings, applied when the template is compiled (not on a cache hit). */
  templateSettings?: TemplateSettings
}

const adapterIds = new WeakMap<TemplateAdapter, number>()
let adapterCount = 0

function adapterId(adapter: TemplateAdapter): number {
  let id = adapterIds.get(adapter)
  if (id === undefined) {
    id = ++adapterCount
    adapterIds.set(adapter, id)
  }
  return id
}

/** Bottle's rule: a string with a newline, `{`, `%` or `$` is source, anything else a name. */
function isSource(tpl: string): boolean {
  return /[\n{%$]/.test(tpl)
}

function debugMode(): boolean {
  if (DEBUG.enabled) return true
  return currentOrNull()?.request.app?.debug === true
}

/**
 * Renders a template given by name (looked up in `TEMPLATE_PATH`, with or without
 * `.tpl`), by source text, or as a template instance. Compiled templates are cached in
 * `TEMPLATES`, except in debug mode.
 * @example
 * template('Hello {{name}}!', { name: 'World' })
 * template('index', { items }) // ./views/index.tpl
 */
export function template(
  tpl: string | BaseTemplate,
  vars: Record<string, unknown> = {},
  options: TemplateOptions = {}
): string {
  if (tpl instanceof BaseTemplate) return tpl.render(vars)
  if (typeof tpl !== 'string') throw new TypeError('template() needs a name, source or template')
  const adapter = options.templateAdapter ?? SimpleTemplate
  const lookup = options.templateLookup ?? TEMPLATE_PATH
  const key = `${adapterId(adapter)}\0${lookup.join('\0')}\0${tpl}`
  let compiled = debugMode() ? undefined : TEMPLATES.get(key)
  if (!compiled) {
    const init: TemplateInit = isSource(tpl) ? { source: tpl, lookup } : { name: tpl, lookup }
    compiled = new adapter({ ...options.templateSettings, ...init })
    TEMPLATES.set(key, compiled)
  }
  return compiled.render(vars)
}

/** A handler wrapped by `view()`: same arguments, template text or the passed-through result. */
export type ViewHandler<A extends unknown[]> = (...args: A) => unknown

/**
 * Decorates a handler: a plain object it returns (or resolves to) fills the template
 * `name` over `defaults`; `null`/`undefined` renders the defaults alone; anything else
 * (a string, an `HTTPResponse`, an array) passes through unchanged. Works as a function
 * wrapper and as a TC39 method decorator.
 * @example
 * app.get('/hello/<name>', view('hello')(({ name }) => ({ name })))
 */
export function view(
  name: string | BaseTemplate,
  defaults: Record<string, unknown> = {},
  options: TemplateOptions = {}
): <A extends unknown[]>(fn: (...args: A) => unknown, context?: unknown) => ViewHandler<A> {
  const render = (out: unknown): unknown => {
    if (out === null || out === undefined) return template(name, { ...defaults }, options)
    if (isJsonValue(out) && !Array.isArray(out)) {
      return template(name, { ...defaults, ...(out as Record<string, unknown>) }, options)
    }
    return out
  }
  return <A extends unknown[]>(fn: (...args: A) => unknown) =>
    function (this: unknown, ...args: A): unknown {
      const out = fn.apply(this, args)
      return isThenable(out) ? Promise.resolve(out).then(render) : render(out)
    }
}

const OPTION_KEYS = new Set(['templateAdapter', 'templateLookup', 'templateSettings'])

// The route option `template: [name, extra]` carries defaults and, like Bottle's keyword
// arguments, may carry the template options too.
setTemplateRenderer((name, vars, extra = {}) => {
  const defaults: Record<string, unknown> = {}
  const options: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(extra)) {
    if (OPTION_KEYS.has(key)) options[key] = value
    else defaults[key] = value
  }
  return template(name, { ...defaults, ...vars }, options)
})
