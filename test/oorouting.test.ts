import { describe, expect, it } from 'vitest'
import * as bottle from 'bottle-ts'
import { Bottle, defaultApp, del, get, post, request, route, withApp } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'

class Users {
  readonly names = new Map<number, string>([[1, 'ada']])

  @get('/<id:int>')
  show({ id }: { id: number }): string {
    return this.names.get(id) ?? bottle.abort(404, `no user ${id}`)
  }

  @post('/')
  create(): { created: string } {
    const name = request.forms.get('name') ?? ''
    this.names.set(this.names.size + 1, name)
    return { created: name }
  }

  @route('/<id:int>', { method: ['PUT', 'PATCH'] })
  @route('/<id:int>/rename', { method: 'POST' })
  rename({ id }: { id: number }): string {
    this.names.set(id, request.forms.get('name') ?? '')
    return `renamed ${id}`
  }

  @del('/<id:int>')
  remove({ id }: { id: number }): string {
    this.names.delete(id)
    return `deleted ${id}`
  }

  helper(): string {
    return 'not a route'
  }
}

class Admins extends Users {
  @get('/whoami')
  whoami(): string {
    return 'admin'
  }
}

describe('class-based controllers (TC39 decorators)', () => {
  it('registers decorated methods bound to the instance under a prefix', async () => {
    const app = new Bottle()
    const users = app.controller(new Users(), '/users')
    expect(users).toBeInstanceOf(Users)
    const c = new TestClient(app)
    expect((await c.get('/users/1')).text()).toBe('ada')
    expect((await c.get('/users/2')).status).toBe(404)
    expect((await c.post('/users/', { form: { name: 'bob' } })).json()).toEqual({ created: 'bob' })
    expect((await c.get('/users/2')).text()).toBe('bob')
    expect((await c.request('PUT', '/users/2', { form: { name: 'carl' } })).text()).toBe(
      'renamed 2'
    )
    expect((await c.request('PATCH', '/users/2', { form: { name: 'dan' } })).text()).toBe(
      'renamed 2'
    )
    expect((await c.post('/users/2/rename', { form: { name: 'eve' } })).text()).toBe('renamed 2')
    expect((await c.get('/users/2')).text()).toBe('eve')
    expect((await c.request('DELETE', '/users/2')).text()).toBe('deleted 2')
    expect((await c.get('/users/2')).status).toBe(404)
    expect(app.routes.map((r) => `${r.method} ${r.rule}`).sort()).toEqual(
      [
        'DELETE /users/<id:int>',
        'GET /users/<id:int>',
        'PATCH /users/<id:int>',
        'POST /users/',
        'POST /users/<id:int>/rename',
        'PUT /users/<id:int>',
      ].sort()
    )
  })

  it('does not register decorated methods on the default app', () => {
    const app = defaultApp.push()
    try {
      class Local {
        @get('/local')
        local(): string {
          return 'x'
        }
      }
      void Local
      expect(app.routes).toHaveLength(0)
    } finally {
      defaultApp.pop()
    }
  })

  it('inherits routes of a parent controller; separate instances keep separate state', async () => {
    const app = new Bottle()
    app.controller(new Admins(), '/admin')
    app.controller(new Users())
    const c = new TestClient(app)
    expect((await c.get('/admin/whoami')).text()).toBe('admin')
    expect((await c.get('/admin/1')).text()).toBe('ada')
    await c.request('DELETE', '/admin/1')
    expect((await c.get('/admin/1')).status).toBe(404)
    expect((await c.get('/1')).text()).toBe('ada')
  })
})

describe('the default app and module-level shortcuts', () => {
  it('binds shortcuts to the app on top of the stack at call time', async () => {
    const first = defaultApp.push()
    get('/a', () => 'first')
    const second = defaultApp.push()
    get('/a', () => 'second')
    expect(defaultApp()).toBe(second)
    expect(defaultApp.pop()).toBe(second)
    expect(defaultApp()).toBe(first)
    expect(defaultApp.pop()).toBe(first)
    expect((await new TestClient(first).get('/a')).text()).toBe('first')
    expect((await new TestClient(second).get('/a')).text()).toBe('second')
  })

  it('function forms register and return the callback', async () => {
    const app = new Bottle()
    await withApp(app, async () => {
      const cb = (): string => 'x'
      expect(route('/x')(cb)).toBe(cb)
      expect(post('/p', () => 'posted')).toBeTypeOf('function')
      bottle.error(404, () => 'custom 404')
      bottle.hook('after_request')(() => bottle.response.setHeader('X-Hooked', '1'))
    })
    const c = new TestClient(app)
    expect((await c.get('/x')).text()).toBe('x')
    expect((await c.post('/p')).text()).toBe('posted')
    const missing = await c.get('/missing')
    expect(missing.text()).toBe('custom 404')
    expect(missing.header('x-hooked')).toBe('1')
    expect(defaultApp()).not.toBe(app)
  })

  it('withApp restores the stack after an error', () => {
    const app = new Bottle()
    const before = defaultApp()
    expect(() =>
      withApp(app, () => {
        throw new Error('inside')
      })
    ).toThrow('inside')
    expect(defaultApp()).toBe(before)
  })

  it('exports delete as both del and delete', () => {
    expect(bottle.del).toBe(bottle.delete)
  })

  it('mount, install, uninstall and url reach the default app', async () => {
    const app = new Bottle()
    const sub = new Bottle()
    sub.get('/x', { name: 'subx' }, () => 'sub')
    withApp(app, () => {
      bottle.mount('/sub/', sub)
      const p = bottle.install((cb: bottle.Callback) => cb)
      expect(app.plugins).toContain(p)
      bottle.uninstall(p)
      expect(app.plugins).not.toContain(p)
      expect(bottle.url('subx')).toBe('/sub/x')
    })
    expect((await new TestClient(app).get('/sub/x')).text()).toBe('sub')
  })
})
