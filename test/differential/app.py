"""The Bottle side of the differential suite.

Every route here has a twin in app.ts that expresses the same behaviour in bottle-ts.
Several small apps (main, hooks, errors, plugins) are served on their own loopback ports
so that app-wide hooks and error handlers of one area cannot touch the others. The
process prints one JSON line {"app": port, ...} once every server listens, then serves
until stdin closes (so it never outlives the test run).

Written for Debian's python3-bottle (0.12.x) under /usr/bin/python3.
"""

import json
import os
import sys
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import bottle
from bottle import (
    Bottle,
    HTTPError,
    HTTPResponse,
    abort,
    redirect,
    request,
    response,
)

HERE = os.path.dirname(os.path.abspath(__file__))
STATIC_ROOT = os.path.join(HERE, 'fixtures', 'static')
VIEWS = os.path.join(HERE, 'fixtures', 'views')

# ---------------------------------------------------------------------------------------
# main: routing, output casting, errors, redirects, query, forms, JSON, cookies, URLs

main = Bottle()
main.router.add_filter('upper', lambda conf: (r'[a-z]+', lambda s: s.upper(), lambda s: s.lower()))


@main.route('/r/static')
def r_static():
    return 'static'


@main.route('/r/name/<name>')
def r_name(name):
    return 'name=' + name


@main.route('/r/int/<n:int>')
def r_int(n):
    return 'int=%d' % (n + 1)


@main.route('/r/float/<x:float>')
def r_float(x):
    return 'float=%.3f' % (x * 2)


@main.route('/r/path/<p:path>')
def r_path(p):
    return 'path=' + p


@main.route('/r/mid/<p:path>/end')
def r_mid(p):
    return 'mid=' + p


@main.route('/r/re/<code:re:[a-z]{3}>')
def r_re(code):
    return 'code=' + code


@main.route('/r/anon/<:re:[0-9]+>/x')
def r_anon():
    return 'anon'


@main.route('/r/old/:name')
def r_old(name):
    return 'old=' + name


@main.route('/r/oldre/:id#[0-9]+#')
def r_oldre(id):
    return 'oldre=' + id


@main.route('/r/two/<a>/<b>')
def r_two(a, b):
    return a + '+' + b


@main.route('/r/custom/<v:upper>')
def r_custom(v):
    return 'custom=' + v


@main.route('/r/prec/<x>')
def r_prec_dyn(x):
    return 'dynamic=' + x


@main.route('/r/prec/fixed')
def r_prec_static():
    return 'static'


@main.route('/r/first/<a:int>')
def r_first_int(a):
    return 'int'


@main.route('/r/first/<a>')
def r_first_any(a):
    return 'any'


@main.route('/r/first2/<a>')
def r_first2_any(a):
    return 'any'


@main.route('/r/first2/<a:int>')
def r_first2_int(a):
    return 'int'


@main.route('/r/sa/x', method='ANY')
def r_sa_static():
    return 'static-any'


@main.route('/r/sa/<y>')
def r_sa_dyn(y):
    return 'dynamic-get'


@main.route('/r/any', method='ANY')
def r_any():
    return 'any ' + request.method


@main.route('/r/anyget')
def r_anyget():
    return 'get'


@main.route('/r/anyget', method='ANY')
def r_anyget_any():
    return 'any ' + request.method


@main.route('/r/postonly', method='POST')
def r_postonly():
    return 'posted'


@main.route('/r/verbs', method=['GET', 'PUT', 'DELETE'])
def r_verbs():
    return 'verb ' + request.method


@main.route('/r/dynverbs/<x>', method='PUT')
def r_dynverbs_put(x):
    return 'put ' + x


@main.route('/r/dynverbs/<x>', method='DELETE')
def r_dynverbs_delete(x):
    return 'delete ' + x


@main.route('/r/patch', method='PATCH')
def r_patch():
    return 'patched'


@main.route('/r/head')
def r_head_get():
    response.set_header('X-Via', 'get')
    return 'get body'


@main.route('/r/head', method='HEAD')
def r_head_head():
    response.set_header('X-Via', 'head')
    return 'head body'


@main.route('/r/slash')
def r_slash():
    return 'no slash'


@main.route('/r/slashy/')
def r_slashy():
    return 'slash'


@main.route(['/r/multi/a', '/r/multi/b'])
def r_multi():
    return 'multi ' + request.path


