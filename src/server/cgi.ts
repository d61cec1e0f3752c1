/**
 * The cgi adapter (Bottle's `CGIServer`): for hosts where CGI is the only option. One
 * request comes from the CGI environment (`REQUEST_METHOD`, `SCRIPT_NAME`, `PATH_INFO`,
 * `QUERY_STRING`, `CONTENT_TYPE`, `CONTENT_LENGTH`, `HTTP_*`) and stdin; the response
 * goes to stdout with a `Status:` line, as RFC 3875 asks. The request is replayed
 * through Node's own HTTP parser over an in-memory connection, so the app runs exactly
 * as it would behind the node adapter. Quiet by default: stderr is the host's error log.
 * @module
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { Readable, Writable } from 'node:stream'
import { MemorySocket } from '../internal/memory-socket.js'
import { kScriptName } from '../internal/proxy.js'
import { ServerAdapter, type RequestHandler, type ServerOptions } from './adapter.js'

/** Options of the cgi adapter. */
export interface CGIServerOptions extends ServerOptions {
  /** The CGI environment (default `process.env`). */
  env?: NodeJS.ProcessEnv
  /** Where the request body comes from (default `process.stdin`). */
  stdin?: Readable
  /** Where the response goes (default `process.stdout`). */
  stdout?: Writable
}

/** Request headers from the CGI meta-variables. */
export function cgiHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('HTTP_') || value === undefined) continue
    // Hop-by-hop framing belongs to the host's connection, not to this replay.
    const name = key.slice(5).toLowerCase().replace(/_/g, '-')
    if (name === 'connection' || name === 'transfer-encoding' || name === 'proxy') continue
    headers[name] = value
  }
  if (env.CONTENT_TYPE) headers['content-type'] = env.CONTENT_TYPE
  if (!headers.host)
    headers.host = `${env.SERVER_NAME ?? 'localhost'}${env.SERVER_PORT ? `:${env.SERVER_PORT}` : ''}`
  return headers
}

/** CGI adapter: serves the one request of this process, then lets it exit. */
export class CGIServer extends ServerAdapter {
  constructor(options: CGIServerOptions = {}) {
    super({ quiet: true, ...options })
  }

  override toString(): string {
    return 'CGIServer()'
  }

  async run(handler: RequestHandler): Promise<string> {
    const o = this.options as CGIServerOptions
    const env = o.env ?? process.env
    const stdout = o.stdout ?? process.stdout
    const method = (env.REQUEST_METHOD ?? 'GET').toUpperCase()
    const pathInfo = env.PATH_INFO || '/'
    const query = env.QUERY_STRING ? `?${env.QUERY_STRING}` : ''
    const length = Number.parseInt(env.CONTENT_LENGTH ?? '', 10)
    const body = length > 0 ? await readBody(o.stdin ?? process.stdin, length) : undefined
    const headers = cgiHeaders(env)
    if (body) headers['content-length'] = String(body.length)

    const https = (env.HTTPS ?? '').toLowerCase() === 'on' || env.REQUEST_SCHEME === 'https'
    const [serverSide, clientSide] = MemorySocket.pair({
      remoteAddress: env.REMOTE_ADDR ?? '127.0.0.1',
      remotePort: Number(env.REMOTE_PORT) || 0,
      encrypted: https,
    })
    // The host routed SCRIPT_NAME to this script: it is the mount point, and the request
    // line carries only PATH_INFO, which the app routes on.
    const scriptName = env.SCRIPT_NAME ?? ''
    createServer((req, res) => {
      if (scriptName) Object.assign(req, { [kScriptName]: scriptName })
      handler(req, res)
    }).emit('connection', serverSide)

    const res = await new Promise<{
      status: number
      reason: string
      headers: IncomingHttpHeaders
      raw: string[]
      body: Buffer
    }>((resolve, reject) => {
      const req = httpRequest(
        {
          method,
          path: encodePath(pathInfo) + query,
          headers,
          createConnection: () => clientSide,
          setHost: false,
        },
        (r) => {
          const chunks: Buffer[] = []
          r.on('data', (c: Buffer) => chunks.push(c))
          r.on('end', () =>
            resolve({
              status: r.statusCode ?? 500,
              reason: r.statusMessage ?? '',
              headers: r.headers,
              raw: r.rawHeaders,
              body: Buffer.concat(chunks),
            })
          )
          r.on('error', reject)
        }
      )
      req.on('error', reject)
      req.end(body)
    })

    let head = `Status: ${res.status} ${res.reason}\r\n`
    for (let i = 0; i < res.raw.length; i += 2) {
      const name = res.raw[i]!
      const lower = name.toLowerCase()
      // The host adds its own framing; a CGI script must not send these.
      if (lower === 'connection' || lower === 'transfer-encoding' || lower === 'keep-alive')
        continue
      head += `${name}: ${res.raw[i + 1]}\r\n`
    }
    if (res.headers['content-length'] === undefined && method !== 'HEAD')
      head += `Content-Length: ${res.body.length}\r\n`
    await new Promise<void>((resolve, reject) =>
      stdout.write(Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), res.body]), (err) =>
        err ? reject(err) : resolve()
      )
    )
    clientSide.destroy()
    return 'cgi'
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}

/** CGI gives a decoded `PATH_INFO`; the request line needs it percent-encoded again. */
function encodePath(path: string): string {
  return path.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/g, (c) => encodeURIComponent(c))
}

function readBody(stdin: Readable, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk)
      size += chunk.length
      if (size >= length) finish()
    }
    const finish = (): void => {
      stdin.off('data', onData)
      stdin.pause()
      resolve(Buffer.concat(chunks).subarray(0, length))
    }
    stdin.on('data', onData)
    stdin.once('end', finish)
    stdin.once('error', reject)
  })
}
