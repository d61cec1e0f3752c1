/**
 * Reading request bodies (Bottle's `BaseRequest.body`, `POST` and "Multipart Handling";
 * `FileUpload` and the spooling live in upload.ts). After routing and before the callback, `app.ts` calls `readBody`
 * with the route's limits; the whole body is streamed into a `SpooledFile` (memory up to
 * `memfileMax`, a temporary file beyond), multipart bodies through busboy with every
 * file part spooled the same way. Handlers then read `request.body`, `forms`, `files`
 * and `json` synchronously.
 *
 * Security: every size is bounded (whole body, parts, fields, files, field and file
 * size, header pairs, urlencoded pairs) and a bad limit value throws at configuration
 * time. A declared Content-Length over `maxBodySize` is refused before any byte is
 * read. A limit hit is a 413, never a silently truncated value; every busboy throw and
 * `error` event is a 400; a client abort rejects instead of hanging; temporary files
 * are removed on errors, on aborts and (through `RequestBody.cleanup`, called by the
 * app when the response closes) after the response. A temporary file that cannot be
 * written is a server fault, not the client's: a full disk (`ENOSPC`, `EDQUOT`) is a 507
 * and any other file-system error (missing or unwritable `tempDir`) a 500; both close the
 * connection, name the cause in `HTTPError.exception` for the app to log, and leave no
 * file behind. The caller still decides where an
 * upload may be saved: `FileUpload.filename` is sanitised, `rawFilename` is not.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { unlink } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import busboy from 'busboy'
import { HTTPError } from './errors.js'
import { decodeSafe } from './internal/url.js'
import { FormsDict, HeaderDict, MultiDict } from './structures.js'
import { FileUpload, Spool, SpooledFile } from './upload.js'

export { FileUpload, SpooledFile, type SaveOptions } from './upload.js'

/** Limits applied while reading a body; from app config, overridable per route. */
export interface BodyLimits {
  /** The largest body accepted, in bytes (413 beyond). */
  maxBodySize: number
  /** Bodies and file parts larger than this spool to a temporary file. */
  memfileMax: number
  /** Most multipart parts (fields and files together). */
  maxParts: number
  /** Most form fields, multipart or urlencoded. */
  maxFields: number
  /** Most uploaded files. */
  maxFiles: number
  /** Largest form field value (and field name), in bytes. */
  maxFieldSize: number
  /** Largest single uploaded file, in bytes. */
  maxFileSize: number
  /**
   * Most header lines per multipart part, handed to busboy; busboy 1.6 bounds part
   * headers by size instead (16 KiB, a 400 beyond), which is what holds in practice.
   */
  maxHeaderPairs: number
}

/** Default limits: bounded everywhere, generous enough for ordinary forms. */
export const DEFAULT_LIMITS: Readonly<BodyLimits> = Object.freeze({
  maxBodySize: 10 * 1024 * 1024,
  memfileMax: 102400,
  maxParts: 1000,
  maxFields: 1000,
  maxFiles: 100,
  maxFieldSize: 1024 * 1024,
  maxFileSize: Infinity,
  maxHeaderPairs: 2000,
})

/** Body limits plus where bodies past `memfileMax` are spooled (`tempDir` config key). */
export type SpoolLimits = BodyLimits & {
  /** An absolute directory for temporary files; `os.tmpdir()` when unset. */
  tempDir?: string
}

/**
 * Throws a `TypeError` unless `value` is an absolute directory path: a relative one
 * would move with the working directory, and a NUL byte cannot name a file.
 */
export function checkTempDir(value: unknown): asserts value is string {
  if (typeof value !== 'string' || !isAbsolute(value) || value.includes('\0')) {
    throw new TypeError(
      `tempDir must be an absolute directory path, got ${
        typeof value === 'string' ? JSON.stringify(value) : String(value)
      }`
    )
  }
}

/** The config keys that hold body limits (and the query limit `request.query` uses). */
export const LIMIT_KEYS: readonly string[] = [...Object.keys(DEFAULT_LIMITS), 'maxQueryParams']

/**
 * Throws a `RangeError` unless `value` is a non-negative integer (or `Infinity` for the
 * count and size limits other than `maxBodySize` and `memfileMax`).
 *
 * Security: a limit that silently turns off on `NaN` or a string is a fail-open bug
 * (body-parser CVE-2026-12590); this check runs when the config value is set.
 */
