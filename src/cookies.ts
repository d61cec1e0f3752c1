/**
 * Signed cookies. Bottle pickles the value and signs it with HMAC; bottle-ts signs JSON
 * instead, so reading a cookie can never execute code (see docs/porting.md).
 *
 * Format: `!<signature>?<payload>` where payload is base64url(JSON `[name, value]`) and
 * signature is base64url(HMAC-SHA256(secret, payload)). Binding the name into the signed
 * payload means a valid cookie copied under another name reads as missing.
 *
 * Security: the signature proves the server wrote the value; it does not hide it (the
 * payload is only encoded) and it does not expire it (set `maxAge` and check dates in
 * the value if replay matters).
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** Encodes and signs `value` for the cookie `name`. */
export function cookieEncode(name: string, value: unknown, secret: string | Buffer): string {
  const payload = Buffer.from(JSON.stringify([name, value]), 'utf8').toString('base64url')
  return `!${sign(payload, secret)}?${payload}`
}

/** Verifies and decodes a signed cookie; `undefined` when tampered, foreign or malformed. */
export function cookieDecode(name: string, data: string, secret: string | Buffer): unknown {
  if (!cookieIsEncoded(data)) return undefined
  const q = data.indexOf('?')
  const sig = Buffer.from(data.slice(1, q), 'utf8')
  const payload = data.slice(q + 1)
  const expected = Buffer.from(sign(payload, secret), 'utf8')
  if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) return undefined
  try {
    const decoded: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    if (!Array.isArray(decoded) || decoded.length !== 2 || decoded[0] !== name) return undefined
    return decoded[1]
  } catch {
    return undefined
  }
}

/** Whether `data` has the shape of a signed cookie. */
export function cookieIsEncoded(data: string): boolean {
  return data.startsWith('!') && data.indexOf('?') > 1
}

function sign(payload: string, secret: string | Buffer): string {
  return createHmac('sha256', secret).update(payload).digest('base64url')
}
