/**
 * Request bodies and properties: urlencoded forms, raw bodies, chunked uploads, headers,
 * auth, the URL parts, and the body size limit.
 * @module
 */
import { req, type Area } from '../runner.js'

const form = (body: string, path = '/f/echo'): ReturnType<typeof req> =>
  req('POST', path, { headers: [['Content-Type', 'application/x-www-form-urlencoded']], body })

/** The form and request-property cases. */
export const forms: Area = {
  area: 'forms',
  cases: [
    { name: 'urlencoded fields', req: form('a=1&b=two') },
    { name: 'repeated fields keep every value', req: form('a=1&a=2') },
    { name: 'UTF-8 fields decode', req: form('name=J%C3%BCrgen&x=%E2%82%AC') },
    { name: 'plus is a space in forms', req: form('a=x+y') },
    { name: 'an empty body is an empty form', req: form('') },
    {
      name: 'a body without a Content-Type is still read as a form',
      req: req('POST', '/f/echo', { body: 'a=1' }),
    },
    { name: 'the raw body', req: req('POST', '/f/body', { body: 'raw \u00e4 body' }) },
    {
      name: 'a chunked body is read whole',
      req: req('POST', '/f/body', {
        headers: [['Transfer-Encoding', 'chunked']],
        body: '3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n',
      }),
    },
    { name: 'the declared length', req: req('POST', '/f/len', { body: '12345' }) },
    {
      name: 'an empty body declares length 0',
      req: req('POST', '/f/len', { headers: [['Content-Length', '0']] }),
    },
    { name: 'no Content-Length is length -1', req: req('POST', '/f/len') },
    {
      name: 'request headers, a fallback and the content type',
      req: req('GET', '/f/headers', {
        headers: [
          ['X-Test', 'yes'],
          ['Content-Type', 'Text/Plain; Charset=UTF-8'],
        ],
      }),
    },
    {
      name: 'basic auth',
      req: req('GET', '/f/auth', { headers: [['Authorization', 'Basic dXNlcjpwYTpzcw==']] }),
    },
    { name: 'no auth header', req: req('GET', '/f/auth') },
    {
      name: 'an auth scheme other than Basic',
      req: req('GET', '/f/auth', { headers: [['Authorization', 'Bearer abc']] }),
    },
    {
      name: 'X-Requested-With marks XHR',
      req: req('GET', '/f/xhr', { headers: [['X-Requested-With', 'XMLHttpRequest']] }),
    },
    { name: 'no XHR header', req: req('GET', '/f/xhr') },
    { name: 'an unknown method reaches an ANY route', req: req('MKCOL', '/f/method') },
    { name: 'URL parts', req: req('GET', '/f/url/a%20b/c?x=1&y=%20') },
    { name: 'URL parts resolve dot segments', req: req('GET', '/f/url/a/./b/%2e%2e/c/.?x=1') },
    {
      name: 'URL parts never climb above the root',
      req: req('GET', '/f/url/../../../x'),
      differs: 'fullpath-above-root',
      ts: { body: /"fullpath":"\/x"/ },
      py: { body: /"fullpath":"x"/ },
    },
    {
      name: 'URL parts keep empty segments',
      req: req('GET', '/f/url/a//b'),
      differs: 'fullpath-empty-segments',
      ts: { body: /"fullpath":"\/f\/url\/a\/\/b".*"url":"http:\/\/localhost\/f\/url\/a\/\/b"/ },
      py: { body: /"fullpath":"\/f\/url\/a\/b".*"url":"http:\/\/localhost\/f\/url\/a\/b"/ },
    },
    {
      name: 'URL parts with another Host',
      req: req('GET', '/f/url/p', { headers: [['Host', 'example.org:8080']] }),
    },
    {
      name: 'X-Forwarded-For shapes remoteRoute',
      req: req('GET', '/f/remote', { headers: [['X-Forwarded-For', '10.0.0.1, 10.0.0.2']] }),
      differs: 'trust-proxy',
      ts: { body: 'json:{"addr":"127.0.0.1","route":["127.0.0.1"]}' },
      py: { body: 'json:{"addr":"10.0.0.1","route":["10.0.0.1","10.0.0.2"]}' },
    },
    { name: 'remoteRoute without a proxy', req: req('GET', '/f/remote') },
    {
      name: 'X-Forwarded-Host and -Proto shape the URL',
      req: req('GET', '/f/url/p', {
        headers: [
          ['X-Forwarded-Host', 'public.example'],
          ['X-Forwarded-Proto', 'https'],
        ],
      }),
      differs: 'trust-proxy',
      ts: { body: /"url":"http:\/\/localhost\/f\/url\/p"/ },
      py: { body: /"url":"https:\/\/public.example\/f\/url\/p"/ },
    },
  ],
}
