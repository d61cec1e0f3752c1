import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { VERSION } from '../src/server/adapter.js'
import { USAGE, UsageError, parseBind, parseCli } from '../src/cli.js'
import {
  APPS,
  ROOT,
  cleanup,
  fetchText,
  freePort,
  signal,
  sleep,
  startNode,
  tempDir,
  type Proc,
} from './fixtures/apps/process.js'

afterAll(cleanup)

const CLI = join(ROOT, 'src', 'cli.ts')

function cli(args: string[], cwd = APPS): Proc {
  return startNode(CLI, args, { cwd })
}

async function finished(proc: Proc): Promise<{ code: number | null; out: string; err: string }> {
  const { code } = await proc.exited
  return { code, out: proc.stdout, err: proc.stderr }
}

async function listening(proc: Proc): Promise<string> {
  const m = await proc.waitFor(/Listening on (http:\/\/\S+?)\/?\n/, 20_000)
  return m[1]!
}

describe('parseBind', () => {
  it('reads every address form python -m bottle knows, plus unix: and fd:', () => {
    expect(parseBind('example.org')).toEqual({ host: 'example.org', port: 8080 })
    expect(parseBind('0.0.0.0:9000')).toEqual({ host: '0.0.0.0', port: 9000 })
    expect(parseBind(':9001')).toEqual({ host: '127.0.0.1', port: 9001 })
    expect(parseBind('[::1]:9002')).toEqual({ host: '::1', port: 9002 })
    expect(parseBind('[::]')).toEqual({ host: '::', port: 8080 })
    expect(parseBind('unix:/run/app.sock')).toEqual({ host: 'unix:/run/app.sock' })
    expect(parseBind('fd:3')).toEqual({ fd: 3 })
  })

  it('names what is wrong with a bad address', () => {
    expect(() => parseBind('host:http')).toThrow(/port must be a number, got "http"/)
    expect(() => parseBind('host:70000')).toThrow(/between 0 and 65535, got 70000/)
    expect(() => parseBind('::1:80')).toThrow(/IPv6 addresses in brackets/)
    expect(() => parseBind('unix:')).toThrow(/needs a socket path/)
    expect(() => parseBind('fd:x')).toThrow(UsageError)
  })
})

describe('parseCli', () => {
  it('collects repeatable options and defaults like python -m bottle', () => {
    const args = parseCli([
      '-b',
      ':9000',
      '-s',
      'cluster',
      '-p',
      'a.js:one',
      '--plugin',
      'b.js:two',
      '-c',
      'x.ini',
      '--conf',
      'y.json',
      '-C',
      'a=1',
      '--param',
      'flag',
      '-o',
      'workers=4',
      '--debug',
      '--reload',
      'app.js:app',
    ])
    expect(args).toMatchObject({
      app: 'app.js:app',
      bind: { host: '127.0.0.1', port: 9000 },
      server: 'cluster',
      plugins: ['a.js:one', 'b.js:two'],
      conf: ['x.ini', 'y.json'],
      params: [
        ['a', '1'],
        ['flag', true],
      ],
      options: { workers: 4 },
      debug: true,
      reload: true,
    })
    expect(parseCli(['app']).bind).toEqual({ host: '127.0.0.1', port: 8080 })
    expect(parseCli(['app']).server).toBe('node')
  })

  it('refuses unknown options, unknown servers, two apps and no app', () => {
    expect(() => parseCli(['--bogus', 'app'])).toThrow(/Unknown option '--bogus'/)
    expect(() => parseCli(['-s', 'gevent', 'app'])).toThrow(/unknown server "gevent"/)
    expect(() => parseCli(['a', 'b'])).toThrow(/expected one module:expression, got 2/)
    expect(() => parseCli([])).toThrow(/no application given/)
    expect(() => parseCli(['-C', '=x', 'app'])).toThrow(/the name is missing/)
    expect(parseCli(['--version']).version).toBe(true)
  })
})

