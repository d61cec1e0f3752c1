#!/usr/bin/env node
/**
 * The `bottle-ts` command, as `python -m bottle`: load an app from `module:expression`,
 * apply `--conf` files, `--param` values and `--plugin`s, and `run()` it on the address
 * and adapter given, optionally under the reloader. Plain `.js` modules run with node as
 * is; for `.ts` modules run the command under tsx (`npx tsx node_modules/.bin/bottle-ts`
 * or `node --import tsx node_modules/.bin/bottle-ts`), or let the CLI register tsx
 * itself when it is installed.
 * @module
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { Bottle } from './app.js'
import { defaultApp } from './default-app.js'
import { isApp, NORUN, run, serverNames, VERSION, type RunOptions } from './server/index.js'
import { isReloaderChild } from './server/reloader.js'
import type { PluginLike } from './types.js'

/** The usage text, printed by `--help` and on bad arguments. */
export const USAGE: string = `usage: bottle-ts [options] module[:expression]

Run a bottle-ts application, as \`python -m bottle\` does.

  module        a file (app.js, ./src/app.ts) or package name
  expression    what to serve from it: app (default), makeApp(), api.app ...

options:
  -h, --help              show this help and exit
  --version               show the version and exit
  -b, --bind ADDRESS      host, host:port, :port, [v6]:port, unix:/path.sock or fd:N
                          (default 127.0.0.1:8080)
  -s, --server NAME       server adapter: ${[...serverNames.keys()].join(', ')} (default node)
  -p, --plugin EXPR       install a plugin, module:expression (repeatable)
  -c, --conf FILE         load config from an INI or .json file (repeatable)
  -C, --param NAME=VALUE  set a config value; a bare NAME sets true (repeatable)
  -o, --option NAME=VALUE pass an option to the adapter, e.g. workers=4 (repeatable)
  --debug                 debug mode: tracebacks in error pages, no template cache
  --reload                restart when a loaded file changes (development only)

TypeScript modules need tsx: \`npx tsx node_modules/.bin/bottle-ts app.ts\`, or
\`node --import tsx node_modules/.bin/bottle-ts app.ts\`.`

/** A command-line mistake: the CLI prints it with the usage and exits with 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** The parsed command line. */
export interface CliArgs {
  /** `module[:expression]`, or `null` with `--help` / `--version`. */
  app: string | null
  /** Where to listen. */
  bind: Pick<RunOptions, 'host' | 'port' | 'fd'>
  /** Adapter name. */
  server: string
  /** Plugin expressions. */
  plugins: string[]
  /** Config files. */
  conf: string[]
  /** Config values. */
  params: [string, string | true][]
  /** Adapter options. */
  options: Record<string, unknown>
  /** `--debug`. */
  debug: boolean
  /** `--reload`. */
  reload: boolean
  /** `--help`. */
  help: boolean
  /** `--version`. */
  version: boolean
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  bind: { type: 'string', short: 'b' },
  server: { type: 'string', short: 's' },
  plugin: { type: 'string', short: 'p', multiple: true },
  conf: { type: 'string', short: 'c', multiple: true },
  param: { type: 'string', short: 'C', multiple: true },
  // Not in Bottle, whose adapters take options only from Python code.
  option: { type: 'string', short: 'o', multiple: true },
  debug: { type: 'boolean' },
  reload: { type: 'boolean' },
} satisfies ParseArgsConfig['options']

/**
 * Parses `--bind`: `host`, `host:port`, `:port`, `[v6]:port`, `unix:/path` or `fd:N`.
 * Throws a `UsageError` that names what is wrong.
 */
export function parseBind(value: string): Pick<RunOptions, 'host' | 'port' | 'fd'> {
  if (value.startsWith('unix:')) {
    if (value.length === 5) throw new UsageError('--bind unix: needs a socket path')
    return { host: value }
  }
  if (value.startsWith('fd:')) return { fd: toInt(value.slice(3), '--bind fd:N', 0, 65535) }
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(value)
  if (v6) return { host: v6[1], port: v6[2] === undefined ? 8080 : toInt(v6[2], 'port', 0, 65535) }
  const colon = value.lastIndexOf(':')
  if (colon === -1) {
    if (!value) throw new UsageError('--bind needs an address')
    return { host: value, port: 8080 }
  }
  if (value.indexOf(':') !== colon)
    throw new UsageError(`--bind ${value}: write IPv6 addresses in brackets, e.g. [::1]:8080`)
  const host = value.slice(0, colon) || '127.0.0.1'
  return { host, port: toInt(value.slice(colon + 1), 'port', 0, 65535) }
}

