#!/usr/bin/env node
/**
 * Requests per second of one app served three ways on this machine: the `node` adapter
 * (one process), the `cluster` adapter with 2 workers, and nginx load-balancing over two
 * `node` processes on Unix sockets. Prints a table and the cluster/node ratio.
 * Run by hand, never in `npm test`:
 *
 *   node --import tsx bench/cluster.mjs [--duration 10] [--connections 64] [--json]
 *
 * Load comes from wrk when installed (it costs the server the least CPU), else autocannon.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const SELF = fileURLToPath(import.meta.url)

if (process.argv[2] === 'serve') {
  // Server role: the same app in every scenario.
  const { Bottle, run } = await import('../src/index.ts')
  const app = new Bottle()
  app.get('/', () => 'Hello World!')
  const handle = run(app, { quiet: true, ...JSON.parse(process.argv[3] ?? '{}') })
  await handle.ready
  if (!process.env.BOTTLE_CLUSTER_WORKER) process.stdout.write('READY\n')
} else {
  await main()
}

async function main() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '64' },
      json: { type: 'boolean', default: false },
    },
  })
  const duration = Number(values.duration)
  const connections = Number(values.connections)
  const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
  const dir = mkdtempSync(join(tmpdir(), 'bottle-ts-bench-'))
  chmodSync(dir, 0o755)
  const children = []
  const startServer = (options) =>
    new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [...process.execArgv, SELF, 'serve', JSON.stringify(options)],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        }
      )
      children.push(child)
      child.stdout.on('data', (d) => d.toString().includes('READY') && resolve(child))
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
    })
  const stop = async (child, sig = 'SIGTERM') => {
    if (child.exitCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill(sig)
    await exited
  }
  const port = async () => {
    const s = createServer()
    await new Promise((r) => s.listen(0, '127.0.0.1', r))
    const p = s.address().port
    await new Promise((r) => s.close(r))
    return p
  }
  const measure = async (url) => {
    // Warm-up: JIT and connection pools.
    await load(url, 2, connections)
    return load(url, duration, connections)
  }
  const load = async (url, seconds, conns) => {
    if (has('wrk')) {
      const r = spawnSync('wrk', ['-t1', `-c${conns}`, `-d${seconds}s`, url], { encoding: 'utf8' })
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout)
      const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(r.stdout)
      return { rps: Number(rps?.[1] ?? 0), errors: errors ? errors[0] : 'none', tool: 'wrk' }
    }
    const { default: autocannon } = await import('autocannon')
    const result = await autocannon({ url, connections: conns, duration: seconds })
    return {
      rps: result.requests.average,
      errors: `${result.errors + result.non2xx}`,
      tool: 'autocannon',
    }
  }

  const results = {}
  try {
    {
      const p = await port()
      const child = await startServer({ port: p })
      results.node = await measure(`http://127.0.0.1:${p}/`)
      await stop(child)
    }
    {
      const p = await port()
      const child = await startServer({ port: p, server: 'cluster', workers: 2 })
      results.cluster2 = await measure(`http://127.0.0.1:${p}/`)
      await stop(child)
    }
    if (has('nginx')) {
      const sockets = [join(dir, 'a.sock'), join(dir, 'b.sock')]
      const backends = await Promise.all(
        sockets.map((s) => startServer({ host: `unix:${s}`, socketMode: 0o666 }))
      )
      const p = await port()
      mkdirSync(join(dir, 'tmp'))
      const user = process.getuid?.() === 0 ? 'user root;' : ''
      writeFileSync(
        join(dir, 'nginx.conf'),
        `${user}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  upstream bottle {
${sockets.map((s) => `    server unix:${s};`).join('\n')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${p};
    location / {
      proxy_pass http://bottle;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`
      )
      const nginx = spawn(
        'nginx',
        [
          '-p',
          dir,
          '-e',
          join(dir, 'error.log'),
          '-c',
          join(dir, 'nginx.conf'),
          '-g',
          'daemon off;',
        ],
        { stdio: 'inherit' }
      )
      children.push(nginx)
      await new Promise((r) => setTimeout(r, 500))
      results.nginx2 = await measure(`http://127.0.0.1:${p}/`)
      await stop(nginx, 'SIGQUIT')
      await Promise.all(backends.map((b) => stop(b)))
    }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }

  const ratio = results.cluster2.rps / results.node.rps
  const summary = {
    machine: `${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}`,
    duration,
    connections,
    results,
    clusterToNode: Number(ratio.toFixed(2)),
    nginxToNode: results.nginx2 ? Number((results.nginx2.rps / results.node.rps).toFixed(2)) : null,
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
    return
  }
  process.stdout.write(`${summary.machine}; ${connections} connections, ${duration} s each\n\n`)
  process.stdout.write('setup                        req/s     errors\n')
  const rows = [
    ['node (1 process)', results.node],
    ['cluster (2 workers)', results.cluster2],
    ['nginx -> 2 x node (unix)', results.nginx2],
  ]
  for (const [name, r] of rows)
    if (r)
      process.stdout.write(`${name.padEnd(26)} ${r.rps.toFixed(0).padStart(8)}     ${r.errors}\n`)
  process.stdout.write(`\ncluster / node = ${summary.clusterToNode}`)
  if (summary.nginxToNode !== null) process.stdout.write(`, nginx / node = ${summary.nginxToNode}`)
  process.stdout.write('\n')
}
