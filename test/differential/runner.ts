/**
 * The differential runner: serves app.py under real Bottle and app.ts under bottle-ts on
 * free loopback ports, sends each case as the same raw bytes to both over `node:net` (so
 * HEAD, odd methods and malformed requests arrive exactly as written), normalises only
 * what must differ between two servers and compares status, headers and body.
 *
 * Normalised, and why:
 * - `Date`, `Server`, `Connection`, `Keep-Alive`, `Transfer-Encoding`: the servers differ
 *   (wsgiref speaks HTTP/1.0 and closes, Node chunks streams); the body is de-chunked.
 * - header-name case: Bottle title-cases names, Node keeps them; names are compared lowercased.
 * - the reason phrase: Python's and Node's stock phrases differ (`Request Entity Too Large`
 *   vs `Payload Too Large`), on the status line and in the error page's title; compared
 *   only when a case sets a custom one (`reason: true`).
 * - JSON bodies: compared as parsed values (Python writes `{"a": 1}`, JSON.stringify
 *   `{"a":1}`), so their Content-Length is checked per side against the body, not across.
 * - signed cookie values: each side signs in its own format (see differences.ts); the value
 *   becomes `<signed>` when it has the `!sig?payload` shape. Cookie attributes are compared
 *   as a set with lowercase names (their order and case carry no meaning).
 * - Bottle's error page: 0.12 and 0.13 ship different HTML around the same facts; both
 *   sides are reduced to status, URL and message (`error-page-markup` in differences.ts).
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Bottle } from 'bottle-ts'

/** The Python that has Debian's python3-bottle. */
export const PYTHON = process.env.BOTTLE_PYTHON ?? '/usr/bin/python3'
const APP_PY = fileURLToPath(new URL('./app.py', import.meta.url))

/** A request, described; `raw` sends exactly these bytes instead. */
export interface Req {
  method?: string
  path?: string
  /** `HTTP/1.1` unless set. */
  version?: string
  /** Extra headers, in order; `Host: localhost` and `Connection: close` come first unless given. */
  headers?: [string, string][]
  body?: string | Buffer
  /** Exact bytes to send; nothing is added. */
  raw?: string | Buffer
}

/** What a response must look like; only the fields given are checked. */
export interface Expect {
  status?: number
  reason?: string
  /** Normalised header values by lowercase name; `null` means absent, a pattern any one value. */
  headers?: Record<string, string | string[] | RegExp | null>
  /** The normalised body, or a pattern it must match. */
  body?: string | RegExp
}

/** One differential case: a request and how bottle-ts must answer it. */
export interface Case {
  /** The behaviour, as a title. */
  name: string
  /** Which app of app.py / app.ts serves it (`main` unless set). */
  app?: string
  req: Req
  /** Compare the reason phrase as well (for custom status lines). */
  reason?: boolean
  /** Compare the status only: for requests the HTTP parsers themselves refuse. */
  statusOnly?: string
  /** The id in differences.ts when bottle-ts differs on purpose or by version. */
  differs?: string
  /** With `differs`: bottle-ts's own expectation for those fields; the rest still must match. */
  ts?: Expect
  /** With `differs`: what Bottle does, checked so the recorded difference stays true. */
  py?: Expect
  /** A bottle-ts export this case needs; skipped while it is missing. */
  requires?: string
}

/** An area: a name and its cases. */
export interface Area {
  area: string
  /** A bottle-ts export the whole area needs. */
  requires?: string
  cases: Case[]
}

/** A parsed HTTP response. */
export interface RawResponse {
  status: number
  reason: string
  headers: [string, string][]
  body: Buffer
}

/** A response reduced to what is compared. */
export interface Normal {
  status: number
  reason: string
  headers: Map<string, string[]>
  body: string
  /** Problems of one side alone (a Content-Length that lies). */
  faults: string[]
}

/** The outcome of one case. */
export interface Outcome {
  area: string
  name: string
  kind: 'match' | 'differs' | 'mismatch' | 'skipped'
  problems: string[]
  differs?: string
}

// --- building and sending requests ----------------------------------------------------

