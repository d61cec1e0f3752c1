/**
 * An adapter for Eta (https://eta.js.org), as Bottle ships adapters for Jinja2 and Mako:
 * `template('page', vars, { templateAdapter: EtaTemplate })` renders `page.eta` with the
 * variables under `it` (`<%= it.name %>`). Eta is an optional peer dependency, loaded on
 * the first Eta template, so bottle-ts itself does not need it.
 * @module
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import type { Eta, EtaConfig, TemplateFunction } from 'eta'
import { BaseTemplate, TemplateError, type TemplateSettings } from './base.js'
import { escapeHtml } from './stpl.js'

interface EtaState {
  eta: Eta
  fn: TemplateFunction
}

// Kept outside the instance: prepare() runs inside the base constructor, before
// subclass fields exist, and Eta's types must not leak into bottle-ts's declarations.
const states = new WeakMap<EtaTemplate, EtaState>()
let EtaClass: (new (config?: Partial<EtaConfig>) => Eta) | undefined

function loadEta(): new (config?: Partial<EtaConfig>) => Eta {
  if (!EtaClass) {
    try {
      const required = createRequire(import.meta.url)('eta') as { Eta: typeof EtaClass }
      EtaClass = required.Eta
    } catch (err) {
      throw new TemplateError('EtaTemplate needs the eta package: npm install eta', {
        cause: err,
        code: 'BOTTLE_TEMPLATE_ENGINE_MISSING',
      })
    }
  }
  return EtaClass!
}

/** Escapes like SimpleTemplate: `null` and `undefined` render as nothing. */
function escapeValue(value: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- String() is what gets escaped
  return value === null || value === undefined ? '' : escapeHtml(String(value))
}

/**
 * Eta templates behind Bottle's adapter interface. Settings are Eta's configuration
 * (`autoEscape`, `tags`, `varName`...); `views` defaults to the template's directory, so
 * `<%~ include('./header', it) %>` finds its neighbours.
 */
export class EtaTemplate extends BaseTemplate {
  /** Eta's own extension first, then Bottle's. */
  static override extensions: readonly string[] = ['eta', 'tpl', 'html']

  /** Compiles the template with Eta. */
  prepare(settings: TemplateSettings): void {
    const Engine = loadEta()
    const views = this.filename ? dirname(this.filename) : this.lookup[0]
    const eta = new Engine({
      escapeFunction: escapeValue,
      ...(views === undefined ? {} : { views }),
      ...(settings as Partial<EtaConfig>),
      cache: false,
    })
    const label = this.filename ?? this.name ?? '<string>'
    try {
      const source = this.source ?? readFileSync(this.filename!, 'utf8')
      const fn = eta.compile(source, this.filename ? { filepath: this.filename } : undefined)
      states.set(this, { eta, fn })
    } catch (err) {
      throw new TemplateError(`${(err as Error).message} in template '${label}'`, {
        cause: err,
        template: label,
        code: 'BOTTLE_TEMPLATE_SYNTAX',
      })
    }
  }

  /** Renders with the variables as Eta's `it` (over the class defaults). */
  render(vars: Record<string, unknown> = {}): string {
    const { eta, fn } = states.get(this)!
    const data = { ...(this.constructor as typeof EtaTemplate).defaults, ...vars }
    try {
      return fn.call(eta, data, this.filename ? { filepath: this.filename } : undefined)
    } catch (err) {
      if (!(err instanceof Error)) throw err
      const label = this.filename ?? this.name ?? '<string>'
      throw new TemplateError(`${err.message} in template '${label}'`, {
        cause: err,
        template: label,
      })
    }
  }
}