@main.route('/r/path-info/<rest:path>')
def r_path_info(rest):
    return request.path + '|' + rest


# --- output casting ---------------------------------------------------------------------

@main.route('/o/str')
def o_str():
    return 'Hello'


@main.route('/o/unicode')
def o_unicode():
    return u'\xe4\xf6\xfc\u20ac'


@main.route('/o/bytes')
def o_bytes():
    return b'\x00\x01bytes\xff'


@main.route('/o/none')
def o_none():
    return None


@main.route('/o/empty')
def o_empty():
    return ''


@main.route('/o/false')
def o_false():
    return False


@main.route('/o/emptylist')
def o_emptylist():
    return []


@main.route('/o/list')
def o_list():
    return ['a', 'b', 'c']


@main.route('/o/dict')
def o_dict():
    return {'a': 1, 'b': [1, 2], 'c': {'d': None, 'e': True}, 's': 'x'}


@main.route('/o/dict-unicode')
def o_dict_unicode():
    return {'u': u'\xe4\u20ac', 'q': '"<>&'}


@main.route('/o/emptydict')
def o_emptydict():
    return {}


@main.route('/o/gen')
def o_gen():
    yield 'a'
    yield 'b'
    yield 'c'


@main.route('/o/gen-bytes')
def o_gen_bytes():
    yield b'x'
    yield b'y'


@main.route('/o/gen-empty-first')
def o_gen_empty_first():
    yield ''
    response.set_header('X-Late', 'yes')
    yield 'data'


@main.route('/o/gen-nothing')
def o_gen_nothing():
    if False:
        yield 'never'


@main.route('/o/gen-abort')
def o_gen_abort():
    abort(402, 'pay first')
    yield 'never'


@main.route('/o/gen-error')
def o_gen_error():
    raise ValueError('boom in generator')
    yield 'never'


@main.route('/o/gen-status')
def o_gen_status():
    response.status = 201
    yield 'made'


@main.route('/o/status201')
def o_status201():
    response.status = 201
    return 'created'


@main.route('/o/status-line')
def o_status_line():
    response.status = '404 Brain not Found'
    return 'custom reason'


@main.route('/o/status999')
def o_status999():
    response.status = 999
    return 'odd'


@main.route('/o/204')
def o_204():
    response.status = 204
    return 'ignored'


@main.route('/o/304')
def o_304():
    response.status = 304
    return 'ignored'


@main.route('/o/headers')
def o_headers():
    response.set_header('X-Custom', 'value')
    response.add_header('X-Multi', 'one')
    response.add_header('X-Multi', 'two')
    response.set_header('x-lower', 'lower')
    return 'headers'


@main.route('/o/header-replace')
def o_header_replace():
    response.add_header('X-Rep', 'one')
    response.set_header('X-Rep', 'two')
    return 'replaced'


@main.route('/o/content-type')
def o_content_type():
    response.content_type = 'text/plain'
    return 'plain'


@main.route('/o/latin1')
def o_latin1():
    response.content_type = 'text/plain; charset=latin1'
    return u'\xe4\xf6'


@main.route('/o/http-response')
def o_http_response():
    return HTTPResponse('made', status=202, headers={'X-R': '1'})


@main.route('/o/raise-response')
def o_raise_response():
    raise HTTPResponse('thrown', status=203)


@main.route('/o/http-response-dict')
def o_http_response_dict():
    return HTTPResponse({'a': 1}, status=201)


@main.route('/o/response-drops-cookie')
def o_response_drops_cookie():
    response.set_cookie('c', '1')
    response.set_header('X-Gone', '1')
    return HTTPResponse('fresh')


@main.route('/o/int')
def o_int():
    return 42


@main.route('/o/content-length-head')
def o_content_length_head():
    return 'twelve bytes'


@main.route('/o/expires')
def o_expires():
    response.expires = 86400
    return 'expires'


@main.route('/o/int-header')
def o_int_header():
    response.set_header('X-Int', 5)
    return 'int header'


@main.route('/o/header-crlf')
def o_header_crlf():
    response.set_header('X-Bad', 'a\r\nInjected: 1')
    return 'crlf'


@main.route('/o/status-string')
def o_status_string():
    response.status = '202 Accepted'
    return 'accepted'


@main.route('/o/bytes-typed')
def o_bytes_typed():
    response.content_type = 'application/octet-stream'
    return b'\x01\x02'


@main.route('/e/abort599')
def e_abort599():
    abort(599, 'odd code')


