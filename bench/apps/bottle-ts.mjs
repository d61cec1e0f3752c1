/**
 * bottle-ts serving the six scenarios as a user would write them, imported from the built
 * package (dist/) by name. The template page uses bottle-ts's own `template()` with
 * SimpleTemplate files (layout via rebase, include) and the static file uses `staticFile`;
 * while either is missing from the build, a plain fallback serves the scenario and the
 * readiness line says so, so the runner can mark the row.
 */
import { createReadStream, statSync } from 'node:fs'
import { join } from 'node:path'
import * as bottle from 'bottle-ts'
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
const { Bottle, request, response, run } = bottle
const notes = []
const app = new Bottle()

app.get('/', () => 'Hello World!')
app.get('/json', () => ({ message: 'Hello World!' }))
FILLER.forEach((name, i) => app.get(`/${name}/<id>`, ({ id }) => `item${i} ${id}`))
app.get('/user/<id>', ({ id }) => `user ${id}`)
app.post('/echo', () => request.json)

function templatePage() {
  if (typeof bottle.template !== 'function') return null
  const dir = join(VIEWS_DIR, 'bottle-ts')
  if (Array.isArray(bottle.TEMPLATE_PATH)) bottle.TEMPLATE_PATH.unshift(dir)
  const render = () => bottle.template('page', { title: PAGE_TITLE, rows: ROWS })
  try {
    const out = render()
    if (typeof out !== 'string' || !out.includes('<tr>')) throw new Error('no rows rendered')
  } catch (err) {
    notes.push(`template() unusable (${err instanceof Error ? err.message : String(err)})`)
    return null
  }
  return render
}

const escape = bottle.htmlEscape ?? ((s) => String(s))
const fallbackPage = () => {
  let rows = ''
  for (const row of ROWS)
    rows += `<tr><td>${escape(String(row.id))}</td><td>${escape(row.name)}</td><td>${escape(row.price)}</td></tr>\n`
  const title = escape(PAGE_TITLE)
  return `<!DOCTYPE html>\n<html><head><title>${title}</title></head>\n<body>\n<header><h1>${title}</h1></header>\n<table>\n${rows}</table>\n</body></html>\n`
}
const page = templatePage()
if (!page) notes.push('page: fallback string building (no bottle-ts template engine)')
app.get('/page', page ?? fallbackPage)

const staticRoot = join(PUBLIC_DIR, 'static')
if (typeof bottle.staticFile === 'function') {
  app.get('/static/<filename:path>', ({ filename }) => bottle.staticFile(filename, staticRoot))
} else {
  notes.push('static: fallback read stream (no staticFile)')
  app.get('/static/<filename:path>', ({ filename }) => {
    const file = join(staticRoot, filename)
    const st = statSync(file)
    response.contentType = 'application/octet-stream'
    response.setHeader('Content-Length', String(st.size))
    response.setHeader('Last-Modified', st.mtime.toUTCString())
    return createReadStream(file)
  })
}

const handle = run(app, { host: '127.0.0.1', port: port(), quiet: true, handleSignals: false })
const address = await handle.ready
ready(typeof address === 'string' ? port() : address.port, notes)
exitOnSignal(() => handle.close())
