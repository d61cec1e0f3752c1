import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  cleanup,
  fetchText,
  freePort,
  has,
  serve,
  signal,
  sleep,
  start,
  tempDir,
  type Proc,
  untilAnswering,
} from './fixtures/apps/process.js'

const noNginx = !has('nginx')
if (noNginx) console.warn('nginx is not installed: skipping the nginx tests (.ci/run installs it)')

const pidOf = (body: string): number => Number(/(\d+)$/.exec(body)?.[1])

/** The deployment docs/deployment.md describes, on a temporary directory and port. */
function nginxConf(dir: string, port: number, sockets: string[]): string {
  const root = process.getuid?.() === 0 ? 'user root;' : ''
  return `${root}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  upstream bottle {
${sockets.map((s) => `    server unix:${s} max_fails=1 fail_timeout=30s;`).join('\n')}
    keepalive 8;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://bottle;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream error timeout;
    }
    # Files the app allows are sent by nginx from here (X-Accel-Redirect).
    location /_protected/ {
      internal;
      alias ${dir}/static/;
    }
  }
}
`
}

describe.skipIf(noNginx)('nginx in front of bottle-ts on Unix sockets', { timeout: 60_000 }, () => {
  let dir = ''
  let url = ''
  let nginx: Proc
  const backends: Proc[] = []

  beforeAll(async () => {
    dir = tempDir('bottle-ts-nginx-')
    // nginx workers may run as another user: they must reach the sockets and files.
    chmodSync(dir, 0o755)
    mkdirSync(join(dir, 'tmp'))
    mkdirSync(join(dir, 'static'))
    writeFileSync(join(dir, 'static', 'hello.txt'), 'served by nginx\n')
    writeFileSync(join(dir, 'static', '.hidden'), 'dotfile')
    writeFileSync(join(dir, 'secret.txt'), 'outside the root')
    const sockets = [join(dir, 'a.sock'), join(dir, 'b.sock')]
    const env = { ...process.env, BOTTLE_STATIC_ROOT: join(dir, 'static') }
    const started = await Promise.all(
      sockets.map((s) => serve({ host: `unix:${s}`, socketMode: 0o666, quiet: true }, { env }))
    )
    backends.push(...started.map((s) => s.proc))
    const port = await freePort()
    writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, port, sockets))
    nginx = start('nginx', [
      '-p',
      dir,
      '-e',
      join(dir, 'error.log'),
      '-c',
      join(dir, 'nginx.conf'),
      '-g',
      'daemon off;',
    ])
    url = `http://127.0.0.1:${port}`
    await untilAnswering(nginx, `${url}/name`, 10_000)
  })

  afterAll(async () => {
    // Stop nginx by its PID, gracefully, then whatever is left.
    if (nginx) {
      signal(nginx, 'SIGQUIT')
      await Promise.race([nginx.exited, sleep(3000)])
    }
    await cleanup()
  })

  it('spreads requests over both processes', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, () => fetchText(`${url}/`)))
    expect(replies.every((r) => r.status === 200)).toBe(true)
    const pids = new Set(replies.map((r) => pidOf(r.body)))
    expect(pids).toEqual(new Set(backends.map((b) => b.child.pid)))
  })

  it('passes the client address and scheme so the app can build URLs', async () => {
    const res = await fetchText(`${url}/url`, { headers: { host: 'example.test' } })
    expect(res.body).toBe('http://example.test/url')
  })

  it('lets nginx send a file the app allowed through X-Accel-Redirect', async () => {
    const res = await fetchText(`${url}/files/hello.txt`)
    expect(res.status).toBe(200)
    expect(res.body).toBe('served by nginx\n')
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
    expect(res.headers['x-accel-redirect']).toBeUndefined()
  })

  it('still applies the path checks: traversal, dotfiles, missing files', async () => {
    const traversal = await fetchText(`${url}/files/..%2fsecret.txt`)
    expect(traversal.status).toBe(403)
    expect(traversal.body).not.toContain('outside the root')
    expect((await fetchText(`${url}/files/.hidden`)).status).toBe(404)
    expect((await fetchText(`${url}/files/nope.txt`)).status).toBe(404)
    // The internal location is not reachable from outside.
    expect((await fetchText(`${url}/_protected/hello.txt`)).status).toBe(404)
  })

  it('keeps serving from the other process when one is killed', async () => {
    const [victim, survivor] = backends as [Proc, Proc]
    signal(victim, 'SIGKILL')
    await victim.exited
    const replies = await Promise.all(Array.from({ length: 20 }, () => fetchText(`${url}/`)))
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(new Set(replies.map((r) => pidOf(r.body)))).toEqual(new Set([survivor.child.pid]))
    expect(readFileSync(join(dir, 'error.log'), 'utf8')).toMatch(
      /connect\(\) to unix:.*a\.sock failed/
    )
  })
})
