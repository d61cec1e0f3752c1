import express from 'express'
import { describe, expect, it } from 'vitest'
import { Bottle, request, response, url, defaultApp, abort } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import { describeMatrix } from './_helpers.js'

function subapp(): Bottle {
  const sub = new Bottle()
  sub.route(['/', '/test/<test>'], ({ test }) => test ?? 'foo')
  return sub
}

describeMatrix('mounting a Bottle app', (client) => {
  it('serves the child under the prefix with a trailing slash', async () => {
    const app = new Bottle()
    app.mount('/test/', subapp())
    const c = client(app)
    expect((await c.get('/')).status).toBe(404)
    expect((await c.get('/test')).status).toBe(404)
    expect((await c.get('/test/')).text()).toBe('foo')
    expect((await c.get('/test/test/bar')).text()).toBe('bar')
  })

  it('answers the bare prefix when it has no trailing slash', async () => {
    const app = new Bottle()
    app.mount('/test', subapp())
    const c = client(app)
    expect((await c.get('/')).status).toBe(404)
    expect((await c.get('/test')).text()).toBe('foo')
    expect((await c.get('/test/')).text()).toBe('foo')
    expect((await c.get('/test/test/bar')).text()).toBe('bar')
  })

  it('decodes unicode paths once (Bottle #602)', async () => {
    const app = new Bottle()
    app.mount('/mount/', subapp())
    app.route('/route/<param>', ({ param }) => param)
    const c = client(app)
    expect((await c.get('/mount/test/%C3%A4%C3%B6%C3%BC')).text()).toBe('äöü')
    expect((await c.get('/route/%C3%A4%C3%B6%C3%BC')).text()).toBe('äöü')
  })
})

describe('mounting', () => {
  it('mount points win over later catch-all routes (Bottle #581)', async () => {
    const app = new Bottle()
    app.mount('/test/', subapp())
    app.route('/<test:path>', ({ test }) => `parent ${test}`)
    const c = new TestClient(app)
    expect((await c.get('/test/')).text()).toBe('foo')
    expect((await c.get('/other')).text()).toBe('parent other')
  })

  it('sets _mount.prefix and _mount.app on the child', () => {
    const app = new Bottle()
    const sub = subapp()
    app.mount('/test/', sub)
    expect(sub.config.get('_mount.prefix')).toBe('/test/')
    expect(sub.config.get('_mount.app')).toBe(app)
  })

  it('refuses a prefix without a leading slash', () => {
    expect(() => new Bottle().mount('test/', subapp())).toThrow(/must start with/)
  })

  it('parent plugins do not apply to the child; the child keeps its own', async () => {
    const app = new Bottle()
    app.install(() => () => 'Plugin')
    app.route('/foo', () => 'baz')
    const sub = subapp()
    sub.install((cb) => (args) => `<${String(cb(args))}>`)
    app.mount('/test/', sub)
    const c = new TestClient(app)
    expect((await c.get('/foo')).text()).toBe('Plugin')
    expect((await c.get('/test/')).text()).toBe('<foo>')
  })

  it('the child sees its own path, script name and app', async () => {
    const app = new Bottle()
    const sub = new Bottle()
    sub.get('/info/<x>', ({ x }) => ({
      path: request.path,
      script: request.scriptName,
      full: request.fullpath,
      isChild: request.app === sub,
      x,
    }))
    app.mount('/a/b/', sub)
    app.hook('after_request')(() => {
      response.setHeader('X-Parent-Path', request.path)
      response.setHeader('X-Parent-App', String(request.app === app))
    })
    const res = await new TestClient(app).get('/a/b/info/1')
    expect(res.json()).toEqual({
      path: '/info/1',
      script: '/a/b/',
      full: '/a/b/info/1',
      isChild: true,
      x: '1',
    })
    expect(res.header('x-parent-path')).toBe('/a/b/info/1')
    expect(res.header('x-parent-app')).toBe('true')
  })

  it('keeps the child’s hooks and error handlers; parent hooks run around it', async () => {
    const app = new Bottle()
    const sub = new Bottle()
    const order: string[] = []
    app.hook('before_request')(() => order.push('parent-before'))
    app.hook('after_request')(() => {
      order.push('parent-after')
      response.setHeader('Access-Control-Allow-Origin', '*')
    })
    sub.hook('before_request')(() => order.push('child-before'))
    sub.hook('after_request')(() => order.push('child-after'))
    sub.error(404, () => 'child 404')
    app.error(404, () => 'parent 404')
    sub.get('/ok', () => {
      order.push('route')
      return 'ok'
    })
    sub.get('/gone', () => abort(404, 'nope'))
    app.mount('/sub/', sub)
    const c = new TestClient(app)
    const ok = await c.get('/sub/ok')
    expect(ok.text()).toBe('ok')
    expect(order).toEqual(['parent-before', 'child-before', 'route', 'child-after', 'parent-after'])
    expect(ok.header('access-control-allow-origin')).toBe('*')
    const missing = await c.get('/sub/missing')
    expect(missing.status).toBe(404)
    expect(missing.text()).toBe('child 404')
    expect(missing.header('access-control-allow-origin')).toBe('*')
    expect((await c.get('/sub/gone')).text()).toBe('child 404')
    expect((await c.get('/elsewhere')).text()).toBe('parent 404')
  })

  it('keeps cookies set by the child', async () => {
    const app = new Bottle()
    const sub = new Bottle()
    sub.get('/cookie', () => {
      response.setCookie('a', 'a')
      response.setCookie('b', 'b')
    })
    app.mount('/test/', sub)
    const res = await new TestClient(app).get('/test/cookie')
    expect(res.headers['set-cookie']?.sort()).toEqual(['a=a', 'b=b'])
  })

  it('JSON from the child is JSON (Bottle mount json bug)', async () => {
    const app = new Bottle()
    const sub = new Bottle()
    sub.get('/json', () => ({ a: 5 }))
    app.mount('/test/', sub)
    const res = await new TestClient(app).get('/test/json')
    expect(res.header('content-type')).toBe('application/json')
    expect(res.json()).toEqual({ a: 5 })
  })

  it('builds URLs of the child’s named routes from the parent and inside the child', async () => {
    const app = defaultApp.push()
    try {
      const sub = new Bottle()
      sub.get('/test', { name: 'test' }, () => `${url('test')} ${sub.getUrl('test')}`)
      app.mount('/test/', sub)
      expect(app.getUrl('test')).toBe('/test/test')
      expect((await new TestClient(app).get('/test/test')).text()).toBe('/test/test /test/test')
    } finally {
      defaultApp.pop()
    }
  })

  it('reads the body in the child with the child’s limits', async () => {
    const app = new Bottle()
    const sub = new Bottle({ maxBodySize: 10 })
    sub.post('/echo', () => request.body.text())
    app.mount('/sub/', sub)
    const c = new TestClient(app)
    expect((await c.post('/sub/echo', { body: 'hello' })).text()).toBe('hello')
    expect((await c.post('/sub/echo', { body: 'x'.repeat(100) })).status).toBe(413)
  })

  it('passes async results and errors through', async () => {
    const app = new Bottle()
    const sub = new Bottle()
    sub.logError = () => {}
    sub.get('/slow', async () => {
      await new Promise((r) => setTimeout(r, 5))
      return 'slow'
    })
    sub.get('/fail', async () => {
      await new Promise((r) => setTimeout(r, 1))
      throw new Error('boom')
    })
    app.mount('/sub/', sub)
    const c = new TestClient(app)
    expect((await c.get('/sub/slow')).text()).toBe('slow')
    expect((await c.get('/sub/fail')).status).toBe(500)
  })

  it('merges another app’s routes', async () => {
    const app = new Bottle()
    app.merge(subapp())
    const c = new TestClient(app)
    expect((await c.get('/')).text()).toBe('foo')
    expect((await c.get('/test/bar')).text()).toBe('bar')
  })
})

