/**
 * Output casting and writing (Bottle's `_cast` plus the WSGI server's write loop): turns
 * what a callback returned into bytes on the socket. Strings are encoded with the
 * response charset and get a Content-Length; Buffers go as they are; streams, file
 * handles and (async) iterables are streamed with backpressure, headers going out with
 * the first non-empty chunk; HEAD and 1xx/204/304 responses carry no body.
 * @module
 */
import { STATUS_CODES, type ServerResponse } from 'node:http'
import * as fs from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { TextDecoder } from 'node:util'
import type { Bottle } from './app.js'
import { HTTPError, HTTPResponse } from './errors.js'
import { htmlEscape, pyRepr, wireText } from './internal/http.js'
import type { RequestContext } from './internal/storage.js'
import { HANDLED } from './mount.js'
import { isThenable } from './plugins.js'
import { FileBody, rememberFile } from './static.js'

/** Writes the resolved output of a request; a Promise when it streams. */
export function writeOutput(
  app: Bottle,
  ctx: RequestContext,
  res: ServerResponse,
  out: unknown
): Promise<void> | void {
  if (out === HANDLED || res.writableEnded || res.destroyed) return
  if (out === undefined || out === null || out === false || out === '' || out === 0) {
    return sendBuffer(ctx, res, null)
  }
  if (typeof out === 'string') return sendString(app, ctx, res, out)
  if (out instanceof Uint8Array) return sendBuffer(ctx, res, out)
  if (out instanceof HTTPResponse) return writeOutput(app, ctx, res, app._resolve(ctx, out))
  if (isThenable(out)) {
    return Promise.resolve(out).then(
      (v) => writeOutput(app, ctx, res, app._resolve(ctx, v)),
      (err: unknown) =>
        writeOutput(
          app,
          ctx,
          res,
          app._resolve(ctx, keepHookHeaders(ctx, app._internalError(ctx, err)))
        )
    )
  }
  if (out instanceof FileBody) return sendFile(app, ctx, res, out)
  // Readable streams are async iterables: they share the iterable path and its rules.
  if (isFileHandle(out)) return sendIterable(app, ctx, res, out.createReadStream())
  if (typeof out === 'object') {
    const iterable = out as Partial<AsyncIterable<unknown> & Iterable<unknown>>
    if (
      typeof iterable[Symbol.asyncIterator] === 'function' ||
      typeof iterable[Symbol.iterator] === 'function'
    ) {
      return sendIterable(app, ctx, res, iterable as AsyncIterable<unknown> | Iterable<unknown>)
    }
    // Bottle iterates a dict that no plugin turned into JSON: its keys become the body.
    return sendIterable(app, ctx, res, Object.keys(out))
  }
  const error = new HTTPError(500, `Unsupported response type: ${typeof out}`)
  return writeOutput(app, ctx, res, app._resolve(ctx, error))
}

/**
 * An error raised while the body is produced comes after the after_request hooks ran:
 * keep the headers they set (CORS and the like, Bottle #1125) on the error response,
 * except the ones that describe the body that failed.
 */
function keepHookHeaders(ctx: RequestContext, error: HTTPError): HTTPError {
  const response = ctx.response
  if (!response.hasHeaders) return error
  for (const [name, value] of response.headers.allitems()) {
    const lower = name.toLowerCase()
    if (lower === 'content-type' || lower === 'content-length' || error.hasHeader(name)) continue
    error.addHeader(name, value)
  }
  return error
}

function isFileHandle(value: unknown): value is FileHandle {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as FileHandle).createReadStream === 'function' &&
    typeof (value as FileHandle).fd === 'number'
  )
}

function noBody(ctx: RequestContext): boolean {
  const code = ctx.response.statusCode
  return ctx.request.method === 'HEAD' || code < 200 || code === 204 || code === 304
}

/**
 * Sends status and headers, adding Content-Length unless the app set one. Returns false
 * when Node refused them; a bare 500 has then been sent instead, so no request can hang
 * or crash the process on a header Node will not write.
 */
function writeHead(ctx: RequestContext, res: ServerResponse, length: number | null): boolean {
  const response = ctx.response
  const list = response._headerList(length)
  try {
    const code = response.statusCode
    // Our reason phrase when it is custom or Node's table lacks the code ('unknown' there).
    if (response.hasCustomReason || STATUS_CODES[code] === undefined) {
      res.writeHead(code, wireText(response.reason), list)
    } else res.writeHead(code, list)
    return true
  } catch (err) {
    ctx.request.app?.logError(err, ctx.request)
    if (!res.headersSent) {
      res.removeHeader('Content-Length')
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8', Connection: 'close' })
    }
    res.end('Internal Server Error')
    return false
  }
}

