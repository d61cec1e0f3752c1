/**
 * The request cycle end to end: methods, HEAD and ANY fallbacks, 404/405, error handlers,
 * redirects, route options and hooks (Bottle issues #671 and #1125, and DESIGN.md's
 * after_request fix). Ports Bottle's test_wsgi.py.
 */
import { describe, expect, it } from 'vitest'
import { Bottle, HTTPError, HTTPResponse, abort, redirect, request, response } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import type { Callback } from 'bottle-ts'
import { describeMatrix } from './_helpers.js'

const silent = (app: Bottle): Bottle => {
  app.logError = () => {}
  return app
}

describeMatrix('Request cycle', (client) => {
  it('GET routes: 200, 404 for unknown paths, 405 for other methods', async () => {
    const app = new Bottle()
    app.route('/', () => 'test')
    const c = client(app)
    expect((await c.get('/not/found')).status).toBe(404)
    expect((await c.post('/', { body: 'var=value' })).status).toBe(405)
    const res = await c.get('/')
    expect(res.status).toBe(200)
    expect(res.text()).toBe('test')
  })

  it('POST routes: 405 for GET, 200 for POST', async () => {
    const app = new Bottle()
    app.route('/', { method: 'POST' }, () => 'test')
    const c = client(app)
    expect((await c.get('/not/found')).status).toBe(404)
    expect((await c.get('/')).status).toBe(405)
    expect((await c.post('/', { body: 'var=value' })).text()).toBe('test')
  })

  it('HEAD routes answer HEAD only; GET routes answer HEAD with an empty body', async () => {
    const app = new Bottle()
    app.route('/get', () => 'test')
    app.route('/head', { method: 'HEAD' }, () => 'test')
    const c = client(app)
    expect((await c.get('/head')).status).toBe(405)
    const head = await c.head('/head')
    expect(head.status).toBe(200)
    expect(head.text()).toBe('')
    const get = await c.head('/get')
    expect(get.status).toBe(200)
    expect(get.text()).toBe('')
  })

  it('binds request.app and request.route to the app and the matched route', async () => {
    const app = new Bottle()
    let seen: [unknown, unknown, unknown] = [null, null, null]
    app.get('/<x>', () => {
      seen = [request.app, request.route, request.urlArgs]
      return 'foo'
    })
    expect((await client(app).get('/y')).text()).toBe('foo')
    expect(seen[0]).toBe(app)
    expect(seen[1]).toBe(app.routes[0])
    expect(seen[2]).toEqual({ x: 'y' })
  })

  it('ANY routes answer every method, below the method-specific routes', async () => {
    const app = new Bottle()
    const c = client(app)
    expect((await c.get('/any')).status).toBe(404)
    app.route('/any', { method: 'ANY' }, () => 'test')
    expect((await c.head('/any')).status).toBe(200)
    expect((await c.get('/any')).text()).toBe('test')
    expect((await c.post('/any')).text()).toBe('test')
    expect((await c.request('DELETE', '/any')).text()).toBe('test')
    app.route('/any', { method: 'GET' }, () => 'test2')
    expect((await c.get('/any')).text()).toBe('test2')
    app.route('/any', { method: 'POST' }, () => 'test3')
    expect((await c.post('/any')).text()).toBe('test3')
    expect((await c.request('DELETE', '/any')).text()).toBe('test')
  })

  it('an exception in the callback is a 500, non-ASCII messages included', async () => {
    const app = silent(new Bottle())
    app.get('/', () => {
      throw new Error('Unicode äöüß message.')
    })
    app.get('/type', () => (null as unknown as { x: number }).x)
    const c = client(app)
    expect((await c.get('/')).status).toBe(500)
    expect((await c.get('/type')).status).toBe(500)
  })

  it('a 404 for a non-ASCII path names the decoded path', async () => {
    const app = new Bottle()
    const res = await client(app).get('/not-found/urf8-%C3%B6%C3%A4%C3%BC')
    expect(res.status).toBe(404)
    expect(res.text()).toContain('/not-found/urf8-öäü')
  })

  it('abort(401) is a 401; an error handler may change the status and the body', async () => {
    const app = new Bottle()
    app.route('/', () => abort(401))
    const c = client(app)
    expect((await c.get('/')).status).toBe(401)
    app.error(401)((e) => {
      response.status = 200
      return `${e.constructor.name} ${e.statusLine}`
    })
    const res = await c.get('/')
    expect(res.status).toBe(200)
    expect(res.text()).toBe('HTTPError 401 Unauthorized')
  })

  it('routes errors to handlers by code, unusual codes included', async () => {
    const app = new Bottle()
    app.route('/<code:int>', ({ code }) => abort(code))
    app.error(500)((err) => err.statusLine)
    app.error(999)((err) => err.statusLine)
    app.error(404, (err) => err.statusLine)
    const c = client(app)
    expect((await c.get('/not_found')).text()).toBe('404 Not Found')
    expect((await c.get('/500')).text()).toBe('500 Internal Server Error')
    const odd = await c.get('/999')
    expect(odd.status).toBe(999)
    expect(odd.text()).toBe('999 Unknown')
  })

  it('redirect() is a 303 with an absolute Location on HTTP/1.1; an explicit code wins', async () => {
    const app = new Bottle()
    app.route('/', () => redirect('/yes'))
    app.route('/one', () => redirect('/yes', 305))
    app.route('/rel/page', () => redirect('other?x=1'))
    const c = client(app)
    const res = await c.get('/', { headers: { host: 'example.com' } })
    expect(res.status).toBe(303)
    expect(res.header('location')).toBe('http://example.com/yes')
    expect(res.header('content-length')).toBe('0')
    expect(res.header('content-type')).toBe('text/html; charset=UTF-8')
    expect(res.text()).toBe('')
    const one = await c.get('/one', { headers: { host: 'example.com' } })
    expect(one.status).toBe(305)
    expect(one.header('location')).toBe('http://example.com/yes')
    const rel = await c.get('/rel/page', { headers: { host: 'example.com' } })
    expect(rel.header('location')).toBe('http://example.com/rel/other?x=1')
  })

  it('route shortcuts register their method', async () => {
    const app = new Bottle()
    const foo = (): string => request.method
    app.get('/', foo)
    app.post('/', foo)
    app.put('/', foo)
    app.delete('/', foo)
    app.patch('/')(foo)
    const c = client(app)
    for (const verb of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) {
      expect((await c.request(verb, '/')).text()).toBe(verb)
    }
  })

  it('a list of paths and a list of methods make one route per pair', async () => {
    const app = new Bottle()
    app.route(['/a', '/b'], { method: ['GET', 'post'] }, () => 'ok')
    expect(app.routes.map((r) => `${r.method} ${r.rule}`)).toEqual([
      'GET /a',
      'POST /a',
      'GET /b',
      'POST /b',
    ])
    const c = client(app)
    expect((await c.get('/a')).text()).toBe('ok')
    expect((await c.post('/b')).text()).toBe('ok')
    expect((await c.get('/c')).status).toBe(404)
    expect((await c.request('PUT', '/a')).status).toBe(405)
  })

  it('upper-cases the method and serves HEAD from a lower-case get route', async () => {
    const app = new Bottle()
    app.route('/test', { method: 'gEt' }, () => 'ok')
    const c = client(app)
    expect((await c.get('/test')).text()).toBe('ok')
    expect((await c.head('/test')).status).toBe(200)
    expect((await c.request('PUT', '/test')).status).toBe(405)
  })

  it('applies route plugins given with apply, the first one outermost', async () => {
    const rev =
      (cb: Callback): Callback =>
      (args) =>
        [...String(cb(args))].reverse().join('')
    const title =
      (cb: Callback): Callback =>
      (args) => {
        const s = String(cb(args))
        return s.charAt(0).toUpperCase() + s.slice(1)
      }
    const app = new Bottle()
    const test = (): string => 'abc'
    app.route('/nodec', test)
    app.route('/dec', { apply: rev }, test)
    app.route('/revtitle', { apply: [rev, title] }, test)
    app.route('/titlerev', { apply: [title, rev] }, test)
    const c = client(app)
    expect((await c.get('/nodec')).text()).toBe('abc')
    expect((await c.get('/dec')).text()).toBe('cba')
    expect((await c.get('/revtitle')).text()).toBe('cbA')
    expect((await c.get('/titlerev')).text()).toBe('Cba')
  })

  it('before_request runs before the callback; after_request headers are sent', async () => {
    const app = new Bottle()
    const marks = new WeakMap<object, string>()
    app.route('/test', () => marks.get(request.raw) ?? 'nohooks')
    app.hook('before_request')(() => {
      marks.set(request.raw, 'before')
    })
    app.hook('after_request')(() => {
      response.setHeader('X-Hook', 'after')
    })
    const res = await client(app).get('/test')
    expect(res.text()).toBe('before')
    expect(res.header('x-hook')).toBe('after')
  })

  it('after_request sees the status of an abort (#671)', async () => {
    const app = new Bottle()
    const called: (string | number)[] = []
    app.hook('after_request')(() => {
      called.push('after', response.statusCode)
    })
    app.get('/', () => {
      called.push('route')
      abort(400, 'test')
    })
    expect((await client(app).get('/')).status).toBe(400)
    expect(called).toEqual(['route', 'after', 400])
  })

  it('after_request runs after an exception in the callback (#671)', async () => {
    const app = silent(new Bottle())
    const called: string[] = []
    app.hook('before_request')(() => void called.push('before'))
    app.hook('after_request')(() => void called.push('after'))
    app.get('/', () => {
      called.push('route')
      throw new Error('boom')
    })
    expect((await client(app).get('/')).status).toBe(500)
    expect(called).toEqual(['before', 'route', 'after'])
  })

  it('after_request runs after an exception in a before_request hook, which skips the callback', async () => {
    const app = silent(new Bottle())
    const called: string[] = []
    app.hook('before_request')(() => {
      called.push('before')
      throw new Error('boom')
    })
    app.hook('after_request')(() => void called.push('after'))
    app.get('/', () => void called.push('route'))
    expect((await client(app).get('/')).status).toBe(500)
    expect(called).toEqual(['before', 'after'])
  })

  it('an abort in before_request becomes the response', async () => {
    const app = new Bottle()
    app.hook('before_request')(() => abort(403, 'no entry'))
    app.get('/', () => 'route')
    const res = await client(app).get('/')
    expect(res.status).toBe(403)
    expect(res.text()).toContain('no entry')
  })

  it('an error thrown by an after_request hook is a 500, later hooks still run', async () => {
    const app = silent(new Bottle())
    const called: string[] = []
    app.hook('after_request')(() => void called.push('registered first, runs last'))
    app.hook('after_request')(() => {
      called.push('throws')
      throw new Error('after hook broke')
    })
    app.get('/', () => 'fine')
    const res = await client(app).get('/')
    expect(res.status).toBe(500)
    expect(res.text()).not.toContain('fine')
    expect(called).toEqual(['throws', 'registered first, runs last'])
  })

  it('a rejected async before_request hook is a 500, with after_request hooks run', async () => {
    const app = silent(new Bottle())
    const called: string[] = []
    app.hook('before_request')(async () => {
      await new Promise((r) => setTimeout(r, 1))
      throw new Error('async before broke')
    })
    app.hook('after_request')(() => {
      called.push('after')
      response.setHeader('X-After', '1')
    })
    app.get('/', () => void called.push('route'))
    const res = await client(app).get('/')
    expect(res.status).toBe(500)
    expect(res.header('x-after')).toBe('1')
    expect(called).toEqual(['after'])
  })

  it('an abort in after_request replaces the output (#671)', async () => {
    const app = new Bottle()
    const called: string[] = []
    app.hook('after_request')(() => {
      called.push('after')
      abort(400, 'hook_content')
    })
    app.get('/', () => {
      called.push('route')
      return 'XXX'
    })
    const res = await client(app).get('/')
    expect(res.status).toBe(400)
    expect(res.text()).toContain('hook_content')
    expect(res.text()).not.toContain('XXX')
    expect(called).toEqual(['route', 'after'])
  })

  it('after_request headers reach returned and thrown HTTPResponses (#1125)', async () => {
    const app = new Bottle()
    app.route('/test1', () => 'test')
    app.route('/test2', () => new HTTPResponse('test', 200))
    app.route('/test3', () => {
      throw new HTTPResponse('test', 200)
    })
    app.hook('after_request')(() => {
      response.setHeader('X-Hook', 'works')
    })
    const c = client(app)
    for (const path of ['/test1', '/test2', '/test3']) {
      const res = await c.get(path)
      expect(res.text(), path).toBe('test')
      expect(res.header('x-hook'), path).toBe('works')
    }
  })

  it('after_request headers reach 404s, 405s, aborts and 500s (the CORS case)', async () => {
    const app = silent(new Bottle())
    app.hook('after_request')(() => {
      response.setHeader('Access-Control-Allow-Origin', '*')
    })
    app.get('/abort', () => abort(401, 'no'))
    app.get('/boom', () => {
      throw new Error('boom')
    })
    app.post('/post', () => 'x')
    app.error(404, () => 'custom 404')
    const c = client(app)
    for (const [path, code] of [
      ['/missing', 404],
      ['/post', 405],
      ['/abort', 401],
      ['/boom', 500],
    ] as const) {
      const res = await c.get(path)
      expect(res.status, path).toBe(code)
      expect(res.header('access-control-allow-origin'), path).toBe('*')
    }
    expect((await c.get('/missing')).text()).toBe('custom 404')
  })

  it('runs hooks in Bottle order: before hooks in order, after hooks reversed, then the error handler', async () => {
    const app = new Bottle()
    const order: string[] = []
    app.hook('before_request')(() => void order.push('b1'))
    app.hook('before_request')(() => void order.push('b2'))
    app.hook('after_request')(() => void order.push('a1'))
    app.hook('after_request')(() => void order.push('a2'))
    app.error(418, () => {
      order.push('errhandler')
      return 'handled'
    })
    app.get('/', () => {
      order.push('route')
      abort(418)
    })
    const res = await client(app).get('/')
    expect(res.text()).toBe('handled')
    expect(order).toEqual(['b1', 'b2', 'route', 'a2', 'a1', 'errhandler'])
  })

  it('async hooks are awaited in order', async () => {
    const app = new Bottle()
    const order: string[] = []
    const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 2))
    app.hook('before_request')(async () => {
      await tick()
      order.push('b1')
    })
    app.hook('before_request')(() => void order.push('b2'))
    app.hook('after_request')(async () => {
      await tick()
      order.push('a1')
      response.setHeader('X-After', 'yes')
    })
    app.get('/', async () => {
      await tick()
      order.push('route')
      return 'ok'
    })
    const res = await client(app).get('/')
    expect(res.text()).toBe('ok')
    expect(res.header('x-after')).toBe('yes')
    expect(order).toEqual(['b1', 'b2', 'route', 'a1'])
  })

  it('a throwing error handler yields the bare critical-error 500 page', async () => {
    const app = silent(new Bottle())
    app.error(404, () => {
      throw new Error('handler broke')
    })
    const res = await client(app).get('/missing')
    expect(res.status).toBe(500)
    expect(res.header('content-type')).toBe('text/html; charset=UTF-8')
    expect(res.text()).toContain('Critical error while processing request')
    expect(res.text()).not.toContain('handler broke')
  })

  it('an error handler returning a rejected promise yields the critical-error page too', async () => {
    const app = silent(new Bottle())
    app.error(404, () => Promise.reject(new Error('async handler broke')))
    const res = await client(app).get('/missing')
    expect(res.status).toBe(500)
    expect(res.text()).toContain('Critical error while processing request')
  })

  it('error handlers that keep answering with errors end in a 500, not a hang', async () => {
    const app = silent(new Bottle())
    app.error(404, () => new HTTPError(404, 'again'))
    app.error(410, async () => {
      await Promise.resolve()
      return new HTTPError(410, 'again')
    })
    app.get('/gone', () => new HTTPError(410))
    app.get('/self', () => {
      const r = new HTTPResponse()
      r.body = r
      return r
    })
    const c = client(app)
    for (const path of ['/missing', '/gone', '/self']) {
      const res = await c.get(path)
      expect(res.status, path).toBe(500)
      expect(res.text(), path).toContain('Critical error while processing request')
    }
  })

  it('an error handler may answer with another error, rendered by its own handler', async () => {
    const app = new Bottle()
    app.error(404, () => new HTTPError(410, 'moved on'))
    app.error(410, (e) => `410 handler: ${String(e.body)}`)
    const res = await client(app).get('/missing')
    expect(res.status).toBe(410)
    expect(res.text()).toBe('410 handler: moved on')
  })

  it('the default 500 page hides the message and stack outside debug mode', async () => {
    const app = silent(new Bottle())
    app.get('/', () => {
      throw new Error('secret-message')
    })
    const res = await client(app).get('/')
    expect(res.status).toBe(500)
    expect(res.text()).toContain('Error: 500 Internal Server Error')
    expect(res.text()).not.toContain('secret-message')
    expect(res.text()).not.toContain('wsgi.test.ts')
  })

  it('the default 500 page shows the exception and stack in debug mode', async () => {
    const app = silent(new Bottle({ debug: true }))
    app.get('/', () => {
      throw new Error('visible-message')
    })
    const res = await client(app).get('/')
    expect(res.status).toBe(500)
    expect(res.text()).toContain('visible-message')
    expect(res.text()).toContain('Traceback')
    expect(res.text()).toContain('wsgi.test.ts')
  })

  it('an error page escapes the path and the message', async () => {
    const app = new Bottle()
    app.get('/x', () => abort(400, '<script>alert(1)</script>'))
    const c = client(app)
    const res = await c.get('/x')
    expect(res.text()).not.toContain('<script>')
    expect(res.text()).toContain('&lt;script&gt;')
    const missing = await c.get('/%3Cb%3E')
    expect(missing.text()).not.toContain('<b>')
  })
})

