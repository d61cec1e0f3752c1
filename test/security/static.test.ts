/**
 * staticFile against hostile names: NUL bytes, traversal in every spelling, absolute and
 * Windows paths, symlinks out of the root (the `root` vs `root + sep` case included),
 * dotfiles, special files and abusive Range headers. The tree is built in a temp dir
 * at run time because symlinks, FIFOs and sockets cannot live in git.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Bottle, HTTPError, staticFile, type StaticFileOptions } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import { FileBody } from '../../src/static.js'
import { describeMatrix } from '../_helpers.js'

let base: string
let pub: string
let sock: Server | null = null
const isRoot = process.getuid?.() === 0

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'bottle-ts-static-sec-'))
  pub = join(base, 'public')
  mkdirSync(join(pub, 'sub'), { recursive: true })
  mkdirSync(join(pub, '.git'))
  mkdirSync(join(pub, '.well-known'))
  mkdirSync(join(base, 'public-secret'))
  mkdirSync(join(base, 'outside-dir'))
  mkdirSync(join(base, 'name.d'))
  mkdirSync(join(base, 'name.dir'))
  writeFileSync(join(pub, 'index.txt'), 'public index')
  writeFileSync(join(pub, 'sub', 'file.txt'), 'sub file')
  writeFileSync(join(pub, 'do..ts.txt'), 'dots')
  writeFileSync(join(pub, '.env'), 'SECRET=1')
  writeFileSync(join(pub, '.git', 'config'), '[core]')
  writeFileSync(join(pub, '.well-known', 'security.txt'), 'Contact: x')
  writeFileSync(join(pub, 'unreadable.txt'), 'no access')
  chmodSync(join(pub, 'unreadable.txt'), 0)
  writeFileSync(join(base, 'secret.txt'), 'TOP SECRET')
  writeFileSync(join(base, 'public-secret', 'x.txt'), 'sibling secret')
  writeFileSync(join(base, 'outside-dir', 'y.txt'), 'outside')
  writeFileSync(join(base, 'name.dir', 'name.txt'), 'sibling name')
  symlinkSync('index.txt', join(pub, 'link-inside'))
  symlinkSync('../secret.txt', join(pub, 'link-outside'))
  symlinkSync('../public-secret/x.txt', join(pub, 'link-sibling'))
  symlinkSync('../outside-dir', join(pub, 'link-dir'))
  symlinkSync('/etc/passwd', join(pub, 'link-etc'))
  symlinkSync('loop', join(pub, 'loop'))
  symlinkSync('public', join(base, 'root-link'))
  execFileSync('mkfifo', [join(pub, 'fifo')])
  sock = createServer()
  await new Promise<void>((resolve) => sock!.listen(join(pub, 'sock'), resolve))
})

afterAll(async () => {
  await new Promise<void>((resolve) => (sock ? sock.close(() => resolve()) : resolve()))
  rmSync(base, { recursive: true, force: true })
})

function app(options: StaticFileOptions = {}, root?: string): Bottle {
  const a = new Bottle()
  a.get('/static/<filepath:path>', ({ filepath }) => staticFile(filepath, root ?? pub, options))
  return a
}

/** Reads a staticFile body (a lazy stream of the file) to text. */
async function text(res: { body: unknown }): Promise<string> {
  if (Buffer.isBuffer(res.body)) return res.body.toString()
  const chunks: Buffer[] = []
  for await (const chunk of res.body as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks).toString()
}

const status = async (name: string, options: StaticFileOptions = {}, root?: string) =>
  (await staticFile(name, root ?? pub, options)).statusCode

describeMatrix('staticFile traversal over both transports', (client) => {
  it('refuses encoded traversal that the router decodes once', async () => {
    const c = client(app())
    expect((await c.get('/static/..%2Fsecret.txt')).status).toBe(403)
    expect((await c.get('/static/sub%2F..%2F..%2Fsecret.txt')).status).toBe(403)
    expect((await c.get('/static/..%5Csecret.txt')).status).toBe(403)
    // Decoded once only: `%2e%2e` stays a literal (missing) name.
    expect((await c.get('/static/%252e%252e%252fsecret.txt')).status).toBe(404)
  })

  it('answers a NUL byte in the path with 400', async () => {
    expect((await client(app()).get('/static/index.txt%00.png')).status).toBe(400)
  })

  it('serves names that only look suspicious', async () => {
    const c = client(app())
    expect((await c.get('/static/do..ts.txt')).text()).toBe('dots')
    expect((await c.get('/static/sub/./file.txt')).text()).toBe('sub file')
  })
})

