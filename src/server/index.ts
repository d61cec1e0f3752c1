/**
 * Bottle's "Server Adapter" and "Application Control": the `serverNames` registry and
 * `run()`, which starts an app on an adapter (optionally under the reloader), prints
 * Bottle's start-up banner and returns a handle whose `close()` shuts down gracefully.
 * SIGINT and SIGTERM take the same graceful path; a second signal exits at once.
 * @module
 */
import cluster from 'node:cluster'
import type { AddressInfo } from 'node:net'
import { Bottle } from '../app.js'
import { defaultApp } from '../default-app.js'
import type { PluginLike } from '../types.js'
import { ServerAdapter, VERSION, type RequestHandler, type ServerOptions } from './adapter.js'
import { CGIServer } from './cgi.js'
import { ClusterServer } from './cluster.js'
import { Http2Server } from './http2.js'
import { HttpsServer, NodeServer } from './node.js'
import { isReloaderChild, Reloader } from './reloader.js'

export { ServerAdapter, VERSION, type RequestHandler, type ServerOptions }

/** Picks the best adapter for the options: HTTP/2 when a certificate is given, else node. */
export class AutoServer extends ServerAdapter {
  /** The adapter chosen. */
  readonly inner: ServerAdapter

  constructor(options: ServerOptions = {}) {
    super(options)
    this.inner =
      options.certfile && options.keyfile ? new Http2Server(options) : new NodeServer(options)
  }

  override get scheme(): string {
    return this.inner.scheme
  }

  override toString(): string {
    return `AutoServer(${this.inner.toString()})`
  }

  run(handler: RequestHandler): Promise<AddressInfo | string> {
    return this.inner.run(handler)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}

/**
 * While set, `run()` starts nothing (Bottle's `NORUN`): the CLI sets it while it imports
 * the app module, so a module that ends in `run(app)` can still be served by the CLI.
 */
export const NORUN: { enabled: boolean } = { enabled: false }

/** The adapter `run()` returns while `NORUN` is set: it never listens. */
class NoRunServer extends ServerAdapter {
  run(): Promise<string> {
    return Promise.resolve('norun')
  }
  close(): Promise<void> {
    return Promise.resolve()
  }
}

/** A constructor of an adapter. */
export type AdapterClass = new (options: ServerOptions) => ServerAdapter

/** Constructors of adapters by name, as Bottle's `server_names`. */
export const serverNames: Map<string, AdapterClass> = new Map<string, AdapterClass>([
  ['node', NodeServer],
  ['https', HttpsServer],
  ['http2', Http2Server],
  ['cluster', ClusterServer],
  ['cgi', CGIServer],
  ['auto', AutoServer],
])

/** Options of `run()`. */
export interface RunOptions extends ServerOptions {
  /** An adapter name from `serverNames`, an adapter class or an instance (default `'node'`). */
  server?: string | ServerAdapter | AdapterClass
  /** Run the app in a child process and restart it when a loaded file changes. */
  reloader?: boolean
  /** Seconds between the reloader's checks for changed files (default 0.5). */
  interval?: number
  /** Debug mode for the app. */
  debug?: boolean
  /** Plugins to install before starting. */
  plugins?: PluginLike[]
  /** Config keys to set before starting. */
  config?: Record<string, unknown>
  /** Handle SIGINT and SIGTERM by shutting down gracefully (default `true`). */
  handleSignals?: boolean
  /** Exit the process once a signal-initiated shutdown is done (default `true`). */
  exitOnSignal?: boolean
}

/** What `run()` returns. */
export interface ServerHandle {
  /** The adapter serving the app. */
  readonly server: ServerAdapter
  /** Resolves with the bound address once the server listens. */
  readonly ready: Promise<AddressInfo | string>
  /** The bound address, once listening. */
  address: AddressInfo | string | null
  /** Shuts down gracefully: stop accepting, finish in-flight requests, close the app. */
  close(): Promise<void>
}

/** A Bottle app, also one from another copy of the package (where `instanceof` fails). */
export function isApp(value: unknown): value is Bottle {
  return (
    value instanceof Bottle ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Bottle).handler === 'function' &&
      typeof (value as Bottle).install === 'function' &&
      typeof (value as Bottle).config === 'object')
  )
}

