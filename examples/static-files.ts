/**
 * Serving files with `staticFile`: a public directory under /static/, a download with
 * its own name, and the nginx offload switch for production. Run with
 * `npx tsx examples/static-files.ts`, then try:
 *   curl -i localhost:8080/static/index.html
 *   curl -i -H 'Range: bytes=0-9' localhost:8080/static/index.html
 *   curl -i localhost:8080/download/report.txt
 */
import { fileURLToPath } from 'node:url'
import { Bottle, run, staticFile } from 'bottle-ts'

const PUBLIC = fileURLToPath(new URL('./public/', import.meta.url))

const app = new Bottle()

// Behind nginx, let it send the bytes: `location /protected/ { internal; alias <PUBLIC>; }`.
if (process.env.OFFLOAD === 'nginx') {
  app.config.set('staticFile.offload', 'x-accel-redirect')
  app.config.set('staticFile.offloadPrefix', '/protected/')
}

app.get('/', () => staticFile('index.html', PUBLIC))

// `<filepath:path>` may contain slashes; staticFile keeps it inside PUBLIC.
app.get('/static/<filepath:path>', ({ filepath }) =>
  staticFile(filepath, PUBLIC, { headers: { 'Cache-Control': 'public, max-age=3600' } })
)

// Ask the browser to save the file, under a name of our choosing.
app.get('/download/<name>', ({ name }) =>
  staticFile(`files/${name}`, PUBLIC, { download: `bottle-ts-${name}` })
)

run(app, { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) })
