/**
 * The SimpleTemplate parser: `StplParser` turns stpl source (text, `{{expr}}`, `% code`
 * lines, `<% ... %>` blocks, and Bottle's `if (...):` / `end` block form) into the body
 * of a JavaScript function, with a map from each generated line back to its template
 * line. stpl.ts compiles and runs what it produces.
 *
 * Security: the parser is a single forward scan with no backtracking regular expression
 * over the source, so a hostile template is parsed in time linear in its length.
 * @module
 */
import { TemplateError } from './base.js'

/** A template that cannot be parsed or compiled; names the template and line. */
export class StplSyntaxError extends TemplateError {
  constructor(message: string, options: { template?: string; line?: number; cause?: unknown }) {
    super(message, { ...options, code: 'BOTTLE_TEMPLATE_SYNTAX' })
  }
}

interface Syntax {
  blockStart: string
  blockClose: string
  lineStart: string
  inlineStart: string
  inlineEnd: string
}

/** Bottle's default tokens: block start and end, line start, inline start and end. */
export const DEFAULT_SYNTAX = '<% %> % {{ }}'

function parseSyntax(syntax: string): Syntax {
  const t = syntax.split(/[ \t]+/).filter(Boolean)
  if (t.length !== 5) {
    throw new TemplateError(`Template syntax needs 5 space-separated tokens, got '${syntax}'`)
  }
  const [blockStart, blockClose, lineStart, inlineStart, inlineEnd] = t as [
    string,
    string,
    string,
    string,
    string,
  ]
  return { blockStart, blockClose, lineStart, inlineStart, inlineEnd }
}

/** The names the template's code may call; declared only when the code mentions them. */
const HELPERS = ['include', 'rebase', 'get', 'defined', 'setdefault'] as const
const HELPER_SET: ReadonlySet<string> = new Set(HELPERS)

const RESERVED: ReadonlySet<string> = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends ' +
    'false finally for function if import in instanceof new null return super switch this throw ' +
    'true try typeof var void while with yield let static implements interface package private ' +
    'protected public await arguments eval undefined NaN Infinity'
  ).split(' ')
)

const REGEX_AFTER: ReadonlySet<string> = new Set(
  'return typeof case do else in of void yield await delete instanceof new throw'.split(' ')
)

const IDENT = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u

/** Whether a variable name can become a local of the compiled function. */
export function isBindable(name: string): boolean {
  return IDENT.test(name) && !RESERVED.has(name) && !name.startsWith('$$')
}

function isIdentStart(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c > 127 // non-ASCII: let JS judge
  )
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57)
}

function countNewlines(s: string): number {
  let n = 0
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++
  return n
}

/** What the parser hands to the compiler. */
export interface StplCode {
  /** Body lines of the generated function. */
  lines: string[]
  /** Template line (1-based) of each body line. */
  lineMap: number[]
  /** Names assigned (`x = ...`) at a statement start: declared with `let` if not passed in. */
  assigned: string[]
  /** Names declared at the top level (`let`, `const`, `function`, `class`). */
  declared: string[]
  /** Helper functions the code mentions. */
  helpers: string[]
}

interface Head {
  /** `open` starts a block (`if`), `continue` closes one and opens the next (`elif`). */
  kind: 'open' | 'continue'
  /** Where the keyword starts, to insert `} ` for the continue kind. */
  lineIdx: number
  col: number
  depth: number
  opened: boolean
}

/**
 * Translates stpl source into JavaScript statements. One instance per template; a
 * single forward scan (each character is looked at a bounded number of times), so
 * hostile input compiles in linear time.
 */
