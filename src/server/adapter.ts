/**
 * The `ServerAdapter` base class (Bottle's "Server Adapter"): what every adapter does,
 * plus the listening and in-flight bookkeeping the node:http based adapters share. An
 * adapter receives the app's `(req, res)` handler from `run()`, listens on a TCP port,
 * a Unix socket or an inherited descriptor, and closes gracefully.
 * @module
 */
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo, Server as NetServer, Socket } from 'node:net'

/** A Node request handler, as adapters receive it. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void

/** Options every adapter understands; adapters add their own. */
export interface ServerOptions {
  /** Interface to bind; `'unix:/path.sock'` for a Unix socket. */
  host?: string
  /** Port; `0` picks a free one. */
  port?: number
  /** A listening socket inherited from the parent process (systemd passes `3`). */
  fd?: number
  /** A listening server or handle to take over (the reloader passes one). */
  handle?: NetServer | { fd: number }
  /** Serve connections forwarded by the reloader's parent process instead of listening. */
  fromParent?: boolean
  /** File mode for a Unix socket, e.g. `0o660` so a proxy in the same group can connect. */
  socketMode?: number
  /** Print nothing on start and stop. */
  quiet?: boolean
  /** Milliseconds in-flight requests get to finish on shutdown before sockets are destroyed. */
  gracePeriod?: number
  [key: string]: unknown
}

/** The package version, for the banner and `--version`. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

/** Base class of server adapters: subclass it and register it in `serverNames`. */
export abstract class ServerAdapter {
  /** The options given to `run()`. */
  readonly options: ServerOptions
  /** Print nothing on start and stop. */
  quiet: boolean
  /**
   * Set by `run()`: asks the whole process to shut down gracefully (the cluster adapter
   * calls it in a worker when the primary retires it).
   */
  onShutdownRequest: (() => void) | null = null

  constructor(options: ServerOptions = {}) {
    this.options = { host: '127.0.0.1', port: 8080, ...options }
    this.quiet = options.quiet ?? false
  }

  /** Starts serving `handler`; resolves with the bound address once listening. */
  abstract run(handler: RequestHandler): Promise<AddressInfo | string>

  /** Stops accepting, finishes in-flight requests, then resolves. */
  abstract close(): Promise<void>

  /** The URL scheme clients use (`https` for the TLS adapters). */
  get scheme(): string {
    return 'http'
  }

  /** A readable `scheme://host:port/` (or `unix:/path`) for the banner. */
  url(address: AddressInfo | string): string {
    if (typeof address === 'string')
      return address.startsWith('unix:') ? address : `unix:${address}`
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return `${this.scheme}://${host}:${address.port}/`
  }

  /** Bottle's `repr(server)`, used in the banner: `NodeServer()`. */
  toString(): string {
    return `${this.constructor.name}()`
  }
}

/** What the tracker knows of one connection. */
interface Connection {
  /** Requests in flight on it. */
  busy: number
  /** No request has started on it yet. */
  fresh: boolean
}

/**
 * Counts requests per connection so that shutdown can tell idle keep-alive sockets
 * (closed at once) from busy ones (closed right after their response).
 */
export class InflightTracker {
  readonly #sockets = new Map<Socket, Connection>()
  readonly #responses = new Set<ServerResponse>()
  /** Set once shutdown has begun. */
  closing = false

  /** Wraps a handler so every request is counted while it runs. */
  wrap(handler: RequestHandler): RequestHandler {
    return (req, res) => {
      const socket = req.socket
      // Only connections registered by `track` are counted: an HTTP/2 request's socket is a
      // new proxy per stream, and keeping one would keep every stream alive.
      const conn = this.#sockets.get(socket)
      if (conn) {
        conn.fresh = false
        conn.busy++
      }
      this.#responses.add(res)
      if (this.closing) markClose(req, res)
      // 'close' comes once per response: `on` spares the wrapper `once` would allocate.
      res.on('close', () => this.#done(socket, conn, res))
      handler(req, res)
    }
  }

  /** Registers a new connection as idle. */
  track(socket: Socket): void {
    let conn = this.#sockets.get(socket)
    if (!conn) this.#sockets.set(socket, (conn = { busy: 0, fresh: true }))
    conn.fresh = true
    socket.once('close', () => this.#sockets.delete(socket))
  }

  /**
   * Begins shutdown: tell busy responses to close their connection and end idle ones.
   * A connection accepted but not yet read from may carry a request already on its way:
   * it gets `freshGrace` ms to show it before it is closed.
   */
  drain(freshGrace = 1_000): void {
    this.closing = true
    for (const res of this.#responses) markClose(res.req, res)
    for (const [socket, conn] of this.#sockets) {
      if (conn.busy !== 0) continue
      if (!conn.fresh) {
        socket.end()
        continue
      }
      setTimeout(() => {
        if (conn.busy === 0 && this.#sockets.has(socket)) socket.end()
      }, freshGrace).unref()
    }
  }

  /** Destroys every connection (the grace period ran out). */
  destroyAll(): void {
    for (const socket of this.#sockets.keys()) socket.destroy()
  }

  /** Number of requests in flight. */
  get size(): number {
    return this.#responses.size
  }

  /** Number of connections being tracked. */
  get connections(): number {
    return this.#sockets.size
  }

  #done(socket: Socket, conn: Connection | undefined, res: ServerResponse): void {
    this.#responses.delete(res)
    if (!conn || !this.#sockets.has(socket)) return
    conn.busy = Math.max(0, conn.busy - 1)
    if (conn.busy === 0 && this.closing) socket.end()
  }
}

function markClose(req: IncomingMessage, res: ServerResponse): void {
  // HTTP/2 forbids connection-specific headers; its sessions get a GOAWAY instead.
  if (req.httpVersionMajor >= 2 || res.headersSent) return
  res.setHeader('Connection', 'close')
}
