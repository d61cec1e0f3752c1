/**
 * Fault drills: what a request meets when the machine misbehaves. A body that must spool
 * to disk while the temporary directory is missing, under a regular file, or full gets a
 * 500 (misconfiguration, logged) or a 507 (no space), leaves no temporary file and no
 * open descriptor behind, and the next request succeeds. A storm of handler and hook
 * exceptions over a real socket leaves the heap flat and the server answering.
 *
 * A full disk is produced by the kernel itself: the spool's descriptors are redirected to
 * `/dev/full` after a first partial write, through Node's own `fs` module object (which
 * upload.ts reads through its live ESM bindings), so the file exists half-written when
 * the real `ENOSPC` arrives.
 */
import fs, { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { syncBuiltinESMExports } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Bottle, request, response } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import { describeMatrix, listen } from '../_helpers.js'

function openFds(): number {
  return readdirSync('/proc/self/fd').length
}

async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
}

/** An app that spools anything past 1 KiB into `tempDir` and reports what it received. */
function spoolingApp(tempDir: string): { app: Bottle; logged: unknown[] } {
  const app = new Bottle({ memfileMax: 1024, tempDir })
  const logged: unknown[] = []
  app.logError = (err) => void logged.push(err)
  app.post('/raw', () => ({ size: request.body.length, spooled: request.body.file.path !== null }))
  app.post('/upload', () => {
    const up = request.files.get('f')
    return { size: up?.contentLength ?? -1, dir: up?.file.path ? dirname(up.file.path) : null }
  })
  app.get('/ping', () => 'pong')
  return { app, logged }
}

const BIG = Buffer.alloc(300 * 1024, 'x')

let base: string
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'bottle-ts-faults-'))
})
afterEach(() => {
  rmSync(base, { recursive: true, force: true })
})

// --- Unwritable temporary directory ------------------------------------------------

describeMatrix('an unwritable tempDir is a logged 500', (client) => {
  const broken: [string, () => string, string][] = [
    ['a missing directory', () => join(base, 'missing'), 'ENOENT'],
    [
      'a path under a regular file',
      () => {
        writeFileSync(join(base, 'plain'), '')
        return join(base, 'plain', 'tmp')
      },
      'ENOTDIR',
    ],
  ]
  for (const [what, make, code] of broken) {
    it(`a raw body past memfileMax with ${what}`, async () => {
      const dir = make()
      const { app, logged } = spoolingApp(dir)
      const c = client(app)
      const before = readdirSync(base).length
      const fds = openFds()
      const res = await c.post('/raw', { body: BIG, headers: { 'content-type': 'text/plain' } })
      expect(res.status).toBe(500)
      expect(res.text()).toContain('the request body could not be stored')
      expect(res.header('connection')).toBe('close')
      expect(res.text()).not.toContain(dir)
      expect(logged).toHaveLength(1)
      expect((logged[0] as NodeJS.ErrnoException).code).toBe(code)
      expect(String((logged[0] as Error).message)).toContain(dir)
      expect(readdirSync(base).length).toBe(before)
      await eventually(() => openFds() <= fds)
      expect(openFds()).toBeLessThanOrEqual(fds)
      // The same app goes on answering, with and without a body to spool.
      expect((await c.get('/ping')).text()).toBe('pong')
      const small = await c.post('/raw', { body: 'abc', headers: { 'content-type': 'text/plain' } })
      expect(small.json()).toEqual({ size: 3, spooled: false })
      app.config.set('tempDir', base)
      const ok = await c.post('/raw', { body: BIG, headers: { 'content-type': 'text/plain' } })
      expect(ok.json()).toEqual({ size: BIG.length, spooled: true })
    })

    it(`a multipart upload past memfileMax with ${what}`, async () => {
      const dir = make()
      const { app, logged } = spoolingApp(dir)
      const c = client(app)
      const fds = openFds()
      const res = await c.post('/upload', {
        multipart: { note: 'hi', f: { filename: 'big.bin', content: BIG } },
      })
      expect(res.status).toBe(500)
      expect(logged).toHaveLength(1)
      expect((logged[0] as NodeJS.ErrnoException).code).toBe(code)
      await eventually(() => openFds() <= fds)
      expect(openFds()).toBeLessThanOrEqual(fds)
      app.config.set('tempDir', base)
      const ok = await c.post('/upload', { multipart: { f: { filename: 'b', content: BIG } } })
      expect(ok.json()).toEqual({ size: BIG.length, dir: base })
      // Removed once the response closed.
      await eventually(() => readdirSync(base).filter((n) => n !== 'plain').length === 0)
      expect(readdirSync(base).filter((n) => n !== 'plain')).toEqual([])
    })
  }
})

// --- Full disk ---------------------------------------------------------------------

/**
 * Makes every spool file in `dir` fill up: the first write lands 4 KiB for real, every
 * later one goes to /dev/full and fails with the kernel's ENOSPC. Returns the paths that
 * were half-written and a restore function.
 */
function fillUp(dir: string): { halfWritten: string[]; restore: () => void } {
  const realWritev = fs.writev
  const full = fs.openSync('/dev/full', 'w')
  const halfWritten: string[] = []
  const patched = (fd: number, buffers: NodeJS.ArrayBufferView[], ...rest: unknown[]): void => {
    let target: string | null = null
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      // Not a file descriptor we can name: leave it alone.
    }
    const call = realWritev as (...args: unknown[]) => void
    if (target === null || !target.startsWith(dir + '/')) return call(fd, buffers, ...rest)
    if (!halfWritten.includes(target)) {
      halfWritten.push(target)
      const first = buffers[0] as Buffer
      return call(fd, [first.subarray(0, Math.min(first.length, 4096))], ...rest)
    }
    return call(full, buffers, ...rest)
  }
  fs.writev = patched as unknown as typeof fs.writev
  syncBuiltinESMExports()
  return {
    halfWritten,
    restore: () => {
      fs.writev = realWritev
      syncBuiltinESMExports()
      fs.closeSync(full)
    },
  }
}

