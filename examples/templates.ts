/**
 * SimpleTemplate pages: `view()` on a handler, the `template` route option, a layout
 * through `rebase`, a shared `include`, and `template()` on an inline source. Run with
 * `npx tsx examples/templates.ts`, then open http://localhost:8080/ and /todo.
 */
import { fileURLToPath } from 'node:url'
import { Bottle, TEMPLATE_PATH, request, run, template, view } from 'bottle-ts'

// Templates are found by name in TEMPLATE_PATH (`./` and `./views/` of the working
// directory by default); put this example's views first.
TEMPLATE_PATH.unshift(fileURLToPath(new URL('./views/', import.meta.url)))

const todos = [
  { title: 'Port the app', done: true },
  { title: 'Write <tests>', done: false },
]

const app = new Bottle()

// view(): the object the handler returns fills views/index.tpl.
app.get(
  '/',
  view('index')(() => ({ name: request.query.get('name') ?? 'World' }))
)

// The `template` route option does the same through the TemplatePlugin.
app.get('/todo', { template: 'todo' }, () => ({
  items: todos,
  done: todos.filter((t) => t.done).length,
}))

// template() takes source text too: anything with `{`, `%`, `$` or a newline.
app.get('/inline/<word>', ({ word }) =>
  template('<p>{{word}} has {{word.length}} letters</p>', { word })
)

run(app, { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) })
