import { PassThrough, Writable } from 'node:stream'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Bottle, CGIServer, redirect, request, run } from 'bottle-ts'
import {
  APPS,
  ROOT,
  TSX,
  cleanup,
  fetchText,
  freePort,
  has,
  signal,
  sleep,
  start,
  tempDir,
  type Proc,
  untilAnswering,
} from './fixtures/apps/process.js'

/** Runs one CGI request in-process and returns what the adapter wrote to stdout. */
async function cgi(app: Bottle, env: NodeJS.ProcessEnv, body = ''): Promise<string> {
  const stdin = new PassThrough()
  stdin.end(body)
  const chunks: Buffer[] = []
  const stdout = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk)
      cb()
    },
  })
  const handle = run(app, {
    server: new CGIServer({ env: { REQUEST_METHOD: 'GET', ...env }, stdin, stdout }),
    handleSignals: false,
  })
  await handle.ready
  return Buffer.concat(chunks).toString('latin1')
}

function sampleApp(): Bottle {
  const app = new Bottle()
  app.get('/hello', () => `Hello ${request.query.get('name') ?? '?'} from ${request.remoteAddr}`)
  app.post('/form', () => `a=${request.forms.get('a') ?? ''}`)
  app.get('/go', () => redirect('/hello'))
  app.get('/secure', () => request.url)
  return app
}

describe('cgi adapter (in-process)', () => {
  it('answers with a Status line, headers and the body, as RFC 3875 wants', async () => {
    const out = await cgi(sampleApp(), {
      PATH_INFO: '/hello',
      QUERY_STRING: 'name=W%C3%B6rld',
      REMOTE_ADDR: '10.1.2.3',
      HTTP_HOST: 'example.org',
    })
    expect(out).toMatch(/^Status: 200 OK\r\n/)
    expect(out).toMatch(/\r\nContent-Length: 26\r\n/)
    expect(out).not.toMatch(/\r\n(Connection|Transfer-Encoding):/i)
    expect(Buffer.from(out.split('\r\n\r\n')[1]!, 'latin1').toString('utf8')).toBe(
      'Hello Wörld from 10.1.2.3'
    )
  })

  it('reads a form body of CONTENT_LENGTH bytes from stdin', async () => {
    const out = await cgi(
      sampleApp(),
      {
        REQUEST_METHOD: 'POST',
        PATH_INFO: '/form',
        CONTENT_TYPE: 'application/x-www-form-urlencoded',
        CONTENT_LENGTH: '5',
      },
      'a=1+2&ignored=beyond-content-length'
    )
    expect(out.endsWith('\r\n\r\na=1 2')).toBe(true)
  })

  it('builds redirects from SERVER_NAME and SERVER_PORT and https from HTTPS=on', async () => {
    const moved = await cgi(sampleApp(), { PATH_INFO: '/go', SERVER_NAME: 'h', SERVER_PORT: '81' })
    expect(moved).toMatch(/^Status: 303 See Other\r\n/)
    expect(moved).toMatch(/\r\nLocation: http:\/\/h:81\/hello\r\n/)
    const secure = await cgi(sampleApp(), { PATH_INFO: '/secure', HTTP_HOST: 's', HTTPS: 'on' })
    expect(secure.endsWith('https://s/secure')).toBe(true)
  })

  it('SCRIPT_NAME is the script name, and PATH_INFO the path the app routes on', async () => {
    const app = new Bottle()
    app.get('/where/<id>', { name: 'where' }, () =>
      JSON.stringify([
        request.scriptName,
        request.path,
        request.fullpath,
        request.url,
        app.getUrl('where', { id: 'x' }),
      ])
    )
    const out = await cgi(app, {
      SCRIPT_NAME: '/cgi-bin/app.cgi',
      PATH_INFO: '/where/7',
      QUERY_STRING: 'a=1',
      HTTP_HOST: 'example.org',
    })
    expect(out).toMatch(/^Status: 200 OK\r\n/)
    expect(JSON.parse(out.split('\r\n\r\n')[1]!)).toEqual([
      '/cgi-bin/app.cgi/',
      '/where/7',
      '/cgi-bin/app.cgi/where/7',
      'http://example.org/cgi-bin/app.cgi/where/7?a=1',
      '/cgi-bin/app.cgi/where/x',
    ])
    // Without SCRIPT_NAME the app is at the root, as before.
    const root = await cgi(app, { PATH_INFO: '/where/7', HTTP_HOST: 'h' })
    expect(JSON.parse(root.split('\r\n\r\n')[1]!)).toEqual([
      '/',
      '/where/7',
      '/where/7',
      'http://h/where/7',
      '/where/x',
    ])
  })

  it('a request with SCRIPT_NAME cannot be routed to paths above it', async () => {
    const app = new Bottle()
    app.get('/cgi-bin/app.cgi/secret', () => 'secret')
    app.get('/<p:path>', () => `path=${request.path}`)
    const out = await cgi(app, {
      SCRIPT_NAME: '/cgi-bin/app.cgi',
      PATH_INFO: '/secret',
      HTTP_HOST: 'h',
    })
    expect(out.endsWith('\r\n\r\npath=/secret')).toBe(true)
  })

  it('answers a missing route with 404', async () => {
    expect(await cgi(sampleApp(), { PATH_INFO: '/nope' })).toMatch(/^Status: 404 Not Found\r\n/)
  })
})

