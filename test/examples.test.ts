/**
 * Every runnable file in examples/ is started the way a user starts it (`node --import tsx
 * examples/<file>.ts`, with PORT set to a free port), asked for a few representative URLs
 * over a real socket, and stopped with SIGTERM, which must end the process cleanly. Two
 * examples run at a time so the file stays quick on a small machine; every child process
 * is killed even when a check fails.
 * @module
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it, type ExpectStatic } from 'vitest'
import {
  cleanup,
  fetchText,
  freePort,
  ROOT,
  signal,
  startNode,
  tempDir,
  type Proc,
  type Reply,
  untilAnswering,
} from './fixtures/apps/process.js'

afterAll(cleanup)

const EXAMPLES = join(ROOT, 'examples')

/** What one example needs and what it must answer. */
interface Example {
  /** Path under examples/. */
  file: string
  /** Extra environment for the process. */
  env?: () => Record<string, string>
  /** Requests against `base` (`http://127.0.0.1:<port>`) with their assertions. */
  check: (base: string, expect: ExpectStatic) => Promise<void>
}

/** `name=value` of the first Set-Cookie header, for sending it back. */
function cookieOf(res: Reply): string {
  const header = res.headers['set-cookie']?.[0] ?? ''
  return header.split(';')[0] ?? ''
}

/** A multipart/form-data body with text fields and one file. */
function multipart(
  fields: Record<string, string>,
  file: { name: string; filename: string; content: string }
): { body: string; type: string } {
  const boundary = '----bottle-ts-example-boundary'
  const parts = Object.entries(fields).map(
    ([name, value]) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
  )
  parts.push(
    `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\n` +
      `Content-Type: text/plain\r\n\r\n${file.content}\r\n`
  )
  return {
    body: `${parts.join('')}--${boundary}--\r\n`,
    type: `multipart/form-data; boundary=${boundary}`,
  }
}

const form = (data: Record<string, string>): string => new URLSearchParams(data).toString()
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' }

