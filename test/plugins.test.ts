import { describe, expect, it } from 'vitest'
import {
  Bottle,
  HTTPResponse,
  JSONPlugin,
  request,
  type RouteArgs,
  type Callback,
  type Plugin,
  type Route,
} from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'

/** A plugin that appends text to the callback's result, like Bottle's test plugin. */
class AppendPlugin implements Plugin {
  name?: string
  app: Bottle | null = null
  closed = false
  calls = 0
  constructor(public addContent = '') {}
  setup(app: Bottle): void {
    this.app = app
  }
  apply(callback: Callback): Callback {
    this.calls++
    return (args) => String(callback(args)) + this.addContent
  }
  close(): void {
    this.closed = true
  }
}

const body = async (app: Bottle, path: string): Promise<string> =>
  (await new TestClient(app).get(path)).text()

describe('plugin management', () => {
  it('install returns the plugin, calls setup and lists it', () => {
    const app = new Bottle()
    const plugin = new AppendPlugin()
    expect(app.install(plugin)).toBe(plugin)
    expect(plugin.app).toBe(app)
    expect(app.plugins).toContain(plugin)
  })

  it('installs function plugins (decorators)', async () => {
    const app = new Bottle()
    const deco =
      (cb: Callback): Callback =>
      (args) =>
        `[${String(cb(args))}]`
    expect(app.install(deco)).toBe(deco)
    app.get('/', () => 'x')
    expect(await body(app, '/')).toBe('[x]')
  })

  it('refuses things that are not plugins', () => {
    const app = new Bottle()
    expect(() => app.install('I am not a plugin' as unknown as Plugin)).toThrow(/apply/)
  })

  it('uninstalls by instance, class, name and true', () => {
    const app = new Bottle()
    const p1 = app.install(new AppendPlugin())
    const p2 = app.install(new AppendPlugin())
    app.uninstall(p1)
    expect(app.plugins).not.toContain(p1)
    expect(app.plugins).toContain(p2)
    expect(p1.closed).toBe(true)

    const p3 = app.install(new AppendPlugin())
    app.uninstall(AppendPlugin)
    expect(app.plugins).not.toContain(p2)
    expect(app.plugins).not.toContain(p3)

    const named = app.install(new AppendPlugin())
    const other = app.install(new AppendPlugin())
    named.name = 'myplugin'
    app.uninstall('myplugin')
    expect(app.plugins).not.toContain(named)
    expect(app.plugins).toContain(other)

    app.uninstall(true)
    expect(app.plugins).toEqual([])
  })

  it('applies route plugins only to their route', async () => {
    const app = new Bottle()
    const plugin = new AppendPlugin(';foo')
    const cb = (): string => 'plugin'
    app.route('/a', cb)
    app.route('/b', { apply: [plugin] }, cb)
    expect(await body(app, '/a')).toBe('plugin')
    expect(await body(app, '/b')).toBe('plugin;foo')
  })

  it('orders app plugins then route plugins, first installed outermost', async () => {
    const app = new Bottle()
    app.install(new AppendPlugin(';global-1'))
    app.install(new AppendPlugin(';global-2'))
    const cb = (): string => 'plugin'
    app.route('/a', cb)
    app.route('/b', { apply: [new AppendPlugin(';local-1'), new AppendPlugin(';local-2')] }, cb)
    expect(await body(app, '/a')).toBe('plugin;global-2;global-1')
    expect(await body(app, '/b')).toBe('plugin;local-2;local-1;global-2;global-1')
  })

  it('skips by instance, class, name, true and a single value', async () => {
    const app = new Bottle()
    const g1 = app.install(new AppendPlugin(';global-1'))
    const g2 = app.install(new AppendPlugin(';global-2'))
    const l1 = new AppendPlugin(';local-1')
    const l2 = new AppendPlugin(';local-2')
    const cb = (): string => 'plugin'
    app.route('/a', { skip: [g2, l2] }, cb)
    app.route('/b', { apply: [l1, l2], skip: [g2, l2] }, cb)
    app.route('/c', { skip: [AppendPlugin] }, cb)
    app.route('/d', { skip: [true] }, cb)
    app.route('/e', { skip: g1 }, cb)
    g1.name = 'test'
    app.route('/f', { skip: ['test'] }, cb)
    expect(await body(app, '/a')).toBe('plugin;global-1')
    expect(await body(app, '/b')).toBe('plugin;local-1;global-1')
    expect(await body(app, '/c')).toBe('plugin')
    expect(await body(app, '/d')).toBe('plugin')
    expect(await body(app, '/e')).toBe('plugin;global-2')
    expect(await body(app, '/f')).toBe('plugin;global-2')
  })

  it('skip: true also skips the JSON plugin', async () => {
    const app = new Bottle()
    app.get('/', { skip: true }, () => ({ a: 1 }))
    const res = await new TestClient(app).get('/')
    // Without JSON casting Bottle iterates the dict: its keys become the body.
    expect(res.text()).toBe('a')
  })

  it('skips the JSON plugin by name', async () => {
    const app = new Bottle()
    app.get('/', { skip: ['json'] }, () => ['x', 'y'])
    expect(await body(app, '/')).toBe('xy')
  })

  it('applies plugins lazily, once per route, and again after reset', async () => {
    const app = new Bottle()
    const plugin = app.install(new AppendPlugin('!'))
    app.get('/', () => 'x')
    expect(plugin.calls).toBe(0)
    const client = new TestClient(app)
    await client.get('/')
    await client.get('/')
    expect(plugin.calls).toBe(1)
    app.reset()
    await client.get('/')
    expect(plugin.calls).toBe(2)
    app.routes[0]!.reset()
    await client.get('/')
    expect(plugin.calls).toBe(3)
    app.install(new AppendPlugin('?'))
    expect((await client.get('/')).text()).toBe('x?!')
  })

  it('fires app_reset on install, uninstall and reset', () => {
    const app = new Bottle()
    let resets = 0
    app.addHook('app_reset', () => resets++)
    const p = app.install(new AppendPlugin())
    app.uninstall(p)
    app.reset()
    expect(resets).toBe(3)
  })

  it('lists a route’s plugins with allPlugins and keeps the undecorated callback', () => {
    const app = new Bottle()
    const g = app.install(new AppendPlugin())
    const l = new AppendPlugin()
    const cb = (): string => 'x'
    app.route('/', { apply: l }, cb)
    const route = app.routes[0]!
    const names = route
      .allPlugins()
      .map((p) => (typeof p === 'object' ? (p.name ?? p.constructor.name) : 'fn'))
    expect(names).toEqual(['AppendPlugin', 'AppendPlugin', 'template', 'json'])
    expect(route.allPlugins()[0]).toBe(l)
    expect(route.allPlugins()[1]).toBe(g)
    expect(route.getUndecoratedCallback()).toBe(cb)
    expect(route.callback).toBe(cb)
    expect(route.call).not.toBe(cb)
  })

  it('the JSON plugin handles HTTPResponse bodies, returned and thrown', async () => {
    const app = new Bottle()
    app.get('/return', () => new HTTPResponse({ test: 'ko' }, 402))
    app.get('/raise', () => {
      throw new HTTPResponse({ test: 'ko2' }, 402)
    })
    const client = new TestClient(app)
    const r1 = await client.get('/return')
    expect(r1.status).toBe(402)
    expect(r1.json()).toEqual({ test: 'ko' })
    expect(r1.header('content-type')).toBe('application/json')
    const r2 = await client.get('/raise')
    expect(r2.status).toBe(402)
    expect(r2.json()).toEqual({ test: 'ko2' })
  })

  it('json.enable = false turns JSON casting off', async () => {
    const app = new Bottle({ autojson: false })
    app.get('/', () => ({ a: 1, b: 2 }))
    expect(await body(app, '/')).toBe('ab')
    const app2 = new Bottle()
    app2.config.set('json.enable', false)
    app2.get('/', () => ({ a: 1 }))
    expect(await body(app2, '/')).toBe('a')
  })

  it('json.indent and a custom dumps shape the JSON', async () => {
    const app = new Bottle()
    app.config.set('json.indent', 2)
    app.get('/', () => ({ a: 1 }))
    expect(await body(app, '/')).toBe('{\n  "a": 1\n}')
    const app2 = new Bottle()
    app2.uninstall('json')
    app2.install(new JSONPlugin({ dumps: (v) => JSON.stringify(v).toUpperCase() }))
    app2.get('/', () => ({ a: 'x' }))
    expect(await body(app2, '/')).toBe('{"A":"X"}')
  })

  it('JSON-casts results of async callbacks', async () => {
    const app = new Bottle()
    app.get('/', async () => {
      await new Promise((r) => setTimeout(r, 1))
      return [1, 2, 3]
    })
    const res = await new TestClient(app).get('/')
    expect(res.json()).toEqual([1, 2, 3])
    expect(res.header('content-type')).toBe('application/json')
  })
})