const UTF8 = /^utf-?8$/i

function sendString(app: Bottle, ctx: RequestContext, res: ServerResponse, text: string): void {
  // Without headers the Content-Type is the default one, whose charset is UTF-8.
  const charset = ctx.response.hasHeaders ? ctx.response.charset : 'UTF-8'
  if (charset === 'UTF-8' || UTF8.test(charset)) {
    const length = Buffer.byteLength(text, 'utf8')
    if (!writeHead(ctx, res, length)) return
    // Node sends the head with the first body write in that write's encoding: 'latin1'
    // keeps UTF-8 header bytes intact, so non-ASCII text goes as a Buffer.
    if (noBody(ctx)) res.end()
    else if (length === text.length) res.end(text, 'latin1')
    else res.end(Buffer.from(text, 'utf8'))
    return
  }
  const encode = encoderFor(charset)
  let data: Buffer | null = null
  let problem = `Unsupported response charset: ${charset}`
  if (encode) {
    try {
      data = encode(text)
    } catch (err) {
      problem = (err as Error).message
    }
  }
  if (!data) {
    const error = new HTTPError(500, problem)
    ctx.response.setHeader('Content-Type', 'text/html; charset=UTF-8')
    void writeOutput(app, ctx, res, app._resolve(ctx, error))
    return
  }
  sendBuffer(ctx, res, data)
}

type Encoder = (text: string) => Buffer

const encoders = new Map<string, Encoder | null>()
// Python codec names that are not WHATWG labels.
const CHARSET_ALIASES: Readonly<Record<string, string>> = { latin9: 'iso-8859-15' }

/** The encoder for a response charset, cached; `null` when the charset is unknown. */
function encoderFor(charset: string): Encoder | null {
  const key = charset.trim().toLowerCase()
  let encoder = encoders.get(key)
  if (encoder === undefined) {
    encoder = makeEncoder(key)
    // Charsets come from app code, but the cache stays bounded all the same.
    if (encoders.size < 64) encoders.set(key, encoder)
  }
  return encoder
}

function unencodable(ch: string, charset: string): Error {
  const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')
  return new Error(`Cannot encode U+${code} in the response charset ${charset}`)
}

/**
 * Node's own encoders for latin1, ASCII and UTF-16; any other single-byte charset that
 * TextDecoder knows (iso-8859-15, koi8-r, windows-1251...) through a reverse table. As
 * Python's `str.encode`, a character the charset lacks is an error, never a silent `?`.
 */
function makeEncoder(key: string): Encoder | null {
  const c = key.replace(/[^a-z0-9]/g, '')
  const limited =
    (limit: number, encoding: BufferEncoding): Encoder =>
    (text) => {
      for (const ch of text) if (ch.codePointAt(0)! > limit) throw unencodable(ch, key)
      return Buffer.from(text, encoding)
    }
  if (c === 'latin1' || c === 'iso88591' || c === 'l1') return limited(0xff, 'latin1')
  if (c === 'ascii' || c === 'usascii') return limited(0x7f, 'latin1')
  if (c === 'utf16le' || c === 'utf16') return (text) => Buffer.from(text, 'utf16le')
  let decoder: TextDecoder
  try {
    decoder = new TextDecoder(CHARSET_ALIASES[c] ?? key)
  } catch {
    return null
  }
  const chars = [...decoder.decode(Uint8Array.from({ length: 256 }, (_, i) => i))]
  if (chars.length !== 256) return null // multi-byte charsets are not supported
  const table = new Map<string, number>()
  chars.forEach((ch, i) => {
    if (ch !== '\ufffd' && !table.has(ch)) table.set(ch, i)
  })
  return (text) => {
    const out = Buffer.allocUnsafe(text.length)
    let n = 0
    for (const ch of text) {
      const byte = table.get(ch)
      if (byte === undefined) throw unencodable(ch, key)
      out[n++] = byte
    }
    return out.subarray(0, n)
  }
}

function sendBuffer(ctx: RequestContext, res: ServerResponse, data: Uint8Array | null): void {
  if (!writeHead(ctx, res, data ? data.length : 0)) return
  if (data && data.length && !noBody(ctx)) res.end(data)
  else res.end()
}

function isEmptyChunk(chunk: unknown): boolean {
  return (
    chunk === undefined ||
    chunk === null ||
    chunk === '' ||
    (chunk instanceof Uint8Array && chunk.length === 0)
  )
}

