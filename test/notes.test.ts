/**
 * The notes example: its `sqlite` plugin (one transaction per route that asks, committed
 * on success and on redirects, rolled back on errors, persisted after each commit) and
 * the app's pages, forms, cookies, attachments and JSON API, through the TestClient and,
 * for the API, over a real socket as well.
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { abort, Bottle, HTTPError, HTTPResponse, redirect } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import { COOKIE, DEMO_USER, LIMITS, makeApp, type Note } from '../examples/notes/app.js'
import { SQLitePlugin } from '../examples/notes/sqlite.js'
import { describeMatrix } from './_helpers.js'

const SCHEMA = 'CREATE TABLE IF NOT EXISTS t (v TEXT NOT NULL)'

let dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bottle-ts-notes-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  dirs = []
})

/** The values of table `t`, read in a transaction of their own. */
function values(plugin: SQLitePlugin): Promise<string[]> {
  return plugin.transaction((db) => {
    const [result] = db.exec('SELECT v FROM t ORDER BY rowid')
    return (result?.values ?? []).map((row) => String(row[0]))
  })
}

describe('sqlite plugin', () => {
  let file: string
  let plugin: SQLitePlugin
  let app: Bottle
  let client: TestClient
  let logged: string[]

  beforeEach(async () => {
    file = join(tempDir(), 'test.sqlite')
    plugin = await SQLitePlugin.open(file, { schema: SCHEMA })
    app = new Bottle()
    app.install(plugin)
    logged = []
    app.logError = (err) => logged.push(err instanceof Error ? err.message : String(err))
    client = new TestClient(app)
  })
  afterEach(() => app.close())

  const insert = (args: object, v: string): void => {
    plugin.db(args).run('INSERT INTO t (v) VALUES (?)', [v])
  }

  it('commits what a successful callback wrote and writes it to the file', async () => {
    app.post('/', { sqlite: true }, (args) => {
      insert(args, 'kept')
      return 'ok'
    })
    const res = await client.post('/')
    expect(res.status).toBe(200)
    expect(await values(plugin)).toEqual(['kept'])
    const reopened = await SQLitePlugin.open(file)
    expect(await values(reopened)).toEqual(['kept'])
    reopened.close()
  })

  it('commits the writes of an async callback after its promise resolves', async () => {
    app.post('/', { sqlite: true }, async (args) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      insert(args, 'later')
      return 'ok'
    })
    expect((await client.post('/')).status).toBe(200)
    expect(await values(plugin)).toEqual(['later'])
  })

  it('rolls back when the callback throws, and leaves the file as it was', async () => {
    app.post('/', { sqlite: true }, (args) => {
      insert(args, 'lost')
      throw new Error('boom')
    })
    const before = readFileSync(file)
    const res = await client.post('/')
    expect(res.status).toBe(500)
    expect(logged).toEqual(['boom'])
    expect(await values(plugin)).toEqual([])
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it('rolls back when an async callback rejects', async () => {
    app.post('/', { sqlite: true }, async (args) => {
      insert(args, 'lost')
      await Promise.resolve()
      throw new Error('late boom')
    })
    expect((await client.post('/')).status).toBe(500)
    expect(logged).toEqual(['late boom'])
    expect(await values(plugin)).toEqual([])
  })

  it('rolls back on abort() and on a returned HTTPError', async () => {
    app.post('/abort', { sqlite: true }, (args) => {
      insert(args, 'aborted')
      abort(409, 'conflict')
    })
    app.post('/returned', { sqlite: true }, (args) => {
      insert(args, 'returned')
      return new HTTPError(422, 'bad')
    })
    expect((await client.post('/abort')).status).toBe(409)
    expect((await client.post('/returned')).status).toBe(422)
    expect(await values(plugin)).toEqual([])
  })

  it('commits on redirect() and on a returned HTTPResponse, which count as success', async () => {
    app.post('/redirect', { sqlite: true }, (args) => {
      insert(args, 'redirected')
      redirect('/done')
    })
    app.post('/response', { sqlite: true }, (args) => {
      insert(args, 'responded')
      return new HTTPResponse('created', 201)
    })
    expect((await client.post('/redirect')).status).toBe(303)
    expect((await client.post('/response')).status).toBe(201)
    expect(await values(plugin)).toEqual(['redirected', 'responded'])
  })

  it('gives no connection to routes that do not ask, or that skip the plugin', async () => {
    const seen: Record<string, boolean> = {}
    app.get('/plain', (args) => {
      seen.plain = 'db' in args
      return 'ok'
    })
    app.get('/skipped', { sqlite: true, skip: ['sqlite'] }, (args) => {
      seen.skipped = 'db' in args
      return 'ok'
    })
    app.get('/asks', { sqlite: true }, (args) => {
      seen.asks = 'db' in args
      return 'ok'
    })
    app.get('/reads', (args) => plugin.db(args).exec('SELECT 1'))
    await client.get('/plain')
    await client.get('/skipped')
    await client.get('/asks')
    expect(seen).toEqual({ plain: false, skipped: false, asks: true })
    // A route that reads the connection without asking for it fails loudly.
    expect((await client.get('/reads')).status).toBe(500)
    expect(logged).toEqual(['No SQLite connection in the route arguments: add { sqlite: true }'])
  })

  it('runs concurrent transactions one after another, so none is lost', async () => {
    app.post('/<v>', { sqlite: true }, async (args) => {
      const db = plugin.db(args)
      const [before] = db.exec('SELECT count(*) FROM t')
      await new Promise((resolve) => setTimeout(resolve, 10))
      // Interleaved transactions would both read the same count here.
      insert(args, `${args.v}:${String(before?.values[0]?.[0])}`)
      return 'ok'
    })
    const results = await Promise.all(['a', 'b', 'c'].map((v) => client.post(`/${v}`)))
    expect(results.map((r) => r.status)).toEqual([200, 200, 200])
    const counts = (await values(plugin)).map((v) => v.split(':')[1]).sort()
    expect(counts).toEqual(['0', '1', '2'])
  })

  it('refuses a route whose wildcard has the connection keyword as its name', async () => {
    app.get('/x/<db>', { sqlite: true }, () => 'never')
    expect((await client.get('/x/1')).status).toBe(500)
    expect(logged).toEqual(['Route /x/<db> has a wildcard named db'])
  })

  it('refuses a second sqlite plugin on the same keyword, allows one on another', async () => {
    const same = await SQLitePlugin.open(null)
    expect(() => app.install(same)).toThrow('Found another sqlite plugin with the keyword db')
    expect(app.plugins.filter((p) => p instanceof SQLitePlugin)).toEqual([plugin])
    const other = await SQLitePlugin.open(null, { keyword: 'other' })
    expect(app.install(other)).toBe(other)
    same.close()
  })

  it('hands the connection under a custom keyword', async () => {
    const custom = await SQLitePlugin.open(null, { keyword: 'conn', schema: SCHEMA })
    const other = new Bottle()
    other.install(custom)
    other.get('/', { sqlite: true }, (args) => ({ conn: 'conn' in args, db: 'db' in args }))
    expect((await new TestClient(other).get('/')).json()).toEqual({ conn: true, db: false })
    other.close()
  })
})

describe('notes app', () => {
  let dataDir: string
  let app: Bottle
  let client: TestClient

  beforeEach(async () => {
    dataDir = tempDir()
    ;({ app } = await makeApp({ dataDir, secret: 'test secret' }))
    client = new TestClient(app)
  })
  afterEach(() => app.close())

  const login = (): Promise<unknown> =>
    client.post('/login', { form: { username: DEMO_USER.username, password: DEMO_USER.password } })

  it('sends visitors without a login to the login form', async () => {
    const res = await client.get('/')
    expect(res.status).toBe(303)
    expect(res.header('location')).toMatch(/\/login$/)
    const form = await client.get('/login')
    expect(form.text()).toContain('<form action="/login" method="post"')
    expect(form.text()).toContain('<link rel="stylesheet" href="/static/notes.css">')
  })

  it('shows an error next to each empty login field', async () => {
    const res = await client.post('/login', { form: { username: '', password: '' } })
    expect(res.status).toBe(400)
    expect(res.text()).toContain('<p class="error" id="username-error">Enter your user name.</p>')
    expect(res.text()).toContain('<p class="error" id="password-error">Enter your password.</p>')
    expect(res.headers['set-cookie']).toBeUndefined()
  })

  it('refuses a wrong password with 401, keeps the name typed and sets no cookie', async () => {
    const res = await client.post('/login', {
      form: { username: 'demo<b>', password: 'wrong' },
    })
    expect(res.status).toBe(401)
    expect(res.text()).toContain('Wrong user name or password.')
    expect(res.text()).toContain('value="demo&lt;b&gt;"')
    expect(res.headers['set-cookie']).toBeUndefined()
  })

  it('logs in with a signed, HttpOnly, SameSite=Lax cookie', async () => {
    const res = await client.post('/login', {
      form: { username: DEMO_USER.username, password: DEMO_USER.password },
    })
    expect(res.status).toBe(303)
    const cookie = String(res.headers['set-cookie'])
    expect(cookie).toMatch(new RegExp(`^${COOKIE}=!`))
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Lax/)
    expect((await client.get('/')).text()).toContain('<span>demo</span>')
  })

  it('treats a tampered or foreign cookie as no login', async () => {
    await login()
    const signed = client.cookies.get(COOKIE)!
    client.cookies.set(
      COOKIE,
      signed.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))
    )
    expect((await client.get('/')).status).toBe(303)
    client.cookies.set(COOKIE, 'demo')
    expect((await client.get('/api/notes')).status).toBe(401)
  })

  it('creates a note with an attachment, lists it and sends the file back', async () => {
    await login()
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13])
    const res = await client.post('/notes', {
      multipart: {
        title: 'Shopping',
        body: 'milk & <eggs>',
        attachment: { filename: '../list.bin', content: bytes },
      },
    })
    expect(res.status).toBe(303)
    const location = res.header('location')!
    expect(location).toMatch(/\/notes\/1$/)
    const index = (await client.get('/')).text()
    expect(index).toContain('<a href="/notes/1">Shopping</a>')
    expect(index).toContain('list.bin')
    const page = (await client.get('/notes/1')).text()
    expect(page).toContain('milk &amp; &lt;eggs&gt;')
    const file = await client.get('/notes/1/attachment')
    expect(file.status).toBe(200)
    expect(file.header('content-disposition')).toBe('attachment; filename="list.bin"')
    expect(file.body.equals(bytes)).toBe(true)
    // Saved under the note's directory with the sanitised name, not the client's path.
    expect(readFileSync(join(dataDir, 'uploads', '1', 'list.bin')).equals(bytes)).toBe(true)
  })

  it('treats an empty file input as no attachment', async () => {
    await login()
    const res = await client.post('/notes', {
      multipart: { title: 'No file', body: '', attachment: { filename: '', content: '' } },
    })
    expect(res.status).toBe(303)
    expect((await client.get('/notes/1/attachment')).status).toBe(404)
  })

  it('shows validation errors beside the fields, keeps the input and stores nothing', async () => {
    await login()
    const res = await client.post('/notes', {
      multipart: { title: '   ', body: 'x'.repeat(LIMITS.body + 1) },
    })
    expect(res.status).toBe(400)
    const html = res.text()
    expect(html).toContain('<p class="error" id="title-error">A title is required.</p>')
    expect(html).toContain(
      `The text is ${LIMITS.body + 1} characters long; at most ${LIMITS.body} are allowed.`
    )
    expect(html).toContain(`>${'x'.repeat(LIMITS.body + 1)}</textarea>`)
    expect((await client.get('/api/notes')).json()).toEqual([])
  })

  it('answers 413 to an attachment over the size limit', async () => {
    await login()
    const res = await client.post('/notes', {
      multipart: {
        title: 'Big',
        attachment: { filename: 'big.bin', content: Buffer.alloc(LIMITS.attachment + 70_000) },
      },
    })
    expect(res.status).toBe(413)
    expect((await client.get('/api/notes')).json()).toEqual([])
  })

  it('deletes a note and its attachment', async () => {
    await login()
    await client.post('/notes', {
      multipart: { title: 'Gone', attachment: { filename: 'a.txt', content: 'a' } },
    })
    expect((await client.post('/notes/1/delete')).status).toBe(303)
    expect((await client.get('/notes/1')).status).toBe(404)
    expect(() => readFileSync(join(dataDir, 'uploads', '1', 'a.txt'))).toThrow(/ENOENT/)
  })

  it('renders a missing note as 404 inside the layout', async () => {
    await login()
    const res = await client.get('/notes/42')
    expect(res.status).toBe(404)
    expect(res.text()).toContain('There is no note 42.')
    expect(res.text()).toContain('<a class="brand" href="/">Notes</a>')
  })

  it('serves the stylesheet as text/css', async () => {
    const res = await client.get('/static/notes.css')
    expect(res.status).toBe(200)
    expect(res.header('content-type')).toBe('text/css; charset=UTF-8')
    expect(res.text()).toContain('.error')
    expect((await client.get('/static/../app.ts')).status).toBeGreaterThanOrEqual(400)
  })

  it('logs out by deleting the cookie', async () => {
    await login()
    const res = await client.post('/logout')
    expect(res.status).toBe(303)
    expect(String(res.headers['set-cookie'])).toMatch(new RegExp(`^${COOKIE}=;.*Max-Age=-?\\d`))
    expect(client.cookies.has(COOKIE)).toBe(false)
    expect((await client.get('/')).status).toBe(303)
  })

  it('keeps notes across a restart on the same data directory', async () => {
    await login()
    await client.post('/api/notes', { json: { title: 'Persisted' } })
    app.close()
    ;({ app } = await makeApp({ dataDir, secret: 'test secret' }))
    const again = new TestClient(app)
    await again.post('/login', {
      form: { username: DEMO_USER.username, password: DEMO_USER.password },
    })
    expect((await again.get('/api/notes')).json<Note[]>().map((n) => n.title)).toEqual([
      'Persisted',
    ])
  })
})

