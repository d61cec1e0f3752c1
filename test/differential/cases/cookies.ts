/**
 * Cookies: reading, setting with attributes, replacing, deleting and signed cookies
 * (values masked: each side signs in its own format).
 * @module
 */
import { req, type Area } from '../runner.js'

const get = (path: string, cookie?: string): ReturnType<typeof req> =>
  req('GET', path, cookie === undefined ? {} : { headers: [['Cookie', cookie]] })

/** The cookie cases. */
export const cookies: Area = {
  area: 'cookies',
  cases: [
    { name: 'a cookie and a default', req: get('/c/get', 'b=2') },
    { name: 'both cookies present', req: get('/c/get', 'a=1; b=2') },
    { name: 'an empty cookie reads as the default', req: get('/c/get', 'a=') },
    { name: 'no Cookie header', req: get('/c/get') },
    { name: 'cookies without spaces between them', req: get('/c/all', 'x=1;y=2') },
    {
      name: 'an empty pair between cookies',
      req: get('/c/all', 'x=1; ; y=2'),
      differs: 'cookie-header-lenient',
      ts: { body: 'json:{"x":["1"],"y":["2"]}' },
      py: { body: 'json:{"x":["1"]}' },
    },
    {
      name: 'a pair without =',
      req: get('/c/all', 'flag; x=1'),
      differs: 'cookie-header-lenient',
      ts: { body: 'json:{"x":["1"]}' },
      py: { body: 'json:{}' },
    },
    { name: 'every cookie', req: get('/c/all', 'x=1; y=two; z=') },
    { name: 'a repeated cookie name: the last wins', req: get('/c/all', 'x=1; x=2') },
    { name: 'a quoted cookie value is unquoted', req: get('/c/all', 'q="a b"') },
    { name: 'setting a cookie', req: get('/c/set') },
    { name: 'a cookie with max-age, path, domain, httponly and secure', req: get('/c/set-attrs') },
    { name: 'two cookies', req: get('/c/two') },
    { name: 'setting a cookie twice keeps the last', req: get('/c/replace') },
    {
      name: 'deleting a cookie',
      req: get('/c/delete'),
      differs: 'cookie-value-encoding',
      ts: { headers: { 'set-cookie': 'a=; expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=-1' } },
      py: { headers: { 'set-cookie': 'a=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=-1' } },
    },
    { name: 'a signed cookie', req: get('/c/signed-set') },
    {
      name: 'a tampered signed cookie reads as the default',
      req: get('/c/signed-get', 's="!abc?def"'),
    },
    {
      name: 'a plain value under a secret reads as the default',
      req: get('/c/signed-get', 's=plain'),
    },
    {
      name: 'a value with a space',
      req: get('/c/quoted'),
      differs: 'cookie-value-encoding',
      ts: { headers: { 'set-cookie': 'q=a%20b' } },
      py: { headers: { 'set-cookie': 'q="a b"' } },
    },
  ],
}
