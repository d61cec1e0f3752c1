/**
 * In-process cost of the framework (`node bench/handler.mjs`): nanoseconds per request
 * through `app.handle(req, res)` with Node's own `IncomingMessage` and `ServerResponse`
 * objects but no socket, against the same answers written by a bare handler on the same
 * objects. No network, no load generator, one process: the figures move by a few percent
 * between runs where the socket benchmark moves by twenty, so they show changes of a
 * fraction of a microsecond. What they leave out (the parser, the socket write, and on
 * Node 20 the AsyncLocalStorage work that Node's own async resources trigger) is in
 * `npm run bench`.
 *
 *   node bench/handler.mjs                 # all scenarios, 7 batches each
 *   node bench/handler.mjs --only=json,echo --dist=.tmp/dist/index.js
 *
 * Scenarios: hello (`GET /`), json (`GET /json`), param (`GET /user/<id>` behind 100 dynamic
 * routes), echo (`POST /echo` with a 1 KiB JSON body, read, parsed and sent back).
 */
import { IncomingMessage, ServerResponse } from 'node:http'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split(/=(.*)/s)
    return [k, v ?? true]
  })
)
const dist = args.dist ? resolve(String(args.dist)) : join(ROOT, 'dist', 'index.js')
const { Bottle, request } = await import(pathToFileURL(dist).href)

const ECHO_BODY = Buffer.from(
  JSON.stringify({
    items: Array.from({ length: 12 }, (_, i) => ({
      id: i,
      name: `item ${i}`,
      tags: ['a', 'b'],
      price: i * 1.5,
    })),
  })
)

const app = new Bottle()
app.get('/', () => 'Hello World!')
app.get('/json', () => ({ message: 'Hello World!' }))
for (let i = 0; i < 99; i++) app.get(`/item${i}/<id>`, ({ id }) => `item${i} ${id}`)
app.get('/user/<id>', ({ id }) => `user ${id}`)
app.post('/echo', () => request.json)

function send(res, type, text) {
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

/** A request as Node's parser would hand it over, minus the socket. */
function incoming(method, url, headers) {
  const req = new IncomingMessage(null)
  req.method = method
  req.url = url
  req.headers = { host: 'localhost', 'user-agent': 'bench', ...headers }
  return req
}

function feed(req) {
  req.push(ECHO_BODY)
  req.push(null)
  req.complete = true
}

const echoHeaders = {
  'content-type': 'application/json',
  'content-length': String(ECHO_BODY.length),
}

const SCENARIOS = {
  hello: {
    bottle: () => handle(incoming('GET', '/', {})),
    bare: () =>
      send(respond(incoming('GET', '/', {})), 'text/plain; charset=utf-8', 'Hello World!'),
  },
  json: {
    bottle: () => handle(incoming('GET', '/json', {})),
    bare: () =>
      send(
        respond(incoming('GET', '/json', {})),
        'application/json',
        JSON.stringify({ message: 'Hello World!' })
      ),
  },
  param: {
    bottle: () => handle(incoming('GET', '/user/12345', {})),
    bare: () => {
      const req = incoming('GET', '/user/12345', {})
      const res = new ServerResponse(req)
      const m = /^\/user\/([^/]+)$/.exec(req.url)
      send(res, 'text/plain; charset=utf-8', `user ${m[1]}`)
    },
  },
  echo: {
    async: true,
    bottle: async () => {
      const req = incoming('POST', '/echo', echoHeaders)
      const done = app.handle(req, new ServerResponse(req))
      feed(req)
      await done
    },
    bare: async () => {
      const req = incoming('POST', '/echo', echoHeaders)
      const res = new ServerResponse(req)
      const done = new Promise((resolve) => {
        const chunks = []
        req.on('data', (c) => chunks.push(c))
        req.on('end', () => {
          send(
            res,
            'application/json',
            JSON.stringify(JSON.parse(Buffer.concat(chunks).toString()))
          )
          resolve()
        })
      })
      feed(req)
      await done
    },
  },
}

function respond(req) {
  return new ServerResponse(req)
}

function handle(req) {
  return app.handle(req, new ServerResponse(req))
}

async function measure(fn, isAsync, n) {
  const t = process.hrtime.bigint()
  if (isAsync) for (let i = 0; i < n; i++) await fn()
  else for (let i = 0; i < n; i++) fn()
  return Number(process.hrtime.bigint() - t) / n
}

const only = args.only ? String(args.only).split(',') : Object.keys(SCENARIOS)
const BATCHES = args.quick ? 3 : 7
console.log(`In-process ns per request, median of ${BATCHES} batches · Node ${process.version}`)
console.log('')
console.log('| scenario | bare handler | bottle-ts | bottle-ts overhead |')
console.log('| --- | ---: | ---: | ---: |')
for (const name of only) {
  const s = SCENARIOS[name]
  if (!s) throw new Error(`unknown scenario ${name}: ${Object.keys(SCENARIOS).join(', ')}`)
  const n = s.async ? 20_000 : 100_000
  const out = {}
  for (const kind of ['bare', 'bottle']) {
    await measure(s[kind], s.async, n) // warm-up
    const times = []
    for (let b = 0; b < BATCHES; b++) times.push(await measure(s[kind], s.async, n))
    times.sort((a, b) => a - b)
    out[kind] = times[Math.floor(times.length / 2)]
  }
  const extra = out.bottle - out.bare
  console.log(
    `| ${name} | ${out.bare.toFixed(0)} | ${out.bottle.toFixed(0)} | ${extra.toFixed(0)} ns (${(out.bottle / out.bare).toFixed(2)}x) |`
  )
}
