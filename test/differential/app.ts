/**
 * The bottle-ts side of the differential suite: the twin of app.py, route for route, in
 * the same order and under the same paths, so one raw request can be sent to both. Each
 * app stands alone (its own hooks, error handlers and plugins), as in app.py. Areas whose
 * bottle-ts feature has not landed yet are left out; their cases are skipped by name.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import * as bottle from 'bottle-ts'
import {
  Bottle,
  HTTPError,
  HTTPResponse,
  abort,
  redirect,
  request,
  response,
  type Callback,
  type FormsDict,
  type Plugin,
  type Route,
} from 'bottle-ts'

const STATIC_ROOT = fileURLToPath(new URL('./fixtures/static/', import.meta.url))

const VIEWS_TS = fileURLToPath(new URL('./fixtures/views/ts/', import.meta.url))

/** The templates of app.py's `TEMPLATES`, with JavaScript expressions: (source, variables). */
const TEMPLATES: Record<string, [string, Record<string, unknown>]> = {
  escaped: ['Hello {{name}}!', { name: '<World & "you">' }],
  raw: ['Hello {{!name}}!', { name: '<b>bold</b>' }],
  unicode: ['{{name}} \u2713', { name: '\u00e4\u00f6\u00fc' }],
  arithmetic: ['{{a + b}} {{a * b}}', { a: 3, b: 4 }],
  method: ['{{name.toUpperCase()}}', { name: 'loud' }],
  none: ['[{{x}}]', { x: null }],
  for: [
    '<ul>\n%for (const i of items):\n  <li>{{i}}</li>\n%end\n</ul>\n',
    { items: ['a', 'b', '<c>'] },
  ],
  'for-empty': ['<ul>\n%for (const i of items):\n  <li>{{i}}</li>\n%end\n</ul>\n', { items: [] }],
  if: ['%if (n === 1):\none\n%elif (n === 2):\ntwo\n%else:\nmany\n%end\n', { n: 2 }],
  'if-else': ['%if (n === 1):\none\n%elif (n === 2):\ntwo\n%else:\nmany\n%end\n', { n: 9 }],
  'indented-code': ['start\n  % if (flag):\n  yes\n  % end\nend\n', { flag: true }],
  nested: [
    '%for (const row of rows):\n%for (const cell of row):\n[{{cell}}]\\\\\n%end\n\n%end\n',
    { rows: [[1, 2], [3]] },
  ],
  block: ['<%\nx = 2\ny = x * 3\n%>\nvalue {{y}}\n', {}],
  assign: ['%x = "set"\n{{x}}\n', {}],
  continuation: ['one \\\\\ntwo\n', {}],
  'escaped-percent': ['\\% not code\n', {}],
  comment: ['a\n%# a comment line\nb\n', {}],
  'text-only': ['just text, no code\n', {}],
  'no-trailing-newline': ['last {{x}}', { x: 'line' }],
  'inline-in-text': ['a {{x}} b {{x}} c', { x: 1 }],
  'string-with-braces': ['{{"}}"}}', {}],
  get: ['{{get("x", "default")}}|{{get("y", "default")}}', { x: 'given' }],
  defined: ["{{defined('x') ? 'yes' : 'no'}}|{{defined('y') ? 'yes' : 'no'}}", { x: 1 }],
  setdefault: ['%setdefault("x", "fallback")\n{{x}}\n', {}],
  include: ['withinc', {}],
  rebase: ['page', { n: 3 }],
  file: ['hello', { name: 'file' }],
  undefined: ['{{missing}}', {}],
  'missing-file': ['no_such_template', {}],
}

/** The apps by name; the runner serves each on its own port. */
export type Apps = Record<string, Bottle>

function multidictJson(md: FormsDict): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const key of md.keys()) out[key] = md.getall(key)
  return out
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : String(value)
}

/** Builds main, hooks, errors and plugins: the same apps as app.py's `APPS`. */
export function buildApps(): Apps {
  const apps: Apps = {
    main: buildMain(),
    hooks: buildHooks(),
    errors: buildErrors(),
    plugins: buildPlugins(),
    mount: buildMount(),
  }
  // The 500 cases raise on purpose; app.py's tracebacks go to a pipe nobody reads either.
  for (const app of Object.values(apps)) app.logError = () => {}
  return apps
}

