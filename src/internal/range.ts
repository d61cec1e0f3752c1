/**
 * The HTTP pieces `staticFile` needs and nothing else: byte-range parsing (RFC 9110
 * §14), conditional-request checks (RFC 9110 §13: `If-Match`, `If-Unmodified-Since`,
 * `If-None-Match`, `If-Modified-Since`, `If-Range`) and the `Content-Disposition` header with an RFC 6266 / RFC 8187 encoded
 * file name. Pure functions over strings and numbers, so they are tested on their own.
 * @module
 */
import { parseDate } from './http.js'

/** One satisfiable byte range; `end` is inclusive, as in `Content-Range`. */
export interface ByteRange {
  start: number
  end: number
}

const DIGITS = /^\d+$/

/**
 * Parses a `Range` header against a representation of `size` bytes. Returns `null` when
 * the header is not a `bytes` range (RFC 9110 says to ignore it then) and otherwise the
 * satisfiable ranges in request order, skipping specs that are malformed or start past
 * the end, as Bottle's `parse_range_header` does. An empty list means 416.
 */
export function parseRange(header: string, size: number): ByteRange[] | null {
  const eq = header.indexOf('=')
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return null
  const out: ByteRange[] = []
  for (const raw of header.slice(eq + 1).split(',')) {
    const spec = raw.trim()
    const dash = spec.indexOf('-')
    if (dash === -1) continue
    const first = spec.slice(0, dash).trim()
    const last = spec.slice(dash + 1).trim()
    let start: number
    let end: number
    if (first === '') {
      // Suffix range: the last N bytes (RFC 9110 §14.1.1); a zero length is unsatisfiable.
      if (!DIGITS.test(last)) continue
      const n = Number(last)
      if (n === 0) continue
      start = Math.max(0, size - n)
      end = size - 1
    } else {
      if (!DIGITS.test(first)) continue
      start = Number(first)
      if (last === '') end = size - 1
      else {
        if (!DIGITS.test(last) || Number(last) < start) continue
        end = Math.min(Number(last), size - 1)
      }
    }
    if (start < size && start <= end && Number.isSafeInteger(start)) out.push({ start, end })
  }
  return out
}

/**
 * Splits an entity-tag list (`If-None-Match`, `If-Match`) into its tags, keeping the
 * `W/` prefix; `'*'` stands for "any". Commas inside quotes are part of the tag.
 */
export function parseETagList(header: string): string[] | '*' {
  if (header.trim() === '*') return '*'
  const tags: string[] = []
  const re = /[\s,]*((?:W\/)?"[^"]*"|[^,\s]+)\s*(?:,|$)/gy
  let match: RegExpExecArray | null
  while (re.lastIndex < header.length && (match = re.exec(header)) !== null) {
    tags.push(match[1]!)
  }
  return tags
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag
}

/** RFC 9110 weak comparison: `If-None-Match` matches when the opaque tags are equal. */
export function weakMatch(header: string, etag: string | undefined): boolean {
  const list = parseETagList(header)
  if (list === '*') return true
  if (!etag) return false
  const want = opaque(etag)
  return list.some((tag) => opaque(tag) === want)
}

/** RFC 9110 strong comparison: both tags strong and identical (used by `If-Range`). */
export function strongMatch(tag: string, etag: string | undefined): boolean {
  return !!etag && !tag.startsWith('W/') && !etag.startsWith('W/') && tag === etag
}

/** What the validators of a file say about a request's conditional headers. */
export interface Validators {
  /** The quoted ETag of the file, if ETags are on. */
  etag: string | undefined
  /** The modification time in whole seconds since the epoch. */
  mtime: number
}

/**
 * Whether a GET or HEAD may be answered with 304: `If-None-Match` (weak comparison, `*`
 * included) decides when present, and only otherwise `If-Modified-Since` (RFC 9110
 * §13.2.2). An empty or unparsable header does not count.
 */
export function notModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  v: Validators
): boolean {
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '') {
    return weakMatch(ifNoneMatch, v.etag)
  }
  if (ifModifiedSince) {
    // Bottle drops old `; length=` parameters some browsers still send.
    const since = parseDate(ifModifiedSince.split(';')[0]!.trim())
    return since !== null && since >= v.mtime
  }
  return false
}

/**
 * Whether `If-Match` (strong comparison, `*` included) or, without it,
 * `If-Unmodified-Since` fails, so the answer is 412 (RFC 9110 §13.2.2, steps 1 and 2).
 */
export function preconditionFailed(
  ifMatch: string | undefined,
  ifUnmodifiedSince: string | undefined,
  v: Validators
): boolean {
  if (ifMatch !== undefined && ifMatch.trim() !== '') {
    const list = parseETagList(ifMatch)
    return list !== '*' && !list.some((tag) => strongMatch(tag, v.etag))
  }
  if (ifUnmodifiedSince) {
    const since = parseDate(ifUnmodifiedSince.trim())
    return since !== null && v.mtime > since
  }
  return false
}

/**
 * Whether `If-Range` lets the `Range` header apply: an entity tag must match strongly, a
 * date must equal the file's modification time exactly (RFC 9110 §13.1.5).
 */
export function ifRangeMatches(ifRange: string | undefined, v: Validators): boolean {
  if (ifRange === undefined) return true
  const value = ifRange.trim()
  if (value.startsWith('"') || value.startsWith('W/')) return strongMatch(value, v.etag)
  const date = parseDate(value)
  return date !== null && date === v.mtime
}

// RFC 8187 attr-char: everything else in a `filename*` value is percent-encoded.
const ATTR_CHAR = /^[A-Za-z0-9!#$&+.^_`|~-]$/

function encodeExtValue(text: string): string {
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte)
    out +=
      byte < 0x80 && ATTR_CHAR.test(ch)
        ? ch
        : '%' + byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

/**
 * `attachment; filename="..."` for a download name, with an RFC 8187 `filename*` when the
 * name is not plain printable ASCII, so every browser gets the right name and none can
 * be tricked by quotes or control characters.
 *
 * Security: path components (`/`, `\`), double quotes (dropped, as Bottle does) and
 * control characters are removed, so the value cannot break out of its quoted string
 * or suggest a directory to the client.
 */
export function contentDisposition(name: string, type = 'attachment'): string {
  const base = name.split(/[/\\]/).pop() ?? ''
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim() || 'download'
  if (/^[\u0020-\u007e]*$/.test(clean)) return `${type}; filename="${clean}"`
  const fallback = clean.replace(/[^\u0020-\u007e]/g, '?')
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encodeExtValue(clean)}`
}