# --- errors -------------------------------------------------------------------------------

@main.route('/e/abort')
def e_abort():
    abort(401, 'Access denied.')


@main.route('/e/abort-default')
def e_abort_default():
    abort()


@main.route('/e/raise')
def e_raise():
    raise ValueError('secret detail')


@main.route('/e/return-error')
def e_return_error():
    return HTTPError(409, 'conflict here')


@main.route('/e/headers-dropped')
def e_headers_dropped():
    response.set_header('X-Lost', '1')
    abort(400, 'bad thing')


@main.route('/e/error-headers')
def e_error_headers():
    raise HTTPError(429, 'slow down', headers={'Retry-After': '10'})


@main.route('/e/escape')
def e_escape():
    abort(400, '<b>"quoted" & \'single\'</b>')


@main.route('/e/teapot')
def e_teapot():
    abort(418, 'short and stout')


# --- redirects ----------------------------------------------------------------------------

@main.route('/rd/abs')
def rd_abs():
    redirect('/target')


@main.route('/rd/rel/sub')
def rd_rel():
    redirect('other')


@main.route('/rd/301')
def rd_301():
    redirect('/moved', 301)


@main.route('/rd/307')
def rd_307():
    redirect('/temp', 307)


@main.route('/rd/ext')
def rd_ext():
    redirect('https://example.com/x?y=1')


@main.route('/rd/cookie')
def rd_cookie():
    response.set_cookie('r', '1')
    response.set_header('X-Kept', 'yes')
    redirect('/target')


@main.route('/rd/query')
def rd_query():
    redirect(request.query.next)


@main.route('/rd/space')
def rd_space():
    redirect(u'/a b/\xe4')


@main.route('/rd/dots')
def rd_dots():
    redirect('../up')


# --- query strings ------------------------------------------------------------------------

def multidict_json(md, decode=True):
    # 0.12 keeps latin1 strings for item access; decode() recodes them as UTF-8. Multipart
    # values are proper text already, and decode() would break them.
    if decode:
        md = md.decode()
    return dict((k, md.getall(k)) for k in md.keys())


@main.route('/q/echo')
def q_echo():
    return multidict_json(request.query)


@main.route('/q/attr')
def q_attr():
    return 'name=[%s] missing=[%s]' % (request.query.name, request.query.missing)


@main.route('/q/raw')
def q_raw():
    return request.query_string


@main.route('/q/params', method=['GET', 'POST'])
def q_params():
    return multidict_json(request.params)


@main.route('/q/last')
def q_last():
    return request.query.get('k', 'none')


# --- forms, bodies, request properties ---------------------------------------------------

@main.route('/f/echo', method='POST')
def f_echo():
    return multidict_json(request.forms)


@main.route('/f/body', method=['POST', 'PUT'])
def f_body():
    return request.body.read()


@main.route('/f/len', method='POST')
def f_len():
    return 'len=%d' % request.content_length


@main.route('/f/json', method=['POST', 'PUT'])
def f_json():
    return {'json': request.json}


@main.route('/f/headers')
def f_headers():
    return {
        'x-test': request.get_header('X-Test'),
        'missing': request.get_header('X-Missing', 'fallback'),
        'content_type': request.content_type,
    }


@main.route('/f/auth')
def f_auth():
    auth = request.auth
    return {'auth': list(auth) if auth else None}


@main.route('/f/xhr')
def f_xhr():
    return 'yes' if request.is_xhr else 'no'


@main.route('/f/method', method='ANY')
def f_method():
    return request.method


@main.route('/f/url/<rest:path>')
def f_url(rest):
    return {
        'url': request.url,
        'fullpath': request.fullpath,
        'path': request.path,
        'script_name': request.script_name,
        'query_string': request.query_string,
    }


@main.route('/f/remote')
def f_remote():
    return {'route': request.remote_route, 'addr': request.remote_addr}


# --- cookies --------------------------------------------------------------------------

@main.route('/c/get')
def c_get():
    return {'a': request.get_cookie('a', 'default'), 'b': request.get_cookie('b')}


@main.route('/c/all')
def c_all():
    return multidict_json(request.cookies)


@main.route('/c/set')
def c_set():
    response.set_cookie('a', '1')
    return 'set'


@main.route('/c/set-attrs')
def c_set_attrs():
    response.set_cookie('b', '2', max_age=60, path='/c', domain='localhost', httponly=True, secure=True)
    return 'attrs'


