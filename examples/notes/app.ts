/**
 * A small notes app that uses most of bottle-ts at once: SimpleTemplate pages on one
 * layout (`% rebase`), forms that show validation errors beside their fields, a login
 * kept in a signed cookie, file attachments saved with `FileUpload.save()` and sent back
 * with `staticFile(..., { download: true })`, a stylesheet served by `staticFile`, a JSON
 * API, and SQLite storage through the example `sqlite` plugin (./sqlite.ts). Run it with
 * `npm run notes` (see README.md); `makeApp()` builds it without listening, for tests.
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Database, SqlValue } from 'sql.js'
import {
  abort,
  Bottle,
  redirect,
  request,
  response,
  run,
  staticFile,
  template,
  type FileUpload,
} from 'bottle-ts'
import { SQLitePlugin } from './sqlite.js'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const VIEWS = [join(HERE, 'views')]
const STATIC = join(HERE, 'static')

/** Field limits, shared by the form, the API and the template. */
export const LIMITS = { title: 200, body: 10_000, attachment: 5 * 1024 * 1024 } as const

/** The demo account when `NOTES_USER`/`NOTES_PASSWORD` are not set. */
export const DEMO_USER = { username: 'demo', password: 'notes-demo' } as const

/** The name of the signed login cookie. */
export const COOKIE = 'notes_user'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS notes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  owner TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now'))
);
CREATE TABLE IF NOT EXISTS attachments (
  note_id INTEGER PRIMARY KEY REFERENCES notes(id),
  filename TEXT NOT NULL,
  size INTEGER NOT NULL
);
`

/** Options of `makeApp`. */
export interface NotesOptions {
  /** Where the database and uploads live (default: env `NOTES_DATA` or `examples/notes/.data`). */
  dataDir?: string
  /** The cookie signing secret (default: env `NOTES_SECRET`, else random per process). */
  secret?: string
  /** The one account (default: env `NOTES_USER`/`NOTES_PASSWORD`, else `DEMO_USER`). */
  user?: { username: string; password: string }
}

/** A note as the API returns it. */
export interface Note {
  id: number
  title: string
  body: string
  created: string
  attachment: string | null
}

type Errors = Record<string, string>

function rows(db: Database, sql: string, params: SqlValue[] = []): Record<string, SqlValue>[] {
  const stmt = db.prepare(sql)
  try {
    stmt.bind(params)
    const out: Record<string, SqlValue>[] = []
    while (stmt.step()) out.push(stmt.getAsObject())
    return out
  } finally {
    stmt.free()
  }
}

function toNote(row: Record<string, SqlValue>): Note {
  return {
    id: Number(row.id),
    title: String(row.title),
    body: String(row.body),
    created: String(row.created),
    attachment: row.filename === null || row.filename === undefined ? null : String(row.filename),
  }
}

const NOTE_SQL = `SELECT n.id, n.title, n.body, n.created, a.filename, a.size
  FROM notes n LEFT JOIN attachments a ON a.note_id = n.id`

function listNotes(db: Database, owner: string): Note[] {
  return rows(db, `${NOTE_SQL} WHERE n.owner = ? ORDER BY n.id DESC`, [owner]).map(toNote)
}

function findNote(db: Database, owner: string, id: number): (Note & { size: number }) | null {
  const row = rows(db, `${NOTE_SQL} WHERE n.owner = ? AND n.id = ?`, [owner, id])[0]
  return row ? { ...toNote(row), size: Number(row.size ?? 0) } : null
}

function publicNote(note: (Note & { size: number }) | null): Note | null {
  if (!note) return null
  const { size: _size, ...rest } = note
  return rest
}

function insertNote(db: Database, owner: string, title: string, body: string): number {
  db.run('INSERT INTO notes (owner, title, body) VALUES (?, ?, ?)', [owner, title, body])
  return Number(rows(db, 'SELECT last_insert_rowid() AS id')[0]?.id)
}

/** Checks a note's fields; the messages name what is wrong and are shown beside the field. */
function validateNote(title: string, body: string): Errors {
  const errors: Errors = {}
  if (!title.trim()) errors.title = 'A title is required.'
  else if (title.length > LIMITS.title)
    errors.title = `The title is ${title.length} characters long; at most ${LIMITS.title} are allowed.`
  if (body.length > LIMITS.body)
    errors.body = `The text is ${body.length} characters long; at most ${LIMITS.body} are allowed.`
  return errors
}

function validateUpload(upload: FileUpload | undefined): string | null {
  if (!upload) return null
  if (upload.contentLength > LIMITS.attachment)
    return `The attachment has ${upload.contentLength} bytes; at most ${LIMITS.attachment} are allowed.`
  return null
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Builds the notes app and opens its database; `sqlite.close()` (or `app.close()`) closes it. */
export async function makeApp(
  options: NotesOptions = {}
): Promise<{ app: Bottle; sqlite: SQLitePlugin; dataDir: string }> {
  const dataDir = resolve(options.dataDir ?? process.env.NOTES_DATA ?? join(HERE, '.data'))
  const uploads = join(dataDir, 'uploads')
  mkdirSync(uploads, { recursive: true })
  const secret = options.secret ?? process.env.NOTES_SECRET ?? randomBytes(32).toString('hex')
  const account = options.user ?? {
    username: process.env.NOTES_USER ?? DEMO_USER.username,
    password: process.env.NOTES_PASSWORD ?? DEMO_USER.password,
  }

  const sqlite = await SQLitePlugin.open(join(dataDir, 'notes.sqlite'), { schema: SCHEMA })
  // A multipart body holds the attachment plus two small fields.
  const app = new Bottle({ maxBodySize: LIMITS.attachment + 64 * 1024, maxFiles: 1 })
  app.install(sqlite)

  const page = (name: string, vars: Record<string, unknown>): string =>
    template(name, vars, { templateLookup: VIEWS })

  /** The logged-in user name, or `''`; a forged or foreign cookie reads as nobody. */
  const currentUser = (): string => {
    const value = request.getCookie(COOKIE, { secret, default: '' })
    return typeof value === 'string' ? value : ''
  }
  const requireUser = (): string => {
    const user = currentUser()
    if (!user) redirect('/login')
    return user
  }
  const apiUser = (): string => {
    const user = currentUser()
    if (!user) abort(401, 'Log in first: POST /login sets the session cookie.')
    return user
  }

  // The API answers errors in JSON, the pages in the site's layout.
  for (const code of [400, 401, 403, 404, 405, 413, 500]) {
    app.error(code, (err) => {
      // A 500's text may carry internals; the other codes' texts are written for users.
      const message = err.statusCode === 500 ? 'Something went wrong.' : String(err.body)
      if (request.path.startsWith('/api/')) {
        response.contentType = 'application/json'
        return JSON.stringify({ error: message })
      }
      return page('error', { user: currentUser(), status: err.statusLine, message })
    })
  }

  app.get('/static/<path:path>', ({ path }) => staticFile(path, STATIC))

  app.get('/login', () => {
    if (currentUser()) redirect('/')
    return page('login', { username: '', errors: {} })
  })

  app.post('/login', () => {
    const username = request.forms.get('username', '').trim()
    const password = request.forms.get('password', '')
    const errors: Errors = {}
    if (!username) errors.username = 'Enter your user name.'
    if (!password) errors.password = 'Enter your password.'
    if (!errors.username && !errors.password) {
      // Compare both always, so a wrong name takes as long as a wrong password.
      const nameOk = sameSecret(account.username, username)
      const passwordOk = sameSecret(account.password, password)
      if (nameOk && passwordOk) {
        response.setCookie(COOKIE, username, {
          secret,
          httpOnly: true,
          sameSite: 'lax',
          path: '/',
          maxAge: 8 * 3600,
        })
        redirect('/')
      }
      errors.form = 'Wrong user name or password.'
    }
    response.status = errors.form ? 401 : 400
    return page('login', { username, errors })
  })

  app.post('/logout', () => {
    response.deleteCookie(COOKIE, { path: '/' })
    redirect('/login')
  })

  app.get('/', { sqlite: true }, (args) => {
    const user = requireUser()
    return page('index', {
      user,
      notes: listNotes(sqlite.db(args), user),
      form: { title: '', body: '' },
      errors: {},
      limits: LIMITS,
    })
  })

  app.post('/notes', { sqlite: true }, async (args) => {
    const user = requireUser()
    const db = sqlite.db(args)
    const title = request.forms.get('title', '')
    const body = request.forms.get('body', '')
    // A file input left empty still sends a part, with no file name and no bytes.
    const sent = request.files.get('attachment')
    const upload = sent && (sent.rawFilename || sent.contentLength) ? sent : undefined
    const errors = validateNote(title, body)
    const uploadError = validateUpload(upload)
    if (uploadError) errors.attachment = uploadError
    if (Object.keys(errors).length) {
      response.status = 400
      return page('index', {
        user,
        notes: listNotes(db, user),
        form: { title, body },
        errors,
        limits: LIMITS,
      })
    }
    const id = insertNote(db, user, title.trim(), body)
    if (upload) {
      const dir = join(uploads, String(id))
      // The id is new in this transaction: anything there is left from a rolled-back note.
      rmSync(dir, { recursive: true, force: true })
      mkdirSync(dir)
      await upload.save(dir)
      db.run('INSERT INTO attachments (note_id, filename, size) VALUES (?, ?, ?)', [
        id,
        upload.filename,
        upload.contentLength,
      ])
    }
    redirect(`/notes/${id}`)
  })

  app.get('/notes/<id:int>', { sqlite: true }, (args) => {
    const user = requireUser()
    const note = findNote(sqlite.db(args), user, args.id)
    if (!note) abort(404, `There is no note ${args.id}.`)
    const attachment = note.attachment ? { filename: note.attachment, size: note.size } : null
    return page('note', { user, note, attachment })
  })

  app.get('/notes/<id:int>/attachment', { sqlite: true }, (args) => {
    const user = requireUser()
    const note = findNote(sqlite.db(args), user, args.id)
    if (!note?.attachment) abort(404, `Note ${args.id} has no attachment.`)
    return staticFile(`${note.id}/${note.attachment}`, uploads, { download: true })
  })

  app.post('/notes/<id:int>/delete', { sqlite: true }, (args) => {
    const user = requireUser()
    const db = sqlite.db(args)
    if (!findNote(db, user, args.id)) abort(404, `There is no note ${args.id}.`)
    db.run('DELETE FROM attachments WHERE note_id = ?', [args.id])
    db.run('DELETE FROM notes WHERE id = ?', [args.id])
    rmSync(join(uploads, String(args.id)), { recursive: true, force: true })
    redirect('/')
  })

  app.get('/api/notes', { sqlite: true }, (args) => listNotes(sqlite.db(args), apiUser()))

  app.get('/api/notes/<id:int>', { sqlite: true }, (args) => {
    const note = findNote(sqlite.db(args), apiUser(), args.id)
    if (!note) abort(404, `There is no note ${args.id}.`)
    return publicNote(note)
  })

  app.post('/api/notes', { sqlite: true }, (args) => {
    const user = apiUser()
    const data = request.json
    if (data === null || typeof data !== 'object' || Array.isArray(data))
      abort(400, 'Send a JSON object with "title" and optionally "body".')
    const { title = '', body = '' } = data as Record<string, unknown>
    if (typeof title !== 'string' || typeof body !== 'string')
      abort(400, '"title" and "body" must be strings.')
    const errors = validateNote(title, body)
    if (Object.keys(errors).length) {
      response.status = 400
      return { errors }
    }
    const db = sqlite.db(args)
    const id = insertNote(db, user, title.trim(), body)
    response.status = 201
    response.setHeader('Location', `/api/notes/${id}`)
    return publicNote(findNote(db, user, id))
  })

  return { app, sqlite, dataDir }
}

// Started as a script (`npm run notes`), not imported by a test.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { app, dataDir } = await makeApp()
  if (!process.env.NOTES_SECRET) {
    console.log('NOTES_SECRET is not set: logins last until the server restarts.')
  }
  console.log(`Data in ${dataDir}; log in as ${process.env.NOTES_USER ?? DEMO_USER.username}.`)
  run(app, { host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 8080) })
}
