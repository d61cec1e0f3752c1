/**
 * Output casting: what each kind of return value becomes on the wire, status lines,
 * headers, HEAD and the statuses without a body.
 * @module
 */
import { req, type Area } from '../runner.js'

const get = (path: string): ReturnType<typeof req> => req('GET', path)

/** The output-casting cases. */
export const output: Area = {
  area: 'output',
  cases: [
    { name: 'a string gets Content-Length and the default Content-Type', req: get('/o/str') },
    { name: 'a non-ASCII string is UTF-8 with its byte length', req: get('/o/unicode') },
    { name: 'bytes go out as they are', req: get('/o/bytes') },
    { name: 'null is an empty body with Content-Length 0', req: get('/o/none') },
    { name: 'an empty string is an empty body', req: get('/o/empty') },
    { name: 'false is an empty body', req: get('/o/false') },
    {
      name: 'an empty array',
      req: get('/o/emptylist'),
      differs: 'json-arrays',
      ts: { headers: { 'content-type': 'application/json' }, body: 'json:[]' },
      py: { body: '' },
    },
    {
      name: 'an array of strings',
      req: get('/o/list'),
      differs: 'json-arrays',
      ts: { headers: { 'content-type': 'application/json' }, body: 'json:["a","b","c"]' },
      py: { body: 'abc', headers: { 'content-type': 'text/html; charset=UTF-8' } },
    },
    { name: 'an object becomes JSON', req: get('/o/dict') },
    { name: 'an object with non-ASCII text becomes JSON', req: get('/o/dict-unicode') },
    { name: 'an empty object is JSON too', req: get('/o/emptydict') },
    { name: 'a generator streams its chunks', req: get('/o/gen') },
    { name: 'a generator of bytes streams them', req: get('/o/gen-bytes') },
    { name: 'headers set after an empty first chunk still count', req: get('/o/gen-empty-first') },
    { name: 'a generator that yields nothing is an empty body', req: get('/o/gen-nothing') },
    { name: 'an abort before the first chunk becomes the response', req: get('/o/gen-abort') },
    { name: 'an error before the first chunk is a 500', req: get('/o/gen-error') },
    { name: 'a status set before the first chunk counts', req: get('/o/gen-status') },
    { name: 'HEAD on a generator sends headers only', req: req('HEAD', '/o/gen') },
    { name: 'a status number', req: get('/o/status201') },
    { name: 'a custom status line keeps its reason', req: get('/o/status-line'), reason: true },
    { name: 'an unknown status code reads Unknown', req: get('/o/status999'), reason: true },
    {
      name: '204 drops the body',
      req: get('/o/204'),
      differs: 'no-content-headers',
      ts: { headers: { 'content-length': null } },
      py: { headers: { 'content-length': '7' } },
    },
    { name: '304 drops the body', req: get('/o/304') },
    { name: 'set, added and lowercase headers', req: get('/o/headers') },
    { name: 'setting a header replaces added values', req: get('/o/header-replace') },
    { name: 'an assigned Content-Type is kept as set', req: get('/o/content-type') },
    { name: 'a latin1 charset encodes the text in latin1', req: get('/o/latin1') },
    { name: 'a returned HTTPResponse sets status, headers and body', req: get('/o/http-response') },
    { name: 'a thrown HTTPResponse is the response', req: get('/o/raise-response') },
    { name: 'an HTTPResponse with an object body is JSON', req: get('/o/http-response-dict') },
    {
      name: 'an HTTPResponse replaces cookies and headers set before',
      req: get('/o/response-drops-cookie'),
    },
    {
      name: 'an unsupported return type is a 500',
      req: get('/o/int'),
      differs: 'unsupported-type-message',
      ts: { body: /message=Unsupported response type: number$/ },
      py: { status: 500, body: /message=Unhandled exception$/ },
    },
    { name: 'HEAD keeps the GET Content-Length', req: req('HEAD', '/o/content-length-head') },
    { name: 'expires as seconds since the epoch', req: get('/o/expires') },
    { name: 'a number as a header value', req: get('/o/int-header') },
    { name: 'CR/LF in a header value is refused with a 500', req: get('/o/header-crlf') },
    { name: 'a status line string', req: get('/o/status-string'), reason: true },
    { name: 'bytes with an explicit Content-Type', req: get('/o/bytes-typed') },
    { name: 'HEAD on JSON keeps the type', req: req('HEAD', '/o/emptydict') },
  ],
}
