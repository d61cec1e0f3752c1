/**
 * The cluster adapter: one primary process supervising `workers` node:http workers
 * (default: one per available core) that share the listening socket through
 * node:cluster. The primary re-forks a worker that dies, with exponential backoff so a
 * worker that crashes at start-up cannot spin the CPU, and reloads workers one at a time
 * on SIGHUP or `reload()`: a new worker listens before the old one is asked to finish
 * its requests and leave, so no request is dropped. The script calling `run()` runs
 * again in every worker, where this adapter simply serves through the node adapter.
 * @module
 */
import cluster, { type Worker } from 'node:cluster'
import { availableParallelism } from 'node:os'
import type { AddressInfo } from 'node:net'
import { ServerAdapter, type RequestHandler } from './adapter.js'
import { prepareUnixSocket } from './listen.js'
import { HttpsServer, NodeServer, type NodeServerOptions } from './node.js'

/** Options of the cluster adapter. */
export interface ClusterServerOptions extends NodeServerOptions {
  /** Number of worker processes (default: `os.availableParallelism()`). */
  workers?: number
  /** Serve TLS in the workers (with `certfile` and `keyfile`). */
  https?: boolean
  /** First re-fork delay after a crash, in ms; doubles per quick crash (default 100). */
  restartDelay?: number
  /** Longest re-fork delay, in ms (default 10 000). */
  maxRestartDelay?: number
}

type Message = { bottle?: string }

const SHUTDOWN = 'bottle:shutdown'

/** node:cluster adapter: supervised workers, crash re-fork, rolling reload. */
export class ClusterServer extends ServerAdapter {
  /** In a worker: the node adapter doing the serving. */
  inner: NodeServer | null = null
  /** Workers re-forked after a crash so far (primary only). */
  restarts = 0
  readonly #retiring = new Set<Worker>()
  readonly #listening = new WeakSet<Worker>()
  readonly #timers = new Set<NodeJS.Timeout>()
  #shuttingDown = false
  #quickCrashes = 0
  #reloading: Promise<void> | null = null
  #address: AddressInfo | string | null = null
  readonly #onHup = (): void => void this.reload()

  /** Number of workers the primary keeps running. */
  get size(): number {
    const o = this.options as ClusterServerOptions
    return Math.max(1, o.workers ?? availableParallelism())
  }

  override get scheme(): string {
    return (this.options as ClusterServerOptions).https ? 'https' : 'http'
  }

  override toString(): string {
    return `ClusterServer(workers=${this.size})`
  }

  /** The live workers (primary only). */
  get workers(): Worker[] {
    return Object.values(cluster.workers ?? {}).filter(
      (w): w is Worker => !!w && !this.#retiring.has(w)
    )
  }

  async run(handler: RequestHandler): Promise<AddressInfo | string> {
    if (cluster.isWorker) return this.#runWorker(handler)
    const host = this.options.host ?? '127.0.0.1'
    if (host.startsWith('unix:')) await prepareUnixSocket(host.slice(5))
    cluster.on('exit', (worker, code, signal) => this.#onExit(worker, code, signal))
    process.on('SIGHUP', this.#onHup)
    const started = Array.from({ length: this.size }, () => listening(this.#fork()))
    // Ready means every worker listens, so the first requests are already spread out.
    const [address] = await Promise.all(started)
    this.#address = address!
    return this.#address
  }

  /**
   * Replaces every worker, one at a time: fork a new one, wait until it listens, then
   * let the old one finish its requests and exit. Resolves when all are replaced.
   */
  reload(): Promise<void> {
    if (!cluster.isPrimary) return Promise.resolve()
    this.#reloading ??= (async () => {
      try {
        const old = this.workers
        for (const worker of old) {
          if (this.#shuttingDown) return
          await listening(this.#fork())
          await this.#retire(worker)
        }
        if (!this.quiet) process.stderr.write(`Reloaded ${old.length} workers\n`)
      } finally {
        this.#reloading = null
      }
    })()
    return this.#reloading
  }

  async close(): Promise<void> {
    if (this.inner) return this.inner.close()
    this.#shuttingDown = true
    process.off('SIGHUP', this.#onHup)
    for (const t of this.#timers) clearTimeout(t)
    const all = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w)
    await Promise.all(all.map((w) => this.#retire(w)))
  }

  #fork(): Worker {
    const worker = cluster.fork({ BOTTLE_CLUSTER_WORKER: 'true' })
    worker.once('listening', () => this.#listening.add(worker))
    return worker
  }

  #retire(worker: Worker): Promise<void> {
    this.#retiring.add(worker)
    return new Promise((resolve) => {
      if (worker.isDead()) return resolve()
      const grace = this.options.gracePeriod ?? 10_000
      const timer = setTimeout(() => worker.process.kill('SIGKILL'), grace + 2_000)
      // Left in #retiring: the cluster-level 'exit' event comes after this one.
      worker.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      // A worker still starting has nothing to finish, and may not listen for messages yet.
      if (worker.isConnected() && this.#listening.has(worker)) worker.send({ bottle: SHUTDOWN })
      else worker.process.kill('SIGTERM')
    })
  }

  #onExit(worker: Worker, code: number, signal: string | null): void {
    if (this.#retiring.delete(worker) || this.#shuttingDown) return
    const o = this.options as ClusterServerOptions
    const delay = Math.min(
      (o.restartDelay ?? 100) * 2 ** this.#quickCrashes,
      o.maxRestartDelay ?? 10_000
    )
    this.#quickCrashes++
    if (!this.quiet)
      process.stderr.write(
        `Worker ${worker.process.pid} died (${signal ?? `exit ${code}`}); restarting in ${delay} ms\n`
      )
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      if (this.#shuttingDown) return
      this.restarts++
      const fresh = this.#fork()
      // A worker that stays up a while resets the backoff.
      const calm = setTimeout(() => {
        this.#timers.delete(calm)
        if (!fresh.isDead()) this.#quickCrashes = 0
      }, 5_000)
      calm.unref()
      this.#timers.add(calm)
    }, delay)
    this.#timers.add(timer)
  }

  async #runWorker(handler: RequestHandler): Promise<AddressInfo | string> {
    const o = this.options as ClusterServerOptions
    const Inner = o.https ? HttpsServer : NodeServer
    this.inner = new Inner({ ...this.options, quiet: true })
    process.on('message', (message: Message) => {
      if (message?.bottle !== SHUTDOWN) return
      if (this.onShutdownRequest) this.onShutdownRequest()
      else void this.inner?.close().then(() => process.exit(0))
    })
    return this.inner.run(handler)
  }
}

function listening(worker: Worker): Promise<AddressInfo | string> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number): void =>
      reject(new Error(`Worker ${worker.process.pid} exited with code ${code} before listening`))
    worker.once('exit', onExit)
    worker.once('listening', (address: { address: string; port: number; addressType: unknown }) => {
      worker.off('exit', onExit)
      if (address.addressType === -1 || address.addressType === 'udp4')
        resolve(String(address.address))
      else
        resolve({
          address: address.address,
          port: address.port,
          family: address.addressType === 6 ? 'IPv6' : 'IPv4',
        })
    })
  })
}
