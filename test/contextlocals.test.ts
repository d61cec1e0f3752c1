/**
 * The module-level `request` and `response` objects: bound per request with
 * AsyncLocalStorage, correct across await, timers and concurrent requests, and a clear
 * error outside a request. Ports Bottle's test_contextlocals.py (threads become
 * interleaved async requests) in the shape of Koa's currentContext test.
 */
import { describe, expect, it } from 'vitest'
import { Bottle, BottleException, current, request, response } from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import { describeMatrix } from './_helpers.js'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const immediate = (): Promise<void> => new Promise((r) => setImmediate(r))

describe('Context locals outside a request', () => {
  it('request and response throw a clear error', () => {
    expect(() => request.path).toThrow(/outside of a request/)
    expect(() => request.method).toThrow(BottleException)
    expect(() => response.status).toThrow(/outside of a request/)
    expect(() => response.setHeader('X', '1')).toThrow(/outside of a request/)
    expect(() => current()).toThrow(/outside of a request/)
  })

  it('the error has a stable code', () => {
    try {
      void request.path
      expect.unreachable()
    } catch (err) {
      expect((err as BottleException).code).toBe('BOTTLE_NO_CONTEXT')
    }
  })

  it('a timer started by a request is still bound to it after the response; others are not', async () => {
    const app = new Bottle()
    let later: Promise<string> | null = null
    app.get('/start', () => {
      later = sleep(20).then(() => request.path)
      return 'started'
    })
    await new TestClient(app).get('/start')
    await expect(later).resolves.toBe('/start')
    expect(() => request.path).toThrow(/outside of a request/)
  })
})

describe('Context locals with pipelined requests on one connection', () => {
  it('answers in order, each with its own request, when a later one finishes first', async () => {
    const app = new Bottle()
    app.get('/<ms:int>', async ({ ms }) => {
      await sleep(ms)
      return `${request.path}=${request.getHeader('x-n')};`
    })
    const req = (path: string, n: number, last = false): string =>
      `GET ${path} HTTP/1.1\r\nHost: x\r\nX-N: ${n}\r\n${last ? 'Connection: close\r\n' : ''}\r\n`
    const raw = (
      await new TestClient(app).raw(req('/30', 1) + req('/1', 2) + req('/10', 3, true))
    ).toString('latin1')
    const bodies = raw.match(/\/\d+=\d;/g)
    expect(bodies).toEqual(['/30=1;', '/1=2;', '/10=3;'])
  })
})

describeMatrix('Context locals in requests', (client) => {
  it('request and response are bound inside a callback', async () => {
    const app = new Bottle()
    app.get('/t1', () => {
      response.contentType = 'test/main'
      return `${request.path} ${response.getHeader('Content-Type')}`
    })
    const res = await client(app).get('/t1')
    expect(res.text()).toBe('/t1 test/main')
    expect(res.header('content-type')).toBe('test/main')
  })

  it('stay correct across await, setTimeout, setImmediate, nextTick and promise chains', async () => {
    const app = new Bottle()
    app.get('/<id:int>', async ({ id }) => {
      const seen: string[] = []
      const check = (where: string): void => {
        if (request.path !== `/${id}` || request.urlArgs.id !== id) seen.push(`${where}:request`)
        if (response.getHeader('X-Id') !== String(id)) seen.push(`${where}:response`)
      }
      response.setHeader('X-Id', String(id))
      check('sync')
      await sleep(id % 7)
      check('setTimeout')
      await immediate()
      check('setImmediate')
      await new Promise<void>((r) => process.nextTick(r))
      check('nextTick')
      await Promise.resolve()
        .then(() => sleep(id % 3))
        .then(() => check('then'))
      await new Promise<void>((resolve) => {
        setTimeout(() => {
          setImmediate(() => {
            check('nested')
            resolve()
          })
        }, id % 5)
      })
      return seen.length ? seen.join(',') : `ok ${request.path}`
    })
    const c = client(app)
    const n = 200
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => c.get(`/${i}`).then((r) => [i, r] as const))
    )
    for (const [i, res] of results) {
      expect(res.text(), `request ${i}`).toBe(`ok /${i}`)
      expect(res.header('x-id'), `request ${i}`).toBe(String(i))
    }
  })

  it('hooks, callbacks and error handlers of one request see the same objects', async () => {
    const app = new Bottle()
    const marks = new WeakMap<object, string>()
    app.hook('before_request')(async () => {
      await sleep(1)
      marks.set(request.raw, request.getHeader('x-tag') ?? '')
    })
    app.hook('after_request')(async () => {
      await immediate()
      response.setHeader('X-Tag-After', marks.get(request.raw) ?? 'missing')
    })
    app.error(404, () => `missing ${marks.get(request.raw)}`)
    app.get('/found', async () => {
      await sleep(2)
      return `found ${marks.get(request.raw)}`
    })
    const c = client(app)
    const tags = Array.from({ length: 100 }, (_, i) => `t${i}`)
    const results = await Promise.all(
      tags.map((tag, i) =>
        c
          .get(i % 2 ? '/found' : '/missing', { headers: { 'x-tag': tag } })
          .then((r) => [tag, r] as const)
      )
    )
    for (const [tag, res] of results) {
      const i = Number(tag.slice(1))
      expect(res.text()).toBe(`${i % 2 ? 'found' : 'missing'} ${tag}`)
      expect(res.header('x-tag-after')).toBe(tag)
    }
  })

  it('streamed generators see their own request while producing chunks', async () => {
    const app = new Bottle()
    app.get('/s/<id>', async function* ({ id }) {
      for (let i = 0; i < 3; i++) {
        await sleep(1)
        yield `${request.path === `/s/${id}` ? 'ok' : 'WRONG'};`
      }
    })
    const c = client(app)
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => c.get(`/s/${i}`)))
    for (const res of results) expect(res.text()).toBe('ok;ok;ok;')
  })

  it('app-defined attributes on request stay per request', async () => {
    const app = new Bottle()
    app.hook('before_request')(() => {
      ;(request as unknown as Record<string, unknown>).user = request.getHeader('x-user')
    })
    app.get('/', async () => {
      await sleep(Math.random() * 5)
      return String((request as unknown as Record<string, unknown>).user)
    })
    const c = client(app)
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        c.get('/', { headers: { 'x-user': `u${i}` } }).then((r) => [i, r.text()] as const)
      )
    )
    for (const [i, text] of results) expect(text).toBe(`u${i}`)
  })
})
