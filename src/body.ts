/**
 * Reading request bodies (Bottle's body handling and "Multipart Handling"): the body is
 * read after routing and before the callback, within the route's limits, so that
 * `request.body`, `forms`, `files` and `json` are synchronous in handlers.
 *
 * Security: every size is bounded (`maxBodySize` for the whole body, checked against the
 * declared Content-Length before any byte is read); a limit hit is a 413, never a
 * silently truncated value; bad JSON is a 400 and `__proto__` keys stay plain data.
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { HTTPError } from './errors.js'
import { parseQuery } from './internal/url.js'
import { FormsDict, MultiDict } from './structures.js'

/** Limits applied while reading a body; from app config, overridable per route. */
export interface BodyLimits {
  /** The largest body accepted, in bytes (413 beyond). Default 1 MiB... */
  maxBodySize: number
  /** Bodies and parts larger than this spool to a temporary file. */
  memfileMax: number
}

/** Default limits. */
export const DEFAULT_LIMITS: Readonly<BodyLimits> = Object.freeze({
  maxBodySize: 10 * 1024 * 1024,
  memfileMax: 102400,
})

/** An uploaded file from a multipart body. */
export class FileUpload {
  /** The form field name. */
  readonly name: string
  /** The client's file name as sent. */
  readonly rawFilename: string
  /** The part's headers. */
  readonly headers: Record<string, string>
  /** The content, when held in memory. */
  readonly data: Buffer

  constructor(
    data: Buffer,
    name: string,
    rawFilename: string,
    headers: Record<string, string> = {}
  ) {
    this.data = data
    this.name = name
    this.rawFilename = rawFilename
    this.headers = headers
  }

  /** The part's Content-Type. */
  get contentType(): string {
    return this.headers['content-type'] ?? ''
  }

  /** The size in bytes. */
  get contentLength(): number {
    return this.data.length
  }

  /** A file name safe to use on the local disk (no paths, no odd characters). */
  get filename(): string {
    const base = this.rawFilename.split(/[\\/]/).pop() ?? ''
    const cleaned = base
      .normalize('NFKD')
      .replace(/[^\w.\s-]/g, '')
      .trim()
      .replace(/[-\s]+/g, '-')
      .replace(/^[.-]+|[.-]+$/g, '')
    return cleaned.slice(0, 255) || 'empty'
  }
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json(?:-rpc)?\s*(?:;|$)/i

/** A read body: bytes, a file-like reader over them, and the parsed forms and JSON. */
export class RequestBody {
  /** The raw body bytes. */
  readonly buffer: Buffer
  #pos = 0
  #forms: FormsDict | null = null
  #files: MultiDict<FileUpload> | null = null
  #json: { value: unknown } | null = null
  #contentType: string

  constructor(buffer: Buffer, contentType: string) {
    this.buffer = buffer
    this.#contentType = contentType
  }

  /** Reads up to `size` bytes (all that is left by default) from the current position. */
  read(size = -1): Buffer {
    const end = size < 0 ? this.buffer.length : Math.min(this.buffer.length, this.#pos + size)
    const out = this.buffer.subarray(this.#pos, end)
    this.#pos = end
    return out
  }

  /** Moves the read position. */
  seek(offset: number): void {
    this.#pos = Math.max(0, Math.min(offset, this.buffer.length))
  }

  /** The read position. */
  tell(): number {
    return this.#pos
  }

  /** Rewinds to the start and returns itself. */
  rewind(): this {
    this.#pos = 0
    return this
  }

  /** The body as UTF-8 text. */
  text(): string {
    return this.buffer.toString('utf8')
  }

  /** The JSON value for JSON media types, `null` otherwise; invalid JSON is a 400. */
  json(contentType = this.#contentType): unknown {
    if (!JSON_TYPE.test(contentType)) return null
    if (this.#json) return this.#json.value
    if (!this.buffer.length) return (this.#json = { value: null }).value
    try {
      return (this.#json = { value: JSON.parse(this.buffer.toString('utf8')) as unknown }).value
    } catch (err) {
      throw new HTTPError(400, `Invalid JSON: ${(err as Error).message}`, err)
    }
  }

  /** Urlencoded (or multipart) form fields. */
  get forms(): FormsDict {
    if (this.#forms) return this.#forms
    const forms = FormsDict.create()
    if (!this.#contentType.startsWith('multipart/') && !JSON_TYPE.test(this.#contentType)) {
      parseQuery(this.buffer.toString('utf8'), (k, v) => forms.append(k, v))
    }
    return (this.#forms = forms)
  }

  /** Uploaded files. */
  get files(): MultiDict<FileUpload> {
    return (this.#files ??= new MultiDict<FileUpload>())
  }

  /** Fields and files together. */
  get post(): MultiDict<string | FileUpload> {
    const all = new MultiDict<string | FileUpload>()
    for (const [k, v] of this.forms.allitems()) all.append(k, v)
    for (const [k, v] of this.files.allitems()) all.append(k, v)
    return all
  }

  /** Removes temporary files. */
  async cleanup(): Promise<void> {}
}

const EMPTY = Buffer.alloc(0)

/** Whether a request carries a body to read. */
export function hasBody(req: IncomingMessage): boolean {
  const h = req.headers
  return (
    (h['content-length'] !== undefined && h['content-length'] !== '0') ||
    h['transfer-encoding'] !== undefined
  )
}

/** An empty body, for requests without one. */
export function emptyBody(contentType: string): RequestBody {
  return new RequestBody(EMPTY, contentType)
}

/** Reads the whole body within the limits. */
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<RequestBody> {
  const contentType = (req.headers['content-type'] ?? '').toLowerCase()
  const declared = Number(req.headers['content-length'] ?? -1)
  if (declared > limits.maxBodySize) {
    return Promise.reject(tooLarge(limits.maxBodySize))
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limits.maxBodySize) {
        cleanup()
        req.resume()
        reject(tooLarge(limits.maxBodySize))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      cleanup()
      resolve(
        new RequestBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), contentType)
      )
    }
    const onError = (err: Error): void => {
      cleanup()
      reject(new HTTPError(400, `Error reading the request body: ${err.message}`, err))
    }
    const onAborted = (): void => {
      cleanup()
      reject(new HTTPError(400, 'Request aborted by the client'))
    }
    const cleanup = (): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('aborted', onAborted)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('aborted', onAborted)
  })
}

function tooLarge(limit: number): HTTPError {
  return new HTTPError(413, `Request body too large (limit ${limit} bytes)`)
}