export function checkLimit(key: string, value: unknown): void {
  const infinityOk = key !== 'maxBodySize' && key !== 'memfileMax'
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < 0 ||
    (value === Infinity ? !infinityOk : !Number.isInteger(value))
  ) {
    throw new RangeError(
      `${key} must be a non-negative integer${infinityOk ? ' (or Infinity)' : ''}, got ${
        typeof value === 'string' ? JSON.stringify(value) : String(value)
      }`
    )
  }
}

// --- Content types -----------------------------------------------------------------

const MEDIA_TYPE = /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+$/

/**
 * The media type essence of a Content-Type value (`type/subtype`, lower-case), or `''`
 * when the value is not a valid media type. The one parser every body consumer uses.
 */
export function mediaType(contentType: string | undefined): string {
  if (!contentType) return ''
  const semi = contentType.indexOf(';')
  const essence = (semi === -1 ? contentType : contentType.slice(0, semi))
    .replace(/^[ \t]+|[ \t]+$/g, '')
    .toLowerCase()
  return MEDIA_TYPE.test(essence) ? essence : ''
}

/** Whether a Content-Type is JSON: `application/json`, `application/json-rpc` or `*\/*+json`. */
export function isJsonType(contentType: string | undefined): boolean {
  const type = mediaType(contentType)
  return type === 'application/json' || type === 'application/json-rpc' || type.endsWith('+json')
}

// --- RequestBody ---------------------------------------------------------------------

/** The parsed forms and files of a multipart body. */
interface Parsed {
  forms: FormsDict
  files: MultiDict<FileUpload>
}

/**
 * A read body: a seekable reader over the bytes (`read()`, `seek()`, `buffer`) plus the
 * parsed `forms`, `files` and `json`.
 */
export class RequestBody {
  /** The raw bytes, spooled to disk past `memfileMax`. */
  readonly file: SpooledFile
  readonly #contentType: string
  readonly #maxFields: number
  #parsed: Parsed | null
  #json: { value: unknown } | null = null
  #post: MultiDict<string | FileUpload> | null = null
  #cleaned = false

  /** A body over `file` (or bytes) with the request's Content-Type. */
  constructor(
    file: SpooledFile | Buffer,
    contentType: string,
    parsed: Parsed | null = null,
    maxFields = DEFAULT_LIMITS.maxFields
  ) {
    this.file = Buffer.isBuffer(file) ? new SpooledFile(file) : file
    this.#contentType = contentType
    this.#parsed = parsed
    this.#maxFields = maxFields
    this.needsCleanup = this.file.path !== null || parsed !== null
  }

  /** Whether anything may live on disk (a spooled body or uploads) and wants `cleanup()`. */
  readonly needsCleanup: boolean

  /** All the body bytes. */
  get buffer(): Buffer {
    return this.file.buffer
  }

  /** The body size in bytes. */
  get length(): number {
    return this.file.size
  }

  /** Reads up to `size` bytes (all that is left by default) from the current position. */
  read(size = -1): Buffer {
    return this.file.read(size)
  }

  /** Moves the read position (`whence`: 0 start, 1 current, 2 end). */
  seek(offset: number, whence: 0 | 1 | 2 = 0): number {
    return this.file.seek(offset, whence)
  }

  /** The read position. */
  tell(): number {
    return this.file.tell()
  }

  /** Rewinds to the start and returns itself (`request.body` does this on every access). */
  rewind(): this {
    this.file.seek(0)
    return this
  }

  /** A readable stream over the body bytes. */
  stream(): Readable {
    return this.file.stream()
  }

  /** The body as UTF-8 text. */
  text(): string {
    return this.buffer.toString('utf8')
  }

