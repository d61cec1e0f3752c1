/**
 * The default adapter: node:http, production-grade, and its TLS sibling `https`.
 *
 * Timeouts are set on purpose against slow clients (slowloris): the headers must arrive
 * within `headersTimeout`, the whole request within `requestTimeout`, idle keep-alive
 * sockets close after `keepAliveTimeout`, and Node checks for expired connections every
 * `connectionsCheckingInterval` instead of its default 30 s. `requestTimeout` also caps
 * legitimate slow uploads: raise it for apps that take large bodies over slow links.
 * Shutdown is graceful: stop accepting, answer in-flight requests with
 * `Connection: close`, close idle keep-alive sockets, destroy what is left after
 * `gracePeriod`.
 * @module
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server, type ServerOptions as HttpOptions } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net'
import {
  InflightTracker,
  ServerAdapter,
  type RequestHandler,
  type ServerOptions,
} from './adapter.js'
import { listenOn } from './listen.js'

/** Options of the node adapter (besides host, port, quiet). */
export interface NodeServerOptions extends ServerOptions {
  /** Milliseconds to receive the complete request headers (default 10 000). */
  headersTimeout?: number
  /** Milliseconds to receive the complete request, body included (default 60 000). */
  requestTimeout?: number
  /** Milliseconds an idle keep-alive connection stays open (default 5 000). */
  keepAliveTimeout?: number
  /** Milliseconds between checks for timed-out requests (default 2 000). */
  connectionsCheckingInterval?: number
  /** Largest request header block, in bytes (default 16 KiB, Node's default). */
  maxHeaderSize?: number
  /** Requests served per keep-alive connection before it is closed (default unlimited). */
  maxRequestsPerSocket?: number
}

/** Options of the https adapter: Bottle's `certfile` / `keyfile`, plus a CA chain. */
export interface HttpsServerOptions extends NodeServerOptions {
  /** Path of the PEM certificate (chain). */
  certfile?: string
  /** Path of the PEM private key. */
  keyfile?: string
  /** Path of PEM CA certificates to trust for client certificates. */
  ca?: string
}

/**
 * The node:http settings derived from the options, with our slowloris defaults.
 *
 * Security: a client that sends headers or a body slowly is cut off after
 * `headersTimeout` / `requestTimeout` (408), checked every `connectionsCheckingInterval`,
 * instead of Node's 60 s / 300 s / 30 s; the strict parser stays on. Behind a proxy that
 * buffers requests (nginx) the limits matter less; the caller still has to size
 * `requestTimeout` for its largest legitimate upload.
 */
export function httpSettings(o: NodeServerOptions): HttpOptions {
  return {
    headersTimeout: o.headersTimeout ?? 10_000,
    requestTimeout: o.requestTimeout ?? 60_000,
    keepAliveTimeout: o.keepAliveTimeout ?? 5_000,
    connectionsCheckingInterval: o.connectionsCheckingInterval ?? 2_000,
    maxHeaderSize: o.maxHeaderSize ?? 16 * 1024,
    // Never the lenient parser: it is how request smuggling gets in.
    insecureHTTPParser: false,
  }
}

/** Reads `certfile`, `keyfile` and `ca`; a clear error names a missing one. */
export function tlsFiles(o: HttpsServerOptions): { cert: Buffer; key: Buffer; ca?: Buffer } {
  if (!o.certfile || !o.keyfile) throw new Error('TLS needs both certfile and keyfile (PEM paths)')
  return {
    cert: readFileSync(o.certfile),
    key: readFileSync(o.keyfile),
    ...(o.ca ? { ca: readFileSync(o.ca) } : {}),
  }
}

/** Answers a request Node could not parse with a short 4xx and closes the connection. */
export function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const [status, reason] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout']
        : [400, 'Bad Request']
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

/** node:http adapter with slowloris timeouts and graceful shutdown. */
export class NodeServer extends ServerAdapter {
  /** The underlying server, once running. */
  server: Server | null = null
  readonly #tracker = new InflightTracker()

  /** Creates the node:http server: override to use another server class. */
  protected createServer(handler: RequestHandler): Server {
    const o = this.options as NodeServerOptions
    const server = createServer(httpSettings(o), handler)
    if (o.maxRequestsPerSocket) server.maxRequestsPerSocket = o.maxRequestsPerSocket
    return server
  }

  run(handler: RequestHandler): Promise<AddressInfo | string> {
    const wrapped = this.#tracker.wrap(handler)
    const server = this.createServer(wrapped)
    this.server = server
    // Expect: 100-continue reaches the app, which sends the 100 only once it accepts the
    // body (src/body.ts), so an oversized upload is refused before the client sends it.
    server.on('checkContinue', wrapped)
    // Requests arrive on the TLS socket, not on the TCP socket beneath it.
    const event = this.scheme === 'https' ? 'secureConnection' : 'connection'
    server.on(event, (socket: Socket) => this.#tracker.track(socket))
    server.on('clientError', onClientError)
    return listenOn(server, this.options)
  }

  /** Requests being answered right now. */
  get inflight(): number {
    return this.#tracker.size
  }

  close(): Promise<void> {
    const server = this.server
    if (!server) return Promise.resolve()
    const grace = this.options.gracePeriod ?? 10_000
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        server.closeAllConnections()
        this.#tracker.destroyAll()
      }, grace)
      timer.unref()
      // net.Server's close stops accepting; http.Server's would also destroy connections
      // accepted a moment ago whose request is still on its way. The tracker ends idle ones.
      NetServer.prototype.close.call(server, () => {
        clearTimeout(timer)
        server.closeIdleConnections()
        resolve()
      })
      this.#tracker.drain()
    })
  }
}

/** https adapter: node:https with the node adapter's timeouts and shutdown. */
export class HttpsServer extends NodeServer {
  override get scheme(): string {
    return 'https'
  }

  protected override createServer(handler: RequestHandler): Server {
    const o = this.options as HttpsServerOptions
    const server = createHttpsServer({ ...httpSettings(o), ...tlsFiles(o) }, handler)
    if (o.maxRequestsPerSocket) server.maxRequestsPerSocket = o.maxRequestsPerSocket
    return server
  }
}
