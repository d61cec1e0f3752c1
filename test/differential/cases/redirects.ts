/**
 * Redirects: 303 for HTTP/1.1 and 302 for HTTP/1.0, explicit codes, absolute Location
 * joined to the request URL, and what is kept from `response`.
 * @module
 */
import { req, type Area } from '../runner.js'

const get = (path: string): ReturnType<typeof req> => req('GET', path)

/** The redirect cases. */
export const redirects: Area = {
  area: 'redirects',
  cases: [
    { name: 'HTTP/1.1 gets 303 and an absolute Location', req: get('/rd/abs') },
    {
      name: 'HTTP/1.0 gets 302',
      req: req('GET', '/rd/abs', { version: 'HTTP/1.0' }),
    },
    { name: 'a relative target joins the request URL', req: get('/rd/rel/sub') },
    { name: 'a dot-dot target resolves', req: get('/rd/dots') },
    { name: 'an explicit 301', req: get('/rd/301') },
    { name: 'an explicit 307', req: get('/rd/307') },
    { name: 'an external target is kept', req: get('/rd/ext') },
    { name: 'cookies and headers set before the redirect are kept', req: get('/rd/cookie') },
    { name: 'a target from the query string', req: get('/rd/query?next=/landing%3Fa%3D1') },
    {
      name: 'the Host header shapes the Location',
      req: req('GET', '/rd/abs', { headers: [['Host', 'example.org:8080']] }),
    },
    {
      name: 'a target with a space and non-ASCII text',
      req: get('/rd/space'),
      differs: 'location-encoded',
      ts: { headers: { location: 'http://localhost/a%20b/%C3%A4' } },
      py: { headers: { location: 'http://localhost/a b/Ã¤' } },
    },
    { name: 'HEAD on a redirect', req: req('HEAD', '/rd/abs') },
  ],
}