/** A GET (or other method) request description. */
export function req(method: string, path: string, init: Omit<Req, 'method' | 'path'> = {}): Req {
  return { method, path, ...init }
}

/** The bytes of a request. */
export function encodeRequest(r: Req): Buffer {
  if (r.raw !== undefined) return Buffer.isBuffer(r.raw) ? r.raw : Buffer.from(r.raw, 'latin1')
  const headers = [...(r.headers ?? [])]
  const has = (name: string): boolean => headers.some(([k]) => k.toLowerCase() === name)
  if (!has('host')) headers.unshift(['Host', 'localhost'])
  if (!has('connection')) headers.push(['Connection', 'close'])
  const body =
    r.body === undefined ? null : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8')
  if (body && !has('content-length') && !has('transfer-encoding'))
    headers.push(['Content-Length', String(body.length)])
  const head =
    `${r.method ?? 'GET'} ${r.path ?? '/'} ${r.version ?? 'HTTP/1.1'}\r\n` +
    headers.map(([k, v]) => `${k}: ${v}\r\n`).join('') +
    '\r\n'
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1')
}

/** Sends bytes to a loopback port and collects everything until the server closes. */
export function sendRaw(port: number, data: Buffer, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      // A server that keeps the socket open after a complete answer is not an error here.
      if (chunks.length) resolve(Buffer.concat(chunks))
      else reject(new Error(`no answer on port ${port} within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', (err) => {
      clearTimeout(timer)
      if (chunks.length) resolve(Buffer.concat(chunks))
      else reject(err)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks))
    })
    // No half-close: Node's HTTP server drops a socket whose client has ended it while
    // an async answer is pending. `Connection: close` makes both servers close instead.
    socket.write(data)
  })
}

/** Parses a raw HTTP/1.x response; chunked bodies are decoded. */
export function parseResponse(data: Buffer): RawResponse {
  const end = data.indexOf('\r\n\r\n')
  if (end === -1) throw new Error(`incomplete response: ${JSON.stringify(data.toString('latin1'))}`)
  const lines = data.subarray(0, end).toString('latin1').split('\r\n')
  const m = /^HTTP\/\d\.\d (\d{3})(?: (.*))?$/.exec(lines[0] ?? '')
  if (!m) throw new Error(`bad status line: ${JSON.stringify(lines[0])}`)
  const headers: [string, string][] = []
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()])
  }
  let body = data.subarray(end + 4)
  const te = headers.find(([k]) => k.toLowerCase() === 'transfer-encoding')
  if (te && /chunked/i.test(te[1])) body = dechunk(body)
  return { status: Number(m[1]), reason: m[2] ?? '', headers, body }
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = []
  let pos = 0
  for (;;) {
    const eol = data.indexOf('\r\n', pos)
    if (eol === -1) break
    const size = parseInt(data.subarray(pos, eol).toString('latin1'), 16)
    if (!Number.isFinite(size) || size === 0) break
    out.push(data.subarray(eol + 2, eol + 2 + size))
    pos = eol + 2 + size + 2
  }
  return Buffer.concat(out)
}

// --- normalising -----------------------------------------------------------------------

const IGNORED = new Set(['date', 'server', 'connection', 'keep-alive', 'transfer-encoding'])

const ERROR_PAGE =
  /<title>Error: ([^<]*)<\/title>[\s\S]*<tt>([^<]*)<\/tt>\s*caused an error:<\/p>\s*<pre>([\s\S]*?)<\/pre>/

/** Reduces a response to what is compared. */
export function normalise(res: RawResponse, method: string, keepReason = false): Normal {
  const headers = new Map<string, string[]>()
  for (const [k, v] of res.headers) {
    const name = k.toLowerCase()
    if (IGNORED.has(name)) continue
    const list = headers.get(name) ?? []
    list.push(name === 'set-cookie' ? normaliseCookie(v) : v)
    headers.set(name, list)
  }
  const faults: string[] = []
  const length = headers.get('content-length')
  if (length && method !== 'HEAD' && Number(length[0]) !== res.body.length) {
    faults.push(`Content-Length ${length[0]} but the body has ${res.body.length} bytes`)
  }
  let body = bodyText(res.body)
  const type = headers.get('content-type')?.[0] ?? ''
  // A HEAD answer's length is that of the body it leaves out: an error page (see
  // error-page-markup) or JSON (whitespace) cannot agree across the two sides.
  if (
    method === 'HEAD' &&
    ((res.status >= 400 && type.startsWith('text/html')) || /json/i.test(type))
  )
    headers.delete('content-length')
  // wsgiref adds `Content-Length: 0` to every empty answer that has none; Node does not.
  // Where no body may follow (HEAD, 1xx, 204, 304) the zero carries no information.
  const bodiless = method === 'HEAD' || res.status < 200 || res.status === 204 || res.status === 304
  if (bodiless && headers.get('content-length')?.[0] === '0') headers.delete('content-length')
  if (/^application\/json/i.test(type) && res.body.length) {
    try {
      body = 'json:' + canonicalJson(JSON.parse(res.body.toString('utf8')) as unknown)
      headers.delete('content-length')
    } catch {
      faults.push('Content-Type says JSON but the body does not parse')
    }
  } else {
    const page = ERROR_PAGE.exec(body)
    if (page) {
      // The title holds the status line; its stock reason phrase is the server's own.
      const status = keepReason ? page[1] : (page[1] ?? '').split(' ', 1)[0]
      body = `[error page] status=${status} url=${page[2]} message=${page[3]}`
      headers.delete('content-length')
    }
  }
  return { status: res.status, reason: res.reason, headers, body, faults }
}

function bodyText(body: Buffer): string {
  const text = body.toString('utf8')
  return Buffer.from(text, 'utf8').equals(body) ? text : 'hex:' + body.toString('hex')
}

/** JSON with sorted keys, so that key order and whitespace do not count. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))
      )
    }
    return v
  })
}

/** `name=value; attrs` with signed values masked and attributes sorted, names lowercased. */
export function normaliseCookie(header: string): string {
  const [pair = '', ...attrs] = header.split(';').map((s) => s.trim())
  const eq = pair.indexOf('=')
  const name = pair.slice(0, eq)
  let value = pair.slice(eq + 1)
  const unquoted = value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
  let decoded = unquoted
  try {
    decoded = decodeURIComponent(unquoted)
  } catch {
    // Not percent-encoded: keep the text as it is.
  }
  if (/^!.+\?.+$/.test(decoded)) value = '<signed>'
  const norm = attrs
    .filter(Boolean)
    .map((a) => {
      const i = a.indexOf('=')
      return i === -1 ? a.toLowerCase() : a.slice(0, i).toLowerCase() + '=' + a.slice(i + 1)
    })
    .sort()
  return [`${name}=${value}`, ...norm].join('; ')
}

// --- comparing ---------------------------------------------------------------------------

function show(value: string | string[] | undefined | null): string {
  if (value === undefined || value === null) return 'absent'
  const text = Array.isArray(value) ? value.join(' | ') : value
  return JSON.stringify(text.length > 300 ? text.slice(0, 300) + '...' : text)
}

/** Differences between Bottle's and bottle-ts's normalised answers, skipping `except` fields. */
export function diff(
  py: Normal,
  ts: Normal,
  opts: { reason?: boolean; statusOnly?: boolean; except?: Expect }
): string[] {
  const out: string[] = []
  const except = opts.except ?? {}
  if (except.status === undefined && py.status !== ts.status)
    out.push(`status: Bottle ${py.status}, bottle-ts ${ts.status}`)
  if (opts.statusOnly) return out
  if (opts.reason && except.reason === undefined && py.reason !== ts.reason)
    out.push(`reason: Bottle ${show(py.reason)}, bottle-ts ${show(ts.reason)}`)
  const skip = new Set(Object.keys(except.headers ?? {}))
  // Another body means another length; each side's length is still checked against its body.
  if (except.body !== undefined) skip.add('content-length')
  const names = [...new Set([...py.headers.keys(), ...ts.headers.keys()])].sort()
  for (const name of names) {
    if (skip.has(name)) continue
    const a = py.headers.get(name)
    const b = ts.headers.get(name)
    if (JSON.stringify(a) !== JSON.stringify(b))
      out.push(`header ${name}: Bottle ${show(a)}, bottle-ts ${show(b)}`)
  }
  if (except.body === undefined && py.body !== ts.body)
    out.push(`body: Bottle ${show(py.body)}, bottle-ts ${show(ts.body)}`)
  for (const f of ts.faults) out.push(`bottle-ts: ${f}`)
  return out
}

/** Where a response breaks an expectation (`who` names the side in the message). */
export function check(who: string, res: Normal, want: Expect): string[] {
  const out: string[] = []
  if (want.status !== undefined && res.status !== want.status)
    out.push(`${who} status: expected ${want.status}, got ${res.status}`)
  if (want.reason !== undefined && res.reason !== want.reason)
    out.push(`${who} reason: expected ${show(want.reason)}, got ${show(res.reason)}`)
  for (const [name, value] of Object.entries(want.headers ?? {})) {
    const got = res.headers.get(name)
    if (value instanceof RegExp) {
      if (got?.length !== 1 || !value.test(got[0]!))
        out.push(
          `${who} header ${name}: expected one value like ${String(value)}, got ${show(got)}`
        )
      continue
    }
    const expected = value === null ? undefined : Array.isArray(value) ? value : [value]
    if (JSON.stringify(got) !== JSON.stringify(expected))
      out.push(`${who} header ${name}: expected ${show(expected)}, got ${show(got)}`)
  }
  if (want.body !== undefined) {
    const ok = typeof want.body === 'string' ? res.body === want.body : want.body.test(res.body)
    if (!ok) out.push(`${who} body: expected ${show(String(want.body))}, got ${show(res.body)}`)
  }
  return out
}

// --- servers -------------------------------------------------------------------------------

/** Whether the Python side can run at all, and why not. */
export function bottleAvailable(): { ok: true } | { ok: false; why: string } {
  const r = spawnSync(PYTHON, ['-c', 'import bottle'], { encoding: 'utf8', timeout: 10000 })
  if (r.error) return { ok: false, why: `${PYTHON} cannot be run: ${r.error.message}` }
  if (r.status !== 0)
    return { ok: false, why: `${PYTHON} cannot import bottle (apt-get install python3-bottle)` }
  return { ok: true }
}

/** Running servers of one side: app name -> port. */
export interface Side {
  ports: Record<string, number>
  version: string
  close(): Promise<void>
}

/** Starts app.py; resolves once its servers listen. */
export async function startBottle(): Promise<Side> {
  const child: ChildProcess = spawn(PYTHON, ['-W', 'ignore', APP_PY], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
  const lines = createInterface({ input: child.stdout! })
  const first = await Promise.race([
    once(lines, 'line') as Promise<[string]>,
    once(child, 'exit').then(() => {
      throw new Error(`app.py exited before listening:\n${stderr}`)
    }),
  ])
  const info = JSON.parse(first[0]) as { ports: Record<string, number>; version: string }
  return {
    ports: info.ports,
    version: info.version,
    close: async () => {
      lines.close()
      child.stdin?.end()
      if (child.exitCode === null) {
        const exited = once(child, 'exit')
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000)
        await exited
        clearTimeout(timer)
      }
    },
  }
}

/** Serves each bottle-ts app on its own loopback port. */
export async function startBottleTs(apps: Record<string, Bottle>): Promise<Side> {
  const servers: Server[] = []
  const ports: Record<string, number> = {}
  for (const [name, app] of Object.entries(apps)) {
    const server = createServer(app.handler)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    servers.push(server)
    ports[name] = (server.address() as AddressInfo).port
  }
  return {
    ports,
    version: 'bottle-ts',
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections()
              s.close(() => resolve())
            })
        )
      )
    },
  }
}

// --- running ---------------------------------------------------------------------------------

/** Runs one case against both sides. */
export async function runCase(
  area: string,
  c: Case,
  py: Side,
  ts: Side,
  known: ReadonlySet<string>,
  available: (name: string) => boolean
): Promise<Outcome> {
  const base = { area, name: c.name }
  if (c.requires && !available(c.requires))
    return { ...base, kind: 'skipped', problems: [`bottle-ts has no ${c.requires} yet`] }
  if (c.differs !== undefined && !known.has(c.differs))
    return { ...base, kind: 'mismatch', problems: [`unknown difference id ${c.differs}`] }
  const app = c.app ?? 'main'
  const pyPort = py.ports[app]
  const tsPort = ts.ports[app]
  if (pyPort === undefined || tsPort === undefined)
    return { ...base, kind: 'mismatch', problems: [`no app named ${app} on both sides`] }
  const bytes = encodeRequest(c.req)
  const method = c.req.raw !== undefined ? rawMethod(bytes) : (c.req.method ?? 'GET')
  let a: Normal
  let b: Normal
  try {
    ;[a, b] = await Promise.all([
      answer('Bottle', pyPort, bytes, method, c.reason === true),
      answer('bottle-ts', tsPort, bytes, method, c.reason === true),
    ])
  } catch (err) {
    return { ...base, kind: 'mismatch', problems: [String(err)] }
  }
  // Another status means another response: only the expectations are checked then.
  const otherStatus = c.differs !== undefined && c.ts?.status !== undefined
  const problems = otherStatus
    ? b.faults.map((f) => `bottle-ts: ${f}`)
    : diff(a, b, {
        reason: c.reason,
        statusOnly: c.statusOnly !== undefined,
        except: c.differs ? c.ts : undefined,
      })
  if (c.differs) {
    problems.push(...check('bottle-ts', b, c.ts ?? {}))
    problems.push(...check('Bottle', a, c.py ?? {}))
  }
  if (problems.length) return { ...base, kind: 'mismatch', problems, differs: c.differs }
  return { ...base, kind: c.differs ? 'differs' : 'match', problems, differs: c.differs }
}

async function answer(
  who: string,
  port: number,
  bytes: Buffer,
  method: string,
  keepReason: boolean
): Promise<Normal> {
  try {
    return normalise(parseResponse(await sendRaw(port, bytes)), method, keepReason)
  } catch (err) {
    throw new Error(`${who}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
}

function rawMethod(bytes: Buffer): string {
  return bytes.toString('latin1').split(' ', 1)[0] ?? ''
}

/** Runs many promises with at most `limit` in flight. */
export async function pool<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/** One line per mismatch. */
export function formatMismatch(o: Outcome): string {
  const tag = o.differs ? ` (difference ${o.differs})` : ''
  return `MISMATCH [${o.area}] ${o.name}${tag}\n${o.problems.map((p) => `    ${p}`).join('\n')}`
}

/** The per-area summary table. */
export function formatSummary(outcomes: Outcome[]): string {
  const areas = new Map<string, Record<Outcome['kind'], number>>()
  for (const o of outcomes) {
    const row = areas.get(o.area) ?? { match: 0, differs: 0, mismatch: 0, skipped: 0 }
    row[o.kind]++
    areas.set(o.area, row)
  }
  const lines = ['area            cases  match  differs  mismatch  skipped']
  const total = { match: 0, differs: 0, mismatch: 0, skipped: 0 }
  for (const [area, r] of areas) {
    const n = r.match + r.differs + r.mismatch + r.skipped
    lines.push(
      `${area.padEnd(15)} ${String(n).padStart(5)}  ${String(r.match).padStart(5)}  ${String(r.differs).padStart(7)}  ${String(r.mismatch).padStart(8)}  ${String(r.skipped).padStart(7)}`
    )
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += r[k]
  }
  const n = total.match + total.differs + total.mismatch + total.skipped
  lines.push(
    `${'total'.padEnd(15)} ${String(n).padStart(5)}  ${String(total.match).padStart(5)}  ${String(total.differs).padStart(7)}  ${String(total.mismatch).padStart(8)}  ${String(total.skipped).padStart(7)}`
  )
  return lines.join('\n')
}
