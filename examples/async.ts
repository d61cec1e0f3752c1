/**
 * Async handlers: a callback may return a promise, and `request`/`response` keep pointing
 * at the current request across every `await`, because they are bound per request with
 * AsyncLocalStorage. Shown here: awaiting a timer and a fake database, running lookups in
 * parallel with `Promise.all`, streaming an async generator chunk by chunk, and a rejected
 * promise turning into a 500 page. Run with `npx tsx examples/async.ts`, then try:
 *   curl http://127.0.0.1:8080/users/2
 *   curl http://127.0.0.1:8080/dashboard
 *   curl -N http://127.0.0.1:8080/countdown/5
 *   curl -i http://127.0.0.1:8080/fail
 *   curl -i 'http://127.0.0.1:8080/whoami?name=ada'
 */
import { abort, Bottle, request, response, run } from 'bottle-ts'

/** Resolves after `ms` milliseconds. */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

interface User {
  id: number
  name: string
}

// A stand-in for a database client: every call takes a few milliseconds.
const db = {
  users: new Map<number, User>([
    [1, { id: 1, name: 'Ada' }],
    [2, { id: 2, name: 'Grace' }],
  ]),
  async findUser(id: number): Promise<User | undefined> {
    await sleep(10)
    return this.users.get(id)
  },
  async countUsers(): Promise<number> {
    await sleep(100)
    return this.users.size
  },
  async serverTime(): Promise<string> {
    await sleep(80)
    return new Date().toISOString()
  },
}

const app = new Bottle()

app.get('/', () =>
  ['/users/1', '/dashboard', '/countdown/3', '/fail', '/whoami?name=ada'].join('\n')
)

app.get('/users/<id:int>', async ({ id }) => {
  const user = await db.findUser(id)
  return user ?? abort(404, `No user ${id}.`)
})

// Independent lookups run side by side: the answer takes as long as the slowest one.
app.get('/dashboard', async () => {
  const started = performance.now()
  const [count, time, first] = await Promise.all([db.countUsers(), db.serverTime(), db.findUser(1)])
  return {
    users: count,
    time,
    first: first?.name ?? null,
    ms: Math.round(performance.now() - started),
  }
})

// Each yielded chunk is written as soon as it is ready, not after the whole body.
app.get('/countdown/<n:int>', ({ n }) => {
  if (n > 20) abort(400, 'Count down from 20 at most.')
  response.contentType = 'text/plain; charset=utf-8'
  return (async function* () {
    for (let i = n; i > 0; i--) {
      yield `${i}...\n`
      await sleep(50)
    }
    yield 'liftoff!\n'
  })()
})

// A rejected promise is handled like a thrown error: a 500 page, and the server stays up.
app.get('/fail', async () => {
  await sleep(10)
  throw new Error('the fake database went away')
})

// Another request may run during the await; these still read this request's values.
app.get('/whoami', async () => {
  const before = request.query.get('name') ?? 'anonymous'
  await sleep(Math.random() * 30)
  response.setHeader('X-Name', before)
  return { before, after: request.query.get('name') ?? 'anonymous', path: request.path }
})

run(app, { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) })