function toInt(text: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(text))
    throw new UsageError(`${what} must be a number, got ${JSON.stringify(text)}`)
  const n = Number(text)
  if (n < min || n > max)
    throw new UsageError(`${what} must be between ${min} and ${max}, got ${n}`)
  return n
}

function splitPair(text: string, flag: string): [string, string | true] {
  const eq = text.indexOf('=')
  if (eq === 0) throw new UsageError(`${flag} ${text}: the name is missing`)
  return eq === -1 ? [text, true] : [text.slice(0, eq), text.slice(eq + 1)]
}

/** Parses the command line (without `node` and the script). */
export function parseCli(argv: string[]): CliArgs {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err))
  }
  const { values, positionals } = parsed
  if (positionals.length > 1)
    throw new UsageError(`expected one module:expression, got ${positionals.length}`)
  const help = values.help === true
  const version = values.version === true
  const app = positionals[0] ?? null
  if (!app && !help && !version) throw new UsageError('no application given (module:expression)')
  const server = values.server ?? 'node'
  if (!serverNames.has(server))
    throw new UsageError(
      `unknown server ${JSON.stringify(server)} (known: ${[...serverNames.keys()].join(', ')})`
    )
  const options: Record<string, unknown> = {}
  for (const item of values.option ?? []) {
    const [key, value] = splitPair(item, '--option')
    options[key] = value === true ? true : /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value
  }
  return {
    app,
    bind: values.bind !== undefined ? parseBind(values.bind) : { host: '127.0.0.1', port: 8080 },
    server,
    plugins: values.plugin ?? [],
    conf: values.conf ?? [],
    params: (values.param ?? []).map((p) => splitPair(p, '--param')),
    options,
    debug: values.debug === true,
    reload: values.reload === true,
    help,
    version,
  }
}

const TS = new Set(['.ts', '.mts', '.cts', '.tsx'])
const IDENT = /^[A-Za-z_$][\w$]*$/

async function importFile(url: string, cwd: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !TS.has(extname(fileURLToPath(url)))) throw err
    // Not started under tsx: register its loader ourselves if the project has it.
    try {
      const api = (await import(tsxApi(cwd))) as { register: () => unknown }
      api.register()
    } catch (cause) {
      throw new Error(
        `${fileURLToPath(url)} is TypeScript: install tsx and run \`npx tsx node_modules/.bin/bottle-ts ...\``,
        { cause }
      )
    }
    // A new URL: Node remembers the failed load of the old one.
    return (await import(`${url}?tsx`)) as Record<string, unknown>
  }
}

/** The ESM entry of tsx's register API, as installed for the project in `cwd`. */
function tsxApi(cwd: string): string {
  const manifest = createRequire(resolve(cwd, 'package.json')).resolve('tsx/package.json')
  const exports = (
    JSON.parse(readFileSync(manifest, 'utf8')) as {
      exports: Record<string, { import?: { default?: string } }>
    }
  ).exports
  const entry = exports['./esm/api']?.import?.default
  if (!entry) throw new Error('this tsx has no ./esm/api export')
  return pathToFileURL(resolve(dirname(manifest), entry)).href
}

/** Finds the module of a `module:expression` target, relative to `cwd`. */
export function resolveModule(name: string, cwd: string): string {
  const looksLikePath = /^[./]/.test(name) || /\.[cm]?[jt]sx?$/.test(name)
  if (looksLikePath) {
    const path = resolve(cwd, name)
    if (!existsSync(path)) throw new Error(`module not found: ${path}`)
    return pathToFileURL(path).href
  }
  for (const ext of ['.js', '.mjs', '.ts', '.mts']) {
    const path = resolve(cwd, name + ext)
    if (existsSync(path)) return pathToFileURL(path).href
  }
  try {
    return pathToFileURL(createRequire(resolve(cwd, 'package.json')).resolve(name)).href
  } catch {
    throw new Error(`module not found: ${name} (looked for a file in ${cwd} and a package)`)
  }
}

/**
 * Loads `module:expression` (Bottle's `load()`): imports the module and evaluates the
 * expression with its exports in scope. Without an expression, the module itself.
 *
 * Security: the expression is JavaScript run with the operator's rights, as Bottle
 * `eval`s it; it comes from the command line, never from a request.
 */