/**
 * Streams an iterable: items are pulled until the first non-empty chunk before headers go
 * out (so status and headers set until then count, and an HTTPResponse or error raised
 * until then becomes the response). The iterator is always closed.
 */
async function sendIterable(
  app: Bottle,
  ctx: RequestContext,
  res: ServerResponse,
  iterable: AsyncIterable<unknown> | Iterable<unknown>
): Promise<void> {
  const iterator =
    Symbol.asyncIterator in iterable
      ? iterable[Symbol.asyncIterator]()
      : iterable[Symbol.iterator]()
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    try {
      await iterator.return?.()
    } catch {
      // An iterator that fails while closing has nothing left to tell the client.
    }
  }
  let first: unknown
  try {
    for (;;) {
      const step = await iterator.next()
      if (step.done) {
        await close()
        return sendBuffer(ctx, res, null)
      }
      if (step.value instanceof HTTPResponse) {
        await close()
        return writeOutput(app, ctx, res, app._resolve(ctx, step.value))
      }
      if (!isEmptyChunk(step.value)) {
        first = step.value
        break
      }
    }
  } catch (err) {
    await close()
    let error: HTTPResponse
    if (err instanceof HTTPResponse) error = err
    else {
      error = keepHookHeaders(ctx, app._internalError(ctx, err))
      // Bottle's message for an error raised before the first chunk.
      error.body = 'Unhandled exception'
    }
    return writeOutput(app, ctx, res, app._resolve(ctx, error))
  }
  if (typeof first !== 'string' && !(first instanceof Uint8Array)) {
    // Headers are not sent yet, so a bad first chunk can still become a proper 500.
    await close()
    const error = new HTTPError(500, `Unsupported response type: ${typeof first}`)
    return writeOutput(app, ctx, res, app._resolve(ctx, error))
  }
  const charset = ctx.response.charset
  const charsetEncoder = UTF8.test(charset) ? null : encoderFor(charset)
  // Strings are encoded with the response charset, as Bottle does for every chunk.
  const encodeChunk = (text: string): Buffer =>
    charsetEncoder ? charsetEncoder(text) : Buffer.from(text, 'utf8')
  const encode = (chunk: unknown): Uint8Array | string => {
    if (typeof chunk === 'string') return encodeChunk(chunk)
    if (chunk instanceof Uint8Array) return chunk
    throw new TypeError(`Unsupported chunk type in a streamed response: ${typeof chunk}`)
  }
  if (!writeHead(ctx, res, null) || noBody(ctx)) {
    await close()
    if (!res.writableEnded) res.end()
    return
  }
  let aborted = false
  res.once('close', () => {
    aborted = !res.writableFinished
  })
  try {
    let chunk: unknown = first
    for (;;) {
      if (aborted) break
      if (!isEmptyChunk(chunk) && !res.write(encode(chunk)) && !res.destroyed) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done)
            res.off('close', done)
            resolve()
          }
          res.once('drain', done)
          res.once('close', done)
        })
      }
      if (aborted) break
      const step = await iterator.next()
      if (step.done) break
      chunk = step.value
    }
    // Closed also when the client went away, so generator `finally` blocks run.
    await close()
    if (!aborted) res.end()
  } catch (err) {
    await close()
    app.logError(err, ctx.request)
    // Headers are gone: the only honest signal left is to abort the connection. Node
    // corks the socket until the next tick, so let what was written go out first.
    setImmediate(() => res.destroy())
  }
}

/** Files up to this size go out with the head in one write after a single read. */
const SMALL_FILE = 64 * 1024

function ignore(): void {}

/**
 * Sends a `staticFile` body. The file is opened only now (a response that is never sent
 * holds no descriptor) and a failure to open still becomes a proper error response;
 * small files are read whole, larger ones piped with the socket's backpressure.
 */
function sendFile(
  app: Bottle,
  ctx: RequestContext,
  res: ServerResponse,
  body: FileBody
): Promise<void> | void {
  if (noBody(ctx)) {
    if (writeHead(ctx, res, null)) res.end()
    return
  }
  return body.open().then(
    (fd) => {
      // The client may have gone while the file was opened.
      if (res.destroyed) return fs.close(fd, ignore)
      if (body.length <= SMALL_FILE) return sendSmallFile(app, ctx, res, body, fd)
      return pipeFile(app, ctx, res, body, fd)
    },
    (err: unknown) => sendError(app, ctx, res, err)
  )
}