@main.route('/c/two')
def c_two():
    response.set_cookie('x', '1')
    response.set_cookie('y', '2')
    return 'two'


@main.route('/c/replace')
def c_replace():
    response.set_cookie('x', '1')
    response.set_cookie('x', '2')
    return 'replaced'


@main.route('/c/delete')
def c_delete():
    response.delete_cookie('a')
    return 'deleted'


@main.route('/c/signed-set')
def c_signed_set():
    response.set_cookie('s', 'secret value', secret='key')
    return 'signed'


@main.route('/c/signed-get')
def c_signed_get():
    return {'s': request.get_cookie('s', 'none', secret='key')}


@main.route('/c/quoted')
def c_quoted():
    response.set_cookie('q', 'a b')
    return 'quoted'


# --- multipart uploads ------------------------------------------------------------------

@main.route('/m/echo', method='POST')
def m_echo():
    files = {}
    for name in request.files.keys():
        for up in request.files.getall(name):
            data = up.file.read()
            files.setdefault(name, []).append({
                'filename': up.filename,
                'raw': up.raw_filename,
                'type': up.content_type,
                'size': len(data),
                'text': data.decode('utf8', 'replace'),
            })
    return {'forms': multidict_json(request.forms, decode=False), 'files': files}


# --- plugins (route level) ---------------------------------------------------------------

def upper_plugin(callback):
    def wrapper(*a, **ka):
        return callback(*a, **ka).upper()
    return wrapper


def tag(name):
    def plugin(callback):
        def wrapper(*a, **ka):
            return name + '(' + callback(*a, **ka) + ')'
        return wrapper
    return plugin


class HeaderPlugin(object):
    name = 'header'
    api = 2

    def apply(self, callback, route):
        def wrapper(*a, **ka):
            response.set_header('X-Plugin', route.rule)
            return callback(*a, **ka)
        return wrapper


@main.route('/p/upper', apply=[upper_plugin])
def p_upper():
    return 'shout'


@main.route('/p/order', apply=[tag('a'), tag('b')])
def p_order():
    return 'x'


@main.route('/p/skipjson', skip=['json'])
def p_skipjson():
    return {'k1': 1}


@main.route('/p/object', apply=HeaderPlugin())
def p_object():
    return 'object'


@main.route('/p/config', mykey='myvalue')
def p_config():
    return 'config=' + request.route.config['mykey']


# --- URL building -------------------------------------------------------------------------

@main.route('/u/user/<id:int>/<name>', name='user')
def u_user(id, name):
    return 'user'


@main.route('/u/home', name='home')
def u_home():
    return 'home'


@main.route('/u/build')
def u_build():
    return main.get_url('user', id=5, name='bob')


@main.route('/u/build-query')
def u_build_query():
    return main.get_url('user', id=5, name='bob', page=2)


@main.route('/u/build-static')
def u_build_static():
    return main.get_url('home')


@main.route('/u/build-custom')
def u_build_custom():
    return main.get_url('custom', v='ABC')


@main.route('/u/build-space')
def u_build_space():
    return main.get_url('user', id=5, name='x y')


@main.route('/u/build-int-text')
def u_build_int_text():
    return main.get_url('user', id='7', name='n')


@main.route('/u/build-query-escape')
def u_build_query_escape():
    return main.get_url('home', q='a b&c')


@main.route('/u/build-missing')
def u_build_missing():
    return main.get_url('user', id=1)


@main.route('/u/c/<v:upper>', name='custom')
def u_custom(v):
    return 'custom ' + v

# --- static files ---------------------------------------------------------------------

@main.route('/s/<filename:path>')
def s_file(filename):
    return bottle.static_file(filename, root=STATIC_ROOT)


@main.route('/s-download/<filename:path>')
def s_download(filename):
    return bottle.static_file(filename, root=STATIC_ROOT, download=True)


@main.route('/s-named')
def s_named():
    return bottle.static_file('hello.txt', root=STATIC_ROOT, download='greeting.txt')


@main.route('/s-mime')
def s_mime():
    return bottle.static_file('hello.txt', root=STATIC_ROOT, mimetype='application/x-custom')


@main.route('/s-charset')
def s_charset():
    return bottle.static_file('page.html', root=STATIC_ROOT, charset='latin1')


@main.route('/s-outside')
def s_outside():
    return bottle.static_file('../app.py', root=STATIC_ROOT)