describe('Request cycle: details', () => {
  it('uncaught errors are reported through app.logError with the request', async () => {
    const app = new Bottle()
    const logged: [unknown, string][] = []
    app.logError = (err, req) => logged.push([err, req.path])
    const boom = new Error('boom')
    app.get('/x', () => {
      throw boom
    })
    await new TestClient(app).get('/x')
    expect(logged).toEqual([[boom, '/x']])
  })

  it('a redirect keeps headers and cookies set before it', async () => {
    const app = new Bottle()
    app.get('/', () => {
      response.setCookie('xxx', 'yyy')
      response.setHeader('X-Kept', '1')
      redirect('/target')
    })
    const res = await new TestClient(app).get('/')
    expect(res.status).toBe(303)
    expect(res.headers['set-cookie']).toEqual(['xxx=yyy'])
    expect(res.header('x-kept')).toBe('1')
  })

  it('an abort drops headers set before it, as Bottle does', async () => {
    const app = new Bottle()
    app.get('/', () => {
      response.setHeader('X-Dropped', '1')
      abort(400)
    })
    const res = await new TestClient(app).get('/')
    expect(res.status).toBe(400)
    expect(res.header('x-dropped')).toBeUndefined()
  })

  it('a plain HTTPResponse with an error status bypasses the error handlers', async () => {
    const app = new Bottle()
    app.error(404, () => 'handler')
    app.get('/', () => new HTTPResponse('plain body', 404))
    const res = await new TestClient(app).get('/')
    expect(res.status).toBe(404)
    expect(res.text()).toBe('plain body')
  })

  it('getUrl joins the script name of the current request', async () => {
    const app = new Bottle()
    app.route('/a/<b>/c', { name: 'named' }, () => 'x')
    const results: string[] = []
    app.get('/probe', () => {
      for (const script of ['', '/app', '/app/', 'app/']) {
        request.scriptName = script
        results.push(app.getUrl('named', { b: 'xxx' }))
      }
      return 'ok'
    })
    await new TestClient(app).get('/probe')
    expect(results).toEqual(['/a/xxx/c', '/app/a/xxx/c', '/app/a/xxx/c', '/app/a/xxx/c'])
  })

  it('returns the callback from the route registration forms', () => {
    const app = new Bottle()
    const fn = (): string => 'x'
    expect(app.route('/a', fn)).toBe(fn)
    expect(app.route('/b', { name: 'b' }, fn)).toBe(fn)
    expect(app.get('/c')(fn)).toBe(fn)
    expect(app.post('/d', { name: 'd' })(fn)).toBe(fn)
  })

  it('keeps free route options as route config, reading through to the app config', () => {
    const app = new Bottle({ 'my.app.key': 'app-level' })
    app.get('/', { name: 'home', custom: 42 }, () => 'x')
    const route = app.routes[0]!
    expect(route.name).toBe('home')
    expect(route.config.get('custom')).toBe(42)
    expect(route.config.get('my.app.key')).toBe('app-level')
    expect(app.config.get('custom')).toBeUndefined()
  })
})
