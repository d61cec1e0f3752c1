/**
 * The app under soak: normal routes plus the kinds of requests that go wrong in real life.
 * It reports its own RSS, heap, open descriptors and event-loop delay to the parent over
 * IPC every `SOAK_SAMPLE_MS` milliseconds.
 */
import { readdirSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Bottle, abort, request, response, run } from 'bottle-ts'

const app = new Bottle()
app.logError = () => {}
app.get('/', () => 'Hello World!')
app.get('/json', () => ({ message: 'Hello World!', n: Math.random() }))
app.get('/user/<id:int>', ({ id }) => `user ${id}`)
app.post('/echo', () => request.json)
app.post('/form', () => ({ fields: [...request.forms.keys()].length }))
app.get('/cookie', () => {
  response.setCookie('s', { n: 1 }, { secret: 'soak-secret' })
  return String(request.getCookie('s', { secret: 'soak-secret', default: null }))
})
app.get('/stream', function* () {
  for (let i = 0; i < 10; i++) yield `chunk ${i}\n`
})
app.get('/throw', () => {
  throw new Error('handler storm')
})
app.get('/abort', () => abort(403, 'no'))

const handle = run(app, { port: 0, host: '127.0.0.1', quiet: true, handleSignals: true })
const address = await handle.ready
const histogram = monitorEventLoopDelay({ resolution: 10 })
histogram.enable()
const every = Number(process.env.SOAK_SAMPLE_MS ?? 5000)
const sample = () => {
  // Heap after a full GC is live data only: the figure a leak moves (the runner starts
  // this process with --expose-gc).
  globalThis.gc?.()
  const mem = process.memoryUsage()
  process.send?.({
    type: 'sample',
    rss: mem.rss,
    heap: mem.heapUsed,
    fds: readdirSync('/proc/self/fd').length,
    loopP99: histogram.percentile(99) / 1e6,
  })
  histogram.reset()
}
setInterval(sample, every).unref()
process.on('message', (msg) => {
  if (msg === 'sample') sample()
})
process.send?.({ type: 'ready', port: typeof address === 'string' ? 0 : address.port })
