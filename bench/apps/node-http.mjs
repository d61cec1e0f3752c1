/**
 * The ceiling: the same six scenarios written straight against node:http, with no router
 * (a prefix check stands in for the 100 dynamic routes), no template engine (string
 * building with the same escaping) and a plain stat + read stream for the static file.
 */
import { createReadStream, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import {
  PAGE_TITLE,
  PUBLIC_DIR,
  ROWS,
  ensureStaticFile,
  escapeHtml,
  exitOnSignal,
  port,
  ready,
} from './common.mjs'

ensureStaticFile()

function page(title, rows) {
  let body = `<header><h1>${escapeHtml(title)}</h1></header>\n<table>\n`
  for (const row of rows) {
    body += `<tr><td>${escapeHtml(row.id)}</td><td>${escapeHtml(row.name)}</td><td>${escapeHtml(row.price)}</td></tr>\n`
  }
  body += '</table>\n'
  return `<!DOCTYPE html>\n<html><head><title>${escapeHtml(title)}</title></head>\n<body>\n${body}</body></html>\n`
}

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

const server = createServer((req, res) => {
  const url = req.url
  if (req.method === 'GET') {
    if (url === '/') return send(res, 200, 'text/plain; charset=utf-8', 'Hello World!')
    if (url === '/json')
      return send(res, 200, 'application/json', JSON.stringify({ message: 'Hello World!' }))
    if (url.startsWith('/user/') && url.indexOf('/', 6) === -1)
      return send(res, 200, 'text/plain; charset=utf-8', `user ${url.slice(6)}`)
    if (url === '/page') return send(res, 200, 'text/html; charset=utf-8', page(PAGE_TITLE, ROWS))
    if (url.startsWith('/static/') && !url.includes('..')) {
      const file = join(PUBLIC_DIR, url)
      let st
      try {
        st = statSync(file)
      } catch {
        return send(res, 404, 'text/plain', 'Not Found')
      }
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': st.size,
        'Last-Modified': st.mtime.toUTCString(),
      })
      createReadStream(file).pipe(res)
      return
    }
  } else if (req.method === 'POST' && url === '/echo') {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      let data
      try {
        data = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        return send(res, 400, 'text/plain', 'Bad JSON')
      }
      send(res, 200, 'application/json', JSON.stringify(data))
    })
    return
  }
  send(res, 404, 'text/plain', 'Not Found')
})

server.listen(port(), '127.0.0.1', () => ready(server.address().port))
exitOnSignal(() => new Promise((r) => server.close(r)))
