/**
 * Uncaught exceptions: a 500 page with catchall on (the default), propagation with
 * catchall off, and the Node handler's last-resort 500. Ports Bottle's test_exc.py.
 */
import { createServer, request as httpRequest } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import { Bottle, DEBUG, HTTPResponse, abort } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import { describeMatrix } from './_helpers.js'

class SomeError extends Error {
  override name = 'SomeError'
}

/** Serves `app.handle` directly and records what its returned promise rejects with. */
async function handleDirectly(
  app: Bottle,
  path: string
): Promise<{ status: number; body: string; rejected: unknown[] }> {
  const rejected: unknown[] = []
  const server = createServer((req, res) => {
    const out = app.handle(req, res)
    if (out)
      out.catch((err: unknown) => {
        rejected.push(err)
        res.statusCode = 599
        res.end('caught by the caller')
      })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  try {
    return await new Promise((resolve, reject) => {
      const req = httpRequest({ port, host: '127.0.0.1', path, agent: false }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            rejected,
          })
        )
      })
      req.on('error', reject)
      req.end()
    })
  } finally {
    server.closeAllConnections()
    server.close()
  }
}

const quiet = (app: Bottle): Bottle => {
  app.logError = () => {}
  return app
}

describeMatrix('Exceptions', (client) => {
  it('a callback without errors answers normally', async () => {
    const app = new Bottle()
    app.get('/', () => 'test')
    expect((await client(app).get('/')).text()).toBe('test')
  })

  it('any other error becomes a 500 page naming it in debug mode', async () => {
    const app = quiet(new Bottle({ debug: true }))
    app.get('/', () => {
      throw new SomeError('details')
    })
    const res = await client(app).get('/')
    expect(res.status).toBe(500)
    expect(res.text()).toContain('SomeError')
  })

  it('thrown non-Error values are 500s too', async () => {
    const app = quiet(new Bottle({ debug: true }))
    app.get('/str', () => {
      throw 'a string'
    })
    app.get('/undef', () => {
      throw undefined
    })
    const c = client(app)
    const str = await c.get('/str')
    expect(str.status).toBe(500)
    expect(str.text()).toContain('a string')
    expect((await c.get('/undef')).status).toBe(500)
  })

  it('catchall off: the Node handler answers a bare 500, and the next request is served', async () => {
    const app = new Bottle({ catchall: false })
    app.get('/', () => {
      throw new SomeError('propagated')
    })
    app.get('/ok', () => 'fine')
    const c = client(app)
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const res = await c.get('/')
      expect(res.status).toBe(500)
      expect(res.header('content-type')).toBe('text/plain; charset=UTF-8')
      expect(res.text()).toBe('Internal Server Error')
      expect(res.text()).not.toContain('propagated')
    } finally {
      spy.mockRestore()
    }
    expect((await c.get('/ok')).text()).toBe('fine')
  })
})

describe('Exceptions: catchall', () => {
  it('catchall off: app.handle rejects with the original error, after the after_request hooks', async () => {
    const app = new Bottle()
    app.catchall = false
    const called: string[] = []
    app.hook('after_request')(() => void called.push('after'))
    const error = new SomeError('propagated')
    app.get('/', () => {
      throw error
    })
    const res = await handleDirectly(app, '/')
    expect(res.rejected).toEqual([error])
    expect(res.status).toBe(599)
    expect(called).toEqual(['after'])
  })

  it('catchall off: async errors propagate the same way', async () => {
    const app = new Bottle({ catchall: false })
    const error = new SomeError('async')
    app.get('/', async () => {
      await new Promise((r) => setTimeout(r, 1))
      throw error
    })
    expect((await handleDirectly(app, '/')).rejected).toEqual([error])
  })

  it('catchall off: HTTP errors and responses are still handled normally', async () => {
    const app = new Bottle({ catchall: false })
    app.get('/abort', () => abort(403, 'denied'))
    app.get('/resp', () => {
      throw new HTTPResponse('thrown response', 202)
    })
    const a = await handleDirectly(app, '/abort')
    expect(a.rejected).toEqual([])
    expect(a.status).toBe(403)
    const r = await handleDirectly(app, '/resp')
    expect(r.status).toBe(202)
    expect(r.body).toBe('thrown response')
  })

  it('switching catchall back on renders the 500 page again', async () => {
    const app = quiet(new Bottle({ debug: true }))
    app.get('/', () => {
      throw new SomeError('x')
    })
    app.catchall = false
    expect(app.config.get('catchall')).toBe(false)
    expect((await handleDirectly(app, '/')).rejected).toHaveLength(1)
    app.catchall = true
    const res = await new TestClient(app).get('/')
    expect(res.status).toBe(500)
    expect(res.text()).toContain('SomeError')
  })

  it('the global DEBUG switch turns on details for every app', async () => {
    const app = quiet(new Bottle())
    app.get('/', () => {
      throw new SomeError('global debug')
    })
    const c = new TestClient(app)
    expect((await c.get('/')).text()).not.toContain('global debug')
    DEBUG.enabled = true
    try {
      expect(app.debug).toBe(true)
      expect((await c.get('/')).text()).toContain('global debug')
    } finally {
      DEBUG.enabled = false
    }
  })

  it('catchall on: uncaught errors are logged once, HTTP errors not at all', async () => {
    const app = new Bottle()
    const logged: unknown[] = []
    app.logError = (err) => logged.push(err)
    const error = new SomeError('logged')
    app.get('/boom', () => {
      throw error
    })
    app.get('/abort', () => abort(400))
    const c = new TestClient(app)
    await c.get('/boom')
    await c.get('/abort')
    expect(logged).toEqual([error])
  })
})