describe('the bottle-ts command', { timeout: 60_000 }, () => {
  it('--version prints the version and --help the usage, both exit 0', async () => {
    const version = await finished(cli(['--version']))
    expect(version).toMatchObject({ code: 0, out: `bottle-ts ${VERSION}\n` })
    const help = await finished(cli(['--help']))
    expect(help.code).toBe(0)
    expect(help.out).toBe(`${USAGE}\n`)
    expect(help.out).toContain('--bind ADDRESS')
  })

  it('bad arguments print the usage and exit 2', async () => {
    const cases = [[], ['--bogus', 'app'], ['-b', 'x:notaport', 'app'], ['-s', 'nope', 'app']]
    const results = await Promise.all(cases.map((args) => finished(cli(args))))
    for (const r of results) {
      expect(r.code).toBe(2)
      expect(r.err).toMatch(/^usage: bottle-ts \[options\] module\[:expression\]/)
      expect(r.err).toMatch(/bottle-ts: error: .+\n$/)
    }
  })

  it('a module that is missing or not an app exits 1 with the reason', async () => {
    const [missing, notApp] = await Promise.all([
      finished(cli(['nowhere.ts:app'])),
      finished(cli(['hello.ts:makeApp'])),
    ])
    expect(missing.code).toBe(1)
    expect(missing.err).toMatch(/module not found: .*nowhere\.ts/)
    expect(notApp.code).toBe(1)
    expect(notApp.err).toMatch(/hello\.ts:makeApp is not a Bottle app \(got function makeApp\)/)
  })

  it('serves module:makeApp(...) with --bind, --conf (INI and JSON), --param, --plugin and --debug', async () => {
    const port = await freePort()
    const proc = cli([
      '--bind',
      `127.0.0.1:${port}`,
      '--conf',
      'app.ini',
      '-c',
      'app.json',
      '-C',
      'extra=on',
      '-C',
      'flag',
      '--plugin',
      'plugin.ts:new HeaderPlugin("cli")',
      '--debug',
      'hello.ts:makeApp("made by cli")',
    ])
    expect(await listening(proc)).toBe(`http://127.0.0.1:${port}`)
    const base = `http://127.0.0.1:${port}`
    const name = await fetchText(`${base}/name`)
    expect(name.body).toBe('made by cli')
    expect(name.headers['x-plugin']).toBe('cli')
    expect((await fetchText(`${base}/config/greeting`)).body).toBe('hello from ini')
    expect((await fetchText(`${base}/config/db.name`)).body).toBe('main')
    expect((await fetchText(`${base}/config/json.key`)).body).toBe('from json')
    expect((await fetchText(`${base}/config/extra`)).body).toBe('on')
    expect((await fetchText(`${base}/config/flag`)).body).toBe('true')
    expect((await fetchText(`${base}/config/debug`)).body).toBe('true')
    signal(proc, 'SIGTERM')
    expect((await proc.exited).code).toBe(0)
  })

  it('serves a plain .js module by its default app, ignoring the run() inside it', async () => {
    const dir = tempDir('bottle-ts-js-')
    const index = pathToFileURL(join(ROOT, 'src', 'index.ts')).href
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
    // Written like a script: shortcuts on the default app, then run().
    writeFileSync(
      join(dir, 'shortcuts.js'),
      `import { get, run } from '${index}'\nget('/', () => 'from shortcuts')\nrun({ port: 1 })\n`
    )
    const port = await freePort()
    const proc = cli(['-b', `:${port}`, 'shortcuts.js'], dir)
    expect(await listening(proc)).toBe(`http://127.0.0.1:${port}`)
    expect((await fetchText(`http://127.0.0.1:${port}/`)).body).toBe('from shortcuts')
    expect(proc.stderr.match(/Listening on/g)).toHaveLength(1)
    signal(proc, 'SIGINT')
    expect((await proc.exited).code).toBe(0)
  })

  it('serves on a Unix socket given as --bind unix:path', async () => {
    const path = join(tempDir(), 'cli.sock')
    const proc = cli(['-b', `unix:${path}`, 'hello.ts'])
    await proc.waitFor(/Listening on unix:/, 20_000)
    expect((await fetchText({ socketPath: path, path: '/name' })).body).toBe('hello')
    signal(proc, 'SIGTERM')
    expect((await proc.exited).code).toBe(0)
  })
})

describe('--reload', { timeout: 90_000 }, () => {
  it('restarts on an edit within a second, keeps the address and survives a syntax error', async () => {
    const dir = tempDir('bottle-ts-reload-')
    const index = pathToFileURL(join(ROOT, 'src', 'index.ts')).href
    writeFileSync(
      join(dir, 'app.ts'),
      `import { Bottle } from '${index}'\nimport { message } from './message.ts'\n` +
        `export const app = new Bottle()\napp.get('/', () => message)\n`
    )
    const message = join(dir, 'message.ts')
    writeFileSync(message, `export const message: string = 'one'\n`)
    const proc = cli(['--reload', '-b', '127.0.0.1:0', 'app.ts:app'], dir)
    const base = await listening(proc)
    expect((await fetchText(`${base}/`)).body).toBe('one')

    const body = async (): Promise<string> =>
      fetchText(`${base}/`, { timeoutMs: 2_000 }).then(
        (r) => r.body,
        (err: Error) => err.message
      )
    // Edit a module the app imports (not the entry file): it must be watched too.
    await sleep(50)
    writeFileSync(message, `export const message: string = 'two'\n`)
    const edited = Date.now()
    await proc.waitFor(/message\.ts changed; restarting/, 5_000)
    // Checks run every 0.5 s; the margin is for a busy machine.
    expect(Date.now() - edited).toBeLessThan(2_000)
    // The parent kept the socket: the same URL answers with the new code.
    await expect.poll(body, { timeout: 20_000, interval: 100 }).toBe('two')

    writeFileSync(message, `export const message: string = 'three\n`)
    await proc.waitFor(/the app exited \(code 1\); fix the error and save to restart/, 20_000)
    expect(proc.stderr).toMatch(/Unterminated string literal/)
    expect(proc.child.exitCode).toBeNull()

    writeFileSync(message, `export const message: string = 'four'\n`)
    await expect.poll(body, { timeout: 20_000, interval: 100 }).toBe('four')
    signal(proc, 'SIGTERM')
    expect((await proc.exited).code).toBe(0)
  })
})
