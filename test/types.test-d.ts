import { describe, expectTypeOf, it } from 'vitest'
import { Bottle, get, url, type RouteParams } from 'bottle-ts'

declare module 'bottle-ts' {
  interface RouteNames {
    'typed-user': '/user/<id:int>/<name>'
  }
}

describe('route params inferred from Bottle rules', () => {
  it('reads names and filters', () => {
    expectTypeOf<RouteParams<'/user/<id:int>/<name>'>>().toEqualTypeOf<{
      id: number
      name: string
    }>()
    expectTypeOf<RouteParams<'/price/<x:float>'>>().toEqualTypeOf<{ x: number }>()
    expectTypeOf<RouteParams<'/static/<p:path>'>>().toEqualTypeOf<{ p: string }>()
    expectTypeOf<RouteParams<'/r/<r:re:[a-z]+>'>>().toEqualTypeOf<{ r: string }>()
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a rule without wildcards
    expectTypeOf<RouteParams<'/plain'>>().toEqualTypeOf<{}>()
    expectTypeOf<RouteParams<'/old/:name/x'>>().toEqualTypeOf<{ name: string }>()
    expectTypeOf<RouteParams<'/old/:id#[0-9]+#'>>().toEqualTypeOf<{ id: string }>()
    expectTypeOf<RouteParams<'/file/:name.json'>>().toEqualTypeOf<{ name: string }>()
  })

  it('gives anonymous wildcards no key', () => {
    expectTypeOf<RouteParams<'/a/<:re:.*>/<b>'>>().toEqualTypeOf<{ b: string }>()
  })

  it('falls back to a record for non-literal rules', () => {
    expectTypeOf<RouteParams<string>>().toEqualTypeOf<Record<string, unknown>>()
  })

  it('types handler arguments from the rule', () => {
    const app = new Bottle()
    app.get('/user/<id:int>', ({ id }) => {
      expectTypeOf(id).toEqualTypeOf<number>()
      return id
    })
    app.route('/a/<b>/<c:float>', { method: 'POST' }, ({ b, c }) => {
      expectTypeOf(b).toEqualTypeOf<string>()
      expectTypeOf(c).toEqualTypeOf<number>()
    })
    app.post('/x/<y>')(({ y }) => {
      expectTypeOf(y).toEqualTypeOf<string>()
    })
    get('/z/<n:int>', ({ n }) => {
      expectTypeOf(n).toEqualTypeOf<number>()
    })
  })
})

describe('getUrl typed by declared route names', () => {
  it('checks the parameters of a declared name and leaves other names open', () => {
    const app = new Bottle()
    app.getUrl('typed-user', { id: 1, name: 'ada' })
    app.getUrl('typed-user', { id: 1, name: 'ada', extra: 'query' })
    // @ts-expect-error id must be a number
    app.getUrl('typed-user', { id: 'x', name: 'ada' })
    // @ts-expect-error name is required
    app.getUrl('typed-user', { id: 1 })
    app.getUrl('anything', { whatever: true })
    url('typed-user', { id: 2, name: 'b' })
    expectTypeOf(app.getUrl('anything')).toEqualTypeOf<string>()
  })
})