const CASES: Example[] = [
  {
    file: 'hello.ts',
    async check(base, expect) {
      const root = await fetchText(`${base}/`)
      expect(root.status).toBe(200)
      expect(root.body).toBe('Hello World!')
      const json = await fetchText(`${base}/json`, { headers: { 'User-Agent': 'examples-test' } })
      expect(json.headers['content-type']).toMatch(/^application\/json/)
      expect(JSON.parse(json.body)).toEqual({ message: 'Hello World!', agent: 'examples-test' })
    },
  },
  {
    file: 'routing.ts',
    async check(base, expect) {
      const obj = await fetchText(`${base}/object/41`)
      expect(obj.status).toBe(200)
      expect(JSON.parse(obj.body)).toEqual({ id: 41, next: 42 })
      expect((await fetchText(`${base}/object/abc`)).status).toBe(404)
      const moved = await fetchText(`${base}/moved`)
      expect(moved.status).toBe(303)
      expect(moved.headers.location).toMatch(/\/sum\/1,2,3$/)
      expect((await fetchText(`${base}/sum/1,2,3`)).body).toBe('1 + 2 + 3 = 6')
    },
  },
  {
    file: 'plugins.ts',
    async check(base, expect) {
      const root = await fetchText(`${base}/`)
      expect(root.status).toBe(200)
      expect(root.headers['server-timing']).toMatch(/^app;desc="\/";dur=\d+\.\d\d$/)
      const health = await fetchText(`${base}/health`)
      expect(health.body).toBe('ok')
      expect(health.headers['server-timing']).toBeUndefined()
    },
  },
  {
    file: 'mount.ts',
    async check(base, expect) {
      const post = await fetchText(`${base}/blog/post/7`)
      expect(post.status).toBe(200)
      expect(JSON.parse(post.body)).toEqual({ id: 7, url: '/blog/post/7' })
      expect(post.headers['x-served-by']).toBe('bottle-ts')
      const shop = await fetchText(`${base}/shop/items`)
      expect(shop.status).toBe(200)
      expect(JSON.parse(shop.body)).toEqual([{ id: 1, name: 'teapot' }])
      const missing = await fetchText(`${base}/blog/nope`)
      expect(missing.status).toBe(404)
      expect(missing.body).toBe('No such blog page')
    },
  },
  {
    file: 'controllers.ts',
    async check(base, expect) {
      const user = await fetchText(`${base}/users/1`)
      expect(user.status).toBe(200)
      expect(user.body).toBe('Ada')
      const created = await fetchText(`${base}/users/`, {
        method: 'POST',
        headers: FORM,
        body: form({ name: 'Grace' }),
      })
      expect(JSON.parse(created.body)).toEqual({ id: 2 })
      expect((await fetchText(`${base}/users/2`)).body).toBe('Grace')
      const missing = await fetchText(`${base}/users/99`)
      expect(missing.status).toBe(404)
      expect(missing.body).toContain('No user 99')
    },
  },
  {
    file: 'templates.ts',
    async check(base, expect) {
      const home = await fetchText(`${base}/?name=%3Cb%3EAda%3C/b%3E`)
      expect(home.status).toBe(200)
      expect(home.body).toContain('<h1>Hello &lt;b&gt;Ada&lt;/b&gt;!</h1>')
      const todo = await fetchText(`${base}/todo`)
      expect(todo.status).toBe(200)
      expect(todo.body).toContain('Write &lt;tests&gt;')
      expect((await fetchText(`${base}/inline/bottle`)).body).toBe('<p>bottle has 6 letters</p>')
    },
  },
  {
    file: 'static-files.ts',
    async check(base, expect) {
      const page = await fetchText(`${base}/static/index.html`)
      expect(page.status).toBe(200)
      expect(page.headers['cache-control']).toBe('public, max-age=3600')
      expect(page.body).toContain('<h1>Static files</h1>')
      const range = await fetchText(`${base}/static/index.html`, {
        headers: { Range: 'bytes=0-9' },
      })
      expect(range.status).toBe(206)
      expect(range.body).toBe(page.body.slice(0, 10))
      const download = await fetchText(`${base}/download/report.txt`)
      expect(download.status).toBe(200)
      expect(download.headers['content-disposition']).toContain('bottle-ts-report.txt')
      expect(download.body).toContain('Quarterly report')
      expect((await fetchText(`${base}/static/../package.json`)).status).not.toBe(200)
    },
  },
  {
    file: 'upload.ts',
    env: () => ({ UPLOAD_DIR: tempDir('bottle-ts-examples-upload-') }),
    async check(base, expect) {
      expect((await fetchText(`${base}/`)).body).toContain('enctype="multipart/form-data"')
      const good = multipart(
        { category: 'notes' },
        { name: 'upload', filename: 'hello.txt', content: 'hello upload' }
      )
      const saved = await fetchText(`${base}/upload`, {
        method: 'POST',
        headers: { 'Content-Type': good.type },
        body: good.body,
      })
      expect(saved.status).toBe(200)
      expect(saved.body).toBe('Saved hello.txt (12 bytes) in category notes.')
      const again = await fetchText(`${base}/upload`, {
        method: 'POST',
        headers: { 'Content-Type': good.type },
        body: good.body,
      })
      expect(again.status).toBe(409)
      const bad = multipart({}, { name: 'upload', filename: 'run.sh', content: 'echo' })
      const refused = await fetchText(`${base}/upload`, {
        method: 'POST',
        headers: { 'Content-Type': bad.type },
        body: bad.body,
      })
      expect(refused.status).toBe(400)
      expect(refused.body).toContain('File extension not allowed.')
    },
  },
  {
    file: 'login.ts',
    async check(base, expect) {
      const wrong = await fetchText(`${base}/login`, {
        method: 'POST',
        headers: FORM,
        body: form({ username: 'admin', password: 'nope' }),
      })
      expect(wrong.status).toBe(401)
      const ok = await fetchText(`${base}/login`, {
        method: 'POST',
        headers: FORM,
        body: form({ username: 'admin', password: 'hunter2' }),
      })
      expect(ok.status).toBe(303)
      expect(ok.headers.location).toMatch(/\/restricted$/)
      const cookie = cookieOf(ok)
      expect(cookie).toMatch(/^account=/)
      const inside = await fetchText(`${base}/restricted`, { headers: { Cookie: cookie } })
      expect(inside.status).toBe(200)
      expect(inside.body).toContain('Welcome back, admin.')
      const outside = await fetchText(`${base}/restricted`)
      expect(outside.status).toBe(303)
    },
  },
  {
    file: 'observability.ts',
    async check(base, expect) {
      const hello = await fetchText(`${base}/hello/world`, {
        headers: { 'X-Request-Id': 'examples-test-1' },
      })
      expect(hello.status).toBe(200)
      expect(hello.headers['x-request-id']).toBe('examples-test-1')
      expect(hello.body).toBe('Hello world! (request examples-test-1)')
      expect((await fetchText(`${base}/boom`)).status).toBe(500)
      const metrics = await fetchText(`${base}/metrics`)
      expect(metrics.status).toBe(200)
      expect(metrics.body).toContain('# TYPE http_requests_total counter')
      expect(metrics.body).toMatch(/http_requests_total\{[^}]*5xx[^}]*\} 1/)
    },
  },
  {
    file: 'async.ts',
    async check(base, expect) {
      const user = await fetchText(`${base}/users/2`)
      expect(JSON.parse(user.body)).toEqual({ id: 2, name: 'Grace' })
      expect((await fetchText(`${base}/users/9`)).status).toBe(404)
      const dash = JSON.parse((await fetchText(`${base}/dashboard`)).body) as Record<
        string,
        unknown
      >
      expect(dash).toMatchObject({ users: 2, first: 'Ada' })
      // Parallel: close to the slowest lookup (100 ms), not the sum of all three (190 ms).
      expect(dash.ms).toBeGreaterThanOrEqual(99)
      expect(dash.ms).toBeLessThan(190)
      const countdown = await fetchText(`${base}/countdown/3`)
      expect(countdown.status).toBe(200)
      expect(countdown.headers['transfer-encoding']).toBe('chunked')
      expect(countdown.body).toBe('3...\n2...\n1...\nliftoff!\n')
      const fail = await fetchText(`${base}/fail`)
      expect(fail.status).toBe(500)
      expect(fail.body).toContain('Internal Server Error')
      // Interleaved requests each see their own request after the await.
      const names = ['ada', 'grace', 'linus', 'barbara', 'ken']
      const replies = await Promise.all(names.map((n) => fetchText(`${base}/whoami?name=${n}`)))
      for (const [i, reply] of replies.entries()) {
        expect(reply.headers['x-name']).toBe(names[i])
        expect(JSON.parse(reply.body)).toEqual({
          before: names[i],
          after: names[i],
          path: '/whoami',
        })
      }
    },
  },
  {
    file: 'production.ts',
    env: () => ({ WORKERS: '2' }),
    async check(base, expect) {
      const health = await fetchText(`${base}/health`)
      expect(health.status).toBe(200)
      expect(health.headers['cache-control']).toBe('no-store')
      expect(JSON.parse(health.body)).toMatchObject({ ok: true })
      expect((await fetchText(`${base}/hello/you`)).body).toBe('Hello you! (127.0.0.1)')
    },
  },
  {
    file: 'notes/app.ts',
    env: () => ({ NOTES_DATA: tempDir('bottle-ts-examples-notes-'), NOTES_SECRET: 'test secret' }),
    async check(base, expect) {
      const anonymous = await fetchText(`${base}/api/notes`)
      expect(anonymous.status).toBe(401)
      expect(JSON.parse(anonymous.body)).toEqual({
        error: 'Log in first: POST /login sets the session cookie.',
      })
      const login = await fetchText(`${base}/login`, {
        method: 'POST',
        headers: FORM,
        body: form({ username: 'demo', password: 'notes-demo' }),
      })
      expect(login.status).toBe(303)
      const cookie = cookieOf(login)
      const created = await fetchText(`${base}/api/notes`, {
        method: 'POST',
        headers: { Cookie: cookie, 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: 'From the examples test', body: 'hi' }),
      })
      expect(created.status).toBe(201)
      const home = await fetchText(`${base}/`, { headers: { Cookie: cookie } })
      expect(home.status).toBe(200)
      expect(home.body).toContain('From the examples test')
    },
  },
]

