/**
 * Express 5 serving the six scenarios the usual way: express.json(), EJS views through
 * res.render (the layout is a second render with the page as `body`, since EJS has no
 * layouts of its own) and express.static.
 */
import express from 'express'
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
const app = express()
app.set('views', join(VIEWS_DIR, 'ejs'))
app.set('view engine', 'ejs')
app.set('view cache', true)

app.get('/', (req, res) => res.send('Hello World!'))
app.get('/json', (req, res) => res.json({ message: 'Hello World!' }))
FILLER.forEach((name, i) =>
  app.get(`/${name}/:id`, (req, res) => res.send(`item${i} ${req.params.id}`))
)
app.get('/user/:id', (req, res) => res.send(`user ${req.params.id}`))
app.post('/echo', express.json(), (req, res) => res.json(req.body))
app.get('/page', (req, res, next) => {
  const data = { title: PAGE_TITLE, rows: ROWS }
  res.render('page', data, (err, body) => {
    if (err) return next(err)
    res.render('layout', { ...data, body })
  })
})
app.use('/static', express.static(join(PUBLIC_DIR, 'static')))

const server = app.listen(port(), '127.0.0.1', () => ready(server.address().port))
exitOnSignal(() => new Promise((r) => server.close(r)))