describeMatrix('notes JSON API', (connect) => {
  let app: Bottle

  beforeEach(async () => {
    ;({ app } = await makeApp({ dataDir: tempDir(), secret: 'api secret' }))
  })
  afterEach(() => app.close())

  /** Logs in and returns the Cookie header to send. */
  async function session(): Promise<Record<string, string>> {
    const res = await connect(app).post('/login', {
      form: { username: DEMO_USER.username, password: DEMO_USER.password },
    })
    expect(res.status).toBe(303)
    const [setCookie] = [res.headers['set-cookie']].flat()
    return { cookie: String(setCookie).split(';')[0]! }
  }

  it('answers 401 in JSON without a login', async () => {
    const res = await connect(app).get('/api/notes')
    expect(res.status).toBe(401)
    expect(res.header('content-type')).toBe('application/json')
    expect(res.json()).toEqual({ error: 'Log in first: POST /login sets the session cookie.' })
  })

  it('creates a note with POST and lists it with GET', async () => {
    const headers = await session()
    const created = await connect(app).post('/api/notes', {
      headers,
      json: { title: '  Hello  ', body: 'World' },
    })
    expect(created.status).toBe(201)
    const note = created.json<Note>()
    expect(note).toMatchObject({ id: 1, title: 'Hello', body: 'World', attachment: null })
    expect(created.header('location')).toBe('/api/notes/1')
    const list = await connect(app).get('/api/notes', { headers })
    expect(list.json()).toEqual([note])
    expect((await connect(app).get('/api/notes/1', { headers })).json()).toEqual(note)
  })

  it('names the invalid fields with 400 and stores nothing', async () => {
    const headers = await session()
    const res = await connect(app).post('/api/notes', {
      headers,
      json: { title: 'x'.repeat(LIMITS.title + 1) },
    })
    expect(res.status).toBe(400)
    expect(res.json()).toEqual({
      errors: {
        title: `The title is ${LIMITS.title + 1} characters long; at most ${LIMITS.title} are allowed.`,
      },
    })
    expect((await connect(app).get('/api/notes', { headers })).json()).toEqual([])
  })

  it('refuses a body that is not a JSON object, or fields that are not strings', async () => {
    const headers = await session()
    const array = await connect(app).post('/api/notes', { headers, json: [1, 2] })
    expect(array.status).toBe(400)
    expect(array.json()).toEqual({
      error: 'Send a JSON object with "title" and optionally "body".',
    })
    const typed = await connect(app).post('/api/notes', { headers, json: { title: 5 } })
    expect(typed.status).toBe(400)
    expect(typed.json()).toEqual({ error: '"title" and "body" must be strings.' })
    const broken = await connect(app).post('/api/notes', {
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{"title":',
    })
    expect(broken.status).toBe(400)
    expect(broken.header('content-type')).toBe('application/json')
  })

  it('answers 404 in JSON for a note that does not exist', async () => {
    const headers = await session()
    const res = await connect(app).get('/api/notes/7', { headers })
    expect(res.status).toBe(404)
    expect(res.json()).toEqual({ error: 'There is no note 7.' })
  })
})