// Two processes at a time: each one compiles its example with tsx on start.
let free = 2
const waiting: (() => void)[] = []
async function acquire(): Promise<void> {
  if (free > 0) {
    free--
    return
  }
  await new Promise<void>((resolve) => waiting.push(resolve))
}
function release(): void {
  const next = waiting.shift()
  if (next) next()
  else free++
}

/** Resolves with `promise`, or rejects after `ms` naming what did not happen. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

async function runExample(example: Example, expect: ExpectStatic): Promise<void> {
  await acquire()
  let proc: Proc | undefined
  try {
    const port = await freePort()
    proc = startNode(join(EXAMPLES, example.file), [], {
      env: { ...process.env, PORT: String(port), ...example.env?.() },
    })
    const base = `http://127.0.0.1:${port}`
    await untilAnswering(proc, `${base}/`)
    await example.check(base, expect)
    signal(proc, 'SIGTERM')
    const exit = await within(proc.exited, 15_000, 'no exit after SIGTERM')
    expect(exit).toEqual({ code: 0, signal: null })
    expect(proc.stdout + proc.stderr).toContain('Shutting down (SIGTERM)')
  } finally {
    // On failure, the whole process group goes (the cluster example has workers).
    const child = proc?.child
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        child.kill('SIGKILL')
      }
    }
    release()
  }
}

describe('examples', { timeout: 60_000 }, () => {
  it('covers every runnable file in examples/', () => {
    const runnable = readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts'))
    const covered = CASES.map((c) => c.file)
    for (const file of [...runnable, 'notes/app.ts']) expect(covered).toContain(file)
  })

  for (const example of CASES) {
    it.concurrent(`examples/${example.file} serves on PORT and stops on SIGTERM`, ({ expect }) =>
      runExample(example, expect)
    )
  }
})
