/**
 * An in-memory connection for running requests through Node's own HTTP parser without
 * a port: the test client and the CGI adapter replay requests over a pair of these.
 * @module
 */
import { Duplex } from 'node:stream'

/** How the server side of a connection presents itself. */
export interface MemorySocketInit {
  remoteAddress?: string
  remotePort?: number
  encrypted?: boolean
}

/** One end of an in-memory connection; writes appear as reads on the peer. */
export class MemorySocket extends Duplex {
  peer: MemorySocket | null = null
  remoteAddress: string
  remotePort: number
  localAddress = '127.0.0.1'
  localPort = 80
  encrypted: boolean

  constructor(init: MemorySocketInit = {}) {
    super({ allowHalfOpen: false })
    this.remoteAddress = init.remoteAddress ?? '127.0.0.1'
    this.remotePort = init.remotePort ?? 54321
    this.encrypted = init.encrypted ?? false
  }

  /** Two connected ends: `[server, client]`. */
  static pair(server: MemorySocketInit = {}): [MemorySocket, MemorySocket] {
    const a = new MemorySocket(server)
    const b = new MemorySocket()
    a.peer = b
    b.peer = a
    return [a, b]
  }

  override _read(): void {}

  override _write(
    chunk: Buffer,
    _enc: BufferEncoding,
    callback: (error?: Error | null) => void
  ): void {
    this.peer?.push(chunk)
    callback()
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.peer?.push(null)
    callback()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer
    this.peer = null
    if (peer && !peer.destroyed) peer.destroy()
    callback(error)
  }

  // The HTTP server and client call these on real sockets; in memory they do nothing.
  setTimeout(): this {
    return this
  }
  setNoDelay(): this {
    return this
  }
  setKeepAlive(): this {
    return this
  }
  ref(): this {
    return this
  }
  unref(): this {
    return this
  }
  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: 'IPv4', port: this.localPort }
  }
}
