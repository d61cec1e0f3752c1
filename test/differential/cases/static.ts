/**
 * `staticFile`: content types and charsets, downloads, errors, HEAD, conditional
 * requests and byte ranges, served from fixtures/static.
 * @module
 */
import { req, type Area, type Req } from '../runner.js'

const get = (path: string, headers: [string, string][] = []): Req => req('GET', path, { headers })
const FUTURE = 'Fri, 01 Jan 2100 00:00:00 GMT'
const PAST = 'Mon, 01 Jan 1990 00:00:00 GMT'
// Bottle 0.12 sends no ETag; bottle-ts sends a quoted one (static-etag).
const etag = { differs: 'static-etag', ts: { headers: { etag: /.*/ } } } as const
// RFC 9110 §15.5.17: a 416 says how long the file is.
const range416 = {
  differs: 'static-416-content-range',
  ts: { headers: { 'content-range': 'bytes */100' } },
  py: { status: 416, headers: { 'content-range': null } },
} as const

/** The static-file cases. */
export const staticFiles: Area = {
  area: 'static',
  requires: 'staticFile',
  cases: [
    {
      name: 'a text file with its type, charset, length and Last-Modified',
      req: get('/s/hello.txt'),
      ...etag,
    },
    { name: 'an HTML file', req: get('/s/page.html'), ...etag },
    { name: 'a JSON file', req: get('/s/data.json'), ...etag },
    { name: 'a CSS file', req: get('/s/style.css'), ...etag },
    { name: 'an XML file', req: get('/s/feed.xml'), ...etag },
    { name: 'a binary file', req: get('/s/pixel.png'), ...etag },
    { name: 'a file in a subdirectory', req: get('/s/sub/nested.txt'), ...etag },
    {
      name: 'a file without an extension',
      req: get('/s/README'),
      differs: 'static-unknown-type',
      ts: { headers: { 'content-type': 'application/octet-stream', etag: /.*/ } },
      py: { headers: { 'content-type': 'text/html; charset=UTF-8' } },
    },
    {
      name: 'a .tar.gz file',
      req: get('/s/archive.tar.gz'),
      differs: 'static-gzip',
      ts: { headers: { 'content-type': 'application/gzip', 'content-encoding': null, etag: /.*/ } },
      py: { headers: { 'content-type': 'application/x-tar', 'content-encoding': 'gzip' } },
    },
    { name: 'a missing file is 404', req: get('/s/missing.txt') },
    { name: 'a directory is 404', req: get('/s/sub') },
    { name: 'a name outside the root is 403', req: get('/s-outside') },
    { name: 'a dot-dot path in the URL is 403', req: get('/s/../app.py') },
    { name: 'an encoded dot-dot path is 403', req: get('/s/%2e%2e/app.py') },
    {
      name: 'a dotfile',
      req: get('/s/.hidden'),
      differs: 'static-dotfiles',
      ts: { status: 404 },
      py: { status: 200, body: 'secret\n' },
    },
    { name: 'HEAD sends the headers of GET', req: req('HEAD', '/s/hello.txt'), ...etag },
    { name: 'download names the file', req: get('/s-download/hello.txt'), ...etag },
    { name: 'download with another name', req: get('/s-named'), ...etag },
    { name: 'an explicit mimetype', req: get('/s-mime'), ...etag },
    { name: 'an explicit charset', req: get('/s-charset'), ...etag },
    {
      name: 'If-Modified-Since in the future is 304',
      req: get('/s/hello.txt', [['If-Modified-Since', FUTURE]]),
      differs: 'static-etag',
      ts: { status: 304, headers: { etag: /.*/, 'accept-ranges': null } },
      py: { status: 304, headers: { 'accept-ranges': null } },
    },
    {
      name: 'If-Modified-Since in the past is 200',
      req: get('/s/hello.txt', [['If-Modified-Since', PAST]]),
      ...etag,
    },
    {
      name: 'a malformed If-Modified-Since is ignored',
      req: get('/s/hello.txt', [['If-Modified-Since', 'yesterday']]),
      ...etag,
    },
    {
      name: 'If-None-Match: * answers 304',
      req: get('/s/hello.txt', [['If-None-Match', '*']]),
      differs: 'static-etag',
      ts: { status: 304, headers: { etag: /.*/ } },
      py: { status: 200 },
    },
    {
      name: 'a range from the start',
      req: get('/s/numbers.txt', [['Range', 'bytes=0-9']]),
      ...etag,
    },
    {
      name: 'a range in the middle',
      req: get('/s/numbers.txt', [['Range', 'bytes=10-14']]),
      ...etag,
    },
    { name: 'an open-ended range', req: get('/s/numbers.txt', [['Range', 'bytes=95-']]), ...etag },
    { name: 'a suffix range', req: get('/s/numbers.txt', [['Range', 'bytes=-3']]), ...etag },
    {
      name: 'a range past the end is clipped',
      req: get('/s/numbers.txt', [['Range', 'bytes=90-200']]),
      ...etag,
    },
    {
      name: 'several ranges: only the first is served',
      req: get('/s/numbers.txt', [['Range', 'bytes=0-1,5-6']]),
      ...etag,
    },
    {
      name: 'an unsatisfiable range is 416',
      req: get('/s/numbers.txt', [['Range', 'bytes=500-600']]),
      ...range416,
    },
    {
      name: 'a garbage range is 416',
      req: get('/s/numbers.txt', [['Range', 'bytes=abc']]),
      ...range416,
    },
    {
      name: 'a range of another unit',
      req: get('/s/numbers.txt', [['Range', 'lines=1-2']]),
      differs: 'static-range-units',
      ts: { status: 200, headers: { etag: /.*/ }, body: '0123456789'.repeat(10) },
      py: { status: 416 },
    },
    {
      name: 'HEAD with a range',
      req: req('HEAD', '/s/numbers.txt', { headers: [['Range', 'bytes=0-9']] }),
      ...etag,
    },
  ],
}
