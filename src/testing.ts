/**
 * The in-process test client (`bottle-ts/testing`): requests go through Node's own HTTP
 * parser and `app.handle`, exactly as over a socket, but over an in-memory stream pair,
 * so no port is opened.
 * @module
 */
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
} from 'node:http'
import type { Bottle } from './app.js'
import { MemorySocket } from './internal/memory-socket.js'

/** Options of a test request. */
export interface TestRequestInit {
  /** Request headers. */
  headers?: Record<string, string | string[]>
  /** Query parameters appended to the URL. */
  query?: Record<string, string | number | (string | number)[]>
  /** A raw body. */
  body?: string | Buffer | Uint8Array
  /** A JSON body (sets Content-Type). */
  json?: unknown
  /** A urlencoded form body (sets Content-Type). */
  form?: Record<string, string | number | (string | number)[]>
  /** A multipart body: strings are fields, `{ filename, content, contentType }` are files. */
  multipart?: Record<
    string,
    string | { filename: string; content: string | Buffer; contentType?: string }
  >
  /** The client address the app sees (default 127.0.0.1). */
  remoteAddress?: string
}

/** A response from the test client. */
export class TestResponse {
  /** The status code. */
  readonly status: number
  /** The reason phrase. */
  readonly statusText: string
  /** The response headers, lower-case names (as Node gives them). */
  readonly headers: IncomingHttpHeaders
  /** The raw body bytes. */
  readonly body: Buffer

  constructor(status: number, statusText: string, headers: IncomingHttpHeaders, body: Buffer) {
    this.status = status
    this.statusText = statusText
    this.headers = headers
    this.body = body
  }

  /** The body as UTF-8 text. */
  text(): string {
    return this.body.toString('utf8')
  }

  /** The body parsed as JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T
  }

  /** One header (lower-case name), joined with `, ` when repeated. */
  header(name: string): string | undefined {
    const value = this.headers[name.toLowerCase()]
    return Array.isArray(value) ? value.join(', ') : value
  }

  /** Cookies set by this response, name to value. */
  get cookies(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const line of this.headers['set-cookie'] ?? []) {
      const [pair] = line.split(';')
      const eq = pair!.indexOf('=')
      if (eq > 0) out[pair!.slice(0, eq).trim()] = decodeCookie(pair!.slice(eq + 1).trim())
    }
    return out
  }
}

