/**
 * Hono 4 on @hono/node-server serving the six scenarios: c.req.json(), Hono's `html`
 * tagged template (escaping interpolations; layout and include as functions, which is what
 * Hono offers without a JSX build step) and serveStatic from @hono/node-server.
 */
import { serve } from '@hono/node-server'
import { serveStatic } from '@hono/node-server/serve-static'
import { Hono } from 'hono'
import { html } from 'hono/html'
import {
  FILLER,
  PAGE_TITLE,
  PUBLIC_DIR,
  ROWS,
  ensureStaticFile,
  exitOnSignal,
  port,
  ready,
} from './common.mjs'

ensureStaticFile()

const header = (title) => html`<header><h1>${title}</h1></header>`
const layout = (title, body) =>
  html`<!DOCTYPE html>
    <html>
      <head>
        <title>${title}</title>
      </head>
      <body>
        ${body}
      </body>
    </html> `
const page = (title, rows) =>
  layout(
    title,
    html`${header(title)}
      <table>
        ${rows.map(
          (row) =>
            html`<tr>
              <td>${row.id}</td>
              <td>${row.name}</td>
              <td>${row.price}</td>
            </tr> `
        )}
      </table>`
  )

const app = new Hono()
app.get('/', (c) => c.text('Hello World!'))
app.get('/json', (c) => c.json({ message: 'Hello World!' }))
FILLER.forEach((name, i) => app.get(`/${name}/:id`, (c) => c.text(`item${i} ${c.req.param('id')}`)))
app.get('/user/:id', (c) => c.text(`user ${c.req.param('id')}`))
app.post('/echo', async (c) => c.json(await c.req.json()))
app.get('/page', (c) => c.html(page(PAGE_TITLE, ROWS)))
app.use('/static/*', serveStatic({ root: PUBLIC_DIR }))

const server = serve({ fetch: app.fetch, port: port(), hostname: '127.0.0.1' }, (info) =>
  ready(info.port)
)
exitOnSignal(() => new Promise((r) => server.close(r)))
