/**
 * File uploads: a form with a file field, saved with `FileUpload.save()`.
 * Run with `npx tsx examples/upload.ts` and open http://127.0.0.1:8080/.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { abort, Bottle, htmlEscape, request, run } from 'bottle-ts'

const UPLOADS = process.env.UPLOAD_DIR ?? join(tmpdir(), 'bottle-ts-uploads')
mkdirSync(UPLOADS, { recursive: true })

// Uploads up to 50 MiB on this app; parts over 100 kB spool to a temporary file.
const app = new Bottle({ maxBodySize: 50 * 1024 * 1024, maxFiles: 1 })

app.get(
  '/',
  () => `<!DOCTYPE html>
<title>Upload</title>
<form action="/upload" method="post" enctype="multipart/form-data">
  <p>Category: <input type="text" name="category"></p>
  <p>File: <input type="file" name="upload"></p>
  <p><input type="submit" value="Start upload"></p>
</form>`
)

app.post('/upload', async () => {
  const category = request.forms.get('category', '')
  const upload = request.files.get('upload')
  if (!upload) abort(400, 'Choose a file to upload.')
  if (!/\.(png|jpe?g|gif|txt|pdf)$/i.test(upload.filename))
    abort(400, 'File extension not allowed.')
  // `filename` is sanitised (no paths, safe characters); `rawFilename` is what the client sent.
  // save() refuses to overwrite an existing file unless `{ overwrite: true }` is passed.
  try {
    await upload.save(UPLOADS)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') abort(409, 'A file of that name exists.')
    throw err
  }
  return `Saved ${htmlEscape(upload.filename)} (${upload.contentLength} bytes) in category ${htmlEscape(category)}.`
})

run(app, { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) })
