/**
 * Query strings: decoding, repeated keys, blanks, attribute access and params.
 * @module
 */
import { req, type Area } from '../runner.js'

const get = (path: string): ReturnType<typeof req> => req('GET', path)

/** The query-string cases. */
export const query: Area = {
  area: 'query',
  cases: [
    { name: 'keys and values', req: get('/q/echo?a=1&b=2') },
    { name: 'repeated keys keep every value', req: get('/q/echo?a=1&a=2&a=3') },
    { name: 'plus is a space', req: get('/q/echo?a=x+y') },
    { name: 'percent-escapes decode as UTF-8', req: get('/q/echo?a=%C3%A4%E2%82%AC&%C3%B6=k') },
    { name: 'a key without = is blank', req: get('/q/echo?flag&b=1') },
    { name: 'an empty value', req: get('/q/echo?a=') },
    { name: 'no query string is an empty dict', req: get('/q/echo') },
    { name: 'empty pairs are skipped', req: get('/q/echo?&&a=1&&') },
    { name: 'an escaped ampersand stays in the value', req: get('/q/echo?a=1%262') },
    { name: 'a bad percent-escape stays as text', req: get('/q/echo?a=%zz') },
    {
      name: 'an escape that is not UTF-8',
      req: get('/q/echo?a=%E4'),
      differs: 'invalid-utf8-replaced',
      ts: { status: 200, body: 'json:{"a":["\ufffd"]}' },
      py: { status: 500 },
    },
    { name: 'an encoded plus stays a plus', req: get('/q/echo?a=1%2B1') },
    { name: 'a semicolon is not a separator', req: get('/q/echo?a=1;b=2') },
    { name: 'attribute access: missing keys read as empty', req: get('/q/attr?name=bob') },
    { name: 'attribute access decodes UTF-8', req: get('/q/attr?name=J%C3%BCrgen') },
    { name: 'the raw query string', req: get('/q/raw?a=%20b&c=d+e') },
    { name: 'item access returns the last value', req: get('/q/last?k=1&k=2') },
    { name: 'item access on a missing key', req: get('/q/last') },
    { name: 'params on GET are the query', req: get('/q/params?a=1') },
    {
      name: 'params: query first, then form values',
      req: req('POST', '/q/params?a=q&b=q', {
        headers: [['Content-Type', 'application/x-www-form-urlencoded']],
        body: 'a=f&c=f',
      }),
    },
  ],
}
