import { describe, expect, it } from 'vitest'
import { Bottle, cookieDecode, cookieEncode, cookieIsEncoded, request, response } from 'bottle-ts'
import { describeMatrix } from './_helpers.js'

const SECRET = 'secret'
const DATA = 'υηι¢σ∂є'

/** An app that signs `value` under `name` on /set and reads cookie `name` back on /get. */
function signingApp(): Bottle {
  const app = new Bottle()
  app.post('/set/<name>', ({ name }) => {
    response.setCookie(name, request.json, { secret: SECRET })
    return ''
  })
  app.get('/get/<name>', ({ name }) => ({
    value: request.getCookie(name, { secret: SECRET, default: null }) ?? null,
  }))
  return app
}

function setCookiePair(header: string | string[] | undefined): [string, string] {
  const line = ([] as string[]).concat(header ?? [])[0]!
  const pair = line.split(';')[0]!
  const eq = pair.indexOf('=')
  return [pair.slice(0, eq), pair.slice(eq + 1)]
}

describeMatrix('signed cookies', (client) => {
  it('round-trip a Unicode string', async () => {
    const c = client(signingApp())
    const [name, value] = setCookiePair(
      (await c.post('/set/key', { json: DATA })).headers['set-cookie']
    )
    expect(name).toBe('key')
    const res = await c.get('/get/key', { headers: { cookie: `key=${value}` } })
    expect(res.json()).toEqual({ value: DATA })
  })

  it('round-trip any JSON value (objects, arrays, numbers)', async () => {
    const c = client(signingApp())
    const data = { a: 5, b: DATA, c: [1, 2, 3, 4, 'bytestring'], d: null }
    const [, value] = setCookiePair(
      (await c.post('/set/key', { json: data })).headers['set-cookie']
    )
    const res = await c.get('/get/key', { headers: { cookie: `key=${value}` } })
    expect(res.json()).toEqual({ value: data })
  })

  it('a cookie stored under another name reads as missing', async () => {
    const c = client(signingApp())
    const [, value] = setCookiePair(
      (await c.post('/set/key', { json: DATA })).headers['set-cookie']
    )
    const res = await c.get('/get/keyxxx', { headers: { cookie: `keyxxx=${value}` } })
    expect(res.json()).toEqual({ value: null })
  })

  it('any tampered byte reads as missing', async () => {
    const c = client(signingApp())
    const [, value] = setCookiePair(
      (await c.post('/set/key', { json: 'admin=false' })).headers['set-cookie']
    )
    const q = value.indexOf('?')
    const forgedPayload = Buffer.from(JSON.stringify(['key', 'admin=true'])).toString('base64url')
    const flip = (s: string, i: number): string =>
      s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1)
    for (const bad of [
      value.slice(0, q + 1) + forgedPayload,
      flip(value, 1),
      flip(value, value.length - 1),
      value.slice(0, -1),
      value.replace('!', ''),
    ]) {
      const res = await c.get('/get/key', { headers: { cookie: `key=${bad}` } })
      expect(res.json(), bad).toEqual({ value: null })
    }
  })

  it('a cookie signed with another secret reads as missing', async () => {
    const c = client(signingApp())
    const foreign = cookieEncode('key', DATA, 'other-secret')
    const res = await c.get('/get/key', { headers: { cookie: `key=${foreign}` } })
    expect(res.json()).toEqual({ value: null })
  })

  it('malformed signed-looking values read as missing, never as an error', async () => {
    const c = client(signingApp())
    for (const bad of [
      '!',
      '!?',
      '!abc?def',
      '!' + 'A'.repeat(43) + '?',
      '?x',
      'plain',
      '!%ZZ?1',
    ]) {
      const res = await c.get('/get/key', { headers: { cookie: `key=${encodeURIComponent(bad)}` } })
      expect(res.status, bad).toBe(200)
      expect(res.json(), bad).toEqual({ value: null })
    }
  })

  it('without a secret, a signed cookie is returned as sent', async () => {
    const app = new Bottle()
    app.get('/', () => request.getCookie('key') ?? '')
    const signed = cookieEncode('key', 'v', SECRET)
    const res = await client(app).get('/', { headers: { cookie: `key=${signed}` } })
    expect(res.text()).toBe(signed)
  })
})

describe('cookieEncode / cookieDecode', () => {
  it('sign JSON of [name, value] with HMAC-SHA256 in base64url', () => {
    const encoded = cookieEncode('k', 'v', 's3cret')
    expect(encoded).toMatch(/^![A-Za-z0-9_-]{43}\?[A-Za-z0-9_-]+$/)
    const payload = encoded.slice(encoded.indexOf('?') + 1)
    expect(Buffer.from(payload, 'base64url').toString()).toBe('["k","v"]')
    expect(cookieIsEncoded(encoded)).toBe(true)
    expect(cookieIsEncoded('plain')).toBe(false)
    expect(cookieDecode('k', encoded, 's3cret')).toBe('v')
    expect(cookieDecode('k', encoded, Buffer.from('s3cret'))).toBe('v')
    expect(cookieDecode('other', encoded, 's3cret')).toBeUndefined()
  })

  it('refuse an empty secret', () => {
    expect(() => cookieEncode('k', 'v', '')).toThrow(/non-empty/)
    expect(() => cookieDecode('k', '!x?y', '')).toThrow(/non-empty/)
  })
})