  /**
   * The JSON value for JSON media types, `null` otherwise or when the body is empty.
   * Invalid JSON and `__proto__` keys are a 400.
   */
  json(contentType = this.#contentType): unknown {
    if (!isJsonType(contentType)) return null
    if (this.#json) return this.#json.value
    if (!this.file.size) return (this.#json = { value: null }).value
    return (this.#json = { value: parseJson(this.buffer.toString('utf8')) }).value
  }

  /** Form fields: multipart fields, or the urlencoded pairs of any other body. */
  get forms(): FormsDict {
    return this.#parse().forms
  }

  /** Uploaded files (multipart only). */
  get files(): MultiDict<FileUpload> {
    return this.#parse().files
  }

  /** Fields and files together, in the order Bottle's `POST` gives them. */
  get post(): MultiDict<string | FileUpload> {
    if (this.#post) return this.#post
    const all = new MultiDict<string | FileUpload>()
    for (const [k, v] of this.forms.allitems()) all.append(k, v)
    for (const [k, v] of this.files.allitems()) all.append(k, v)
    return (this.#post = all)
  }

  #parse(): Parsed {
    if (this.#parsed) return this.#parsed
    const forms = FormsDict.create()
    // As Bottle: any body that is not multipart (and here, not JSON) is read as urlencoded.
    const type = mediaType(this.#contentType)
    if (this.file.size && !isJsonType(type) && !type.startsWith('multipart/')) {
      const text = this.buffer.toString('utf8')
      const count = parseUrlencoded(text, (k, v) => forms.append(k, v), this.#maxFields)
      if (count > this.#maxFields) {
        throw new HTTPError(413, `Too many form fields (limit ${this.#maxFields})`)
      }
    }
    return (this.#parsed = { forms, files: new MultiDict<FileUpload>() })
  }

  /** Removes the temporary files of the body and its uploads; safe to call twice. */
  async cleanup(): Promise<void> {
    if (this.#cleaned) return
    this.#cleaned = true
    const files = this.#parsed ? [...this.#parsed.files.allitems()].map(([, f]) => f.file) : []
    await Promise.all([this.file.remove(), ...files.map((f) => f.remove())])
  }
}

/** An empty body, for requests without one. */
export function emptyBody(contentType = ''): RequestBody {
  return new RequestBody(new SpooledFile(Buffer.alloc(0)), contentType)
}

const PROTO_HINT = /__proto__|constructor|\\u/

/** `JSON.parse` that refuses `__proto__` and `constructor.prototype` keys with a 400. */
function parseJson(text: string): unknown {
  try {
    if (!PROTO_HINT.test(text)) return JSON.parse(text) as unknown
    return JSON.parse(text, function (this: unknown, key: string, value: unknown) {
      if (key === '__proto__') throw new SyntaxError('"__proto__" keys are not allowed')
      if (
        key === 'constructor' &&
        value !== null &&
        typeof value === 'object' &&
        Object.hasOwn(value, 'prototype')
      ) {
        throw new SyntaxError('"constructor.prototype" keys are not allowed')
      }
      return value
    }) as unknown
  } catch (err) {
    throw new HTTPError(400, `Invalid JSON: ${(err as Error).message}`, err)
  }
}

/**
 * Splits an urlencoded string on `&` only (`;` is data, Bottle CVE-2020-28473), with an
 * early stop past `max` pairs so a huge body never becomes a huge array. Returns the
 * number of pairs seen (more than `max` means the limit was hit).
 */
export function parseUrlencoded(
  text: string,
  into: (key: string, value: string) => void,
  max = Infinity
): number {
  let count = 0
  let start = 0
  while (start <= text.length) {
    let end = text.indexOf('&', start)
    if (end === -1) end = text.length
    if (end > start) {
      if (++count > max) return count
      const eq = text.indexOf('=', start)
      if (eq === -1 || eq > end) into(decodeSafe(text.slice(start, end), true), '')
      else into(decodeSafe(text.slice(start, eq), true), decodeSafe(text.slice(eq + 1, end), true))
    }
    start = end + 1
  }
  return count
}

// --- Reading -------------------------------------------------------------------------

/** Whether a request carries a body to read. */
export function hasBody(req: IncomingMessage): boolean {
  const h = req.headers
  return (
    (h['content-length'] !== undefined && h['content-length'] !== '0') ||
    h['transfer-encoding'] !== undefined
  )
}

/** The headers that make a refusal close the connection, so no unread body is parsed as a request. */
const CLOSE = { Connection: 'close' }

function tooLarge(message: string): HTTPError {
  return new HTTPError(413, message, undefined, undefined, CLOSE)
}

function badRequest(message: string, cause?: unknown): HTTPError {
  return new HTTPError(400, message, cause, undefined, CLOSE)
}

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT'])

/**
 * The answer to a file-system error while spooling, or `null` when `err` is not one.
 * The page names the kind of fault only; the path is in `exception`, for the log.
 */
function storageError(err: unknown): HTTPError | null {
  const e = err as NodeJS.ErrnoException | null
  if (!(e instanceof Error) || typeof e.code !== 'string' || typeof e.syscall !== 'string') {
    return null
  }
  if (NO_SPACE.has(e.code)) {
    return new HTTPError(
      507,
      'Insufficient Storage: no space left to store the request body',
      err,
      undefined,
      CLOSE
    )
  }
  return new HTTPError(
    500,
    'Internal Server Error: the request body could not be stored',
    err,
    undefined,
    CLOSE
  )
}

/** Options of `readBody` beyond the limits. */
export interface ReadBodyOptions {
  /** The response, for `100 Continue` once the body is accepted. */
  res?: ServerResponse
}

const CONTINUE = /^100-continue$/i

/**
 * Reads the whole body within `limits` into a `RequestBody`. Rejects with an HTTPError
 * (400 malformed or aborted, 413 over a limit, 507 disk full, 500 other storage fault)
 * after removing any temporary file.
 */
export function readBody(
  req: IncomingMessage,
  limits: SpoolLimits,
  options: ReadBodyOptions = {}
): Promise<RequestBody> {
  const contentType = req.headers['content-type'] ?? ''
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > limits.maxBodySize) {
    return Promise.reject(
      tooLarge(
        `Request body too large: Content-Length ${declared} exceeds the limit of ${limits.maxBodySize} bytes`
      )
    )
  }
  const res = options.res
  if (res && CONTINUE.test(req.headers.expect ?? '') && !sent100(res)) res.writeContinue()
  if (mediaType(contentType) === 'multipart/form-data') {
    return readMultipart(req, limits, contentType)
  }
  // Most bodies are small and declare their length: collect them without stream machinery.
  if (declared !== undefined && Number(declared) <= limits.memfileMax) {
    return readSmall(req, limits, contentType)
  }
  return readRaw(req, limits, contentType)
}

/** Reads a body whose declared length fits in memory (Node's parser holds it to that length). */
function readSmall(
  req: IncomingMessage,
  limits: SpoolLimits,
  contentType: string
): Promise<RequestBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const detach = (): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('close', onClose)
      req.off('error', onError)
    }
    const fail = (err: HTTPError): void => {
      detach()
      req.resume()
      reject(err)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      detach()
      const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)
      resolve(new RequestBody(new SpooledFile(data), contentType, null, limits.maxFields))
    }
    const onClose = (): void => {
      if (!req.complete)
        fail(badRequest('The client closed the connection before the body was complete'))
    }
    const onError = (err: Error): void =>
      fail(badRequest(`Error reading the request body: ${err.message}`, err))
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('close', onClose)
    req.on('error', onError)
  })
}

function sent100(res: ServerResponse): boolean {
  // Node sends 100 Continue itself unless the server handles 'checkContinue'.
  return (res as unknown as { _sent100?: boolean })._sent100 === true
}

/**
 * Feeds `req` into `sink` with backpressure and watches for limits and aborts. Resolves
 * once the request ended and `sink` finished; `fail` aborts everything once.
 */
function feed(
  req: IncomingMessage,
  sink: Writable,
  maxBodySize: number,
  onFail: (err: HTTPError) => void
): { fail: (err: HTTPError) => void; done: Promise<void> } {
  let failed = false
  let size = 0
  let settle!: { resolve: () => void; reject: (e: HTTPError) => void }
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }))
  const fail = (err: HTTPError): void => {
    if (failed) return
    failed = true
    detach()
    // Discard whatever is still in flight; the 413/400 closes the connection.
    req.resume()
    onFail(err)
    settle.reject(err)
  }
  const onData = (chunk: Buffer): void => {
    size += chunk.length
    if (size > maxBodySize) {
      fail(tooLarge(`Request body too large: more than the limit of ${maxBodySize} bytes`))
      return
    }
    if (!sink.write(chunk)) req.pause()
  }
  const onDrain = (): void => {
    if (!failed) req.resume()
  }
  const onEnd = (): void => {
    if (!failed) sink.end()
  }
  const onClose = (): void => {
    if (!req.complete)
      fail(badRequest('The client closed the connection before the body was complete'))
  }
  const onReqError = (err: Error): void =>
    fail(badRequest(`Error reading the request body: ${err.message}`, err))
  const onSinkError = (err: Error): void => {
    fail(
      err instanceof HTTPError
        ? err
        : (storageError(err) ?? badRequest(`Malformed request body: ${err.message}`, err))
    )
  }
  const onFinish = (): void => {
    if (!failed) {
      detach()
      settle.resolve()
    }
  }
  const detach = (): void => {
    req.off('data', onData)
    req.off('end', onEnd)
    req.off('close', onClose)
    req.off('error', onReqError)
    sink.off('drain', onDrain)
    sink.off('finish', onFinish)
  }
  req.on('data', onData)
  req.on('end', onEnd)
  req.on('close', onClose)
  req.on('error', onReqError)
  sink.on('drain', onDrain)
  sink.on('error', onSinkError)
  sink.on('finish', onFinish)
  if (req.readableEnded) onEnd()
  return { fail, done }
}

