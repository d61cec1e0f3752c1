// Observability: an access log with request ids and Prometheus metrics, both shipped with
// bottle-ts. Run: npx tsx examples/observability.ts, then try:
//   curl -i http://127.0.0.1:8080/hello/world          (see X-Request-Id; a log line on stderr)
//   curl -i -H 'X-Request-Id: abc-123' http://127.0.0.1:8080/slow
//   curl -i http://127.0.0.1:8080/missing               (logged and counted as (unmatched))
//   curl http://127.0.0.1:8080/metrics                  (allowed from localhost only)
import { abort, Bottle, Metrics, request, RequestLogger, run } from 'bottle-ts'

const app = new Bottle()

// Installed first, so it guards /metrics before the Metrics plugin answers it.
app.hook('before_request')(() => {
  const local = request.remoteAddr === '127.0.0.1' || request.remoteAddr === '::1'
  if (request.path === '/metrics' && !local) abort(403, 'Metrics are internal.')
})

const logger = app.install(new RequestLogger({ format: 'json', slowMs: 200 }))
app.install(new Metrics({ path: '/metrics', buckets: [0.01, 0.05, 0.1, 0.5, 1] }))

app.get('/hello/<name>', ({ name }) => `Hello ${name}! (request ${logger.requestId()})`)
app.get('/slow', async () => {
  await new Promise((resolve) => setTimeout(resolve, 300))
  return { slow: true }
})
app.get('/boom', () => {
  throw new Error('this becomes a 500, logged and counted as 5xx')
})

run(app, { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) })