describe('plugin API', () => {
  const setup = (): Bottle => {
    const app = new Bottle()
    app.route('/', { test: 'plugin.cfg' }, (args) =>
      Object.entries(args)
        .map(([k, v]) => `${k}:${String(v)}`)
        .join(', ')
    )
    return app
  }

  it('calls function plugins with the callback and the route', async () => {
    const app = setup()
    let seen: Route | null = null
    app.install((cb: Callback, route: Route) => {
      seen = route
      return (args) => String(cb({ ...args, test: 'me' })) + '; tail'
    })
    expect(await body(app, '/')).toBe('test:me; tail')
    expect(seen).toBe(app.routes[0])
  })

  it('passes route config to apply(), with app config visible through it', async () => {
    const app = setup()
    app.config.set('app.key', 'from-app')
    app.install({
      apply: (cb: Callback, route: Route) => (args: RouteArgs) =>
        `${String(cb({ ...args, test: route.config.get('test') }))}; ${String(route.config.get('app.key'))}`,
    })
    expect(await body(app, '/')).toBe('test:plugin.cfg; from-app')
  })

  it('accepts a method of the plugin as the wrapper', async () => {
    const app = setup()
    class P implements Plugin {
      api = 2
      apply(): Callback {
        return this.hello.bind(this)
      }
      hello(): string {
        return 'Hello'
      }
    }
    app.install(new P())
    expect(await body(app, '/')).toBe('Hello')
  })

  it('calls close() on uninstall and on app.close()', () => {
    const app = new Bottle()
    const p1 = app.install(new AppendPlugin())
    const p2 = app.install(new AppendPlugin())
    app.uninstall(p1)
    expect(p1.closed).toBe(true)
    expect(p2.closed).toBe(false)
    app.close()
    expect(p2.closed).toBe(true)
  })

  it('plugins see the bound request', async () => {
    const app = new Bottle()
    app.install((cb: Callback) => (args) => `${request.method} ${String(cb(args))}`)
    app.post('/', () => 'ok')
    expect((await new TestClient(app).post('/')).text()).toBe('POST ok')
  })

  it('a throwing plugin gives a 500, not a crash', async () => {
    const app = new Bottle()
    app.logError = () => {}
    app.install(() => () => {
      throw new Error('plugin broke')
    })
    app.get('/', () => 'x')
    const res = await new TestClient(app).get('/')
    expect(res.status).toBe(500)
    expect(res.text()).not.toContain('plugin broke')
  })
})