/** Percent-decodes a cookie value; a malformed escape leaves it as sent. */
function decodeCookie(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/**
 * A client that sends requests to an app in memory, keeping cookies across calls.
 * @example
 * const client = new TestClient(app)
 * const res = await client.get('/hello', { query: { name: 'World' } })
 * expect(res.text()).toBe('Hello World')
 */
export class TestClient {
  /** The app or Node handler under test. */
  readonly app: Bottle
  /** Cookies kept from earlier responses and sent with later requests. */
  readonly cookies: Map<string, string> = new Map()
  readonly #server: Server

  constructor(app: Bottle) {
    this.app = app
    this.#server = createServer(app.handler)
  }

  /** Sends a request with any method. */
  request(method: string, url: string, init: TestRequestInit = {}): Promise<TestResponse> {
    const headers: Record<string, string | string[]> = { host: 'localhost', ...init.headers }
    let body: Buffer | undefined
    if (init.json !== undefined) {
      body = Buffer.from(JSON.stringify(init.json))
      headers['content-type'] ??= 'application/json'
    } else if (init.form) {
      body = Buffer.from(encodeForm(init.form))
      headers['content-type'] ??= 'application/x-www-form-urlencoded'
    } else if (init.multipart) {
      const boundary = '----bottle-ts-test-' + Math.random().toString(16).slice(2)
      body = encodeMultipart(init.multipart, boundary)
      headers['content-type'] ??= `multipart/form-data; boundary=${boundary}`
    } else if (init.body !== undefined) {
      body = typeof init.body === 'string' ? Buffer.from(init.body) : Buffer.from(init.body)
    }
    if (body && !Object.keys(headers).some((h) => h.toLowerCase() === 'transfer-encoding')) {
      headers['content-length'] = String(body.length)
    }
    if (this.cookies.size && !Object.keys(headers).some((h) => h.toLowerCase() === 'cookie')) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ')
    }
    const path = init.query
      ? `${url}${url.includes('?') ? '&' : '?'}${encodeForm(init.query)}`
      : url
    const [serverSide, clientSide] = MemorySocket.pair({ remoteAddress: init.remoteAddress })
    this.#server.emit('connection', serverSide)
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          method,
          path,
          headers,
          createConnection: () => clientSide,
          setHost: false,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', reject)
          res.on('end', () => {
            const response = new TestResponse(
              res.statusCode ?? 0,
              res.statusMessage ?? '',
              res.headers,
              Buffer.concat(chunks)
            )
            for (const [k, v] of Object.entries(response.cookies)) {
              if (
                v === '' ||
                /max-age=-|expires=thu, 01 jan 1970/i.test(String(res.headers['set-cookie']))
              )
                this.cookies.delete(k)
              else this.cookies.set(k, v)
            }
            clientSide.destroy()
            resolve(response)
          })
          res.on('aborted', () => reject(new Error('The server aborted the response')))
        }
      )
      req.on('error', reject)
      if (body && method !== 'HEAD') req.end(body)
      else req.end()
    })
  }

  /**
   * Sends raw bytes as they are (for malformed or unusual requests) and resolves with
   * everything the server writes until it closes the connection.
   */
  raw(data: string | Buffer, init: { remoteAddress?: string } = {}): Promise<Buffer> {
    const [serverSide, clientSide] = MemorySocket.pair({ remoteAddress: init.remoteAddress })
    this.#server.emit('connection', serverSide)
    return new Promise((resolve) => {
      const chunks: Buffer[] = []
      clientSide.on('data', (c: Buffer) => chunks.push(c))
      const done = (): void => resolve(Buffer.concat(chunks))
      clientSide.on('end', done)
      clientSide.on('close', done)
      clientSide.write(data)
    })
  }

  /** GET */
  get(url: string, init?: TestRequestInit): Promise<TestResponse> {
    return this.request('GET', url, init)
  }
  /** POST */
  post(url: string, init?: TestRequestInit): Promise<TestResponse> {
    return this.request('POST', url, init)
  }
  /** PUT */
  put(url: string, init?: TestRequestInit): Promise<TestResponse> {
    return this.request('PUT', url, init)
  }
  /** PATCH */
  patch(url: string, init?: TestRequestInit): Promise<TestResponse> {
    return this.request('PATCH', url, init)
  }
  /** DELETE */
  delete(url: string, init?: TestRequestInit): Promise<TestResponse> {
    return this.request('DELETE', url, init)
  }
  /** HEAD */
  head(url: string, init?: TestRequestInit): Promise<TestResponse> {
    return this.request('HEAD', url, init)
  }
  /** OPTIONS */
  options(url: string, init?: TestRequestInit): Promise<TestResponse> {
    return this.request('OPTIONS', url, init)
  }
}

function encodeForm(form: Record<string, string | number | (string | number)[]>): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(form)) {
    for (const item of Array.isArray(v) ? v : [v]) {
      parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(item))}`)
    }
  }
  return parts.join('&')
}

/** Encodes fields and files as a multipart/form-data body with the given boundary. */
export function encodeMultipart(
  fields: NonNullable<TestRequestInit['multipart']>,
  boundary: string
): Buffer {
  const chunks: Buffer[] = []
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\n`))
    if (typeof value === 'string') {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`))
    } else {
      chunks.push(
        Buffer.from(
          `Content-Disposition: form-data; name="${name}"; filename="${value.filename}"\r\n` +
            `Content-Type: ${value.contentType ?? 'application/octet-stream'}\r\n\r\n`
        )
      )
      chunks.push(Buffer.isBuffer(value.content) ? value.content : Buffer.from(value.content))
      chunks.push(Buffer.from('\r\n'))
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return Buffer.concat(chunks)
}