function readRaw(
  req: IncomingMessage,
  limits: SpoolLimits,
  contentType: string
): Promise<RequestBody> {
  const temps: string[] = []
  const spool = new Spool(limits.memfileMax, (p) => temps.push(p), limits.tempDir)
  const { done } = feed(req, spool, limits.maxBodySize, () => {
    spool.destroy()
  })
  return done.then(
    () => new RequestBody(spool.result(), contentType, null, limits.maxFields),
    async (err: unknown) => {
      await removeAll(temps, spool)
      throw err
    }
  )
}

async function removeAll(paths: string[], ...streams: Writable[]): Promise<void> {
  await Promise.all(
    streams.map((s) =>
      s.closed || s.writableFinished
        ? Promise.resolve()
        : new Promise<void>((r) => s.once('close', () => r()))
    )
  )
  await Promise.all(paths.map((p) => unlink(p).catch(() => undefined)))
}

const BAD_FILENAME = /[\r\n\0]/
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const UNSENDABLE = /[\0-\x08\x0a-\x1f\x7f]/

type PartHeaderParser = { cb: (header: Record<string, string[] | undefined>) => void }

/**
 * The Content-Type header the part busboy is announcing was sent with, as sent (`null`
 * when it had none). busboy 1.6 reports a lower-cased type without parameters, and RFC
 * 7578's `text/plain` when there was none; Bottle reports the header itself, or `''`.
 * busboy parses every part's headers with one parser object, installed through its
 * `_hparser` field, whose callback gets the raw header map and emits 'file'
 * synchronously. A one-shot accessor on that field wraps the callback the first time,
 * then steps aside (a plain field again), so the answer is read from busboy's own parse:
 * no bytes are copied or held, and its parsing, limits and errors are untouched. Where
 * busboy's internals differ (another version), the answer is `undefined` and busboy's
 * `mimeType` is kept, as before.
 */