function buildMain(): Bottle {
  const main = new Bottle()
  main.router.addFilter('upper', () => [
    '[a-z]+',
    (s: string) => s.toUpperCase(),
    (v: unknown) => text(v).toLowerCase(),
  ])

  // --- routing ------------------------------------------------------------------------
  main.route('/r/static', () => 'static')
  main.route('/r/name/<name>', ({ name }) => 'name=' + name)
  main.route('/r/int/<n:int>', ({ n }) => `int=${n + 1}`)
  main.route('/r/float/<x:float>', ({ x }) => `float=${(x * 2).toFixed(3)}`)
  main.route('/r/path/<p:path>', ({ p }) => 'path=' + p)
  main.route('/r/mid/<p:path>/end', ({ p }) => 'mid=' + p)
  main.route('/r/re/<code:re:[a-z]{3}>', ({ code }) => 'code=' + code)
  main.route('/r/anon/<:re:[0-9]+>/x', () => 'anon')
  main.route('/r/old/:name', (args) => 'old=' + text(args.name))
  // Typed as plain string: RouteParams reads `:id#re#` as a key named "id#[0-9]+#".
  const oldre: string = '/r/oldre/:id#[0-9]+#'
  main.route(oldre, (args) => 'oldre=' + text(args.id))
  main.route('/r/two/<a>/<b>', ({ a, b }) => a + '+' + b)
  main.route('/r/custom/<v:upper>', (args) => 'custom=' + text(args.v))
  main.route('/r/prec/<x>', ({ x }) => 'dynamic=' + x)
  main.route('/r/prec/fixed', () => 'static')
  main.route('/r/first/<a:int>', () => 'int')
  main.route('/r/first/<a>', () => 'any')
  main.route('/r/first2/<a>', () => 'any')
  main.route('/r/first2/<a:int>', () => 'int')
  main.route('/r/sa/x', { method: 'ANY' }, () => 'static-any')
  main.route('/r/sa/<y>', () => 'dynamic-get')
  main.route('/r/any', { method: 'ANY' }, () => 'any ' + request.method)
  main.route('/r/anyget', () => 'get')
  main.route('/r/anyget', { method: 'ANY' }, () => 'any ' + request.method)
  main.route('/r/postonly', { method: 'POST' }, () => 'posted')
  main.route('/r/verbs', { method: ['GET', 'PUT', 'DELETE'] }, () => 'verb ' + request.method)
  main.route('/r/dynverbs/<x>', { method: 'PUT' }, ({ x }) => 'put ' + x)
  main.route('/r/dynverbs/<x>', { method: 'DELETE' }, ({ x }) => 'delete ' + x)
  main.route('/r/patch', { method: 'PATCH' }, () => 'patched')
  main.route('/r/head', () => {
    response.setHeader('X-Via', 'get')
    return 'get body'
  })
  main.route('/r/head', { method: 'HEAD' }, () => {
    response.setHeader('X-Via', 'head')
    return 'head body'
  })
  main.route('/r/slash', () => 'no slash')
  main.route('/r/slashy/', () => 'slash')
  main.route(['/r/multi/a', '/r/multi/b'], () => 'multi ' + request.path)
  main.route('/r/path-info/<rest:path>', ({ rest }) => request.path + '|' + rest)

  // --- output casting -----------------------------------------------------------------
  main.route('/o/str', () => 'Hello')
  main.route('/o/unicode', () => '\u00e4\u00f6\u00fc\u20ac')
  main.route('/o/bytes', () => Buffer.from([0, 1, ...Buffer.from('bytes'), 0xff]))
  main.route('/o/none', () => null)
  main.route('/o/empty', () => '')
  main.route('/o/false', () => false)
  main.route('/o/emptylist', () => [])
  main.route('/o/list', () => ['a', 'b', 'c'])
  main.route('/o/dict', () => ({ a: 1, b: [1, 2], c: { d: null, e: true }, s: 'x' }))
  main.route('/o/dict-unicode', () => ({ u: '\u00e4\u20ac', q: '"<>&' }))
  main.route('/o/emptydict', () => ({}))
  main.route('/o/gen', function* () {
    yield 'a'
    yield 'b'
    yield 'c'
  })
  main.route('/o/gen-bytes', function* () {
    yield Buffer.from('x')
    yield Buffer.from('y')
  })
  main.route('/o/gen-empty-first', function* () {
    yield ''
    response.setHeader('X-Late', 'yes')
    yield 'data'
  })
  main.route('/o/gen-nothing', function* () {})
  main.route('/o/gen-abort', function* () {
    abort(402, 'pay first')
    yield 'never'
  })
  main.route('/o/gen-error', function* () {
    throw new Error('boom in generator')
    yield 'never'
  })
  main.route('/o/gen-status', function* () {
    response.status = 201
    yield 'made'
  })
  main.route('/o/status201', () => {
    response.status = 201
    return 'created'
  })
  main.route('/o/status-line', () => {
    response.status = '404 Brain not Found'
    return 'custom reason'
  })
  main.route('/o/status999', () => {
    response.status = 999
    return 'odd'
  })
  main.route('/o/204', () => {
    response.status = 204
    return 'ignored'
  })
  main.route('/o/304', () => {
    response.status = 304
    return 'ignored'
  })
  main.route('/o/headers', () => {
    response.setHeader('X-Custom', 'value')
    response.addHeader('X-Multi', 'one')
    response.addHeader('X-Multi', 'two')
    response.setHeader('x-lower', 'lower')
    return 'headers'
  })
  main.route('/o/header-replace', () => {
    response.addHeader('X-Rep', 'one')
    response.setHeader('X-Rep', 'two')
    return 'replaced'
  })
  main.route('/o/content-type', () => {
    response.contentType = 'text/plain'
    return 'plain'
  })
  main.route('/o/latin1', () => {
    response.contentType = 'text/plain; charset=latin1'
    return '\u00e4\u00f6'
  })
  main.route('/o/http-response', () => new HTTPResponse('made', 202, { 'X-R': '1' }))
  main.route('/o/raise-response', () => {
    throw new HTTPResponse('thrown', 203)
  })
  main.route('/o/http-response-dict', () => new HTTPResponse({ a: 1 }, 201))
  main.route('/o/response-drops-cookie', () => {
    response.setCookie('c', '1')
    response.setHeader('X-Gone', '1')
    return new HTTPResponse('fresh')
  })
  main.route('/o/int', () => 42)
  main.route('/o/content-length-head', () => 'twelve bytes')

  main.route('/o/expires', () => {
    response.expires = 86400
    return 'expires'
  })
  main.route('/o/int-header', () => {
    response.setHeader('X-Int', 5)
    return 'int header'
  })
  main.route('/o/header-crlf', () => {
    response.setHeader('X-Bad', 'a\r\nInjected: 1')
    return 'crlf'
  })
  main.route('/o/status-string', () => {
    response.status = '202 Accepted'
    return 'accepted'
  })
  main.route('/o/bytes-typed', () => {
    response.contentType = 'application/octet-stream'
    return Buffer.from([1, 2])
  })
  main.route('/e/abort599', () => abort(599, 'odd code'))

  // --- errors ---------------------------------------------------------------------------
  main.route('/e/abort', () => abort(401, 'Access denied.'))
  main.route('/e/abort-default', () => abort())
  main.route('/e/raise', () => {
    throw new Error('secret detail')
  })
  main.route('/e/return-error', () => new HTTPError(409, 'conflict here'))
  main.route('/e/headers-dropped', () => {
    response.setHeader('X-Lost', '1')
    abort(400, 'bad thing')
  })
  main.route('/e/error-headers', () => {
    throw new HTTPError(429, 'slow down', undefined, undefined, { 'Retry-After': '10' })
  })
  main.route('/e/escape', () => abort(400, `<b>"quoted" & 'single'</b>`))
  main.route('/e/teapot', () => abort(418, 'short and stout'))

  // --- redirects ------------------------------------------------------------------------
  main.route('/rd/abs', () => redirect('/target'))
  main.route('/rd/rel/sub', () => redirect('other'))
  main.route('/rd/301', () => redirect('/moved', 301))
  main.route('/rd/307', () => redirect('/temp', 307))
  main.route('/rd/ext', () => redirect('https://example.com/x?y=1'))
  main.route('/rd/cookie', () => {
    response.setCookie('r', '1')
    response.setHeader('X-Kept', 'yes')
    redirect('/target')
  })
  main.route('/rd/query', () => redirect(request.query.attr('next')))
  main.route('/rd/space', () => redirect('/a b/\u00e4'))
  main.route('/rd/dots', () => redirect('../up'))

  // --- query strings --------------------------------------------------------------------
  main.route('/q/echo', () => multidictJson(request.query))
  main.route(
    '/q/attr',
    () => `name=[${request.query.attr('name')}] missing=[${request.query.attr('missing')}]`
  )
  main.route('/q/raw', () => request.queryString)
  main.route('/q/params', { method: ['GET', 'POST'] }, () => multidictJson(request.params))
  main.route('/q/last', () => request.query.get('k') ?? 'none')

  // --- forms, bodies, request properties ------------------------------------------------
  main.route('/f/echo', { method: 'POST' }, () => multidictJson(request.forms))
  main.route('/f/body', { method: ['POST', 'PUT'] }, () => request.body.read())
  main.route('/f/len', { method: 'POST' }, () => `len=${request.contentLength}`)
  main.route('/f/json', { method: ['POST', 'PUT'] }, () => ({ json: request.json }))
  main.route('/f/headers', () => ({
    'x-test': request.getHeader('X-Test') ?? null,
    missing: request.getHeader('X-Missing', 'fallback'),
    content_type: request.contentType,
  }))
  main.route('/f/auth', () => ({ auth: request.auth }))
  main.route('/f/xhr', () => (request.isXhr ? 'yes' : 'no'))
  main.route('/f/method', { method: 'ANY' }, () => request.method)
  main.route('/f/url/<rest:path>', () => ({
    url: request.url,
    fullpath: request.fullpath,
    path: request.path,
    script_name: request.scriptName,
    query_string: request.queryString,
  }))
  main.route('/f/remote', () => ({ route: request.remoteRoute, addr: request.remoteAddr }))

  // --- cookies ----------------------------------------------------------------------------
  main.route('/c/get', () => ({
    a: request.getCookie('a', { default: 'default' }),
    b: request.getCookie('b') ?? null,
  }))
  main.route('/c/all', () => multidictJson(request.cookies))
  main.route('/c/set', () => {
    response.setCookie('a', '1')
    return 'set'
  })
  main.route('/c/set-attrs', () => {
    response.setCookie('b', '2', {
      maxAge: 60,
      path: '/c',
      domain: 'localhost',
      httpOnly: true,
      secure: true,
    })
    return 'attrs'
  })
  main.route('/c/two', () => {
    response.setCookie('x', '1')
    response.setCookie('y', '2')
    return 'two'
  })
  main.route('/c/replace', () => {
    response.setCookie('x', '1')
    response.setCookie('x', '2')
    return 'replaced'
  })
  main.route('/c/delete', () => {
    response.deleteCookie('a')
    return 'deleted'
  })
  main.route('/c/signed-set', () => {
    response.setCookie('s', 'secret value', { secret: 'key' })
    return 'signed'
  })
  main.route('/c/signed-get', () => ({
    s: request.getCookie('s', { default: 'none', secret: 'key' }),
  }))
  main.route('/c/quoted', () => {
    response.setCookie('q', 'a b')
    return 'quoted'
  })

  // --- multipart uploads ----------------------------------------------------------------
  main.route('/m/echo', { method: 'POST' }, () => {
    const files: Record<string, unknown[]> = {}
    for (const name of request.files.keys()) {
      for (const up of request.files.getall(name)) {
        const data = up.file.buffer
        ;(files[name] ??= []).push({
          filename: up.filename,
          raw: up.rawFilename,
          type: up.contentType,
          size: data.length,
          text: data.toString('utf8'),
        })
      }
    }
    return { forms: multidictJson(request.forms), files }
  })

  // --- plugins (route level) --------------------------------------------------------------
  const upperPlugin =
    (callback: Callback): Callback =>
    (args) =>
      text(callback(args)).toUpperCase()
  const tag =
    (name: string) =>
    (callback: Callback): Callback =>
    (args) =>
      `${name}(${text(callback(args))})`
  const headerPlugin: Plugin = {
    name: 'header',
    api: 2,
    apply: (callback: Callback, route: Route): Callback => {
      return (args) => {
        response.setHeader('X-Plugin', route.rule)
        return callback(args)
      }
    },
  }
  main.route('/p/upper', { apply: [upperPlugin] }, () => 'shout')
  main.route('/p/order', { apply: [tag('a'), tag('b')] }, () => 'x')
  main.route('/p/skipjson', { skip: ['json'] }, () => ({ k1: 1 }))
  main.route('/p/object', { apply: headerPlugin }, () => 'object')
  main.route(
    '/p/config',
    { mykey: 'myvalue' },
    () => 'config=' + text(request.route?.config.get('mykey'))
  )

  // --- URL building -----------------------------------------------------------------------
  main.route('/u/user/<id:int>/<name>', { name: 'user' }, () => 'user')
  main.route('/u/home', { name: 'home' }, () => 'home')
  main.route('/u/build', () => main.getUrl('user', { id: 5, name: 'bob' }))
  main.route('/u/build-query', () => main.getUrl('user', { id: 5, name: 'bob' }, { page: 2 }))
  main.route('/u/build-static', () => main.getUrl('home'))
  main.route('/u/build-custom', () => main.getUrl('custom', { v: 'ABC' }))
  main.route('/u/build-space', () => main.getUrl('user', { id: 5, name: 'x y' }))
  main.route('/u/build-int-text', () => main.getUrl('user', { id: '7', name: 'n' }))
  main.route('/u/build-query-escape', () => main.getUrl('home', {}, { q: 'a b&c' }))
  main.route('/u/build-missing', () => main.getUrl('user', { id: 1 }))
  main.route('/u/c/<v:upper>', { name: 'custom' }, (args) => 'custom ' + text(args.v))

  // --- static files -------------------------------------------------------------------
  if (hasExport('staticFile')) {
    const { staticFile } = bottle
    main.route('/s/<filename:path>', ({ filename }) => staticFile(filename, STATIC_ROOT))
    main.route('/s-download/<filename:path>', ({ filename }) =>
      staticFile(filename, STATIC_ROOT, { download: true })
    )
    main.route('/s-named', () => staticFile('hello.txt', STATIC_ROOT, { download: 'greeting.txt' }))
    main.route('/s-mime', () =>
      staticFile('hello.txt', STATIC_ROOT, { mimetype: 'application/x-custom' })
    )
    main.route('/s-charset', () => staticFile('page.html', STATIC_ROOT, { charset: 'latin1' }))
    main.route('/s-outside', () => staticFile('../app.py', STATIC_ROOT))
  }

  // --- SimpleTemplate -------------------------------------------------------------------
  if (hasExport('template')) {
    const { template, view, TEMPLATE_PATH } = bottle
    TEMPLATE_PATH.unshift(VIEWS_TS)
    main.route('/t/<key>', ({ key }) => {
      const entry = TEMPLATES[key]
      if (!entry) return abort(404, 'no such template case')
      return template(entry[0], entry[1])
    })
    main.route('/t-plugin', { template: 'hello' }, () => ({ name: 'plugin' }))
    main.route('/t-plugin-string', { template: 'hello' }, () => 'not a dict')
    main.route(
      '/t-view',
      view('hello')(() => ({ name: 'view' }))
    )
    main.route(
      '/t-view-defaults',
      view('hello', { name: 'defaults' })(() => null)
    )
  }
  return main
}