export async function load(target: string, cwd: string = process.cwd()): Promise<unknown> {
  const colon = target.indexOf(':')
  const name = colon === -1 ? target : target.slice(0, colon)
  const expression = colon === -1 ? '' : target.slice(colon + 1).trim()
  const mod = await importFile(resolveModule(name, cwd), cwd)
  if (!expression) return mod
  const names = Object.keys(mod).filter((k) => IDENT.test(k))
  const scope = names.map((k) => mod[k])
  let fn: (...args: unknown[]) => unknown
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- Bottle's load() evaluates the operator's expression
    fn = new Function(...names, `return (${expression})`) as (...args: unknown[]) => unknown
  } catch (err) {
    throw new Error(`bad expression ${JSON.stringify(expression)}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  const value = fn(...scope)
  return value instanceof Promise ? ((await value) as unknown) : value
}

/**
 * Loads the app of a `module[:expression]` target (Bottle's `load_app`): a fresh default
 * app is pushed while the module loads, `run()` calls in it do nothing, and the result is
 * the expression's value, else the module's `default` or `app` export, else the default
 * app the module filled with `route()` shortcuts.
 */
export async function loadApp(target: string, cwd: string = process.cwd()): Promise<Bottle> {
  const fresh = defaultApp.push()
  NORUN.enabled = true
  try {
    const value = await load(target, cwd)
    if (target.includes(':')) {
      if (!isApp(value)) throw new Error(`${target} is not a Bottle app (got ${describe(value)})`)
      return value
    }
    const mod = value as Record<string, unknown>
    if (isApp(mod.default)) return mod.default
    if (isApp(mod.app)) return mod.app
    return fresh
  } finally {
    NORUN.enabled = false
    defaultApp.pop()
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`
  if (typeof value === 'object') return `an object of ${value.constructor?.name ?? 'no class'}`
  return typeof value
}

async function loadPlugin(expr: string, cwd: string): Promise<PluginLike> {
  let value = await load(expr, cwd)
  if (!expr.includes(':')) value = (value as Record<string, unknown>).default
  // A class names a plugin type: instantiate it, as `--plugin mod:MyPlugin()` would.
  if (typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value)))
    value = new (value as new () => unknown)()
  if (typeof value !== 'function' && (typeof value !== 'object' || value === null))
    throw new Error(`--plugin ${expr} is not a plugin (got ${describe(value)})`)
  return value as PluginLike
}

/** Runs the CLI; resolves with an exit code when it should exit, or never when serving. */
export async function main(
  argv: string[] = process.argv.slice(2),
  cwd: string = process.cwd()
): Promise<number | null> {
  let args: CliArgs
  try {
    args = parseCli(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`${USAGE}\n\nbottle-ts: error: ${err.message}\n`)
    return 2
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  if (args.version) {
    process.stdout.write(`bottle-ts ${VERSION}\n`)
    return 0
  }
  const base: RunOptions = { server: args.server, ...args.options, ...args.bind }
  if (args.reload && !isReloaderChild()) {
    // The parent only supervises; the child (this same command line) loads the app.
    run(null, { ...base, reloader: true })
    return null
  }
  let app: Bottle
  try {
    app = await loadApp(args.app!, cwd)
    for (const file of args.conf) {
      const text = readFileSync(resolve(cwd, file), 'utf8')
      if (extname(file).toLowerCase() === '.json')
        app.config.loadDict(JSON.parse(text) as Record<string, unknown>)
      else app.config.loadConfigText(text)
    }
    for (const [key, value] of args.params) app.config.set(key, value)
    const plugins: PluginLike[] = []
    for (const expr of args.plugins) plugins.push(await loadPlugin(expr, cwd))
    run(app, { ...base, reloader: args.reload, debug: args.debug || undefined, plugins })
  } catch (err) {
    process.stderr.write(`bottle-ts: error: ${err instanceof Error ? err.message : String(err)}\n`)
    if (args.debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`)
    return 1
  }
  return null
}

function invokedDirectly(): boolean {
  const script = process.argv[1]
  if (!script) return false
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url)
  } catch {
    return false
  }
}

if (invokedDirectly()) {
  main().then(
    (code) => {
      if (code !== null) process.exit(code)
    },
    (err: unknown) => {
      process.stderr.write(
        `bottle-ts: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`
      )
      process.exit(1)
    }
  )
}
