/**
 * The auto-reloader (Bottle's `reloader=True`): the parent process owns the listening
 * socket and runs the app in a child (`BOTTLE_CHILD=true`); it accepts each connection
 * paused and hands it to the current child over IPC, so the address never changes and
 * connections made during a restart wait for the next child instead of failing. The child reports every module it loads (Node's own
 * `--watch` protocol); the parent polls their modification times and restarts the
 * child when one changes. A child that fails to start (a syntax error in the file just
 * saved) is reported and the parent waits for the next save.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { statSync } from 'node:fs'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { ServerAdapter, type RequestHandler, type ServerOptions } from './adapter.js'
import { listenOn } from './listen.js'

/** Options of the reloader. */
export interface ReloaderOptions extends ServerOptions {
  /** Seconds between checks for changed files (default 0.5). */
  interval?: number
  /** Extra files to watch besides the modules the child loads (templates, config). */
  watch?: string[]
}

type ChildMessage = {
  bottle?: string
  'watch:import'?: (string | null)[]
  'watch:require'?: (string | null)[]
}

/** True in the child process of a reloader. */
export function isReloaderChild(): boolean {
  return process.env.BOTTLE_CHILD === 'true' && typeof process.send === 'function'
}

/** The parent side of the reloader, shaped as an adapter so `run()` handles it alike. */
export class Reloader extends ServerAdapter {
  /** The listening socket handed to each child. */
  server: Server | null = null
  /** The running child, if any. */
  child: ChildProcess | null = null
  /** Number of restarts so far. */
  restarts = 0
  readonly #files = new Map<string, number>()
  readonly #queue: Socket[] = []
  #ready = false
  #timer: NodeJS.Timeout | null = null
  #stopping = false
  #restarting = false

  override toString(): string {
    return 'Reloader()'
  }

  async run(_handler: RequestHandler): Promise<AddressInfo | string> {
    const server = createServer({ pauseOnConnect: true }, (socket) => this.#forward(socket))
    this.server = server
    const address = await listenOn(server, this.options)
    const o = this.options as ReloaderOptions
    for (const file of [process.argv[1], ...(o.watch ?? [])]) if (file) this.#watch(file)
    this.#spawn()
    // Bottle checks every second; half a second keeps a restart within a second of a save.
    const every = Math.max(50, (o.interval ?? 0.5) * 1000)
    this.#timer = setInterval(() => this.#check(), every)
    return address
  }

  close(): Promise<void> {
    this.#stopping = true
    if (this.#timer) clearInterval(this.#timer)
    return this.#stopChild().then(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of this.#queue.splice(0)) socket.destroy()
          if (this.server) this.server.close(() => resolve())
          else resolve()
        })
    )
  }

  /** Restarts the child now (as a changed file would). */
  async restart(): Promise<void> {
    if (this.#restarting || this.#stopping) return
    this.#restarting = true
    try {
      await this.#stopChild()
      this.restarts++
      if (!this.#stopping) this.#spawn()
    } finally {
      this.#restarting = false
    }
  }

  #spawn(): void {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        BOTTLE_CHILD: 'true',
        BOTTLE_ADDRESS: JSON.stringify(this.server?.address() ?? null),
        WATCH_REPORT_DEPENDENCIES: '1',
      },
    })
    this.child = child
    this.#ready = false
    child.on('message', (message: ChildMessage) => {
      if (message?.bottle === 'ready' && this.child === child) {
        this.#ready = true
        for (const socket of this.#queue.splice(0)) this.#forward(socket)
      }
      for (const url of message?.['watch:import'] ?? [])
        if (url?.startsWith('file:')) this.#watch(fileURLToPath(url))
      for (const path of message?.['watch:require'] ?? []) if (path) this.#watch(path)
    })
    child.once('exit', (code, signal) => {
      if (this.child === child) {
        this.child = null
        this.#ready = false
      }
      if (this.#stopping || this.#restarting) return
      if (code === 3) {
        // Bottle's convention: exit code 3 asks for a restart.
        void this.restart()
      } else if (code === 0) {
        void this.close().then(() => process.exit(0))
      } else if (!this.quiet) {
        // Bottle's child sleeps and exits 3 to retry in a loop; we wait for the next save.
        process.stderr.write(
          `bottle-ts: the app exited (${signal ?? `code ${code}`}); fix the error and save to restart\n`
        )
      }
    })
  }

  #forward(socket: Socket): void {
    const child = this.child
    if (!child || !this.#ready || !child.connected) {
      this.#queue.push(socket)
      return
    }
    child.send({ bottle: 'connection' }, socket, { keepOpen: false }, (err) => {
      if (err) this.#queue.push(socket)
    })
  }

  #watch(file: string): void {
    if (this.#files.has(file)) return
    this.#files.set(file, mtime(file))
  }

  #check(): void {
    if (this.#restarting || this.#stopping) return
    let changed: string | null = null
    for (const [file, seen] of this.#files) {
      const now = mtime(file)
      if (now !== seen) {
        this.#files.set(file, now)
        changed ??= file
      }
    }
    if (!changed) return
    if (!this.quiet) process.stderr.write(`bottle-ts: ${changed} changed; restarting\n`)
    void this.restart()
  }

  #stopChild(): Promise<void> {
    const child = this.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
    return new Promise((resolve) => {
      const grace = this.options.gracePeriod ?? 5_000
      const timer = setTimeout(() => child.kill('SIGKILL'), grace)
      child.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      child.kill('SIGTERM')
    })
  }
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs
  } catch {
    return -1
  }
}
