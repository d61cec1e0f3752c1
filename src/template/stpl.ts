/**
 * Bottle's SimpleTemplate ("stpl") with JavaScript in place of Python. parser.ts turns
 * the template into the body of a JavaScript function; `SimpleTemplate` compiles that
 * body once per set of variable names (the variables become `let` locals, so the code
 * runs in strict mode without `with`) and runs it. All templates of one render
 * (includes, rebases) write into one shared output, as Bottle's `_stdout` list.
 *
 * Security: variables are never compiled, only read at render time, so no value can
 * inject code; `{{expr}}` escapes the final `String()` of the value, so `toString`,
 * getters, `Symbol.toPrimitive` and Symbols cannot bypass escaping. The template text
 * itself is code (as in Bottle, where it is Python): never build templates from user input.
 * @module
 */
import { readFileSync } from 'node:fs'
import { compileFunction } from 'node:vm'
import { BaseTemplate, TemplateError, type TemplateInit, type TemplateSettings } from './base.js'
import { DEFAULT_SYNTAX, StplParser, StplSyntaxError, isBindable, type StplCode } from './parser.js'

export { StplParser, StplSyntaxError, type StplCode }

/** Settings of `SimpleTemplate` (constructor options, `templateSettings`, `globalConfig`). */
export interface SimpleTemplateSettings {
  /** Replaces HTML escaping for `{{expr}}` (receives the `String()` of the value). */
  escapeFunc?: (text: string) => string
  /** Swaps the meaning of `{{x}}` (then raw) and `{{!x}}` (then escaped). */
  noescape?: boolean
  /** Five space-separated tokens; default `'<% %> % {{ }}'`. */
  syntax?: string
}

/** Options of `new SimpleTemplate(...)`. */
export type SimpleTemplateOptions = TemplateInit & SimpleTemplateSettings

// ---- escaping -----------------------------------------------------------------------

