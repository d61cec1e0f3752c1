import { describe, expect, it } from 'vitest'
import { authBasic, Bottle, request } from 'bottle-ts'
import { describeMatrix } from './_helpers.js'

const basic = (user: string, password: string): string =>
  'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')

describeMatrix('authBasic', (client) => {
  it('answers 401 with a Basic challenge when the check fails', async () => {
    const app = new Bottle()
    app.get(
      '/',
      authBasic(() => false)(() => ({}))
    )
    const res = await client(app).get('/')
    expect(res.status).toBe(401)
    expect(res.header('www-authenticate')).toBe('Basic realm="private"')
    expect(res.text()).toContain('Access denied')
  })

  it('runs the callback for credentials the check accepts', async () => {
    const app = new Bottle()
    const check = (u: string, p: string): boolean => u === 'marc' && p === 'se:cret'
    app.get(
      '/<x>',
      authBasic(check, { realm: 'admin area' })(({ x }: { x: string }) => `hi ${x}`)
    )
    const c = client(app)
    const ok = await c.get('/a', { headers: { authorization: basic('marc', 'se:cret') } })
    expect(ok.status).toBe(200)
    expect(ok.text()).toBe('hi a')
    const bad = await c.get('/a', { headers: { authorization: basic('marc', 'wrong') } })
    expect(bad.status).toBe(401)
    expect(bad.header('www-authenticate')).toBe('Basic realm="admin area"')
  })

  it('awaits an async check', async () => {
    const app = new Bottle()
    app.get(
      '/',
      authBasic(async (u) => u === 'ok', { text: 'Nope' })(() => 'in')
    )
    const c = client(app)
    expect((await c.get('/', { headers: { authorization: basic('ok', '') } })).text()).toBe('in')
    const no = await c.get('/', { headers: { authorization: basic('no', '') } })
    expect(no.status).toBe(401)
    expect(no.text()).toContain('Nope')
  })

  it('answers 401 for missing, malformed or non-Basic credentials', async () => {
    const app = new Bottle()
    app.get(
      '/',
      authBasic(() => true)(() => 'in')
    )
    const c = client(app)
    for (const header of [
      'Bearer abc',
      'Basic',
      'Basic !!!',
      'Basic ' + Buffer.from('nocolon').toString('base64'),
    ]) {
      const res = await c.get('/', { headers: { authorization: header } })
      expect(res.status, header).toBe(401)
    }
  })
})

describeMatrix('request.auth', (client) => {
  it('parses Basic credentials; the password may contain colons', async () => {
    const app = new Bottle()
    app.get('/', () => ({ auth: request.auth }))
    const c = client(app)
    const res = await c.get('/', { headers: { authorization: basic('marc', 'se:cr:et') } })
    expect(res.json()).toEqual({ auth: ['marc', 'se:cr:et'] })
    const lower = await c.get('/', {
      headers: { authorization: 'basic ' + Buffer.from('ü:p').toString('base64') },
    })
    expect(lower.json()).toEqual({ auth: ['ü', 'p'] })
    expect((await c.get('/')).json()).toEqual({ auth: null })
  })
})

describe('authBasic options', () => {
  it('refuses a realm that could break the header', () => {
    expect(() => authBasic(() => true, { realm: 'a"b' })).toThrow(/realm/)
    expect(() => authBasic(() => true, { realm: 'a\r\nX: y' })).toThrow(/realm/)
  })
})
