/**
 * The `ServerAdapter` base class (Bottle's "Server Adapter"): what every adapter does.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A Node request handler, as adapters receive it. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void

/** Options every adapter understands; adapters add their own. */
export interface ServerOptions {
  /** Interface to bind; `'unix:/path.sock'` for a Unix socket. */
  host?: string
  /** Port; `0` picks a free one. */
  port?: number
  /** Print nothing on start and stop. */
  quiet?: boolean
  /** Milliseconds in-flight requests get to finish on shutdown before sockets are destroyed. */
  gracePeriod?: number
  [key: string]: unknown
}

/** Base class of server adapters: subclass it and register it in `serverNames`. */
export abstract class ServerAdapter {
  /** The options given to `run()`. */
  readonly options: ServerOptions
  /** Whether this adapter may run under the reloader and in workers. */
  quiet: boolean

  constructor(options: ServerOptions = {}) {
    this.options = { host: '127.0.0.1', port: 8080, ...options }
    this.quiet = options.quiet ?? false
  }

  /** Starts serving `handler`; resolves with the bound address once listening. */
  abstract run(handler: RequestHandler): Promise<AddressInfo | string>

  /** Stops accepting, finishes in-flight requests, then resolves. */
  abstract close(): Promise<void>

  /** A readable `scheme://host:port` for the banner. */
  url(address: AddressInfo | string): string {
    if (typeof address === 'string') return `unix:${address}`
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return `http://${host}:${address.port}/`
  }
}