const NEEDS_ESCAPE = /[&<>"']/

/** Bottle's `html_escape` on a string. */
export function escapeHtml(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text
  let out = ''
  let last = 0
  for (let i = 0; i < text.length; i++) {
    let rep: string
    switch (text.charCodeAt(i)) {
      case 38:
        rep = '&amp;'
        break
      case 60:
        rep = '&lt;'
        break
      case 62:
        rep = '&gt;'
        break
      case 34:
        rep = '&quot;'
        break
      case 39:
        rep = '&#039;'
        break
      default:
        continue
    }
    if (i > last) out += text.slice(last, i)
    out += rep
    last = i + 1
  }
  return last < text.length ? out + text.slice(last) : out
}

/** `{{!x}}`: the `String()` of a value; `null` and `undefined` render empty. */
function toText(value: unknown): string {
  if (typeof value === 'string') return value
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- String() is the contract: it is what gets escaped
  return value === null || value === undefined ? '' : String(value)
}

/** `{{x}}`: escaping runs on the final string, whatever the value's type. */
function toEscaped(value: unknown): string {
  return escapeHtml(typeof value === 'string' ? value : toText(value))
}

// ---- rendering ----------------------------------------------------------------------

/** The output shared by every template of one render. */
interface Sink {
  o: string
  depth: number
}

type Env = Record<string, unknown>
type RenderFn = (h: RenderContext, env: Env) => Env | undefined

const MAX_DEPTH = 64
const MAX_FUNCTIONS = 64
let nextId = 0

// Compiled templates by id, so an error thrown in a function one template defined and
// another called is reported at the line where it happened.
const registry = new Map<number, WeakRef<SimpleTemplate>>()
const unregister = new FinalizationRegistry<number>((id) => registry.delete(id))
const FRAME = /#stpl(\d+):(\d+):/g

/** What the compiled code reaches through `$$h`: output, escaping and the helpers. */
class RenderContext {
  readonly s: Sink
  readonly e: (value: unknown) => string
  readonly r: (value: unknown) => string
  readonly env: Env
  readonly x: boolean
  readonly #tpl: SimpleTemplate
  rebaseTo: [string, Env] | null = null

  constructor(tpl: SimpleTemplate, sink: Sink, env: Env, wantExports: boolean) {
    this.#tpl = tpl
    this.s = sink
    this.e = tpl._escape
    this.r = tpl._str
    this.env = env
    this.x = wantExports
  }

  include(name: unknown, vars?: unknown): Env | undefined {
    return this.#tpl.include(this.s, this.env, name, vars)
  }

  rebase(name: unknown, vars?: unknown): void {
    if (typeof name !== 'string') throw new TypeError('rebase() needs a template name')
    this.rebaseTo = [name, toVars(vars, 'rebase')]
  }

  get(name: string, fallback?: unknown): unknown {
    return name in this.env ? this.env[name] : fallback
  }

  defined(name: string): boolean {
    return name in this.env
  }

  setdefault(name: string, value: unknown): unknown {
    if (!(name in this.env)) this.env[name] = value
    return this.env[name]
  }

  exports(locals: Env): Env {
    return Object.assign(Object.create(null) as Env, this.env, locals)
  }
}

function toVars(vars: unknown, what: string): Env {
  if (vars === undefined || vars === null) return {}
  if (typeof vars !== 'object') throw new TypeError(`${what}() takes an object of variables`)
  return vars as Env
}

/**
 * Bottle's SimpleTemplate with JavaScript expressions: `{{expr}}` (escaped), `{{!expr}}`
 * (raw), `% code` lines, `<% %>` blocks, Bottle's `% if (x):` ... `% end` block form,
 * `include`, `rebase`, `get`, `defined`, `setdefault`.
 * @example
 * new SimpleTemplate('Hello {{name}}!').render({ name: 'World' })
 */
export class SimpleTemplate extends BaseTemplate {
  // Set by prepare(), which the base constructor calls before subclass fields would run;
  // underscored because the compiled code and this module's helpers read them.
  /** The generated code: function body lines and their template lines (Bottle's `code`). */
  declare code: StplCode
  /** The five syntax tokens in use. */
  declare syntax: string
  /** Escapes `{{expr}}` values (swapped with `_str` by `noescape`). */
  declare _escape: (value: unknown) => string
  /** Renders `{{!expr}}` values. */
  declare _str: (value: unknown) => string
  /** The quoted file name or name, for error messages. */
  declare _label: string
  /** The compiled functions' file name in stack traces, unique per instance. */
  declare _fileId: string
  /** Compiled functions by the variable names they bind. */
  declare _functions: Map<string, RenderFn>
  /** Included and rebased templates, by name. */
  declare _subTemplates: Map<string, SimpleTemplate>

  constructor(init: string | SimpleTemplateOptions) {
    super(init as string | (TemplateInit & TemplateSettings))
  }

  /** Reads, parses and checks the template; call again to apply new settings. */
  prepare(settings: TemplateSettings & SimpleTemplateSettings): void {
    const escapeFunc = settings.escapeFunc
    const escape = escapeFunc ? (v: unknown) => escapeFunc(toText(v)) : toEscaped
    ;[this._escape, this._str] = settings.noescape ? [toText, escape] : [escape, toText]
    this.syntax = settings.syntax ?? DEFAULT_SYNTAX
    this._label = `'${this.filename ?? this.name ?? '<string>'}'`
    const id = nextId++
    this._fileId = `${this.filename ?? this.name ?? 'template'}#stpl${id}`
    registry.set(id, new WeakRef(this))
    unregister.register(this, id)
    this._functions = new Map()
    this._subTemplates = new Map()
    let source = this.source
    if (source === undefined) {
      try {
        source = readFileSync(this.filename!, 'utf8')
      } catch (err) {
        throw new TemplateError(`Template ${this._label} cannot be read`, {
          cause: err,
          template: this.filename,
        })
      }
    }
    this.code = new StplParser(source, this.syntax, this.filename ?? this.name).translate()
    // Compiling once without variables reports syntax errors now, with their line; the
    // result serves renders without variables.
    this._functions.set('', compile(this, []))
  }

  /** Renders with `vars` over the class defaults. */
  render(vars: Record<string, unknown> = {}): string {
    const env = Object.assign(
      Object.create(null) as Env,
      (this.constructor as typeof SimpleTemplate).defaults,
      vars
    )
    const sink: Sink = { o: '', depth: 0 }
    this.execute(sink, env, false)
    return sink.o
  }

  /**
   * Runs the template into `sink` with the variables `env` (modified by `setdefault`);
   * returns the template's variables and top-level names when `wantExports` is set.
   */
  execute(sink: Sink, env: Env, wantExports: boolean): Env | undefined {
    const fn = functionFor(this, env)
    const ctx = new RenderContext(this, sink, env, wantExports)
    const start = sink.o.length
    let exported: Env | undefined
    try {
      exported = fn(ctx, env)
    } catch (err) {
      throw runtimeError(this, err)
    }
    if (ctx.rebaseTo) {
      const [name, vars] = ctx.rebaseTo
      // Bottle passes all output so far as `base`; we pass this template's own output.
      const base = sink.o.slice(start)
      sink.o = sink.o.slice(0, start)
      return this.include(sink, env, name, { ...vars, base })
    }
    return exported
  }

  /** Renders the template `name` (looked up like this one) into `sink`. */
  include(sink: Sink, env: Env, name: unknown, vars?: unknown): Env | undefined {
    if (typeof name !== 'string') throw new TypeError('include() needs a template name')
    if (sink.depth >= MAX_DEPTH) {
      throw new TemplateError(
        `Templates nested more than ${MAX_DEPTH} deep at ${this._label} (a recursive include?)`,
        { template: this.filename ?? this.name }
      )
    }
    let sub = this._subTemplates.get(name)
    if (!sub) {
      const { escapeFunc, noescape, syntax } = this.settings as SimpleTemplateSettings
      const Cls = this.constructor as typeof SimpleTemplate
      sub = new Cls({ name, lookup: this.lookup, escapeFunc, noescape, syntax })
      this._subTemplates.set(name, sub)
    }
    const subEnv = Object.assign(Object.create(null) as Env, env, toVars(vars, 'include'))
    sink.depth++
    try {
      return sub.execute(sink, subEnv, true)
    } finally {
      sink.depth--
    }
  }
}

function functionFor(tpl: SimpleTemplate, env: Env): RenderFn {
  let key = ''
  for (const name in env) key += name + ','
  let fn = tpl._functions.get(key)
  if (!fn) {
    if (tpl._functions.size >= MAX_FUNCTIONS) tpl._functions.clear()
    fn = compile(tpl, Object.keys(env))
    tpl._functions.set(key, fn)
  }
  return fn
}

function compile(tpl: SimpleTemplate, names: string[]): RenderFn {
  const code = tpl.code
  const declared = new Set(code.declared)
  const helpers = code.helpers.filter((h) => !declared.has(h))
  const taken = new Set<string>([...declared, ...helpers])
  const bound = names.filter((n) => isBindable(n) && !taken.has(n))
  for (const n of bound) taken.add(n)
  const extra = code.assigned.filter((n) => !taken.has(n))
  let line1 = '"use strict";'
  if (bound.length) line1 += ` let { ${bound.join(', ')} } = $$env;`
  if (extra.length) line1 += ` let ${extra.join(', ')};`
  let line2 = 'const $$e = $$h.e, $$r = $$h.r, $$s = $$h.s'
  for (const h of helpers) line2 += `, ${h} = (...a) => $$h.${h}(...a)`
  line2 += ';'
  const locals = [...new Set([...code.declared, ...code.assigned])].filter(
    (n) => isBindable(n) && !helpers.includes(n)
  )
  const body = `${line1}\n${line2}\n${code.lines.join('\n')}\nreturn $$h.x ? $$h.exports({ ${locals.join(', ')} }) : undefined;`
  try {
    return compileFunction(body, ['$$h', '$$env'], { filename: tpl._fileId }) as RenderFn
  } catch (err) {
    const line = syntaxLine(tpl, err)
    const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    const where = line === undefined ? '' : `, line ${line}`
    throw new StplSyntaxError(`${msg} in template ${tpl._label}${where}`, {
      template: tpl.filename ?? tpl.name,
      line,
      cause: err,
    })
  }
}

/** The template line of a compile error (V8 puts `file:line` first in its stack). */
function syntaxLine(tpl: SimpleTemplate, err: unknown): number | undefined {
  const stack = err instanceof Error ? (err.stack ?? '') : ''
  const tag = tpl._fileId + ':'
  if (!stack.startsWith(tag)) return undefined
  const at = parseInt(stack.slice(tag.length), 10)
  const map = tpl.code.lineMap
  // Two prologue lines precede the body.
  return Number.isNaN(at) ? undefined : map[Math.min(Math.max(at - 3, 0), map.length - 1)]
}

/** The innermost template frame of an error's stack: which template, which line. */
function locate(err: Error): { tpl: SimpleTemplate; line: number } | undefined {
  const stack = err.stack ?? ''
  FRAME.lastIndex = 0
  for (let m = FRAME.exec(stack); m; m = FRAME.exec(stack)) {
    const at = Number(m[2])
    // Lines 1-2 are the prologue: helper wrappers, not template code.
    if (at < 3) continue
    const tpl = registry.get(Number(m[1]))?.deref()
    if (!tpl) continue
    const map = tpl.code.lineMap
    const line = map[Math.min(at - 3, map.length - 1)]
    if (line !== undefined) return { tpl, line }
  }
  return undefined
}

function runtimeError(tpl: SimpleTemplate, err: unknown): unknown {
  if (!(err instanceof Error)) return err
  if (err instanceof TemplateError && err.line !== undefined) return err
  const found = locate(err)
  const at = found?.tpl ?? tpl
  const line = found?.line
  if (err instanceof TemplateError) {
    // A sub-template that cannot be found: say where it was included from.
    if (line === undefined) return err
    return new TemplateError(`${err.message} (included from ${at._label}, line ${line})`, {
      template: at.filename ?? at.name,
      line,
      cause: err,
      code: err.code,
    })
  }
  const where = line === undefined ? '' : `, line ${line}`
  const template = at.filename ?? at.name
  const undef = err instanceof ReferenceError ? /^(\S+) is not defined$/.exec(err.message) : null
  if (undef) {
    return new TemplateError(`Undefined variable '${undef[1]}' in template ${at._label}${where}`, {
      template,
      line,
      cause: err,
      code: 'BOTTLE_TEMPLATE_UNDEFINED',
    })
  }
  return new TemplateError(`${err.name}: ${err.message} in template ${at._label}${where}`, {
    template,
    line,
    cause: err,
  })
}
