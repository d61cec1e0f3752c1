/**
 * Checks for user-supplied `re` filters: flattening capture groups (Bottle's
 * `_re_flatten`) and refusing patterns that can backtrack catastrophically.
 * @module
 */

/** Turns every capturing group into a non-capturing one, so only wildcards capture. */
export function flattenGroups(source: string): string {
  let out = ''
  let inClass = false
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!
    if (ch === '\\') {
      out += ch + (source[i + 1] ?? '')
      i++
    } else if (inClass) {
      if (ch === ']') inClass = false
      out += ch
    } else if (ch === '[') {
      inClass = true
      out += ch
    } else if (ch === '(') {
      if (source[i + 1] !== '?') out += '(?:'
      else if (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!') {
        // Named group (?<name>...): drop the name.
        const end = source.indexOf('>', i)
        // An unterminated name is left for the RegExp compiler to refuse (no endless loop).
        if (end === -1) out += ch
        else {
          out += '(?:'
          i = end
        }
      } else if (source[i + 2] === 'P' && source[i + 3] === '<') {
        // Python's (?P<name>...) spelling.
        const end = source.indexOf('>', i)
        if (end === -1) out += ch
        else {
          out += '(?:'
          i = end
        }
      } else out += ch
    } else out += ch
  }
  return out
}

interface Frame {
  unbounded: boolean
  alternation: boolean
}

/**
 * Whether a pattern has nested unbounded quantifiers (`(a+)+`, `(\d*)*`, `(a|ab)+`): the
 * shapes behind exponential backtracking. A conservative star-height check, as
 * safe-regex does for find-my-way.
 */
export function isUnsafeRegex(source: string): boolean {
  const stack: Frame[] = [{ unbounded: false, alternation: false }]
  let inClass = false
  let lastGroup: Frame | null = null
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!
    const top = stack[stack.length - 1]!
    if (ch === '\\') {
      if (/[1-9k]/.test(source[i + 1] ?? '')) return true // backreferences
      i++
      lastGroup = null
      continue
    }
    if (inClass) {
      if (ch === ']') inClass = false
      continue
    }
    if (ch === '[') {
      inClass = true
      lastGroup = null
      continue
    }
    if (ch === '(') {
      stack.push({ unbounded: false, alternation: false })
      lastGroup = null
      continue
    }
    if (ch === ')') {
      const frame = stack.pop()
      if (!frame || stack.length === 0) return true
      lastGroup = frame
      const parent = stack[stack.length - 1]!
      if (frame.unbounded) parent.unbounded = true
      continue
    }
    if (ch === '|') {
      top.alternation = true
      lastGroup = null
      continue
    }
    const unbounded = ch === '*' || ch === '+' || (ch === '{' && /^\{\d*,\}/.test(source.slice(i)))
    if (unbounded) {
      if (lastGroup && (lastGroup.unbounded || lastGroup.alternation)) return true
      top.unbounded = true
    }
    lastGroup = null
  }
  return false
}
