/**
 * Multipart uploads: fields and files, repeated names, filename sanitising, empty
 * filenames and malformed bodies, echoed back as JSON by `/m/echo`.
 * @module
 */
import { req, type Area, type Req } from '../runner.js'

const BOUNDARY = 'diffBoundary7MA4YWxk'

/** One part: a field, or a file when `filename` is given. */
interface Part {
  name: string
  filename?: string
  type?: string
  data: string | Buffer
}

function multipart(parts: Part[], boundary = BOUNDARY): Buffer {
  const chunks: Buffer[] = []
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`
    if (p.filename !== undefined) head += `; filename="${p.filename}"`
    head += '\r\n'
    if (p.type) head += `Content-Type: ${p.type}\r\n`
    chunks.push(Buffer.from(head + '\r\n', 'utf8'), Buffer.from(p.data), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return Buffer.concat(chunks)
}

const post = (body: Buffer, type = `multipart/form-data; boundary=${BOUNDARY}`): Req =>
  req('POST', '/m/echo', { headers: [['Content-Type', type]], body })

// Bottle 0.12 (cgi.FieldStorage) shrugs or fails with a 500; bottle-ts answers 400.
const strict = { differs: 'multipart-bad-400', ts: { status: 400 } } as const

/** The multipart cases. */
export const uploads: Area = {
  area: 'multipart',
  requires: 'FileUpload',
  cases: [
    { name: 'a text field', req: post(multipart([{ name: 'a', data: 'one' }])) },
    {
      name: 'a UTF-8 field',
      req: post(multipart([{ name: 'a', data: 'J\u00fcrgen \u20ac' }])),
    },
    {
      name: 'a file with its name and type',
      req: post(
        multipart([{ name: 'f', filename: 'notes.txt', type: 'text/plain', data: 'file body' }])
      ),
    },
    {
      name: 'a field and a file',
      req: post(
        multipart([
          { name: 'title', data: 'hello' },
          { name: 'f', filename: 'a.txt', type: 'text/plain', data: 'A' },
        ])
      ),
    },
    {
      name: 'two files under one name',
      req: post(
        multipart([
          { name: 'f', filename: 'one.txt', type: 'text/plain', data: '1' },
          { name: 'f', filename: 'two.txt', type: 'text/plain', data: '22' },
        ])
      ),
    },
    {
      name: 'repeated fields',
      req: post(
        multipart([
          { name: 'a', data: '1' },
          { name: 'a', data: '2' },
        ])
      ),
    },
    {
      name: 'a traversal filename is reduced to its base name',
      req: post(
        multipart([{ name: 'f', filename: '../../etc/passwd', type: 'text/plain', data: 'x' }])
      ),
    },
    {
      name: 'a Windows path is reduced to a safe name',
      req: post(
        multipart([
          { name: 'f', filename: 'C:\\Users\\me\\my file.txt', type: 'text/plain', data: 'x' },
        ])
      ),
    },
    {
      name: 'a filename of symbols only becomes "empty"',
      req: post(multipart([{ name: 'f', filename: '$$$', type: 'text/plain', data: 'x' }])),
    },
    {
      name: 'a file without a Content-Type',
      req: post(multipart([{ name: 'f', filename: 'plain.bin', data: 'x' }])),
    },
    {
      name: 'a file whose Content-Type has capitals and a parameter',
      req: post(
        multipart([{ name: 'f', filename: 'n.txt', type: 'Text/Plain; charset=UTF-8', data: 'x' }])
      ),
    },
    {
      name: 'binary file content',
      req: post(
        multipart([
          {
            name: 'f',
            filename: 'b.bin',
            type: 'application/octet-stream',
            data: Buffer.from([0, 1, 2, 255, 254]),
          },
        ])
      ),
    },
    {
      name: 'an empty file',
      req: post(multipart([{ name: 'f', filename: 'empty.txt', type: 'text/plain', data: '' }])),
    },
    {
      name: 'a quoted boundary parameter',
      req: post(
        multipart([{ name: 'a', data: 'q' }]),
        `multipart/form-data; boundary="${BOUNDARY}"`
      ),
    },
    {
      name: 'a part with an empty filename is a field',
      req: post(multipart([{ name: 'f', filename: '', data: 'as field' }])),
      differs: 'multipart-empty-filename',
      ts: { body: 'json:{"files":{},"forms":{"f":["as field"]}}' },
      py: { body: /"filename":"empty","raw":""/ },
    },
    {
      name: 'multipart without a boundary',
      req: post(multipart([{ name: 'a', data: '1' }]), 'multipart/form-data'),
      ...strict,
      py: { status: 500 },
    },
    {
      name: 'a body cut before its closing boundary',
      req: post(multipart([{ name: 'a', data: '1' }]).subarray(0, 60)),
      ...strict,
      py: { status: 200 },
    },
    {
      name: 'a body with another boundary than declared',
      req: post(multipart([{ name: 'a', data: '1' }], 'otherBoundary')),
      ...strict,
      py: { status: 200, body: 'json:{"files":{},"forms":{}}' },
    },
  ],
}
