// Plugins: a timing plugin installed for every route, skipped on one of them.
// Run: npx tsx examples/plugins.ts, then: curl -i http://127.0.0.1:8080/
import { Bottle, response, run, type Callback, type Plugin, type Route } from 'bottle-ts'

/** Adds a Server-Timing header with the time each callback took. */
class TimingPlugin implements Plugin {
  readonly name = 'timing'
  readonly api = 2

  apply(callback: Callback, route: Route): Callback {
    const label = route.name ?? route.rule
    return async (args) => {
      const start = performance.now()
      try {
        return await callback(args)
      } finally {
        const ms = (performance.now() - start).toFixed(2)
        response.setHeader('Server-Timing', `app;desc="${label}";dur=${ms}`)
      }
    }
  }
}

const app = new Bottle()
app.install(new TimingPlugin())

app.get('/', () => 'Timed: see the Server-Timing header')
app.get('/slow', async () => {
  await new Promise((resolve) => setTimeout(resolve, 50))
  return { slow: true }
})
// Per-route skip, by name:
app.get('/health', { skip: ['timing'] }, () => 'ok')

run(app, { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) })
