/**
 * The http2 adapter: node:http2 over TLS with HTTP/1.1 fallback (`allowHTTP1`), so
 * browsers get HTTP/2 and curl or a proxy speaking HTTP/1.1 still works. The app sees
 * the same request/response API either way through Node's compatibility layer.
 * Shutdown sends each HTTP/2 session a GOAWAY (its open streams finish) and treats
 * HTTP/1.1 connections as the node adapter does.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { InflightTracker, ServerAdapter, type RequestHandler } from './adapter.js'
import { listenOn } from './listen.js'
import { onClientError, tlsFiles, type HttpsServerOptions } from './node.js'

/** Options of the http2 adapter. */
export interface Http2ServerOptions extends HttpsServerOptions {
  /** Accept HTTP/1.1 clients on the same port (default `true`). */
  allowHTTP1?: boolean
  /** Milliseconds an idle HTTP/2 session stays open (default 120 000). */
  sessionTimeout?: number
}

/** Secure HTTP/2 adapter with HTTP/1.1 fallback and graceful shutdown. */
export class Http2Server extends ServerAdapter {
  /** The underlying server, once running. */
  server: Http2SecureServer | null = null
  readonly #sessions = new Set<ServerHttp2Session>()
  readonly #tracker = new InflightTracker()

  override get scheme(): string {
    return 'https'
  }

  run(handler: RequestHandler): Promise<AddressInfo | string> {
    const o = this.options as Http2ServerOptions
    const wrapped = this.#tracker.wrap(handler)
    // The compatibility API mirrors IncomingMessage/ServerResponse closely enough for the app.
    const server = createSecureServer(
      { ...tlsFiles(o), allowHTTP1: o.allowHTTP1 ?? true },
      (req: Http2ServerRequest | IncomingMessage, res: Http2ServerResponse | ServerResponse) =>
        wrapped(req as IncomingMessage, res as ServerResponse)
    )
    this.server = server
    server.setTimeout(o.sessionTimeout ?? 120_000)
    server.on('session', (session: ServerHttp2Session) => {
      this.#sessions.add(session)
      session.once('close', () => this.#sessions.delete(session))
    })
    server.on('secureConnection', (socket: TLSSocket) => {
      if (socket.alpnProtocol !== 'h2') this.#tracker.track(socket)
    })
    server.on('unknownProtocol', (socket: TLSSocket) => socket.destroy())
    server.on('clientError', onClientError as (err: Error, socket: TLSSocket) => void)
    return listenOn(server, o)
  }

  close(): Promise<void> {
    const server = this.server
    if (!server) return Promise.resolve()
    const grace = this.options.gracePeriod ?? 10_000
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const session of this.#sessions) session.destroy()
        this.#tracker.destroyAll()
      }, grace)
      timer.unref()
      server.close(() => {
        clearTimeout(timer)
        resolve()
      })
      for (const session of this.#sessions) session.close()
      this.#tracker.drain()
    })
  }
}