const noLighttpd = !has('lighttpd')
if (noLighttpd)
  console.warn('lighttpd is not installed: skipping the CGI host test (.ci/run installs it)')

describe.skipIf(noLighttpd)(
  'cgi adapter behind a real CGI host (lighttpd mod_cgi)',
  { timeout: 60_000 },
  () => {
    let host: Proc
    let url = ''

    beforeAll(async () => {
      const dir = tempDir('bottle-ts-cgi-')
      chmodSync(dir, 0o755)
      mkdirSync(join(dir, 'www'))
      const script = join(dir, 'www', 'app.cgi')
      // The host runs this per request; it starts the fixture app under tsx.
      writeFileSync(
        script,
        `#!/bin/sh\ncd ${ROOT} && exec ${process.execPath} ${TSX.join(' ')} ${join(APPS, 'cgi-app.ts')}\n`
      )
      chmodSync(script, 0o755)
      const port = await freePort()
      const conf = join(dir, 'lighttpd.conf')
      writeFileSync(
        conf,
        [
          `server.document-root = "${dir}/www"`,
          `server.bind = "127.0.0.1"`,
          `server.port = ${port}`,
          `server.modules = ("mod_cgi")`,
          `cgi.assign = (".cgi" => "")`,
          `server.errorlog = "${dir}/error.log"`,
          `server.upload-dirs = ("${dir}")`,
          '',
        ].join('\n')
      )
      host = start('lighttpd', ['-D', '-f', conf])
      url = `http://127.0.0.1:${port}/app.cgi`
      await untilAnswering(host, `http://127.0.0.1:${port}/`, 10_000)
    })

    afterAll(async () => {
      if (host) {
        signal(host, 'SIGTERM')
        await Promise.race([host.exited, sleep(3000)])
      }
      await cleanup()
    })

    it('GET with a query string', async () => {
      const res = await fetchText(`${url}/hello?name=W%C3%B6rld`, {
        headers: { 'user-agent': 'cgi-test' },
      })
      expect(res.status).toBe(200)
      expect(res.body).toBe('Hello Wörld via GET')
      expect(res.headers['content-type']).toBe('text/html; charset=UTF-8')
    })

    it('POST with a urlencoded form', async () => {
      const res = await fetchText(`${url}/form`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=1&b=x+y',
      })
      expect(res.status).toBe(200)
      expect(res.body).toBe('a=1 b=x y')
    })

    it('a missing route is a 404 from the app', async () => {
      const res = await fetchText(`${url}/nope`)
      expect(res.status).toBe(404)
      expect(res.body).toContain('Not Found')
    })

    it('a redirect keeps its status and Location', async () => {
      const res = await fetchText(`${url}/go`)
      expect(res.status).toBe(303)
      expect(res.headers.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hello\?name=again$/)
    })

    it('the app sees the request headers', async () => {
      const res = await fetchText(`${url}/headers`, { headers: { 'user-agent': 'cgi-test' } })
      expect(JSON.parse(res.body)).toEqual({ ua: 'cgi-test', path: '/headers' })
    })

    it("the host's SCRIPT_NAME is the script name; url and getUrl include it", async () => {
      const res = await fetchText(`${url}/where/a%20b?q=1`)
      expect(res.status).toBe(200)
      const port = new URL(url).port
      expect(JSON.parse(res.body)).toEqual({
        scriptName: '/app.cgi/',
        path: '/where/a b',
        url: `http://127.0.0.1:${port}/app.cgi/where/a%20b?q=1`,
        built: '/app.cgi/where/c',
      })
    })
  }
)