# --- SimpleTemplate ---------------------------------------------------------------------
# Each entry: (source, variables). app.ts has the same keys with JavaScript expressions.

VIEWS_PY = os.path.join(VIEWS, 'py')
bottle.TEMPLATE_PATH.insert(0, VIEWS_PY)

TEMPLATES = {
    'escaped': ('Hello {{name}}!', {'name': '<World & "you">'}),
    'raw': ('Hello {{!name}}!', {'name': '<b>bold</b>'}),
    'unicode': ('{{name}} \u2713', {'name': '\xe4\xf6\xfc'}),
    'arithmetic': ('{{a + b}} {{a * b}}', {'a': 3, 'b': 4}),
    'method': ('{{name.upper()}}', {'name': 'loud'}),
    'none': ('[{{x}}]', {'x': None}),
    'for': ('<ul>\n%for i in items:\n  <li>{{i}}</li>\n%end\n</ul>\n', {'items': ['a', 'b', '<c>']}),
    'for-empty': ('<ul>\n%for i in items:\n  <li>{{i}}</li>\n%end\n</ul>\n', {'items': []}),
    'if': ('%if n == 1:\none\n%elif n == 2:\ntwo\n%else:\nmany\n%end\n', {'n': 2}),
    'if-else': ('%if n == 1:\none\n%elif n == 2:\ntwo\n%else:\nmany\n%end\n', {'n': 9}),
    'indented-code': ('start\n  % if flag:\n  yes\n  % end\nend\n', {'flag': True}),
    'nested': ('%for row in rows:\n%for cell in row:\n[{{cell}}]\\\\\n%end\n\n%end\n', {'rows': [[1, 2], [3]]}),
    'block': ('<%\nx = 2\ny = x * 3\n%>\nvalue {{y}}\n', {}),
    'assign': ('%x = "set"\n{{x}}\n', {}),
    'continuation': ('one \\\\\ntwo\n', {}),
    'escaped-percent': ('\\% not code\n', {}),
    'comment': ('a\n%# a comment line\nb\n', {}),
    'text-only': ('just text, no code\n', {}),
    'no-trailing-newline': ('last {{x}}', {'x': 'line'}),
    'inline-in-text': ('a {{x}} b {{x}} c', {'x': 1}),
    'string-with-braces': ('{{"}}"}}', {}),
    'get': ('{{get("x", "default")}}|{{get("y", "default")}}', {'x': 'given'}),
    'defined': ("{{'yes' if defined('x') else 'no'}}|{{'yes' if defined('y') else 'no'}}", {'x': 1}),
    'setdefault': ('%setdefault("x", "fallback")\n{{x}}\n', {}),
    'include': ('withinc', {}),
    'rebase': ('page', {'n': 3}),
    'file': ('hello', {'name': 'file'}),
    'undefined': ('{{missing}}', {}),
    'missing-file': ('no_such_template', {}),
}


@main.route('/t/<key>')
def t_render(key):
    source, variables = TEMPLATES[key]
    return bottle.template(source, **variables)


@main.route('/t-plugin', template='hello')
def t_plugin():
    return {'name': 'plugin'}


@main.route('/t-plugin-string', template='hello')
def t_plugin_string():
    return 'not a dict'


@main.route('/t-view')
@bottle.view('hello')
def t_view():
    return {'name': 'view'}


@main.route('/t-view-defaults')
@bottle.view('hello', name='defaults')
def t_view_defaults():
    return None


# ---------------------------------------------------------------------------------------
# hooks: before_request/after_request around every response of this app

hooks = Bottle()


@hooks.hook('before_request')
def b1():
    response.add_header('X-Trace', 'b1')


@hooks.hook('before_request')
def b2():
    response.add_header('X-Trace', 'b2')
    if request.path == '/h/blocked':
        raise HTTPResponse('blocked', status=403)


@hooks.hook('after_request')
def a1():
    response.add_header('X-Trace', 'a1')


@hooks.hook('after_request')
def a2():
    response.add_header('X-Trace', 'a2')


@hooks.route('/h/ok')
def h_ok():
    response.add_header('X-Trace', 'handler')
    return 'ok'


@hooks.route('/h/abort')
def h_abort():
    abort(403, 'no')


@hooks.route('/h/raise')
def h_raise():
    raise RuntimeError('hooked failure')


@hooks.route('/h/response')
def h_response():
    return HTTPResponse('direct', status=202)


@hooks.route('/h/blocked')
def h_blocked():
    return 'never'


