/**
 * Production: the cluster adapter runs one worker per core, re-forks a worker that dies,
 * reloads workers one by one on SIGHUP (`kill -HUP <pid>`) and shuts down gracefully on
 * SIGTERM. Behind nginx, bind a Unix socket instead: `BIND=unix:/run/app/app.sock`.
 * See docs/deployment.md.
 *
 *   npx tsx examples/production.ts
 */
import { Bottle, request, response, run } from 'bottle-ts'

const app = new Bottle()

app.get('/', () => 'Hello from a cluster worker!')

app.get('/health', () => {
  response.setHeader('Cache-Control', 'no-store')
  return { ok: true, pid: process.pid, uptime: Math.round(process.uptime()) }
})

app.get('/hello/<name>', ({ name }) => `Hello ${name}! (${request.remoteAddr ?? 'unknown'})`)

const bind = process.env.BIND ?? `127.0.0.1:${process.env.PORT ?? 8080}`
const colon = bind.lastIndexOf(':')

run(app, {
  server: 'cluster',
  // One worker per core by default; WORKERS overrides it.
  ...(process.env.WORKERS ? { workers: Number(process.env.WORKERS) } : {}),
  ...(bind.startsWith('unix:')
    ? { host: bind, socketMode: 0o660 }
    : { host: bind.slice(0, colon), port: Number(bind.slice(colon + 1)) }),
  // In-flight requests get this long on SIGTERM or a rolling reload.
  gracePeriod: 10_000,
  // Against slow clients; raise requestTimeout for large uploads over slow links.
  headersTimeout: 10_000,
  requestTimeout: 60_000,
  keepAliveTimeout: 5_000,
})
