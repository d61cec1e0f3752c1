import { Bottle, request, run } from 'bottle-ts'

const app = new Bottle()

app.get('/', () => 'Hello World!')

app.get('/hello/<name>', ({ name }) => `Hello ${name}!`)

app.get('/json', () => ({
  message: 'Hello World!',
  agent: request.getHeader('user-agent') ?? null,
}))

run(app, { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) })