describe('staticFile: names refused before the file system', () => {
  it('answers a NUL byte with 400 and says why', async () => {
    const res = await staticFile('index.txt\0.png', pub)
    expect(res).toBeInstanceOf(HTTPError)
    expect(res.statusCode).toBe(400)
    expect(res.body).toMatch(/NUL/)
  })

  it('refuses every `..` segment with 403, even one that stays inside', async () => {
    expect(await status('../secret.txt')).toBe(403)
    expect(await status('sub/../../secret.txt')).toBe(403)
    expect(await status('sub/../index.txt')).toBe(403)
    expect(await status('..')).toBe(403)
    expect(await status('../name.dir/name.txt', {}, join(base, 'name.d'))).toBe(403)
  })

  it('refuses absolute, drive-letter and backslash names with 403', async () => {
    expect(await status('/etc/passwd')).toBe(403)
    expect(await status('//etc/passwd')).toBe(403)
    expect(await status(join(pub, 'index.txt'))).toBe(403)
    expect(await status('C:/Windows/win.ini')).toBe(403)
    expect(await status('c:\\boot.ini')).toBe(403)
    expect(await status('..\\secret.txt')).toBe(403)
    expect(await status('sub\\file.txt')).toBe(403)
  })

  it('answers a name too long for the file system with 404', async () => {
    expect(await status('a'.repeat(5000))).toBe(404)
    expect(await status(`sub/${'b'.repeat(300)}.txt`)).toBe(404)
  })

  it('never shows the file system path in an error', async () => {
    const c = new TestClient(app())
    for (const path of [
      '/static/nope.txt',
      '/static/link-outside',
      '/static/.env',
      '/static/sub',
    ]) {
      const res = await c.get(path)
      expect(res.status, path).toBeGreaterThanOrEqual(400)
      expect(res.text(), path).not.toContain(base)
    }
  })
})

describe('staticFile: symlinks', () => {
  it('follows a symlink that stays inside the root', async () => {
    const res = await staticFile('link-inside', pub)
    expect(res.statusCode).toBe(200)
    expect(await text(res)).toBe('public index')
  })

  it('refuses symlinks that resolve outside the root with 403', async () => {
    expect(await status('link-outside')).toBe(403)
    expect(await status('link-etc')).toBe(403)
    expect(await status('link-dir/y.txt')).toBe(403)
  })

  it('compares against root + separator, so a sibling sharing the prefix is outside', async () => {
    // public-secret/x.txt starts with the string "…/public" but is not below "…/public/".
    expect(await status('link-sibling')).toBe(403)
  })

  it('resolves a root given through a symlink', async () => {
    const root = join(base, 'root-link')
    expect(await status('index.txt', {}, root)).toBe(200)
    expect(await status('link-inside', {}, root)).toBe(200)
    expect(await status('link-outside', {}, root)).toBe(403)
  })

  it('follows a root symlink that a deploy points at another directory', async () => {
    const releases = join(base, 'releases')
    mkdirSync(join(releases, 'v1'), { recursive: true })
    mkdirSync(join(releases, 'v2'))
    writeFileSync(join(releases, 'v1', 'app.txt'), 'one')
    writeFileSync(join(releases, 'v2', 'app.txt'), 'two')
    writeFileSync(join(releases, 'v2', 'new.txt'), 'new')
    const current = join(releases, 'current')
    symlinkSync('v1', current)
    expect(await text(await staticFile('app.txt', current))).toBe('one')
    rmSync(current)
    symlinkSync('v2', current)
    expect(await text(await staticFile('app.txt', current))).toBe('two')
    expect(await text(await staticFile('new.txt', current))).toBe('new')
    // The old release is outside the new root, even though it was the root before.
    symlinkSync('../v1/app.txt', join(releases, 'v2', 'old.txt'))
    expect(await status('old.txt', {}, current)).toBe(403)
  })

  it('answers a symlink loop with 404', async () => {
    expect(await status('loop')).toBe(404)
  })

  it('refuses a symlink swapped in after the checks when the file is opened', async () => {
    const body = new FileBody(join(pub, 'link-outside'), 0, 10)
    const read = async () => {
      for await (const chunk of body) return chunk
    }
    await expect(read()).rejects.toBeInstanceOf(HTTPError)
  })
})

describe('staticFile: dotfiles', () => {
  it('hides dotfiles and dot directories by default, exactly like missing files', async () => {
    const c = new TestClient(app())
    const hidden = await c.get('/static/.env')
    const missing = await c.get('/static/missing.env')
    expect(hidden.status).toBe(404)
    expect(hidden.text()).toBe(missing.text().replace('missing.env', '.env'))
    expect((await c.get('/static/.git/config')).status).toBe(404)
    expect((await c.get('/static/.well-known/security.txt')).status).toBe(404)
  })

  it('answers 403 with dotfiles: deny and serves them with dotfiles: allow', async () => {
    expect(await status('.env', { dotfiles: 'deny' })).toBe(403)
    expect(await status('.git/config', { dotfiles: 'deny' })).toBe(403)
    const allowed = await new TestClient(app({ dotfiles: 'allow' })).get(
      '/static/.well-known/security.txt'
    )
    expect(allowed.status).toBe(200)
    expect(allowed.text()).toBe('Contact: x')
  })

  it('applies the policy to the requested name only, not to the root', async () => {
    const root = join(pub, '.well-known')
    expect(await status('security.txt', {}, root)).toBe(200)
  })
})

