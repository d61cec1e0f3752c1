/**
 * Where bottle-ts answers differently from the Bottle under test (Debian's 0.12), and
 * why. Kinds:
 * - `deliberate`: DESIGN.md "Which Bottle" fixes or modernises Bottle;
 * - `version`: bottle-ts follows Bottle 0.13, and 0.12 differs;
 * - `server`: the HTTP servers differ (wsgiref against node:http), not the frameworks.
 * docs/porting.md lists exactly these ids under "Deliberate differences"; a test keeps
 * the two in step. `KNOWN_BUGS` are bottle-ts bugs found by the suite: their cases pin
 * today's answer so the suite stays green, and fail (asking to drop the entry) once fixed.
 * @module
 */

/** One recorded difference. */
export interface Difference {
  /** Stable id, used by cases (`differs: id`) and in docs/porting.md. */
  id: string
  /** The area of the suite it shows up in. */
  area: string
  kind: 'deliberate' | 'version' | 'server' | 'bug'
  /** What Bottle does. */
  bottle: string
  /** What bottle-ts does. */
  bottleTs: string
  /** Why. */
  why: string
}

/** Differences the runner's normaliser absorbs, so no case names them. */
export const NORMALISED: readonly string[] = ['error-page-markup', 'signed-cookie-format']

