/**
 * Signed cookies (Bottle's `cookie_encode` / `cookie_decode`, used by
 * `response.setCookie(..., { secret })` and `request.getCookie(..., { secret })`).
 * Bottle pickles the value and signs it with HMAC; bottle-ts signs JSON instead, so
 * reading a cookie can never execute code (see docs/porting.md).
 *
 * Format: `!<signature>?<payload>` where payload is base64url(JSON `[name, value]`) and
 * signature is base64url(HMAC-SHA256(secret, payload)). Binding the name into the signed
 * payload means a valid cookie copied under another name reads as missing.
 *
 * Security: the signature is checked in constant time before the payload is decoded;
 * any tampering, a foreign secret, a swapped name or a malformed value reads as missing,
 * never as an error. The signature proves the server wrote the value; it does not hide
 * it (the payload is only encoded) and it does not expire it (set `maxAge` and put a
 * date in the value if replay matters).
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** Encodes and signs `value` (any JSON value) for the cookie `name`. */
export function cookieEncode(name: string, value: unknown, secret: string | Buffer): string {
  checkSecret(secret)
  const json = JSON.stringify([name, value])
  const payload = Buffer.from(json, 'utf8').toString('base64url')
  return `!${sign(payload, secret)}?${payload}`
}

const SIGNED = /^!([A-Za-z0-9_-]{43})\?([A-Za-z0-9_-]+)$/

/** Verifies and decodes a signed cookie; `undefined` when tampered, foreign or malformed. */
export function cookieDecode(name: string, data: string, secret: string | Buffer): unknown {
  checkSecret(secret)
  if (typeof data !== 'string' || data.length > 8192) return undefined
  const match = SIGNED.exec(data)
  if (!match) return undefined
  const sig = Buffer.from(match[1]!, 'utf8')
  const payload = match[2]!
  const expected = Buffer.from(sign(payload, secret), 'utf8')
  if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) return undefined
  try {
    const decoded: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    if (!Array.isArray(decoded) || decoded.length !== 2 || decoded[0] !== name) return undefined
    return decoded[1] as unknown
  } catch {
    return undefined
  }
}

/** Whether `data` has the shape of a signed cookie (says nothing about its signature). */
export function cookieIsEncoded(data: string): boolean {
  return SIGNED.test(data)
}

function checkSecret(secret: string | Buffer): void {
  if ((typeof secret !== 'string' && !Buffer.isBuffer(secret)) || secret.length === 0) {
    throw new TypeError('A cookie secret must be a non-empty string or Buffer')
  }
}

function sign(payload: string, secret: string | Buffer): string {
  return createHmac('sha256', secret).update(payload).digest('base64url')
}