describeMatrix('mounting a Node handler', (client) => {
  it('mounts an Express app with its own routes and 404s', async () => {
    const app = new Bottle()
    app.get('/', () => 'bottle')
    app.hook('after_request')(() => response.setHeader('X-Frame', 'bottle'))
    const ex = express()
    ex.get('/', (_req, res) => {
      res.send('express root')
    })
    ex.get('/users/:id', (req, res) => {
      res.json({ id: req.params.id, url: req.url, originalUrl: req.originalUrl })
    })
    app.mount('/ex', ex)
    const c = client(app)
    expect((await c.get('/')).text()).toBe('bottle')
    const root = await c.get('/ex')
    expect(root.text()).toBe('express root')
    expect(root.header('x-frame')).toBe('bottle')
    const user = await c.get('/ex/users/7?q=1')
    expect(user.json()).toEqual({ id: '7', url: '/users/7?q=1', originalUrl: '/users/7?q=1' })
    expect(user.header('x-frame')).toBe('bottle')
    const missing = await c.get('/ex/nope')
    expect(missing.status).toBe(404)
    expect(missing.text()).toContain('Cannot GET /nope')
  })

  it('mounts a plain (req, res) handler and a Connect-style handler that calls next()', async () => {
    const app = new Bottle()
    app.mount('/plain', (req, res) => {
      res.setHeader('X-Test', 'node')
      res.end(`node ${req.url ?? ''}`)
    })
    app.mount('/next/', (_req, _res, next) => next?.())
    app.error(404, () => 'parent says 404')
    const c = client(app)
    const res = await c.get('/plain/a/b')
    expect(res.text()).toBe('node /a/b')
    expect(res.header('x-test')).toBe('node')
    expect((await c.get('/plain')).text()).toBe('node /')
    const next = await c.get('/next/x')
    expect(next.status).toBe(404)
    expect(next.text()).toBe('parent says 404')
  })
})
