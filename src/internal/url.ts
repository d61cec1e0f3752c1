/**
 * Percent-decoding and query-string parsing that never throw: malformed escapes stay as
 * they are, invalid UTF-8 becomes U+FFFD, as Python's `unquote` with `errors='replace'`.
 * @module
 */

/** Decodes `%XX` escapes (and `+` when `plus` is set); never throws. */
export function decodeSafe(text: string, plus = false): string {
  if (plus && text.includes('+')) text = text.replace(/\+/g, ' ')
  if (!text.includes('%')) return text
  try {
    return decodeURIComponent(text)
  } catch {
    return decodeLoose(text)
  }
}

function decodeLoose(text: string): string {
  const bytes: number[] = []
  const out: string[] = []
  const flush = (): void => {
    if (bytes.length) out.push(Buffer.from(bytes).toString('utf8'))
    bytes.length = 0
  }
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (
      ch === 37 /* % */ &&
      i + 2 < text.length + 0 &&
      /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))
    ) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      flush()
      out.push(text[i]!)
    }
  }
  flush()
  return out.join('')
}

/**
 * Decodes a request path strictly: a malformed escape or invalid UTF-8 is an error (the
 * caller answers 400), and so is a NUL byte, encoded or not.
 */
export function decodePath(raw: string): string | null {
  let path = raw
  if (raw.includes('%')) {
    try {
      path = decodeURIComponent(raw)
    } catch {
      return null
    }
  }
  return path.includes('\0') ? null : path
}

/** Splits a query string on `&` only (`;` is data: Bottle CVE-2020-28473). */
export function parseQuery(
  qs: string,
  into: (key: string, value: string) => void,
  maxPairs = Infinity
): number {
  let count = 0
  if (!qs) return 0
  for (const pair of qs.split('&')) {
    if (!pair) continue
    if (++count > maxPairs) return count
    const eq = pair.indexOf('=')
    if (eq === -1) into(decodeSafe(pair, true), '')
    else into(decodeSafe(pair.slice(0, eq), true), decodeSafe(pair.slice(eq + 1), true))
  }
  return count
}

/** Percent-encodes a path for a URL, leaving `/` and the characters Python's `quote` keeps. */
export function quotePath(path: string): string {
  return encodeURI(path).replace(/[?#]/g, (c) => (c === '?' ? '%3F' : '%23'))
}
