/**
 * Fastify 5 serving the six scenarios the way its documentation does: the built-in JSON
 * body parser, @fastify/view with EJS (layout option) and @fastify/static.
 */
import fastifyStatic from '@fastify/static'
import fastifyView from '@fastify/view'
import ejs from 'ejs'
import Fastify from 'fastify'
import { join } from 'node:path'
import {
  FILLER,
  PAGE_TITLE,
  PUBLIC_DIR,
  ROWS,
  VIEWS_DIR,
  ensureStaticFile,
  exitOnSignal,
  port,
  ready,
} from './common.mjs'

ensureStaticFile()
const app = Fastify({ logger: false })
await app.register(fastifyView, {
  engine: { ejs },
  root: join(VIEWS_DIR, 'ejs'),
  layout: 'layout.ejs',
  production: true,
})
await app.register(fastifyStatic, { root: join(PUBLIC_DIR, 'static'), prefix: '/static/' })

app.get('/', () => 'Hello World!')
app.get('/json', () => ({ message: 'Hello World!' }))
FILLER.forEach((name, i) => app.get(`/${name}/:id`, (req) => `item${i} ${req.params.id}`))
app.get('/user/:id', (req) => `user ${req.params.id}`)
app.post('/echo', (req) => req.body)
app.get('/page', (req, reply) => reply.view('page.ejs', { title: PAGE_TITLE, rows: ROWS }))

await app.listen({ port: port(), host: '127.0.0.1' })
ready(app.server.address().port)
exitOnSignal(() => app.close())