function watchPartContentType(bb: busboy.Busboy): () => string | null | undefined {
  const host = bb as unknown as { _hparser?: unknown }
  if (!Object.hasOwn(host, '_hparser') || host._hparser !== null) return () => undefined
  let sent: string | null | undefined
  let current: unknown = null
  const plain = (value: unknown): void => {
    Object.defineProperty(host, '_hparser', {
      value,
      writable: true,
      configurable: true,
      enumerable: true,
    })
  }
  Object.defineProperty(host, '_hparser', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (value: unknown) => {
      const parser = value as PartHeaderParser | null
      if (!parser || typeof parser.cb !== 'function') {
        current = value
        return
      }
      const cb = parser.cb
      parser.cb = (header) => {
        sent = header['content-type']?.[0]?.trim() ?? null
        cb.call(parser, header)
      }
      plain(value)
    },
  })
  return () => sent
}

function readMultipart(
  req: IncomingMessage,
  limits: SpoolLimits,
  contentType: string
): Promise<RequestBody> {
  let bb: busboy.Busboy
  try {
    bb = busboy({
      headers: { ...req.headers, 'content-type': contentType },
      preservePath: true,
      defParamCharset: 'utf8',
      limits: {
        fieldNameSize: limits.maxFieldSize,
        // busboy flags a value as truncated once it reaches the limit, so allow one more byte.
        fieldSize: limits.maxFieldSize + 1,
        fileSize: limits.maxFileSize + 1,
        fields: limits.maxFields,
        files: limits.maxFiles,
        parts: limits.maxParts + 1,
        headerPairs: limits.maxHeaderPairs,
      },
    })
  } catch (err) {
    req.resume()
    return Promise.reject(badRequest(`Invalid multipart request: ${(err as Error).message}`, err))
  }
  const partContentType = watchPartContentType(bb)
  const temps: string[] = []
  const spools: Spool[] = []
  const pending: Promise<FileUpload | null>[] = []
  const forms = FormsDict.create()
  const files = new MultiDict<FileUpload>()
  let failure: HTTPError | null = null
  const { fail, done } = feed(req, bb, limits.maxBodySize, (err) => {
    failure = err
    for (const s of spools) s.destroy()
    // Never destroy req itself: that would close the socket before the error is sent.
    bb.removeAllListeners('file')
    bb.removeAllListeners('field')
    bb.on('error', () => undefined)
    // Not synchronously: busboy may still be inside its own emit (e.g. 'limit') and would
    // then touch the file stream that destroy() just cleared.
    process.nextTick(() => bb.destroy())
  })

  bb.on('field', (name: string | undefined, value: string, info: busboy.FieldInfo) => {
    if (!name) return fail(badRequest('Multipart field without a name'))
    if (info.nameTruncated)
      return fail(tooLarge(`Multipart field name too long (limit ${limits.maxFieldSize} bytes)`))
    if (info.valueTruncated) {
      return fail(tooLarge(`Form field "${name}" too large (limit ${limits.maxFieldSize} bytes)`))
    }
    forms.append(name, value)
  })
  bb.on('file', (name: string | undefined, stream: Readable, info: busboy.FileInfo) => {
    // busboy destroys the current file stream with an error when it is torn down: never unhandled.
    stream.on('error', () => undefined)
    // Read now: the answer belongs to this part only until the next part's headers.
    const sent = partContentType()
    // Bottle's FileUpload reports the part's header as sent; a value Node could not send
    // back in a header (control characters) falls back to busboy's parsed type.
    const type =
      sent === undefined
        ? info.mimeType
        : sent === null
          ? ''
          : UNSENDABLE.test(sent)
            ? info.mimeType
            : sent
    if (!name) {
      stream.resume()
      return fail(badRequest('Multipart file part without a name'))
    }
    const raw = info.filename ?? ''
    if (BAD_FILENAME.test(raw)) {
      stream.resume()
      return fail(badRequest('Multipart filename contains CR, LF or NUL'))
    }
    const spool = new Spool(limits.memfileMax, (p) => temps.push(p), limits.tempDir)
    spools.push(spool)
    stream.on('limit', () => {
      fail(tooLarge(`Uploaded file "${name}" too large (limit ${limits.maxFileSize} bytes)`))
    })
    pending.push(
      pipeline(stream, spool).then(
        () => {
          const headers = new HeaderDict()
          headers.append('Content-Disposition', `form-data; name="${name}"; filename="${raw}"`)
          // A part sent without Content-Type has none, as in Bottle (not busboy's text/plain).
          if (type) headers.append('Content-Type', type)
          // Appended once all parts are in, in the order they were sent.
          return new FileUpload(spool.result(), name, raw, headers)
        },
        (err: unknown) => {
          fail(
            storageError(err) ??
              badRequest(`Error receiving upload "${name}": ${(err as Error).message}`, err)
          )
          return null
        }
      )
    )
  })
  bb.on('partsLimit', () => fail(tooLarge(`Too many multipart parts (limit ${limits.maxParts})`)))
  bb.on('filesLimit', () => fail(tooLarge(`Too many uploaded files (limit ${limits.maxFiles})`)))
  bb.on('fieldsLimit', () => fail(tooLarge(`Too many form fields (limit ${limits.maxFields})`)))

  return done
    .then(() => Promise.all(pending))
    .then((uploads) => {
      // A limit or error may have been hit while the last file was spooling.
      if (failure) throw failure
      for (const upload of uploads) if (upload) files.append(upload.name, upload)
      return new RequestBody(
        new SpooledFile(Buffer.alloc(0)),
        contentType,
        { forms, files },
        limits.maxFields
      )
    })
    .catch(async (err: unknown) => {
      await Promise.allSettled(pending)
      await removeAll(temps, ...spools)
      throw err instanceof HTTPError ? err : badRequest(`Malformed multipart body: ${String(err)}`)
    })
}
