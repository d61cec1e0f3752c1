/**
 * Where a server listens: a TCP host and port, a Unix socket (`host: 'unix:/path.sock'`),
 * an inherited descriptor (`fd`, as systemd socket activation hands one in) or a handle
 * passed from a parent process (the reloader keeps its socket across restarts this way).
 * @module
 */
import cluster from 'node:cluster'
import { chmodSync, lstatSync, unlinkSync } from 'node:fs'
import { connect, type AddressInfo, type Server } from 'node:net'
import { platform } from 'node:os'

/** Where to listen. */
export interface ListenTarget {
  host?: string
  port?: number
  fd?: number
  handle?: Server | { fd: number }
  socketMode?: number
  fromParent?: boolean
}

/** Longest Unix socket path the OS keeps intact (`sun_path` minus the NUL byte). */
export const UNIX_PATH_MAX: number = platform() === 'linux' ? 107 : 103

/**
 * Checks a Unix socket path and removes a stale socket file left by a crashed process.
 *
 * Security: the OS silently truncates a long path, which would bind a different file, so
 * such paths are refused. Only a socket nobody answers on is removed; a live socket or a
 * file that is not a socket is an error, never deleted.
 */
export async function prepareUnixSocket(path: string): Promise<void> {
  const bytes = Buffer.byteLength(path)
  if (bytes > UNIX_PATH_MAX)
    throw new Error(
      `Unix socket path is ${bytes} bytes, longer than the OS limit of ${UNIX_PATH_MAX}: ${path}`
    )
  if (!path) throw new Error('Unix socket path is empty (expected unix:/path/app.sock)')
  let stat
  try {
    stat = lstatSync(path)
  } catch {
    return
  }
  if (!stat.isSocket())
    throw new Error(`Cannot listen on ${path}: the file exists and is not a socket`)
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path)
    probe.once('connect', () => {
      probe.destroy()
      resolve(true)
    })
    probe.once('error', () => resolve(false))
  })
  if (alive) throw new Error(`Cannot listen on ${path}: another process is listening there`)
  unlinkSync(path)
}

/** Listens as `target` says; resolves with the bound address (a path for Unix sockets). */
export async function listenOn(
  server: Server,
  target: ListenTarget
): Promise<AddressInfo | string> {
  if (target.fromParent) return takeFromParent(server)
  const { host = '127.0.0.1', port = 8080 } = target
  const unixPath = host.startsWith('unix:') ? host.slice(5) : null
  // In a cluster worker the primary owns the socket file and has prepared it already.
  if (unixPath !== null && !target.handle && target.fd === undefined && !cluster.isWorker)
    await prepareUnixSocket(unixPath)
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err)
    server.once('error', onError)
    const done = (): void => {
      server.off('error', onError)
      resolve()
    }
    if (target.handle) server.listen(target.handle, done)
    else if (target.fd !== undefined) server.listen({ fd: target.fd }, done)
    else if (unixPath !== null) server.listen(unixPath, done)
    else server.listen(port, host, done)
  })
  const address = server.address()
  if (typeof address === 'string' && target.socketMode !== undefined)
    chmodSync(address, target.socketMode)
  return address ?? `${host}:${port}`
}

/**
 * In the reloader's child: serve the connections the parent accepts and forwards over
 * IPC. Resolves with the parent's address once the parent has been told we are ready.
 */
function takeFromParent(server: Server): Promise<AddressInfo | string> {
  process.on('message', (message: { bottle?: string }, socket: unknown) => {
    if (message?.bottle === 'connection' && socket) server.emit('connection', socket)
  })
  const address = JSON.parse(process.env.BOTTLE_ADDRESS ?? 'null') as AddressInfo | string | null
  process.send?.({ bottle: 'ready' })
  return Promise.resolve(address ?? 'reloader')
}
