/**
 * The adapter interface of Bottle's "Template Adapters": `BaseTemplate` (source or name,
 * lookup path, class-wide settings and defaults, `prepare` and `render`) and the
 * `TemplateError` every engine throws. `SimpleTemplate` and any other engine subclass it,
 * so `template()` and `view()` work the same with each of them.
 * @module
 */
import { statSync } from 'node:fs'
import { isAbsolute, resolve, sep } from 'node:path'
import { BottleException } from '../errors.js'

/** A template could not be found, compiled or rendered; names the template and line. */
export class TemplateError extends BottleException {
  /** The template's file name (or name) when known. */
  readonly template: string | undefined
  /** The 1-based template line when known. */
  readonly line: number | undefined

  constructor(
    message: string,
    options: { template?: string; line?: number; cause?: unknown; code?: string } = {}
  ) {
    super(message, options.code ?? 'BOTTLE_TEMPLATE')
    this.template = options.template
    this.line = options.line
    if (options.cause !== undefined) this.cause = options.cause
  }
}

/** Where a template comes from: its source text, or a name looked up in `lookup`. */
export interface TemplateInit {
  /** The template text. When given, `name` only labels error messages. */
  source?: string
  /** A name or relative path searched in `lookup`, with or without extension. */
  name?: string
  /** Directories to search, relative to the working directory (`TEMPLATE_PATH`). */
  lookup?: readonly string[]
}

/** Engine-specific settings, passed to `prepare()`. */
export type TemplateSettings = Record<string, unknown>

/** A template class `template()` and `view()` can use (`SimpleTemplate` by default). */
export interface TemplateAdapter {
  new (init: TemplateInit & TemplateSettings): BaseTemplate
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/**
 * Base class and minimal API of template adapters (Bottle's `BaseTemplate`): the
 * constructor finds the file for a name, then calls `prepare(settings)`; `render(vars)`
 * returns the text.
 */
export abstract class BaseTemplate {
  /** Extensions tried after the bare name. */
  static extensions: readonly string[] = ['tpl', 'html', 'thtml', 'stpl']
  /** Class-wide settings, passed to `prepare()`; change with `globalConfig`. */
  static settings: TemplateSettings = {}
  /** Class-wide variables every render starts from. */
  static defaults: Record<string, unknown> = {}

  /** The name the template was created with, if any. */
  readonly name: string | undefined
  /** The template text (read from `filename` when created by name). */
  readonly source: string | undefined
  /** The absolute file name found by `search`, if created by name. */
  readonly filename: string | undefined
  /** The absolute lookup directories. */
  readonly lookup: readonly string[]
  /** This instance's settings: the class settings plus those given to the constructor. */
  readonly settings: TemplateSettings

  constructor(init: string | (TemplateInit & TemplateSettings)) {
    const { source, name, lookup, ...settings } = typeof init === 'string' ? { source: init } : init
    const cls = this.constructor as typeof BaseTemplate
    this.name = name
    this.source = source
    this.lookup = lookup ? lookup.map((dir) => resolve(dir)) : []
    this.settings = { ...cls.settings, ...settings }
    if (source === undefined && name !== undefined) {
      this.filename = cls.search(name, this.lookup)
      if (!this.filename) throw new TemplateError(`Template '${name}' not found.`)
    } else if (source === undefined) {
      throw new TemplateError('No template specified.')
    }
    this.prepare(this.settings)
  }

  /**
   * Finds `name` in the lookup directories: first as given, then with each extension.
   *
   * Security: absolute names are refused and a name that resolves outside a lookup
   * directory (`../secret`) is skipped, so only files under the lookup path are read.
   * Symbolic links inside a lookup directory are followed.
   */
  static search(name: string, lookup: readonly string[]): string | undefined {
    if (lookup.length === 0) throw new TemplateError('Empty template lookup path.')
    if (isAbsolute(name)) {
      throw new TemplateError(
        `Absolute template name '${name}' refused: use a name relative to the lookup path.`
      )
    }
    if (name.includes('\0')) return undefined
    for (const dir of lookup) {
      const root = resolve(dir) + sep
      const fname = resolve(root, name)
      if (!fname.startsWith(root)) continue
      if (isFile(fname)) return fname
      for (const ext of this.extensions) {
        if (isFile(`${fname}.${ext}`)) return `${fname}.${ext}`
      }
    }
    return undefined
  }

  /** Reads a class-wide setting, or sets it (for this class and its subclasses). */
  static globalConfig(key: string, ...value: [unknown?]): unknown {
    if (value.length === 0) return this.settings[key]
    if (!Object.hasOwn(this, 'settings')) this.settings = { ...this.settings }
    this.settings[key] = value[0]
    return value[0]
  }

  /** Parses and caches; may be called again to change settings. */
  abstract prepare(settings: TemplateSettings): void

  /** Renders with the variables of `vars` (over the class `defaults`). */
  abstract render(vars?: Record<string, unknown>): string
}