function startAdapter(
  adapter: ServerAdapter,
  handler: RequestHandler
): Promise<AddressInfo | string> {
  try {
    return adapter.run(handler)
  } catch (err) {
    return Promise.reject(err)
  }
}

function makeAdapter(server: RunOptions['server'], options: ServerOptions): ServerAdapter {
  if (server instanceof ServerAdapter) return server
  if (typeof server === 'function') return new server(options)
  const name = server ?? 'node'
  const Adapter = serverNames.get(name)
  if (!Adapter)
    throw new Error(
      `Unknown server adapter: ${JSON.stringify(name)} (known: ${[...serverNames.keys()].join(', ')})`
    )
  return new Adapter(options)
}

/**
 * Starts a server for an app (the default app when none is given). Options as Bottle's
 * `run()`: `server`, `host`, `port`, `reloader`, `interval`, `quiet`, `debug`,
 * `plugins`, `config`; anything else goes to the adapter (`workers`, `certfile`, ...).
 * @example
 * const handle = run(app, { host: '127.0.0.1', port: 8080 })
 * await handle.ready
 */
export function run(
  app?: Bottle | RequestHandler | RunOptions | null,
  options: RunOptions = {}
): ServerHandle {
  if (app && !isApp(app) && typeof app !== 'function') {
    options = app
    app = undefined
  }
  if (NORUN.enabled) {
    const server = new NoRunServer({ quiet: true })
    return { server, address: null, ready: server.run(), close: () => server.close() }
  }
  const {
    server,
    reloader = false,
    interval,
    debug,
    plugins,
    config,
    handleSignals = true,
    exitOnSignal = true,
    ...rest
  } = options
  const child = isReloaderChild()
  const parent = reloader && !child
  const target = (app as Bottle | RequestHandler | undefined) ?? defaultApp()
  if (isApp(target) && !parent) {
    if (debug !== undefined) target.config.set('debug', debug)
    if (config) target.config.loadDict(config)
    for (const p of plugins ?? []) target.install(p)
  }
  const adapter = parent
    ? new Reloader({ ...rest, interval })
    : makeAdapter(server, child ? { ...rest, fromParent: true } : rest)
  // The parent prints nothing of its own: each child prints the banner, as in Bottle.
  const banner = !adapter.quiet && !parent && !cluster.isWorker
  const handler = isApp(target) ? target.handler : target
  let closing: Promise<void> | null = null
  let signalled = false
  const handle: ServerHandle = {
    server: adapter,
    address: null,
    ready: startAdapter(adapter, handler).then((address) => {
      handle.address = address
      if (banner) {
        process.stderr.write(
          // Bottle's banner, with our name and version.
          `Bottle-ts v${VERSION} server starting up (using ${adapter.toString()})...\n` +
            `Listening on ${adapter.url(address)}\nHit Ctrl-C to quit.\n\n`
        )
      }
      return address
    }),
    close() {
      closing ??= (async () => {
        try {
          await adapter.close()
          if (isApp(target)) target.close()
        } finally {
          // Only now: a second signal during the shutdown must still find onSignal.
          process.off('SIGINT', onSignal)
          process.off('SIGTERM', onSignal)
        }
      })()
      return closing
    },
  }
  handle.ready.catch((err: unknown) => {
    // A start cut short by a shutdown is not an error worth reporting.
    if (!handleSignals || closing) return
    process.stderr.write(
      `bottle-ts: cannot start: ${err instanceof Error ? err.message : String(err)}\n`
    )
    process.exitCode = 1
    void handle.close()
  })
  const shutdown = (): void => {
    handle.close().then(
      () => {
        if (exitOnSignal) process.exit(0)
      },
      (err: unknown) => {
        process.stderr.write(`bottle-ts: shutdown failed: ${String(err)}\n`)
        process.exit(1)
      }
    )
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    // A second signal means "now": the operator has stopped waiting.
    if (signalled) process.exit(1)
    signalled = true
    if (banner) process.stderr.write(`Shutting down (${signal})...\n`)
    shutdown()
  }
  adapter.onShutdownRequest = shutdown
  if (handleSignals) {
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    if (child) process.once('disconnect', shutdown)
  }
  return handle
}