/** Before the head is sent, a failure still becomes a proper error response. */
function sendError(
  app: Bottle,
  ctx: RequestContext,
  res: ServerResponse,
  err: unknown
): Promise<void> | void {
  const error =
    err instanceof HTTPResponse ? err : keepHookHeaders(ctx, app._internalError(ctx, err))
  return writeOutput(app, ctx, res, app._resolve(ctx, error))
}

function sendSmallFile(
  app: Bottle,
  ctx: RequestContext,
  res: ServerResponse,
  body: FileBody,
  fd: number
): Promise<void> {
  // A buffer that may stay in the static-file cache owns its memory: a pooled slice would
  // keep the whole shared 8 KiB slab alive and the cache's byte count would not show it.
  const data = body.cacheAs ? Buffer.allocUnsafeSlow(body.length) : Buffer.allocUnsafe(body.length)
  return new Promise<void>((resolve) => {
    const fill = (offset: number): void => {
      fs.read(fd, data, offset, body.length - offset, body.start + offset, (err, n) => {
        if (!err && n > 0 && offset + n < body.length) return fill(offset + n)
        fs.close(fd, ignore)
        if (!err && offset + n === body.length) {
          const ticket = body.cacheAs
          if (ticket && body.start === 0 && body.length === ticket.stats.size) {
            rememberFile(body.path, ticket, data)
          }
          if (writeHead(ctx, res, null)) res.end(data)
          return resolve()
        }
        // Nothing is sent yet, so a failed or short read is still an honest 500.
        resolve(
          sendError(app, ctx, res, err ?? new Error(`File shrank while being sent: ${body.path}`))
        )
      })
    }
    fill(0)
  })
}

function pipeFile(
  app: Bottle,
  ctx: RequestContext,
  res: ServerResponse,
  body: FileBody,
  fd: number
): Promise<void> {
  if (!writeHead(ctx, res, null)) {
    fs.close(fd, ignore)
    return Promise.resolve()
  }
  const { path, length } = body
  const stream = body.stream(fd)
  return new Promise<void>((resolve) => {
    // Headers are gone: cutting the connection is the only honest signal of a failure.
    // Node corks the socket until the next tick, so what was written goes out first.
    const fail = (err: unknown): void => {
      app.logError(err, ctx.request)
      stream.destroy()
      setImmediate(() => res.destroy())
      resolve()
    }
    res.once('close', () => {
      // The descriptor is closed with the stream, also when the client went away.
      if (!res.writableFinished) stream.destroy()
      resolve()
    })
    stream.once('error', fail)
    stream.once('end', () => {
      // A file that shrank mid-response must not end as if complete.
      if (stream.bytesRead < length) fail(new Error(`File shrank while being sent: ${path}`))
      else {
        res.end()
        resolve()
      }
    })
    stream.pipe(res, { end: false })
  })
}

/** The default error page (Bottle's ERROR_PAGE_TEMPLATE), with details only in debug mode. */
export function errorPage(ctx: RequestContext, error: HTTPError, debug: boolean): string {
  const response = ctx.response
  response.setHeader('Content-Type', 'text/html; charset=UTF-8')
  const status = htmlEscape(response.status)
  const body = typeof error.body === 'string' ? error.body : JSON.stringify(error.body ?? '')
  let extra = ''
  if (debug && error.exception !== undefined) {
    const exc =
      error.exception instanceof Error
        ? `${error.exception.name}: ${error.exception.message}`
        : JSON.stringify(error.exception)
    extra += `\n    <h2>Exception:</h2>\n    <pre>${htmlEscape(exc)}</pre>`
  }
  if (debug && error.traceback)
    extra += `\n    <h2>Traceback:</h2>\n    <pre>${htmlEscape(error.traceback)}</pre>`
  let url: string
  try {
    url = ctx.request.url
  } catch {
    url = ctx.request.fullpath
  }
  return `<!DOCTYPE html>
<html>
  <head>
    <title>Error: ${status}</title>
    <style>
      html { background-color: #eee; font-family: sans-serif; }
      body { background-color: #fff; border: 1px solid #ddd; padding: 15px; margin: 15px; }
      pre { background-color: #eee; border: 1px solid #ddd; padding: 5px; }
    </style>
  </head>
  <body>
    <h1>Error: ${status}</h1>
    <p>Sorry, the requested URL <tt>${htmlEscape(pyRepr(url))}</tt> caused an error:</p>
    <pre>${htmlEscape(body)}</pre>${extra}
  </body>
</html>
`
}