@hooks.route('/h/redirect')
def h_redirect():
    redirect('/h/ok')


# ---------------------------------------------------------------------------------------
# errors: app-wide error handlers

errors = Bottle()


@errors.error(404)
def err404(e):
    return 'custom 404: ' + e.body


@errors.error(405)
def err405(e):
    return 'custom 405'


@errors.error(500)
def err500(e):
    return 'custom 500: ' + e.body


@errors.error(403)
def err403(e):
    response.status = 418
    return 'changed status'


@errors.error(401)
def err401(e):
    return {'err': 1}


@errors.error(402)
def err402(e):
    raise ValueError('handler failed')


@errors.route('/e2/abort403')
def e2_abort403():
    abort(403, 'forbidden')


@errors.route('/e2/abort401')
def e2_abort401():
    abort(401, 'who')


@errors.route('/e2/abort402')
def e2_abort402():
    abort(402, 'pay')


@errors.route('/e2/abort404')
def e2_abort404():
    abort(404, 'gone')


@errors.route('/e2/raise')
def e2_raise():
    raise KeyError('x')


@errors.route('/e2/post', method='POST')
def e2_post():
    return 'post'


@errors.route('/e2/response404')
def e2_response404():
    return HTTPResponse('plain 404', status=404)


# ---------------------------------------------------------------------------------------
# plugins: an app-wide plugin, skipped per route

plugins = Bottle()


class StampPlugin(object):
    name = 'stamp'
    api = 2

    def apply(self, callback, route):
        def wrapper(*a, **ka):
            response.set_header('X-Stamp', 'stamped')
            return callback(*a, **ka)
        return wrapper


plugins.install(StampPlugin())


@plugins.route('/pl/stamped')
def pl_stamped():
    return 'stamped'


@plugins.route('/pl/skip-name', skip=['stamp'])
def pl_skip_name():
    return 'skipped'


@plugins.route('/pl/skip-all', skip=True)
def pl_skip_all():
    return {'k': 1}


@plugins.route('/pl/dict')
def pl_dict():
    return {'k': 1}


# ---------------------------------------------------------------------------------------
# mount: a parent with a mounted Bottle child and a mounted bare WSGI/Node handler

parent = Bottle()
child = Bottle()


@parent.hook('before_request')
def parent_before():
    response.add_header('X-Parent', 'before')


@parent.route('/')
def parent_root():
    return 'parent root'


@parent.route('/child-url')
def parent_child_url():
    return parent.get_url('named', x='1')


@child.hook('before_request')
def child_before():
    response.add_header('X-Child', 'before')


@child.route('/')
def child_root():
    return 'child root'


@child.route('/info')
def child_info():
    return {
        'path': request.path,
        'script_name': request.script_name,
        'fullpath': request.fullpath,
        'url': request.url,
        'app': 'child' if request.app is child else 'parent',
        'query': request.query_string,
    }


@child.route('/named/<x>', name='named')
def child_named(x):
    return 'named ' + x


@child.route('/url')
def child_url():
    return child.get_url('named', x='2')


@child.route('/abort')
def child_abort():
    abort(418, 'child teapot')


@child.route('/redirect')
def child_redirect():
    redirect('info')


@child.route('/json')
def child_json():
    return {'from': 'child'}


@child.route('/post', method='POST')
def child_post():
    return 'child post ' + request.forms.get('a', '')


@child.error(404)
def child_404(e):
    return 'child 404: ' + e.body


def raw_handler(environ, start_response):
    body = ('raw ' + environ['REQUEST_METHOD'] + ' ' + environ['PATH_INFO']).encode()
    start_response('200 OK', [('Content-Type', 'text/plain'), ('X-Raw', 'yes'), ('Content-Length', str(len(body)))])
    return [body]


parent.mount('/child/', child)
parent.mount('/raw/', raw_handler)


APPS = {'main': main, 'hooks': hooks, 'errors': errors, 'plugins': plugins, 'mount': parent}


# ---------------------------------------------------------------------------------------
# serving


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main_loop():
    ports = {}
    for name, app in APPS.items():
        server = make_server('127.0.0.1', 0, app, server_class=ThreadingServer, handler_class=QuietHandler)
        ports[name] = server.server_port
        threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdout.write(json.dumps({'ports': ports, 'version': bottle.__version__}) + '\n')
    sys.stdout.flush()
    sys.stdin.read()


if __name__ == '__main__':
    main_loop()
