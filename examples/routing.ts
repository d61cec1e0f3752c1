// Routing: wildcards, filters, methods, named routes and URL building.
// Run: npx tsx examples/routing.ts, then open http://127.0.0.1:8080/
import { Bottle, abort, redirect, request, run } from 'bottle-ts'

const app = new Bottle()

app.get('/', () =>
  [
    '<h1>Routing examples</h1><ul>',
    `<li><a href="${app.getUrl('hello', { name: 'World' })}">hello</a></li>`,
    `<li><a href="${app.getUrl('object', { id: 41 })}">int filter</a></li>`,
    `<li><a href="/price/9.5">float filter</a></li>`,
    `<li><a href="/files/docs/readme.txt">path filter</a></li>`,
    `<li><a href="/user/ada">re filter</a></li>`,
    `<li><a href="/old/style">old :name syntax</a></li>`,
    '</ul>',
  ].join('')
)

app.get('/hello/<name>', { name: 'hello' }, ({ name }) => `Hello ${name}!`)
app.get('/object/<id:int>', { name: 'object' }, ({ id }) => ({ id, next: id + 1 }))
app.get('/price/<p:float>', ({ p }) => `Twice the price: ${p * 2}`)
app.get('/files/<path:path>', ({ path }) => `You asked for ${path}`)
app.get('/user/<name:re:[a-z]+>', ({ name }) => `User ${name}`)
app.get('/old/:word', ({ word }) => `Old syntax still works: ${word}`)

// Several methods, and a list of rules for one callback.
app.route(['/login', '/signin'], { method: ['GET', 'POST'] }, () =>
  request.method === 'POST'
    ? 'Logged in (not really)'
    : '<form method="post"><button>Log in</button></form>'
)

// A custom filter: a comma-separated list of integers.
app.router.addFilter('ints', () => [
  '\\d+(?:,\\d+)*',
  (text) => text.split(',').map(Number),
  (value) => (value as number[]).join(','),
])
app.get('/sum/<values:ints>', { name: 'sum' }, ({ values }) => {
  const numbers = values as unknown as number[]
  return `${numbers.join(' + ')} = ${numbers.reduce((a, b) => a + b, 0)}`
})

app.get('/restricted', () => abort(401, 'Sorry, access denied.'))
app.get('/moved', () => redirect(app.getUrl('sum', { values: [1, 2, 3] })))

run(app, { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) })