describe('staticFile: what cannot be sent', () => {
  it('answers a directory, with or without a trailing slash, with 404', async () => {
    expect(await status('sub')).toBe(404)
    expect(await status('sub/')).toBe(404)
    expect(await status('index.txt/')).toBe(404)
  })

  it('answers a FIFO with 403 without blocking on open', async () => {
    const started = Date.now()
    expect(await status('fifo')).toBe(403)
    const res = await new TestClient(app()).get('/static/fifo')
    expect(res.status).toBe(403)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('answers a Unix socket with 403', async () => {
    expect(await status('sock')).toBe(403)
  })

  it.skipIf(isRoot)(
    'answers an unreadable file with 403 (skipped as root, who reads all)',
    async () => {
      const c = new TestClient(app())
      expect((await c.get('/static/unreadable.txt')).status).toBe(403)
      expect((await c.head('/static/unreadable.txt')).status).toBe(403)
    }
  )
})

describe('staticFile: unreadable files for an unprivileged user', () => {
  // Root reads everything, so the same checks run in a child process as `nobody`.
  it.runIf(isRoot && process.platform === 'linux')(
    'answers GET, HEAD and a streamed GET of an unreadable file with 403',
    async () => {
      const dir = join(base, 'nobody')
      mkdirSync(dir)
      chmodSync(base, 0o755)
      chmodSync(dir, 0o755)
      writeFileSync(join(dir, 'ok.txt'), 'readable')
      writeFileSync(join(dir, 'small.txt'), 'secret')
      writeFileSync(join(dir, 'large.bin'), Buffer.alloc(200_000, 1))
      chmodSync(join(dir, 'small.txt'), 0)
      chmodSync(join(dir, 'large.bin'), 0)
      const src = fileURLToPath(new URL('../../src/', import.meta.url))
      const script = join(dir, 'check.mts')
      writeFileSync(
        script,
        [
          `import { Bottle, staticFile } from ${JSON.stringify(join(src, 'index.ts'))}`,
          `import { TestClient } from ${JSON.stringify(join(src, 'testing.ts'))}`,
          `const app = new Bottle()`,
          `app.route('/s/<p:path>', { method: ['GET', 'HEAD'] })(({ p }) => staticFile(p, ${JSON.stringify(dir)}))`,
          `const c = new TestClient(app)`,
          `const out = []`,
          `for (const [m, p] of [['GET', '/s/ok.txt'], ['GET', '/s/small.txt'], ['HEAD', '/s/small.txt'], ['GET', '/s/large.bin'], ['HEAD', '/s/large.bin']])`,
          `  out.push((await c.request(m, p)).status)`,
          `console.log(JSON.stringify(out))`,
        ].join('\n')
      )
      const out = execFileSync(process.execPath, ['--import', 'tsx', script], {
        uid: 65534,
        gid: 65534,
        cwd: fileURLToPath(new URL('../../', import.meta.url)),
        encoding: 'utf8',
      })
      expect(JSON.parse(out.trim())).toEqual([200, 403, 403, 403, 403])
    }
  )
})

describe('staticFile: abusive headers', () => {
  it('answers thousands of ranges with the first one only', async () => {
    const range = 'bytes=' + Array.from({ length: 2000 }, (_, i) => `${i % 12}-${i % 12}`).join(',')
    const res = await new TestClient(app()).get('/static/index.txt', { headers: { range } })
    expect(res.status).toBe(206)
    expect(res.text()).toBe('p')
  })

  it('answers absurd range numbers with 416, never a crash', async () => {
    const c = new TestClient(app())
    for (const range of ['bytes=99999999999999999999-', 'bytes=--5', 'bytes=-', 'bytes=1-2-3']) {
      const res = await c.get('/static/index.txt', { headers: { range } })
      expect(res.status, range).toBe(416)
    }
  })

  it('keeps CR and LF of a download name out of the headers', async () => {
    const a = new Bottle()
    a.get('/dl', () => staticFile('index.txt', pub, { download: 'x\r\nSet-Cookie: a=b\r\n.txt' }))
    const res = await new TestClient(a).get('/dl')
    expect(res.status).toBe(200)
    expect(res.headers['set-cookie']).toBeUndefined()
    expect(res.header('content-disposition')).toBe('attachment; filename="xSet-Cookie: a=b.txt"')
  })

  it('ignores garbage validators instead of failing', async () => {
    const c = new TestClient(app())
    const res = await c.get('/static/index.txt', {
      headers: {
        'if-none-match': '"unterminated, W/, ,,',
        'if-modified-since': 'yesterday-ish',
        'if-range': 'not a date',
        range: 'bytes=0-1',
      },
    })
    expect(res.status).toBe(200)
    expect(res.text()).toBe('public index')
  })
})
