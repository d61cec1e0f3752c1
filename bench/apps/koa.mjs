/**
 * Koa 3 with @koa/router serving the six scenarios the usual way: @koa/bodyparser,
 * @koa/ejs (layout setting) and koa-static (deferred, so only unrouted requests stat the
 * disk).
 */
import { bodyParser } from '@koa/bodyparser'
import render from '@koa/ejs'
import { Router } from '@koa/router'
import Koa from 'koa'
import serve from 'koa-static'
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
const app = new Koa()
render(app, { root: join(VIEWS_DIR, 'ejs'), layout: 'layout', viewExt: 'ejs', cache: true })
const router = new Router()

router.get('/', (ctx) => {
  ctx.body = 'Hello World!'
})
router.get('/json', (ctx) => {
  ctx.body = { message: 'Hello World!' }
})
FILLER.forEach((name, i) =>
  router.get(`/${name}/:id`, (ctx) => {
    ctx.body = `item${i} ${ctx.params.id}`
  })
)
router.get('/user/:id', (ctx) => {
  ctx.body = `user ${ctx.params.id}`
})
router.post('/echo', bodyParser(), (ctx) => {
  ctx.body = ctx.request.body
})
router.get('/page', async (ctx) => {
  await ctx.render('page', { title: PAGE_TITLE, rows: ROWS })
})

app.use(router.routes()).use(router.allowedMethods())
app.use(serve(PUBLIC_DIR, { defer: true }))

const server = app.listen(port(), '127.0.0.1', () => ready(server.address().port))
exitOnSignal(() => new Promise((r) => server.close(r)))
