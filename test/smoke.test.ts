import { describe, expect, it } from 'vitest'
import { Bottle, request, response } from 'bottle-ts'
import { describeMatrix } from './_helpers.js'

describeMatrix('hello', (client) => {
  it('serves text and JSON', async () => {
    const app = new Bottle()
    app.get('/', () => 'Hello World!')
    app.get('/json', () => ({ a: 1 }))
    app.get('/user/<id:int>', ({ id }) => `user ${id + 1}`)
    const c = client(app)
    const res = await c.get('/')
    expect(res.status).toBe(200)
    expect(res.text()).toBe('Hello World!')
    expect(res.header('content-length')).toBe('12')
    expect((await c.get('/json')).json()).toEqual({ a: 1 })
    expect((await c.get('/user/41')).text()).toBe('user 42')
    expect((await c.get('/nope')).status).toBe(404)
  })
})

describe('context', () => {
  it('throws outside a request', () => {
    expect(() => request.path).toThrow(/outside of a request/)
    expect(() => response.status).toThrow(/outside of a request/)
  })
})
