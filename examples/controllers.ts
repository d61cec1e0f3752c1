// Class-based controllers with TC39 decorators.
// Run: npx tsx examples/controllers.ts, then: curl http://127.0.0.1:8080/users/1
import { Bottle, abort, del, get, post, request, run } from 'bottle-ts'

class UserController {
  readonly #users = new Map<number, string>([[1, 'Ada']])

  @get('/')
  list(): { id: number; name: string }[] {
    return [...this.#users].map(([id, name]) => ({ id, name }))
  }

  @get('/<id:int>')
  show({ id }: { id: number }): string {
    return this.#users.get(id) ?? abort(404, `No user ${id}`)
  }

  @post('/')
  create(): { id: number } {
    const id = this.#users.size + 1
    this.#users.set(id, request.forms.get('name') ?? 'anonymous')
    return { id }
  }

  @del('/<id:int>')
  remove({ id }: { id: number }): string {
    return this.#users.delete(id) ? 'deleted' : abort(404)
  }
}

const app = new Bottle()
app.controller(new UserController(), '/users')

run(app, { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) })
