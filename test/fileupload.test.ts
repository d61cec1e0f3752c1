import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { Bottle, FileUpload, HeaderDict, request, SpooledFile } from 'bottle-ts'
import { describeMatrix } from './_helpers.js'

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bottle-ts-upload-test-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const upload = (raw: string): FileUpload => new FileUpload(Buffer.from('data'), 'f', raw)

describe('FileUpload', () => {
  it('keeps the field name, the raw file name and the part headers', () => {
    const fu = new FileUpload(Buffer.alloc(0), 'abc', 'x/x', { 'Content-type': 'text/plain' })
    expect(fu.name).toBe('abc')
    expect(fu.rawFilename).toBe('x/x')
    expect(fu.contentType).toBe('text/plain')
    expect(fu.getHeader('CONTENT-TYPE')).toBe('text/plain')
    expect(fu.headers).toBeInstanceOf(HeaderDict)
    expect(fu.contentLength).toBe(0)
  })

  it('sanitises filename exactly as Bottle does', () => {
    const cases: [string, string][] = [
      ['with space', 'with-space'],
      ['with more  \t\n\r space', 'with-more-space'],
      ['with/path', 'path'],
      ['../path', 'path'],
      ['..\\path', 'path'],
      ['..', 'empty'],
      ['.name.', 'name'],
      ['.name.cfg', 'name.cfg'],
      [' . na me . ', 'na-me'],
      ['path/', 'empty'],
      ['ümläüts$', 'umlauts'],
      ['', 'empty'],
      ['a' + 'b'.repeat(1337) + 'c', 'a' + 'b'.repeat(254)],
      ['UpperCase', 'UpperCase'],
      ['C:\\Windows\\evil.exe', 'evil.exe'],
      ['瓶.txt', 'txt'],
      ['a\0b<>|:"*?.txt', 'ab.txt'],
    ]
    for (const [raw, safe] of cases) expect(upload(raw).filename, JSON.stringify(raw)).toBe(safe)
  })

  it('save() copies into a writable stream and leaves the stream open', async () => {
    const fu = new FileUpload(Buffer.from('hello upload'), 'f', 'a.txt')
    const out = new PassThrough()
    const chunks: Buffer[] = []
    out.on('data', (c: Buffer) => chunks.push(c))
    await fu.save(out, { chunkSize: 4 })
    expect(out.writableEnded).toBe(false)
    expect(Buffer.concat(chunks).toString()).toBe('hello upload')
    expect(fu.file.read().toString()).toBe('hello upload')
  })

  it('save() into a directory uses the sanitised filename', async () => {
    const dir = tempDir()
    const fu = new FileUpload(Buffer.from('content'), 'f', '../../etc/pass wd')
    await fu.save(dir)
    expect(readFileSync(join(dir, 'pass-wd'), 'utf8')).toBe('content')
  })

  it('save() refuses to overwrite an existing file unless asked', async () => {
    const dir = tempDir()
    const target = join(dir, 'x.txt')
    writeFileSync(target, 'old')
    const fu = new FileUpload(Buffer.from('new'), 'f', 'x.txt')
    await expect(fu.save(target)).rejects.toThrow(/File exists/)
    await expect(fu.save(dir)).rejects.toMatchObject({ code: 'EEXIST' })
    expect(readFileSync(target, 'utf8')).toBe('old')
    await fu.save(target, { overwrite: true })
    expect(readFileSync(target, 'utf8')).toBe('new')
  })

  it('save() copies a spooled upload from its temporary file', async () => {
    const dir = tempDir()
    const src = join(dir, 'spool')
    writeFileSync(src, 'x'.repeat(5000))
    const fu = new FileUpload(new SpooledFile(null, src, 5000), 'f', 'big.bin')
    expect(fu.file.read(10).toString()).toBe('x'.repeat(10))
    await fu.save(join(dir, 'out.bin'))
    expect(readFileSync(join(dir, 'out.bin'), 'utf8')).toBe('x'.repeat(5000))
    await fu.file.remove()
    expect(existsSync(src)).toBe(false)
  })
})

function multipart(
  parts: { name: string; filename?: string; content: string | Buffer; type?: string }[]
): { body: Buffer; headers: Record<string, string> } {
  const b = 'bottleTsBoundary'
  const chunks: Buffer[] = []
  for (const p of parts) {
    const fn = p.filename === undefined ? '' : `; filename="${p.filename}"`
    const type = p.type ? `Content-Type: ${p.type}\r\n` : ''
    chunks.push(
      Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${p.name}"${fn}\r\n${type}\r\n`)
    )
    chunks.push(Buffer.from(p.content), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${b}--\r\n`))
  return {
    body: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${b}` },
  }
}

describeMatrix('FileUpload in requests', (client) => {
  it('an uploaded file is saved with save() inside the handler', async () => {
    const dir = tempDir()
    const app = new Bottle()
    app.post('/up', async () => {
      const f = request.files.get('data')!
      await f.save(dir)
      return {
        name: f.name,
        filename: f.filename,
        raw: f.rawFilename,
        type: f.contentType,
        size: f.contentLength,
      }
    })
    const res = await client(app).post(
      '/up',
      multipart([
        { name: 'data', filename: '../My Report.pdf', content: 'PDF!', type: 'application/pdf' },
      ])
    )
    expect(res.json()).toEqual({
      name: 'data',
      filename: 'My-Report.pdf',
      raw: '../My Report.pdf',
      type: 'application/pdf',
      size: 4,
    })
    expect(readFileSync(join(dir, 'My-Report.pdf'), 'utf8')).toBe('PDF!')
  })

  it('a spooled upload can be saved after reading, and its temp file goes after the response', async () => {
    const dir = tempDir()
    const app = new Bottle({ memfileMax: 1000 })
    let spool: string | null = null
    app.post('/up', async () => {
      const f = request.files.get('data')!
      spool = f.file.path
      f.file.read(100)
      await f.save(join(dir, 'copy.bin'))
      return String(f.contentLength)
    })
    const res = await client(app).post(
      '/up',
      multipart([{ name: 'data', filename: 'a.bin', content: 'z'.repeat(50_000) }])
    )
    expect(res.text()).toBe('50000')
    expect(readFileSync(join(dir, 'copy.bin')).length).toBe(50_000)
    await new Promise((r) => setTimeout(r, 50))
    expect(spool).not.toBeNull()
    expect(existsSync(spool!)).toBe(false)
  })
})