function buildHooks(): Bottle {
  const hooks = new Bottle()
  hooks.hook('before_request')(() => response.addHeader('X-Trace', 'b1'))
  hooks.hook('before_request')(() => {
    response.addHeader('X-Trace', 'b2')
    if (request.path === '/h/blocked') throw new HTTPResponse('blocked', 403)
  })
  hooks.hook('after_request')(() => response.addHeader('X-Trace', 'a1'))
  hooks.hook('after_request')(() => response.addHeader('X-Trace', 'a2'))
  hooks.route('/h/ok', () => {
    response.addHeader('X-Trace', 'handler')
    return 'ok'
  })
  hooks.route('/h/abort', () => abort(403, 'no'))
  hooks.route('/h/raise', () => {
    throw new Error('hooked failure')
  })
  hooks.route('/h/response', () => new HTTPResponse('direct', 202))
  hooks.route('/h/blocked', () => 'never')
  hooks.route('/h/redirect', () => redirect('/h/ok'))
  return hooks
}

function buildErrors(): Bottle {
  const errors = new Bottle()
  errors.error(404)((e) => 'custom 404: ' + text(e.body))
  errors.error(405)(() => 'custom 405')
  errors.error(500)((e) => 'custom 500: ' + text(e.body))
  errors.error(403)(() => {
    response.status = 418
    return 'changed status'
  })
  errors.error(401)(() => ({ err: 1 }))
  errors.error(402)(() => {
    throw new Error('handler failed')
  })
  errors.route('/e2/abort403', () => abort(403, 'forbidden'))
  errors.route('/e2/abort401', () => abort(401, 'who'))
  errors.route('/e2/abort402', () => abort(402, 'pay'))
  errors.route('/e2/abort404', () => abort(404, 'gone'))
  errors.route('/e2/raise', () => {
    throw new Error('x')
  })
  errors.route('/e2/post', { method: 'POST' }, () => 'post')
  errors.route('/e2/response404', () => new HTTPResponse('plain 404', 404))
  return errors
}

