/**
 * The application object: constructor options and config, the route table, match,
 * hooks (add/remove/trigger, app_reset, config), plugins' reset and close. Ports the
 * intent of Bottle's test_app.py; Python's set-once attribute guard has no TypeScript
 * counterpart (class fields are declared), so it is not ported.
 */
import { describe, expect, it } from 'vitest'
import { Bottle, HTTPError, Route } from 'bottle-ts'
import type { Callback, HookName } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'

describe('Bottle: construction and config', () => {
  it('catchall defaults to true; options become config keys', () => {
    const app = new Bottle({ 'my.key': 'v' })
    expect(app.catchall).toBe(true)
    expect(app.config.get('catchall')).toBe(true)
    expect(app.config.get('my.key')).toBe('v')
    expect(new Bottle({ catchall: false }).catchall).toBe(false)
  })

  it('autojson: false sets json.enable to false', () => {
    expect(new Bottle({ autojson: false }).config.get('json.enable')).toBe(false)
  })

  it('debug mode comes from the option', () => {
    expect(new Bottle().debug).toBe(false)
    expect(new Bottle({ debug: true }).debug).toBe(true)
  })

  it('installs the JSON and template plugins first', () => {
    const app = new Bottle()
    const names = app.plugins.map((p) => (typeof p === 'object' ? p.name : undefined))
    expect(names.slice(0, 2)).toEqual(['json', 'template'])
  })
})

describe('Bottle: routes and match', () => {
  it('keeps every Route in order with its rule, method, callback, name and config', () => {
    const app = new Bottle()
    const cb = (): string => 'x'
    app.get('/a', cb)
    app.route('/b', { method: 'POST', name: 'b', extra: 1 }, cb)
    expect(app.routes).toHaveLength(2)
    const [a, b] = app.routes as [Route, Route]
    expect(a).toBeInstanceOf(Route)
    expect([a.rule, a.method, a.callback, a.name]).toEqual(['/a', 'GET', cb, null])
    expect([b.rule, b.method, b.name, b.config.get('extra')]).toEqual(['/b', 'POST', 'b', 1])
    expect(a.app).toBe(app)
  })

  it('match returns the route and converted arguments, or throws 404/405', () => {
    const app = new Bottle()
    app.get('/user/<id:int>', () => 'u')
    const { route, args } = app.match('get', '/user/5')
    expect(route).toBe(app.routes[0])
    expect(args).toEqual({ id: 5 })
    expect(() => app.match('GET', '/nope')).toThrow(HTTPError)
    try {
      app.match('POST', '/user/5')
    } catch (err) {
      expect((err as HTTPError).statusCode).toBe(405)
    }
  })

  it('merge adds the routes of another app without changing their owner', async () => {
    const child = new Bottle()
    child.get('/child', () => 'from child')
    const app = new Bottle()
    app.merge(child)
    expect(app.routes[0]!.app).toBe(child)
    expect((await new TestClient(app).get('/child')).text()).toBe('from child')
  })
})

describe('Bottle: hooks', () => {
  it('refuses unknown hook names with an error naming them', () => {
    const app = new Bottle()
    expect(() => app.addHook('nope' as HookName, () => {})).toThrow(/nope/)
    expect(() => app.triggerHook('nope' as HookName)).toThrow(/nope/)
  })

  it('removeHook detaches a hook and reports whether it was attached', async () => {
    const app = new Bottle()
    const calls: string[] = []
    const fn = (): void => void calls.push('before')
    app.addHook('before_request', fn)
    app.get('/', () => 'x')
    const c = new TestClient(app)
    await c.get('/')
    expect(app.removeHook('before_request', fn)).toBe(true)
    expect(app.removeHook('before_request', fn)).toBe(false)
    await c.get('/')
    expect(calls).toEqual(['before'])
  })

  it('triggerHook calls every hook and returns the results', () => {
    const app = new Bottle()
    app.hook('app_reset')(() => 1)
    app.hook('app_reset')(() => 2)
    expect(app.triggerHook('app_reset')).toEqual([1, 2])
  })

  it('the config hook is called with (key, value) and can veto a change', () => {
    const app = new Bottle()
    const seen: [string, unknown][] = []
    app.hook('config')((key: string, value: unknown) => {
      if (key === 'locked') throw new Error('locked is read-only')
      seen.push([key, value])
    })
    app.config.set('a.b', 5)
    expect(seen).toEqual([['a.b', 5]])
    expect(() => app.config.set('locked', 1)).toThrow(/read-only/)
    expect(app.config.get('locked')).toBeUndefined()
  })

  it('app_reset fires on reset, install and uninstall', () => {
    const app = new Bottle()
    let resets = 0
    app.hook('app_reset')(() => void resets++)
    app.reset()
    const p = app.install((cb: Callback) => cb)
    app.uninstall(p)
    expect(resets).toBe(3)
  })
})

describe('Bottle: plugins, reset and close', () => {
  it('reset() makes plugins apply again on the next request', async () => {
    const app = new Bottle()
    let applied = 0
    app.install((cb: Callback) => {
      applied++
      return cb
    })
    app.get('/', () => 'x')
    const c = new TestClient(app)
    await c.get('/')
    await c.get('/')
    expect(applied).toBe(1)
    app.reset()
    await c.get('/')
    expect(applied).toBe(2)
    app.reset(0)
    await c.get('/')
    expect(applied).toBe(3)
  })

  it('in debug mode plugins apply when the route is added', () => {
    const app = new Bottle({ debug: true })
    let applied = 0
    app.install((cb: Callback) => {
      applied++
      return cb
    })
    app.get('/', () => 'x')
    expect(applied).toBe(1)
  })

  it('close() calls close() on every plugin that has one', () => {
    const app = new Bottle()
    let closed = 0
    app.install({ name: 'closer', api: 2, apply: (cb: Callback) => cb, close: () => void closed++ })
    app.close()
    expect(closed).toBe(1)
  })
})
