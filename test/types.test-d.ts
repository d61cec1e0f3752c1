import { describe, expectTypeOf, it } from 'vitest'
import { Bottle, get, type RouteParams } from 'bottle-ts'

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