describeMatrix('a full disk is a 507 that leaves nothing behind', (client) => {
  const cases: [string, string, () => Record<string, unknown>][] = [
    ['a raw body', '/raw', () => ({ body: BIG, headers: { 'content-type': 'text/plain' } })],
    [
      'a multipart upload',
      '/upload',
      () => ({ multipart: { f: { filename: 'b', content: BIG } } }),
    ],
  ]
  for (const [what, path, init] of cases) {
    it(what, async () => {
      const { app, logged } = spoolingApp(base)
      const c = client(app)
      const fds = openFds()
      const disk = fillUp(base)
      let res
      try {
        res = await c.post(path, init())
      } finally {
        disk.restore()
      }
      // The drill really wrote part of a file before the disk filled up.
      expect(disk.halfWritten).toHaveLength(1)
      expect(res.status).toBe(507)
      expect(res.text()).toContain('no space left to store the request body')
      expect(res.header('connection')).toBe('close')
      expect(logged).toHaveLength(1)
      expect((logged[0] as NodeJS.ErrnoException).code).toBe('ENOSPC')
      expect(existsSync(disk.halfWritten[0]!)).toBe(false)
      expect(readdirSync(base)).toEqual([])
      await eventually(() => openFds() <= fds)
      expect(openFds()).toBeLessThanOrEqual(fds)
      // Space again: the same request goes through.
      const ok = await c.post(path, init())
      expect(ok.status).toBe(200)
      expect(ok.json<{ size: number }>().size).toBe(BIG.length)
    })
  }
})

// --- Configuration -----------------------------------------------------------------

describe('the tempDir config key', () => {
  it('refuses a relative path, an empty string, a NUL byte and a non-string when set', () => {
    const app = new Bottle()
    for (const bad of ['tmp', '', '/tmp/a\0b', 42, null]) {
      expect(() => app.config.set('tempDir', bad as string)).toThrow(/tempDir must be an absolute/)
    }
    expect(() => new Bottle({ tempDir: './up' })).toThrow(TypeError)
  })

  it('spools into os.tmpdir() when unset, and into a route override when given', async () => {
    const app = new Bottle({ memfileMax: 16 })
    const where = (): string | null => {
      const p = request.body.file.path
      response.setHeader('X-Exists', String(p !== null && existsSync(p)))
      return p === null ? null : dirname(p)
    }
    app.post('/default', where)
    app.post('/own', { tempDir: base }, where)
    const c = new TestClient(app)
    const body = Buffer.alloc(64, 'y')
    const d = await c.post('/default', { body, headers: { 'content-type': 'text/plain' } })
    expect(d.text()).toBe(tmpdir())
    expect(d.header('x-exists')).toBe('true')
    const o = await c.post('/own', { body, headers: { 'content-type': 'text/plain' } })
    expect(o.text()).toBe(base)
    await eventually(() => readdirSync(base).length === 0)
    expect(readdirSync(base)).toEqual([])
  })
})

// --- Exception storm ---------------------------------------------------------------

/** `gc()` without --expose-gc on the command line: the flag is set at run time. */
function forceGc(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

describe('an exception storm over a real socket', () => {
  it('1,000 throws in handlers and hooks leave the heap flat and the server answering', async () => {
    const app = new Bottle()
    let logged = 0
    app.logError = () => void logged++
    app.hook('before_request')(() => {
      if (request.pathInfo === '/before') throw new Error('before_request failed')
    })
    app.hook('after_request')(() => {
      if (request.pathInfo === '/after') throw new Error('after_request failed')
    })
    // Each error carries 40 KB of heap, so retaining even a few hundred would show.
    const failure = (what: string): Error =>
      Object.assign(new Error(what), { payload: new Array<number>(5000).fill(1) })
    app.get('/sync', () => {
      throw failure('sync failure')
    })
    app.get('/async', async () => {
      await new Promise((r) => setImmediate(r))
      throw failure('async failure')
    })
    app.get('/before', () => 'unreached')
    app.get('/after', () => 'body')
    app.get('/ok', () => 'fine')
    const server = await listen(app)
    const agent = new Agent({ keepAlive: true, maxSockets: 8 })
    const get = (path: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = httpRequest(`${server.url}${path}`, { agent }, (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
        })
        req.on('error', reject)
        req.end()
      })
    const paths = ['/sync', '/async', '/before', '/after']
    const storm = async (n: number): Promise<Map<number, number>> => {
      const statuses = new Map<number, number>()
      for (let i = 0; i < n; i += 8) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(8, n - i) }, (_, j) => get(paths[(i + j) % 4]!))
        )
        for (const s of batch) statuses.set(s, (statuses.get(s) ?? 0) + 1)
      }
      return statuses
    }
    const gc = forceGc()
    try {
      await storm(200) // warm up JIT, pools and the agent's sockets
      gc()
      gc()
      const before = process.memoryUsage().heapUsed
      logged = 0
      const statuses = await storm(1000)
      gc()
      gc()
      const growth = process.memoryUsage().heapUsed - before
      expect(statuses.get(500)).toBe(1000)
      expect(logged).toBe(1000)
      expect(growth).toBeLessThan(5 * 1024 * 1024)
      expect(await get('/ok')).toBe(200)
    } finally {
      agent.destroy()
      await server.close()
    }
  }, 20_000)
})
