/**
 * The default adapter: node:http, production-grade. Timeouts are set on purpose against
 * slow clients (slowloris): headers must arrive within `headersTimeout`, a whole request
 * within `requestTimeout`, and idle keep-alive sockets close after `keepAliveTimeout`.
 * @module
 */
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { ServerAdapter, type RequestHandler, type ServerOptions } from './adapter.js'

/** Options of the node adapter (besides host, port, quiet). */
export interface NodeServerOptions extends ServerOptions {
  /** Milliseconds to receive the complete request headers (default 10 000). */
  headersTimeout?: number
  /** Milliseconds to receive the complete request (default 30 000). */
  requestTimeout?: number
  /** Milliseconds an idle keep-alive connection stays open (default 5 000). */
  keepAliveTimeout?: number
  /** Largest request header block, in bytes (default 16 KiB, Node's default). */
  maxHeaderSize?: number
}

/** node:http adapter with graceful shutdown. */
export class NodeServer extends ServerAdapter {
  /** The underlying server, once running. */
  server: Server | null = null
  readonly #inflight = new Map<Socket, number>()
  #closing = false

  /** Creates the node:http server: override to use another server class. */
  protected createServer(handler: RequestHandler): Server {
    const o = this.options as NodeServerOptions
    return createServer(
      {
        headersTimeout: o.headersTimeout ?? 10_000,
        requestTimeout: o.requestTimeout ?? 30_000,
        keepAliveTimeout: o.keepAliveTimeout ?? 5_000,
        maxHeaderSize: o.maxHeaderSize ?? 16 * 1024,
      },
      handler
    )
  }

  run(handler: RequestHandler): Promise<AddressInfo | string> {
    const server = this.createServer((req, res) => {
      const socket = req.socket
      this.#inflight.set(socket, (this.#inflight.get(socket) ?? 0) + 1)
      if (this.#closing) res.setHeader('Connection', 'close')
      res.once('close', () => this.#done(socket, res))
      handler(req, res)
    })
    this.server = server
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable) return socket.destroy()
      const status =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? 431
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? 408
            : 400
      const reason =
        status === 431
          ? 'Request Header Fields Too Large'
          : status === 408
            ? 'Request Timeout'
            : 'Bad Request'
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    })
    const { host = '127.0.0.1', port = 8080 } = this.options
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      const onListening = (): void => {
        server.off('error', reject)
        const address = server.address()
        resolve(address ?? `${host}:${port}`)
      }
      if (host.startsWith('unix:')) server.listen(host.slice(5), onListening)
      else server.listen(port, host, onListening)
    })
  }

  #done(socket: Socket, _res: ServerResponse): void {
    const n = (this.#inflight.get(socket) ?? 1) - 1
    if (n <= 0) {
      this.#inflight.delete(socket)
      if (this.#closing) socket.end()
    } else this.#inflight.set(socket, n)
  }

  close(): Promise<void> {
    const server = this.server
    if (!server) return Promise.resolve()
    this.#closing = true
    const grace = this.options.gracePeriod ?? 10_000
    return new Promise((resolve) => {
      const timer = setTimeout(() => server.closeAllConnections(), grace)
      timer.unref()
      server.close(() => {
        clearTimeout(timer)
        resolve()
      })
      server.closeIdleConnections()
    })
  }
}