export class StplParser {
  readonly #src: string
  readonly #syn: Syntax
  readonly #label: string
  #lines: string[] = []
  #lineMap: number[] = []
  #lineno = 1
  // Text waiting to be flushed, and the line it started on.
  #text = ''
  #textLine = 1
  // Code state: persists across `%` lines so brackets may span several of them.
  #cur = ''
  // The last non-blank character and identifier appended: reading them back from `#cur`
  // would flatten the growing string on every token (quadratic).
  #last = ''
  #lastWord = ''
  // Columns of `#cur` where a continue head (`elif`) inserts its `} `.
  #inserts: number[] = []
  #curLine = 1
  #comment = ''
  #paren = 0
  #brace = 0
  #stmtStart = true
  #head: Head | null = null
  #sync: string[] = []
  #assigned = new Set<string>()
  #declared = new Set<string>()
  #helpers = new Set<string>()

  constructor(source: string, syntax: string = DEFAULT_SYNTAX, label = '<string>') {
    this.#src = source
    this.#syn = parseSyntax(syntax)
    this.#label = label
  }

  /** Parses the whole template. */
  translate(): StplCode {
    const src = this.#src
    const n = src.length
    const { lineStart, blockStart } = this.#syn
    let pos = 0
    while (pos < n) {
      let p = pos
      while (p < n && (src[p] === ' ' || src[p] === '\t')) p++
      const nl = src.indexOf('\n', pos)
      const eol = nl === -1 ? n : nl + 1
      if (
        src[p] === '\\' &&
        (src.startsWith(lineStart, p + 1) || src.startsWith(blockStart, p + 1))
      ) {
        this.#addText(src.slice(pos, p) + src.slice(p + 1, eol), eol === nl + 1)
      } else if (src.startsWith(lineStart, p)) {
        const after = p + lineStart.length
        if (src.startsWith(lineStart, after)) {
          // `%%` starts a literal line, without its indentation (Bottle 0.12's escape).
          this.#addText(src.slice(after, eol), eol === nl + 1)
        } else {
          this.#flushText()
          pos = this.#readCode(after, false)
          continue
        }
      } else if (src.startsWith(blockStart, p)) {
        this.#flushText()
        pos = this.#readCode(p + blockStart.length, true)
        continue
      } else {
        this.#addText(src.slice(pos, eol), eol === nl + 1)
      }
      pos = eol
    }
    this.#flushText()
    if (this.#cur || this.#comment) this.#endCodeLine()
    return {
      lines: this.#lines,
      lineMap: this.#lineMap,
      assigned: [...this.#assigned],
      declared: [...this.#declared],
      helpers: [...this.#helpers],
    }
  }

  #error(message: string, line: number): StplSyntaxError {
    return new StplSyntaxError(`${message} in template '${this.#label}', line ${line}`, {
      template: this.#label,
      line,
    })
  }

  #emit(text: string, line: number): void {
    this.#lines.push(text)
    this.#lineMap.push(line)
  }

  #addText(text: string, endsLine: boolean): void {
    if (!this.#text) this.#textLine = this.#lineno
    this.#text += text
    if (endsLine) this.#lineno++
  }

  // ---- text and inline expressions --------------------------------------------------

  #flushText(): void {
    const text = this.#text
    if (!text) return
    this.#text = ''
    const { inlineStart, inlineEnd } = this.#syn
    let line = this.#textLine
    // [javascript, template line] pieces of one `$$s.o += ...` statement
    const pieces: [string, number][] = []
    let seg = 0
    let i = 0
    const n = text.length
    for (;;) {
      const j = text.indexOf(inlineStart, i)
      if (j === -1) break
      let k = j + inlineStart.length
      let ok = false
      while (k < n) {
        const c = text.charCodeAt(k)
        if (c === 10) break
        if (c === 34 || c === 39 || c === 96) {
          k = skipString(text, k)
          continue
        }
        if (text.startsWith(inlineEnd, k)) {
          ok = true
          break
        }
        k++
      }
      if (!ok) {
        // Not an expression: `{{` stays text. Resume after the line, which keeps the scan linear.
        i = Math.max(k, j + 1)
        continue
      }
      if (j > seg) {
        const before = text.slice(seg, j)
        pieces.push([JSON.stringify(before), line])
        line += countNewlines(before)
      }
      pieces.push([this.#inline(text.slice(j + inlineStart.length, k).trim(), line), line])
      seg = i = k + inlineEnd.length
    }
    if (seg < n) {
      let rest = text.slice(seg)
      // A text line ending in `\\` right before code (or the end) drops its line break.
      if (rest.endsWith('\\\\\n')) rest = rest.slice(0, -3)
      else if (rest.endsWith('\\\\\r\n')) rest = rest.slice(0, -4)
      if (rest) pieces.push([JSON.stringify(rest), line])
    }
    if (pieces.length === 0) return
    let out = '$$s.o += '
    let outLine = pieces[0]![1]
    for (let p = 0; p < pieces.length; p++) {
      const [js, pl] = pieces[p]!
      if (p > 0) {
        if (pl !== outLine) {
          this.#emit(out, outLine)
          out = '+ '
          outLine = pl
        } else out += ' + '
      }
      const parts = js.split('\n')
      for (let q = 0; q < parts.length - 1; q++) {
        this.#emit(out + parts[q]!, outLine)
        out = ''
      }
      out += parts[parts.length - 1]!
    }
    this.#emit(out + ';', outLine)
  }

  #inline(expr: string, line: number): string {
    let fn = '$$e'
    if (expr.startsWith('!')) {
      fn = '$$r'
      expr = expr.slice(1).trim()
    }
    if (!expr) throw this.#error('Empty inline expression', line)
    this.#noteHelpers(expr)
    // A comment inside the expression must not swallow the rest of the generated line.
    const end = expr.includes('//') ? '\n)' : ')'
    return `${fn}(${expr}${end}`
  }

  #noteHelpers(code: string): void {
    for (const h of HELPERS) if (code.includes(h)) this.#helpers.add(h)
  }

  // ---- code lines and blocks --------------------------------------------------------

  /** Reads code from `start` until the end of the line (or of the `<% %>` block). */
  #readCode(start: number, multiline: boolean): number {
    const src = this.#src
    const n = src.length
    const close = this.#syn.blockClose
    if (this.#paren === 0) this.#stmtStart = true
    this.#curLine = this.#lineno
    let k = start
    while (k < n) {
      const c = src.charCodeAt(k)
      if (c === 10 || (c === 13 && src.charCodeAt(k + 1) === 10)) {
        this.#endCodeLine()
        k += c === 13 ? 2 : 1
        this.#lineno++
        this.#curLine = this.#lineno
        if (!multiline) return k
        if (this.#paren === 0) this.#stmtStart = true
        continue
      }
      if (src.startsWith(close, k) && this.#blankToEol(k + close.length)) {
        if (multiline) multiline = false
        else this.#append(close)
        k += close.length
        continue
      }
      if (c === 34 || c === 39 || c === 96) {
        const e = skipString(src, k)
        const s = src.slice(k, e)
        // Helpers called inside `${...}` of a template string must be declared too.
        if (c === 96) this.#noteHelpers(s)
        this.#append(s)
        this.#lineno += countNewlines(s)
        this.#stmtStart = false
        k = e
        continue
      }
      if ((c === 47 && src.charCodeAt(k + 1) === 47) || (c === 35 && this.#stmtStart)) {
        let e = src.indexOf('\n', k)
        if (e === -1) e = n
        if (src.charCodeAt(e - 1) === 13) e--
        const body = src.slice(k + (c === 35 ? 1 : 2), e)
        this.#comment = '//' + body
        if (multiline && body.trimEnd().endsWith(close)) multiline = false
        k = e
        continue
      }
      if (c === 47 && src.charCodeAt(k + 1) === 42) {
        const e = src.indexOf('*/', k + 2)
        const end = e === -1 ? n : e + 2
        const s = src.slice(k, end)
        this.#append(s)
        this.#lineno += countNewlines(s)
        k = end
        continue
      }
      if (c === 47 && this.#regexAllowed()) {
        // A regular expression literal: its quotes and brackets are not code.
        const e = skipRegex(src, k)
        this.#append(src.slice(k, e))
        this.#stmtStart = false
        k = e
        continue
      }
      if (c === 40 || c === 91) {
        const head = this.#head
        if (c === 40 && head && !head.opened && this.#paren === head.depth) head.opened = true
        this.#paren++
        this.#append(src[k]!)
        this.#stmtStart = false
        k++
        continue
      }
      if (c === 41 || c === 93) {
        if (this.#paren > 0) this.#paren--
        this.#append(src[k]!)
        k++
        const head = this.#head
        if (c === 41 && head && head.opened && this.#paren === head.depth) k = this.#closeHead(k)
        continue
      }
      if (c === 123) {
        const prev = this.#last
        this.#brace++
        this.#append('{')
        this.#head = null
        if (this.#paren === 0 && prev === ')') this.#stmtStart = true
        k++
        continue
      }
      if (c === 125) {
        if (this.#brace > 0) this.#brace--
        this.#append('}')
        if (this.#paren === 0) this.#stmtStart = true
        k++
        continue
      }
      if (c === 59) {
        this.#append(';')
        if (this.#paren === 0) {
          this.#stmtStart = true
          this.#head = null
        }
        k++
        continue
      }
      if (isIdentStart(c)) {
        let e = k + 1
        while (e < n && isIdentPart(src.charCodeAt(e))) e++
        const word = src.slice(k, e)
        if (HELPER_SET.has(word)) {
          this.#helpers.add(word)
          if (word === 'setdefault') this.#noteSetdefault(e)
        }
        if (this.#stmtStart && this.#paren === 0) k = this.#statementWord(word, k, e)
        else {
          this.#append(word)
          k = e
        }
        continue
      }
      if (c === 32 || c === 9 || c === 13) {
        this.#append(src[k]!)
        k++
        continue
      }
      this.#append(src[k]!)
      this.#stmtStart = false
      k++
    }
    if (this.#cur || this.#comment) this.#endCodeLine()
    return n
  }

  #append(text: string): void {
    this.#cur += text
    let i = text.length - 1
    while (i >= 0 && (text[i] === ' ' || text[i] === '\t' || text[i] === '\r')) i--
    if (i < 0) return
    this.#last = text[i]!
    let b = i + 1
    while (b > 0 && isIdentPart(text.charCodeAt(b - 1))) b--
    this.#lastWord = text.slice(b, i + 1)
  }

  /** Whether a `/` here starts a regular expression rather than a division. */
  #regexAllowed(): boolean {
    const last = this.#last
    if (last === '') return true
    if (!isIdentPart(last.charCodeAt(0))) return '(,=:[!&|?{};+-*%<>~^'.includes(last)
    return REGEX_AFTER.has(this.#lastWord)
  }

  #blankToEol(i: number): boolean {
    const src = this.#src
    while (src[i] === ' ' || src[i] === '\t') i++
    return i >= src.length || src[i] === '\n' || (src[i] === '\r' && src[i + 1] === '\n')
  }

  #skipBlank(i: number): number {
    const src = this.#src
    while (src[i] === ' ' || src[i] === '\t') i++
    return i
  }

  #wordAt(i: number): string {
    const src = this.#src
    let e = i
    while (e < src.length && isIdentPart(src.charCodeAt(e))) e++
    return isIdentStart(src.charCodeAt(i)) ? src.slice(i, e) : ''
  }

  /** A word at the start of a statement: Bottle block keywords, `end`, declarations. */
  #statementWord(word: string, k: number, e: number): number {
    const src = this.#src
    this.#stmtStart = false
    if (word === 'end' && this.#isEndKeyword(e)) {
      this.#append('}')
      if (this.#brace > 0) this.#brace--
      return e
    }
    switch (word) {
      case 'if':
      case 'for':
      case 'while':
      case 'switch':
      case 'function':
      case 'elif':
      case 'catch': {
        if (word === 'catch' && src[this.#skipBlank(e)] === ':') {
          this.#append('} catch {')
          this.#stmtStart = true
          return this.#skipBlank(e) + 1
        }
        if (word === 'if' || word === 'while' || word === 'elif') {
          const bare = this.#bareHead(
            this.#skipBlank(e),
            word === 'elif',
            word === 'elif' ? 'else if' : word
          )
          if (bare !== -1) return bare
        }
        this.#head = {
          kind: word === 'elif' || word === 'catch' ? 'continue' : 'open',
          lineIdx: this.#lines.length,
          col: this.#cur.length,
          depth: this.#paren,
          opened: false,
        }
        this.#append(word === 'elif' ? 'else if' : word)
        if (word === 'function' && this.#brace === 0) {
          const name = this.#wordAt(this.#skipBlank(e))
          if (name) this.#declared.add(name)
        }
        return e
      }
      case 'else':
      case 'try':
      case 'finally':
      case 'do': {
        const j = this.#skipBlank(e)
        if (src[j] === ':') {
          const opens = word === 'try' || word === 'do'
          this.#append(opens ? `${word} {` : `} ${word} {`)
          if (opens) this.#brace++
          this.#stmtStart = true
          return j + 1
        }
        if (word === 'else' && this.#wordAt(j) === 'if') {
          const bare = this.#bareHead(this.#skipBlank(j + 2), true, 'else if')
          if (bare !== -1) return bare
          this.#head = {
            kind: 'continue',
            lineIdx: this.#lines.length,
            col: this.#cur.length,
            depth: this.#paren,
            opened: false,
          }
          this.#append(src.slice(k, j + 2))
          return j + 2
        }
        break
      }
      case 'let':
      case 'const':
      case 'var':
      case 'class':
        if (this.#brace === 0) {
          const name = this.#wordAt(this.#skipBlank(e))
          if (name) this.#declared.add(name)
        }
        break
      default: {
        const j = this.#skipBlank(e)
        if (src[j] === '=' && src[j + 1] !== '=' && src[j + 1] !== '>' && isBindable(word)) {
          this.#assigned.add(word)
        }
      }
    }
    this.#append(word)
    return e
  }

  /**
   * Bottle's head with a condition that is not (wholly) in parentheses, such as
   * `% if user.admin:` or `% if (a) || b:`: the first `:` outside brackets, strings and
   * ternaries ends it on this line. Returns where the block body starts, or -1.
   */
  #bareHead(j: number, continues: boolean, keyword: string): number {
    const src = this.#src
    let depth = 0
    let ternary = 0
    let i = j
    while (i < src.length) {
      const c = src.charCodeAt(i)
      if (c === 10 || c === 13 || c === 96) return -1
      if (c === 47 && (src[i + 1] === '/' || src[i + 1] === '*')) return -1
      if (c === 34 || c === 39) {
        i = skipString(src, i)
        continue
      }
      // The head never spans a `;` or a `{` (a brace block); stopping there keeps the
      // scans of successive heads on one line apart, so the parse stays linear.
      if ((c === 59 || c === 123) && depth === 0) return -1
      if (c === 40 || c === 91 || c === 123) depth++
      else if (c === 41 || c === 93 || c === 125) {
        if (depth === 0) return -1
        depth--
      } else if (c === 63 && depth === 0) {
        // `??` and `?.` (optional chaining) are not the `?` of a ternary.
        const d = src.charCodeAt(i + 1)
        if (d === 63) i++
        else if (!(d === 46 && !(src.charCodeAt(i + 2) >= 48 && src.charCodeAt(i + 2) <= 57))) {
          ternary++
        }
      } else if (c === 58 && depth === 0) {
        if (ternary === 0) break
        ternary--
      }
      i++
    }
    if (i >= src.length) return -1
    const cond = src.slice(j, i).trim()
    if (!cond) return -1
    this.#noteHelpers(cond)
    this.#append(`${continues ? '} ' : ''}${keyword} (${cond}) {`)
    if (!continues) this.#brace++
    this.#head = null
    this.#stmtStart = true
    return i + 1
  }

  /** `end` closes a block when it stands alone: before the line end, `;`, a comment or `%>`. */
  #isEndKeyword(e: number): boolean {
    const src = this.#src
    const j = this.#skipBlank(e)
    if (j >= src.length || src[j] === '\n' || src[j] === ';' || src[j] === '#') return true
    if (src[j] === '\r' && src[j + 1] === '\n') return true
    if (src[j] === '/' && src[j + 1] === '/') return true
    const close = this.#syn.blockClose
    return src.startsWith(close, j) && this.#blankToEol(j + close.length)
  }

  /** After the `)` of a block head: `:` makes it Bottle's block form. */
  #closeHead(k: number): number {
    const head = this.#head!
    this.#head = null
    const j = this.#skipBlank(k)
    if (this.#src[j] !== ':') return k
    if (head.kind === 'continue') {
      if (head.lineIdx < this.#lines.length) {
        const l = this.#lines[head.lineIdx]!
        this.#lines[head.lineIdx] = l.slice(0, head.col) + '} ' + l.slice(head.col)
      } else {
        this.#inserts.push(head.col)
      }
    } else {
      this.#brace++
    }
    this.#append(' {')
    this.#stmtStart = true
    return j + 1
  }

  /** `setdefault('name', ...)` with a literal name makes `name` a template variable. */
  #noteSetdefault(e: number): void {
    const src = this.#src
    let j = this.#skipBlank(e)
    if (src[j] !== '(') return
    j = this.#skipBlank(j + 1)
    const q = src[j]
    if (q !== '"' && q !== "'") return
    // Only a short name on this line: a bounded look keeps the parse linear.
    let end = j + 1
    const limit = Math.min(src.length, j + 257)
    while (end < limit && src[end] !== q && src[end] !== '\n') end++
    if (src[end] !== q) return
    const name = src.slice(j + 1, end)
    if (isBindable(name) && !HELPER_SET.has(name)) {
      this.#assigned.add(name)
      this.#sync.push(name)
    }
  }

  #endCodeLine(): void {
    let code = this.#cur
    if (this.#inserts.length) {
      let out = ''
      let prev = 0
      for (const col of this.#inserts) {
        out += code.slice(prev, col) + '} '
        prev = col
      }
      code = out + code.slice(prev)
      this.#inserts = []
    }
    code = code.trimEnd()
    // Python's explicit line joining; JavaScript needs none.
    if (code.endsWith('\\')) code = code.slice(0, -1)
    if (this.#sync.length && this.#paren === 0) {
      code += `;${this.#sync.map((v) => `${v} = $$env[${JSON.stringify(v)}]`).join(';')};`
      this.#sync = []
    }
    if (this.#comment) code += ' ' + this.#comment
    const parts = code.split('\n')
    for (let i = 0; i < parts.length; i++) this.#emit(parts[i]!, this.#curLine + i)
    this.#cur = ''
    this.#last = ''
    this.#lastWord = ''
    this.#comment = ''
  }
}

/** Skips a quoted string from its opening quote; single-line unless it is a backtick string. */
function skipString(s: string, k: number): number {
  const q = s.charCodeAt(k)
  const n = s.length
  let i = k + 1
  while (i < n) {
    const c = s.charCodeAt(i)
    if (c === 92) i += 2
    else if (c === q) return i + 1
    else if (c === 10 && q !== 96) return i
    else i++
  }
  return n
}

/** Skips a regular expression literal from its opening slash, flags included. */
function skipRegex(s: string, k: number): number {
  const n = s.length
  let inClass = false
  let i = k + 1
  while (i < n) {
    const c = s.charCodeAt(i)
    if (c === 92) i += 2
    else if (c === 10) return i
    else {
      if (c === 91) inClass = true
      else if (c === 93) inClass = false
      else if (c === 47 && !inClass) {
        i++
        while (i < n && isIdentPart(s.charCodeAt(i))) i++
        return i
      }
      i++
    }
  }
  return n
}