/** Every deliberate, version and server difference: the list docs/porting.md shows. */
export const DIFFERENCES: Difference[] = [
  {
    id: 'fullpath-above-root',
    area: 'forms',
    kind: 'deliberate',
    bottle:
      '`urljoin` drops the leading slash when `..` climbs above the root: `/../x` has fullpath `x`',
    bottleTs: 'resolves dot segments as RFC 3986 does, never above `/`: fullpath `/x`',
    why: 'a path without its leading slash is no path; `request.url` is the same in both',
  },
  {
    id: 'fullpath-empty-segments',
    area: 'forms',
    kind: 'deliberate',
    bottle: '`urljoin` collapses empty segments: `/a//b` has fullpath and url `/a/b`',
    bottleTs: 'keeps them, as RFC 3986 does: fullpath and url `/a//b`',
    why: 'the URL names the path the client asked for and the app routed on',
  },
  {
    id: 'bad-path-400',
    area: 'routing',
    kind: 'deliberate',
    bottle: 'routes a malformed percent-escape (`%zz`) as literal text and passes NUL bytes on',
    bottleTs: 'answers 400 for malformed percent-escapes and NUL bytes in the path',
    why: 'DESIGN.md "Bad input": hostile paths get a clear 4xx before any route sees them',
  },
  {
    id: 'int-safe-range',
    area: 'routing',
    kind: 'deliberate',
    bottle: '`<n:int>` accepts any length of digits (Python integers are unbounded)',
    bottleTs: 'answers 400 beyond `Number.MAX_SAFE_INTEGER`',
    why: 'a JavaScript number past 2^53 is not the integer that was sent; a wrong id is worse than a 400',
  },
  {
    id: 'invalid-utf8-replaced',
    area: 'query',
    kind: 'deliberate',
    bottle:
      '0.12 keeps latin1 strings and fails (a 500) when they are recoded as UTF-8; HEAD keeps the bytes as surrogates',
    bottleTs: 'decodes query and form values as UTF-8, bytes that are not UTF-8 becoming U+FFFD',
    why: 'DESIGN.md "Which Bottle": form and query values are UTF-8 strings everywhere',
  },
  {
    id: 'json-arrays',
    area: 'output',
    kind: 'deliberate',
    bottle: 'joins a returned list of strings into the body; an empty list is an empty body',
    bottleTs: 'returns arrays as JSON (`application/json`), like objects',
    why: 'DESIGN.md "Application": plain objects and arrays go through the JSON plugin; stream with an iterable',
  },
  {
    id: 'unsupported-type-message',
    area: 'output',
    kind: 'deliberate',
    bottle: "a returned number fails inside the cast with a 500 'Unhandled exception'",
    bottleTs: "the 500 names what was wrong: 'Unsupported response type: number'",
    why: 'error messages name what was wrong (house rule); the status is the same',
  },
  {
    id: 'location-encoded',
    area: 'redirects',
    kind: 'deliberate',
    bottle: 'sends the joined `Location` unquoted (spaces, and UTF-8 bytes as latin1)',
    bottleTs: 'percent-encodes `Location` to ASCII (`/a%20b/%C3%A4`)',
    why: 'DESIGN.md "Bad input": Location is percent-encoded ASCII, so no header can be split or mis-decoded',
  },
  {
    id: 'after-request-on-errors',
    area: 'hooks',
    kind: 'deliberate',
    bottle:
      '0.12 runs after_request hooks before an HTTPResponse/HTTPError is applied, so their headers are lost on 404s, aborts, redirects, returned responses and 500s (0.13 keeps them except on 500s)',
    bottleTs:
      'runs after_request hooks after the response is applied, for every response, 500s included',
    why: 'DESIGN.md "Which Bottle": Bottle #1125 (CORS headers on errors)',
  },
  {
    id: 'invalid-json-400',
    area: 'json',
    kind: 'version',
    bottle: '0.12 lets invalid JSON raise a ValueError: a 500',
    bottleTs: 'answers 400 for invalid JSON',
    why: 'bottle-ts follows Bottle 0.13; DESIGN.md "Bad input": bad JSON is a 400',
  },
  {
    id: 'mount-parent-hooks',
    area: 'mount',
    kind: 'deliberate',
    bottle:
      "0.12 turns a mounted app's answer into a new response, dropping headers the parent's before_request hooks set (0.13 merges the routes and runs only the parent's hooks)",
    bottleTs:
      "the child keeps its own hooks, error handlers and path, and the parent's hook headers stay on the answer",
    why: 'DESIGN.md "Which Bottle": the parent\'s hooks run around a mounted app (Bottle #1205)',
  },
  {
    id: 'json-media-types',
    area: 'json',
    kind: 'deliberate',
    bottle: '`request.json` only for `application/json` (0.13 adds `application/json-rpc`)',
    bottleTs: 'also for any `+json` media type (`application/vnd.api+json`)',
    why: 'DESIGN.md "Bad input": the JSON media types are `application/json` and `+json`',
  },
  {
    id: 'trust-proxy',
    area: 'forms',
    kind: 'deliberate',
    bottle: 'believes `X-Forwarded-For/-Host/-Proto` from any client',
    bottleTs: 'uses them only when the app trusts its proxy (`trustProxy`)',
    why: 'DESIGN.md "Which Bottle": forwarded headers are forgeable; trust is one setting away',
  },
  {
    id: 'no-content-headers',
    area: 'output',
    kind: 'version',
    bottle: '0.12 keeps `Content-Length` on a 204',
    bottleTs: 'drops `Content-Type` and `Content-Length` on a 204',
    why: 'bottle-ts follows Bottle 0.13 (and RFC 9110 §8.6)',
  },
  {
    id: 'cookie-value-encoding',
    area: 'cookies',
    kind: 'deliberate',
    bottle:
      'quotes cookie values with Python\'s `http.cookies` rules (`q="a b"`, an empty value as `""`)',
    bottleTs: 'percent-encodes cookie values (`q=a%20b`, an empty value as nothing)',
    why: 'the `cookie` package writes RFC 6265 cookie-octets; each side reads back what it wrote',
  },
  {
    id: 'cookie-header-lenient',
    area: 'cookies',
    kind: 'deliberate',
    bottle:
      "Python's SimpleCookie stops at the first malformed pair (`; ;`, a name without `=`) and drops the rest",
    bottleTs: 'parses each pair on its own and skips only the malformed one',
    why: 'the `cookie` package (a DESIGN.md dependency) reads headers as browsers write them',
  },
  {
    id: 'signed-cookie-format',
    area: 'cookies',
    kind: 'deliberate',
    bottle: 'signs a pickled value with HMAC (MD5 in 0.12, SHA-256 in 0.13)',
    bottleTs: 'signs JSON bound to the cookie name with HMAC-SHA256; never pickle',
    why: 'DESIGN.md "Which Bottle": reading a cookie must never run code; the two formats do not interoperate',
  },
  {
    id: 'static-etag',
    area: 'static',
    kind: 'version',
    bottle:
      '0.12 sends no ETag and ignores If-None-Match (0.13 sends an unquoted one and compares it byte for byte)',
    bottleTs:
      'sends a quoted ETag; If-None-Match takes a list, compares weakly and wins over If-Modified-Since',
    why: 'DESIGN.md "Which Bottle": RFC 9110 validators (Bottle #1538)',
  },
  {
    id: 'static-gzip',
    area: 'static',
    kind: 'version',
    bottle: '0.12 serves `.tar.gz` as `application/x-tar` with `Content-Encoding: gzip`',
    bottleTs: 'serves it as `application/gzip`, without Content-Encoding',
    why: 'bottle-ts follows Bottle 0.13: the client must not unpack a file it asked to download',
  },
  {
    id: 'static-dotfiles',
    area: 'static',
    kind: 'deliberate',
    bottle: 'serves dotfiles (`.env`, `.git/config`) like any file',
    bottleTs: "answers 404 for names with a segment starting with `.`, unless `dotfiles: 'allow'`",
    why: 'DESIGN.md "Which Bottle": dotfiles are ignored unless asked, as serve-static does',
  },
  {
    id: 'static-unknown-type',
    area: 'static',
    kind: 'deliberate',
    bottle: 'a file of unknown type gets the default `text/html; charset=UTF-8`',
    bottleTs: 'sends `application/octet-stream`',
    why: 'a browser must not render an arbitrary file as HTML (src/static.ts)',
  },
  {
    id: 'static-416-content-range',
    area: 'static',
    kind: 'deliberate',
    bottle: 'a 416 carries no Content-Range',
    bottleTs: 'a 416 carries `Content-Range: bytes */<size>`',
    why: 'RFC 9110 §15.5.17',
  },
  {
    id: 'static-range-units',
    area: 'static',
    kind: 'deliberate',
    bottle: 'a Range of another unit (`lines=1-2`) is a 416',
    bottleTs: 'ignores it and sends the whole file (200)',
    why: 'RFC 9110 §14.2: a server ignores a Range with a unit it does not know',
  },
  {
    id: 'template-error-500',
    area: 'templates',
    kind: 'version',
    bottle: "0.12's TemplateError is an HTTPError(500) whose page names the missing template",
    bottleTs: 'TemplateError is an ordinary error: a 500 page without details outside debug mode',
    why: 'bottle-ts follows Bottle 0.13; DESIGN.md "Bad input": a 500 shows no message outside debug mode',
  },
  {
    id: 'template-none',
    area: 'templates',
    kind: 'version',
    bottle: '0.12 renders `{{None}}` as `None`',
    bottleTs: 'renders `null` and `undefined` as nothing',
    why: 'bottle-ts follows Bottle 0.13, where None renders empty',
  },
  {
    id: 'multipart-empty-filename',
    area: 'multipart',
    kind: 'version',
    bottle: '0.12 turns a part with `filename=""` into a FileUpload named `empty`',
    bottleTs:
      'treats it as a form field, as Bottle 0.13 does (a browser sends it for an empty file input)',
    why: 'bottle-ts follows Bottle 0.13',
  },
  {
    id: 'multipart-bad-400',
    area: 'multipart',
    kind: 'version',
    bottle:
      '0.12 (cgi.FieldStorage) accepts a truncated body or a foreign boundary as an empty form, and a missing boundary is a 500',
    bottleTs: 'answers 400 naming what was wrong',
    why: 'bottle-ts follows Bottle 0.13 (MultipartError is a 400); DESIGN.md "Bad input": bad multipart is a 400',
  },
  {
    id: 'mount-get-url',
    area: 'mount',
    kind: 'version',
    bottle:
      "0.12's parent cannot build the URL of a mounted app's named route (RouteBuildError, a 500)",
    bottleTs: 'the parent builds it under the mount prefix (`/child/named/1`)',
    why: 'bottle-ts follows Bottle 0.13, where mounted routes are buildable from the parent',
  },
  {
    id: 'error-page-markup',
    area: 'errors',
    kind: 'version',
    bottle: '0.12 wraps the error page in different HTML (HTML 2.0 doctype, other CSS)',
    bottleTs: "ships Bottle 0.13's page: same title, URL and message",
    why: 'bottle-ts follows Bottle 0.13; the suite compares the status, URL and message of the page',
  },
  {
    id: 'node-http-parser',
    area: 'routing',
    kind: 'server',
    bottle:
      'wsgiref accepts lowercase methods, header lines without a colon and a non-numeric Content-Length on a GET',
    bottleTs: "Node's HTTP parser refuses them with a bare 400 before the app runs",
    why: 'RFC 9110/9112 make these errors; the parser is part of Node, not of bottle-ts',
  },
  {
    id: 'python-server-slashes',
    area: 'routing',
    kind: 'server',
    bottle: "Python 3.11's http.server collapses a leading `//` to `/` before Bottle routes it",
    bottleTs: 'routes the path as sent, as Bottle itself does (`//r/static` is a 404)',
    why: 'a guard of the Python server (gh-87389), not of Bottle',
  },
]

/** bottle-ts bugs the suite found; not in docs/porting.md, removed once fixed. */
export const KNOWN_BUGS: Difference[] = []