function buildPlugins(): Bottle {
  const plugins = new Bottle()
  const stamp: Plugin = {
    name: 'stamp',
    api: 2,
    apply: (callback: Callback): Callback => {
      return (args) => {
        response.setHeader('X-Stamp', 'stamped')
        return callback(args)
      }
    },
  }
  plugins.install(stamp)
  plugins.route('/pl/stamped', () => 'stamped')
  plugins.route('/pl/skip-name', { skip: ['stamp'] }, () => 'skipped')
  plugins.route('/pl/skip-all', { skip: true }, () => ({ k: 1 }))
  plugins.route('/pl/dict', () => ({ k: 1 }))
  return plugins
}

function buildMount(): Bottle {
  const parent = new Bottle()
  const child = new Bottle()
  parent.hook('before_request')(() => response.addHeader('X-Parent', 'before'))
  parent.route('/', () => 'parent root')
  parent.route('/child-url', () => parent.getUrl('named', { x: '1' }))
  child.hook('before_request')(() => response.addHeader('X-Child', 'before'))
  child.route('/', () => 'child root')
  child.route('/info', () => ({
    path: request.path,
    script_name: request.scriptName,
    fullpath: request.fullpath,
    url: request.url,
    app: request.app === child ? 'child' : 'parent',
    query: request.queryString,
  }))
  child.route('/named/<x>', { name: 'named' }, ({ x }) => 'named ' + x)
  child.route('/url', () => child.getUrl('named', { x: '2' }))
  child.route('/abort', () => abort(418, 'child teapot'))
  child.route('/redirect', () => redirect('info'))
  child.route('/json', () => ({ from: 'child' }))
  child.route('/post', { method: 'POST' }, () => 'child post ' + (request.forms.get('a') ?? ''))
  child.error(404)((e) => 'child 404: ' + text(e.body))
  const rawHandler = (req: IncomingMessage, res: ServerResponse): void => {
    const body = Buffer.from(`raw ${req.method ?? ''} ${(req.url ?? '').split('?')[0]}`)
    res.writeHead(200, {
      'Content-Type': 'text/plain',
      'X-Raw': 'yes',
      'Content-Length': body.length,
    })
    res.end(body)
  }
  parent.mount('/child/', child)
  parent.mount('/raw/', rawHandler)
  return parent
}

/** Whether bottle-ts exports a name (areas still being built are skipped until it does). */
export function hasExport(name: string): boolean {
  return name in bottle
}
