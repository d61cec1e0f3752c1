/**
 * Bottle's "Server Adapter" and "Application Control": the `ServerAdapter` base class,
 * the `serverNames` registry and `run()`, which starts an app on an adapter and returns
 * a handle whose `close()` shuts down gracefully.
 * @module
 */
import type { AddressInfo } from 'node:net'
import { Bottle } from '../app.js'
import { defaultApp } from '../default-app.js'
import type { PluginLike } from '../types.js'
import { ServerAdapter, type RequestHandler, type ServerOptions } from './adapter.js'
import { NodeServer } from './node.js'

export { ServerAdapter, type RequestHandler, type ServerOptions }

/** Constructors of adapters by name, as Bottle's `server_names`. */
export const serverNames: Map<string, new (options: ServerOptions) => ServerAdapter> = new Map<
  string,
  new (options: ServerOptions) => ServerAdapter
>([
  ['node', NodeServer],
  ['auto', NodeServer],
])

/** Options of `run()`. */
export interface RunOptions extends ServerOptions {
  /** An adapter name from `serverNames`, an adapter class or an instance (default `'node'`). */
  server?: string | ServerAdapter | (new (options: ServerOptions) => ServerAdapter)
  /** Debug mode for the app. */
  debug?: boolean
  /** Plugins to install before starting. */
  plugins?: PluginLike[]
  /** Config keys to set before starting. */
  config?: Record<string, unknown>
  /** Handle SIGINT and SIGTERM by shutting down gracefully (default `true`). */
  handleSignals?: boolean
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

/**
 * Starts a server for an app (the default app when none is given).
 * @example
 * const handle = run(app, { host: '127.0.0.1', port: 8080 })
 * await handle.ready
 */
export function run(
  app?: Bottle | RequestHandler | RunOptions | null,
  options: RunOptions = {}
): ServerHandle {
  if (app && !(app instanceof Bottle) && typeof app !== 'function') {
    options = app
    app = undefined
  }
  const target = (app as Bottle | RequestHandler | undefined) ?? defaultApp()
  const { server = 'node', debug, plugins, config, handleSignals = true, ...rest } = options
  if (target instanceof Bottle) {
    if (debug !== undefined) target.config.set('debug', debug)
    if (config) target.config.loadDict(config)
    for (const p of plugins ?? []) target.install(p)
  }
  let adapter: ServerAdapter
  if (typeof server === 'string') {
    const Adapter = serverNames.get(server)
    if (!Adapter)
      throw new Error(
        `Unknown server adapter: ${JSON.stringify(server)} (known: ${[...serverNames.keys()].join(', ')})`
      )
    adapter = new Adapter(rest)
  } else if (server instanceof ServerAdapter) {
    adapter = server
  } else {
    adapter = new server(rest)
  }
  const handler = target instanceof Bottle ? target.handler : target
  let closing: Promise<void> | null = null
  const handle: ServerHandle = {
    server: adapter,
    address: null,
    ready: adapter.run(handler).then((address) => {
      handle.address = address
      if (!adapter.quiet) {
        process.stderr.write(
          `bottle-ts server starting up (using ${adapter.constructor.name})...\n`
        )
        process.stderr.write(`Listening on ${adapter.url(address)}\nHit Ctrl-C to quit.\n\n`)
      }
      return address
    }),
    close() {
      closing ??= (async () => {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        await adapter.close()
        if (target instanceof Bottle) target.close()
      })()
      return closing
    },
  }
  const onSignal = (): void => {
    if (!adapter.quiet) process.stderr.write('Shutting down...\n')
    handle.close().then(
      () => process.exit(0),
      () => process.exit(1)
    )
  }
  if (handleSignals) {
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  }
  return handle
}
