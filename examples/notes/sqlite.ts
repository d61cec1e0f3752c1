/**
 * An example `sqlite` plugin in the spirit of Bottle's bottle-sqlite, over sql.js (SQLite
 * compiled to WebAssembly: no native build). A route asks for the connection with the
 * route option `{ sqlite: true }`; the plugin then runs its callback inside a transaction
 * and hands the connection over in the callback's arguments under `db` (bottle-sqlite's
 * keyword), read with `plugin.db(args)`. The transaction commits after a result, a
 * returned or thrown `HTTPResponse` or a redirect; it rolls back on any other error and
 * on an `HTTPError`. After each commit the database is written to its file, so the file
 * always holds committed data only.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import initSqlJs, { type Database } from 'sql.js'
import {
  HTTPError,
  HTTPResponse,
  PluginError,
  type Bottle,
  type Callback,
  type Plugin,
  type Route,
} from 'bottle-ts'

/** Options of `SQLitePlugin.open`. */
export interface SQLitePluginOptions {
  /** The argument name the connection arrives under (default `'db'`). */
  keyword?: string
  /** SQL run once after opening, e.g. `CREATE TABLE IF NOT EXISTS ...`. */
  schema?: string
}

/** A connection-per-route SQLite plugin with one transaction per request. */
export class SQLitePlugin implements Plugin {
  /** The name routes and `skip` refer to; also the route option that asks for a connection. */
  readonly name = 'sqlite'
  /** Bottle plugin API v2. */
  readonly api = 2
  /** The argument name the connection arrives under. */
  readonly keyword: string
  /** The database file, or `null` for an in-memory database that is never written. */
  readonly file: string | null
  readonly #db: Database
  // sql.js has one connection and SQLite has no nested BEGIN: transactions of concurrent
  // async callbacks must wait for each other.
  #queue: Promise<void> = Promise.resolve()

  private constructor(db: Database, file: string | null, keyword: string) {
    this.#db = db
    this.file = file
    this.keyword = keyword
  }

  /** Opens (or creates) the database at `file`; `null` keeps it in memory. */
  static async open(file: string | null, options: SQLitePluginOptions = {}): Promise<SQLitePlugin> {
    const SQL = await initSqlJs()
    let data: Buffer | null = null
    if (file !== null) {
      try {
        data = readFileSync(file)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
    const db = new SQL.Database(data)
    const plugin = new SQLitePlugin(db, file, options.keyword ?? 'db')
    if (options.schema) {
      db.exec(options.schema)
      plugin.#persist()
    }
    return plugin
  }

  /** The connection a `{ sqlite: true }` route received; throws for any other route. */
  db(args: object): Database {
    const db = (args as Record<string, unknown>)[this.keyword]
    if (db !== this.#db) {
      throw new TypeError(`No SQLite connection in the route arguments: add { sqlite: true }`)
    }
    return this.#db
  }

  /** Runs `fn` outside any request, in a transaction of its own (for set-up and tests). */
  transaction<T>(fn: (db: Database) => T | Promise<T>): Promise<T> {
    return this.#serial(() => this.#inTransaction(() => fn(this.#db)))
  }

  /** Refuses a second sqlite plugin on the same keyword, as bottle-sqlite does. */
  setup(app: Bottle): void {
    for (const other of app.plugins) {
      if (other instanceof SQLitePlugin && other.keyword === this.keyword) {
        throw new PluginError(`Found another sqlite plugin with the keyword ${this.keyword}`)
      }
    }
  }

  /** Wraps the callbacks of routes whose `sqlite` option is true; others stay untouched. */
  apply(callback: Callback, route: Route): Callback {
    if (route.config.get('sqlite') !== true) return callback
    const keyword = this.keyword
    return (args) => {
      if (keyword in args) {
        throw new TypeError(`Route ${route.rule} has a wildcard named ${keyword}`)
      }
      return this.#serial(() =>
        this.#inTransaction(async () => {
          const out = await callback({ ...args, [keyword]: this.#db })
          // A returned HTTPError is an error page: nothing of it is kept, as when thrown.
          if (out instanceof HTTPError) throw out
          return out
        })
      )
    }
  }

  /** Closes the connection; called by `app.close()` and `app.uninstall()`. */
  close(): void {
    this.#db.close()
  }

  async #inTransaction<T>(fn: () => T | Promise<T>): Promise<T> {
    this.#db.exec('BEGIN')
    let out: T
    try {
      out = await fn()
    } catch (err) {
      // A redirect or any other HTTPResponse is how a successful handler answers.
      if (err instanceof HTTPResponse && !(err instanceof HTTPError)) this.#commit()
      else this.#db.exec('ROLLBACK')
      throw err
    }
    this.#commit()
    return out
  }

  #commit(): void {
    try {
      this.#db.exec('COMMIT')
    } catch (err) {
      // A failed COMMIT may leave the transaction open, and the next BEGIN would fail.
      try {
        this.#db.exec('ROLLBACK')
      } catch {
        // Already rolled back by SQLite.
      }
      throw err
    }
    this.#persist()
  }

  #persist(): void {
    if (this.file === null) return
    // Write beside the file and rename, so a crash mid-write leaves the old file whole.
    mkdirSync(dirname(this.file), { recursive: true })
    const tmp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`
    writeFileSync(tmp, this.#db.export())
    renameSync(tmp, this.file)
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn)
    this.#queue = run.then(
      () => undefined,
      () => undefined
    )
    return run
  }
}
