/**
 * Small HTTP helpers shared by the request, response and output code: status lines,
 * header-value checks, HTTP dates and HTML escaping. Not exported from the package.
 * @module
 */
import { STATUS_CODES } from 'node:http'

/** Reason phrases: Node's table, plus Bottle's spelling where Node has none. */
export const HTTP_CODES: Readonly<Record<number, string>> = {
  ...(STATUS_CODES as Record<number, string>),
  418: "I'm a teapot",
}

/** `'404 Not Found'` for a known code, `'999 Unknown'` otherwise (as Bottle). */
export function statusLineFor(code: number): string {
  return `${code} ${HTTP_CODES[code] ?? 'Unknown'}`
}

const BAD_HEADER_CHARS = /[\r\n\0]/
// Node refuses these too, but only when the head is written; refusing them at the setter
// names the header instead of failing the whole response later.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]/

/**
 * Header values and status lines must never carry CR, LF or NUL (response splitting), nor
 * other control characters than tab (which Node would refuse to send).
 */
export function checkHeaderValue(name: string, value: string): string {
  if (BAD_HEADER_CHARS.test(value)) {
    throw new TypeError(`Header value of "${name}" must not contain CR, LF or NUL characters`)
  }
  const control = CONTROL_CHARS.exec(value)
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')
    throw new TypeError(`Header value of "${name}" must not contain control character U+${code}`)
  }
  return value
}

const NON_ASCII = /[\u0080-\uffff]/

/**
 * Header text as Node writes it (one byte per char): non-ASCII text goes out as its UTF-8
 * bytes, as Bottle sends it, instead of making Node throw on characters above U+00FF.
 */
export function wireText(text: string): string {
  return NON_ASCII.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** Header names are RFC 9110 tokens. */
export function checkHeaderName(name: string): string {
  if (!TOKEN.test(name)) throw new TypeError(`Invalid header name: ${JSON.stringify(name)}`)
  return name
}

/** An RFC 9110 IMF-fixdate for a Date, a timestamp in seconds or milliseconds-bearing Date. */
export function httpDate(value: Date | number | string): string {
  if (typeof value === 'string') return value
  const date = typeof value === 'number' ? new Date(value * 1000) : value
  // 'Invalid Date' is no HTTP date: refuse it here rather than send it.
  if (Number.isNaN(date.getTime())) throw new RangeError(`Not a valid date: ${String(value)}`)
  return date.toUTCString()
}

/** Parses an HTTP date into seconds since the epoch, or `null` when it is not a date. */
export function parseDate(value: string | undefined): number | null {
  if (!value) return null
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000)
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#039;',
}
const ESCAPE_TEST = /[&<>"']/
const ESCAPE_ALL = /[&<>"']/g

/** Escapes the five HTML special characters, as Bottle's `html_escape`. */
export function htmlEscape(text: string): string {
  return ESCAPE_TEST.test(text) ? text.replace(ESCAPE_ALL, (c) => ESCAPES[c]!) : text
}

/** Python's `repr()` of a string, for Bottle-compatible messages like `Not found: '/x'`. */
export function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of text) {
    const code = ch.codePointAt(0)!
    if (ch === '\\') out += '\\\\'
    else if (ch === quote) out += '\\' + ch
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0')
    else out += ch
  }
  return out + quote
}
