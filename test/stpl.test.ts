import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import {
  BaseTemplate,
  Bottle,
  DEBUG,
  EtaTemplate,
  HTTPError,
  HTTPResponse,
  SimpleTemplate,
  StplSyntaxError,
  TEMPLATES,
  TEMPLATE_PATH,
  TemplateError,
  template,
  view,
  type TemplateSettings,
} from 'bottle-ts'
import { TestClient } from 'bottle-ts/testing'
import { describeMatrix } from './_helpers.js'

const VIEWS = fileURLToPath(new URL('./fixtures/views/', import.meta.url))
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))

function render(source: string | SimpleTemplate, vars: Record<string, unknown> = {}): string {
  const tpl = typeof source === 'string' ? new SimpleTemplate({ source, lookup: [VIEWS] }) : source
  return tpl.render(vars)
}

/** Removes the common indentation of a multi-line literal (and its first empty line). */
function dedent(text: string): string {
  const lines = text.split('\n')
  if (lines[0]!.trim() === '') lines.shift()
  const indent = /^[ \t]*/.exec(lines[0]!)![0]
  return lines
    .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()))
    .join('\n')
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected an error')
}

afterEach(() => {
  TEMPLATES.clear()
  DEBUG.enabled = false
})

describe('SimpleTemplate: text and expressions', () => {
  it('renders an inline expression inside text', () => {
    expect(render('start {{v}} end', { v: 'var' })).toBe('start var end')
  })

  it('accepts self as a variable name', () => {
    expect(render('start {{self}} end', { self: 'var' })).toBe('start var end')
  })

  it('loads a template by relative file name', () => {
    const tpl = new SimpleTemplate({ name: './views/stpl_simple.tpl', lookup: [FIXTURES] })
    expect(tpl.render({ v: 'var' })).toBe('start var end\n')
  })

  it('loads a template by bare name with the .tpl extension', () => {
    const tpl = new SimpleTemplate({ name: 'stpl_simple', lookup: [VIEWS] })
    expect(tpl.render({ v: 'var' })).toBe('start var end\n')
    expect(tpl.filename).toBe(join(VIEWS, 'stpl_simple.tpl'))
  })

  it('renders unicode strings and decodes buffers as UTF-8', () => {
    expect(render('start {{v}} end', { v: 'äöü' })).toBe('start äöü end')
    expect(render('start {{v}} end', { v: Buffer.from('äöü') })).toBe('start äöü end')
  })

  it('reads template files as UTF-8', () => {
    const tpl = new SimpleTemplate({ name: 'stpl_unicode', lookup: [VIEWS] })
    expect(tpl.render({ v: 'äöü' })).toBe('start ñç äöü end\n')
  })

  it('lets code use globals and define helpers (the import case)', () => {
    const t = "% const b64 = (s) => Buffer.from(s).toString('base64')\nstart {{b64(v)}} end"
    expect(render(t, { v: 'var' })).toBe('start dmFy end')
  })

  it('renders values with String(): booleans, numbers, arrays, buffers; null and undefined empty', () => {
    expect(render('<{{v}}>', { v: true })).toBe('<true>')
    expect(render('<{{v}}>', { v: false })).toBe('<false>')
    expect(render('<{{v}}>', { v: null })).toBe('<>')
    expect(render('<{{v}}>', { v: undefined })).toBe('<>')
    expect(render('<{{v}}>', { v: 0 })).toBe('<0>')
    expect(render('<{{v}}>', { v: 5 })).toBe('<5>')
    expect(render('<{{v}}>', { v: Buffer.from('b') })).toBe('<b>')
    expect(render('<{{v}}>', { v: 1.5 })).toBe('<1.5>')
    expect(render('<{{v}}>', { v: [1, 2] })).toBe('<1,2>')
    expect(render('<{{!v}}>', { v: null })).toBe('<>')
  })

  it('escapes HTML in {{expr}}', () => {
    expect(render('<{{v}}>', { v: 'b' })).toBe('<b>')
    expect(render('<{{v}}>', { v: '<&>' })).toBe('<&lt;&amp;&gt;>')
    expect(render('{{v}}', { v: `"'` })).toBe('&quot;&#039;')
  })

  it('does not escape {{!expr}}', () => {
    expect(render('<{{!v}}>', { v: 'b' })).toBe('<b>')
    expect(render('<{{!v}}>', { v: '<&>' })).toBe('<<&>>')
  })

  it('swaps the two forms with the noescape setting', () => {
    let t = new SimpleTemplate({ source: '<{{v}}>', noescape: true })
    expect(t.render({ v: 'b' })).toBe('<b>')
    expect(t.render({ v: '<&>' })).toBe('<<&>>')
    t = new SimpleTemplate({ source: '<{{!v}}>', noescape: true })
    expect(t.render({ v: 'b' })).toBe('<b>')
    expect(t.render({ v: '<&>' })).toBe('<&lt;&amp;&gt;>')
  })

  it('uses escapeFunc in place of HTML escaping', () => {
    const t = new SimpleTemplate({ source: '{{v}}|{{!v}}', escapeFunc: (s) => s.toUpperCase() })
    expect(t.render({ v: 'ab<' })).toBe('AB<|ab<')
  })

  it('keeps }} inside string literals of an expression', () => {
    expect(render(`{{ v + '}}' }}`, { v: 'a' })).toBe('a}}')
    expect(render(`{{ "x" }} and {{ '}}{{' }}`)).toBe('x and }}{{')
  })

  it('leaves {{ without a closing }} on its line as text', () => {
    expect(render('a {{ b\n{{c}}', { c: 1 })).toBe('a {{ b\n1')
    expect(render('{{ "unterminated }}')).toBe('{{ "unterminated }}')
  })

  it('allows a comment inside an inline expression', () => {
    expect(render('{{ v // the value }}!', { v: 1 })).toBe('1!')
  })

  it('renders text without a trailing newline and an empty template', () => {
    expect(render('\n{{v}}', { v: 'x' })).toBe('\nx')
    expect(render('')).toBe('')
  })
})

describe('SimpleTemplate: code lines and blocks', () => {
  it('runs Bottle-style blocks that end with end', () => {
    const loop = 'start\n%for (const i of l):\n{{i}} \n%end\nend'
    expect(render(loop, { l: [1, 2, 3] })).toBe('start\n1 \n2 \n3 \nend')
    expect(render(loop, { l: [] })).toBe('start\nend')
    const cond = 'start\n%if (i):\n{{i}} \n%end\nend'
    expect(render(cond, { i: true })).toBe('start\ntrue \nend')
    expect(render(cond, { i: false })).toBe('start\nend')
  })

  it('allows whitespace between else and its colon', () => {
    expect(render('%if (1):\nyes\n%else:\nno\n%end\n')).toBe('yes\n')
    expect(render('%if (1):\nyes\n%else     :\nno\n%end\n')).toBe('yes\n')
  })

  it('does not take a # inside a string for a comment', () => {
    expect(render("%if ('#'):\nyes\n%end\n")).toBe('yes\n')
  })

  it('continues a block head over several % lines', () => {
    expect(render('%if (1 \\\n%&& 1):\nyes\n%end\n')).toBe('yes\n')
    expect(render('%if (1 &&\n% 1):\nyes\n%end\n')).toBe('yes\n')
  })

  it('continues brackets over several % lines', () => {
    expect(render('%a=[1,\n%2]\n{{a.length}}')).toBe('2')
  })

  it('keeps the block structure with one-line blocks (dedent bug)', () => {
    let t = '%if (x): a="if"\n%else: a="else"\n%end\n{{a}}'
    expect(render(t, { x: true })).toBe('if')
    expect(render(t, { x: false })).toBe('else')
    t = '%if (x):\n%a="if"\n%else: a="else"\n%end\n{{a}}'
    expect(render(t, { x: true })).toBe('if')
    expect(render(t, { x: false })).toBe('else')
    const err = thrown(() => render('%if (x): a="if"\n%else: a="else"\n%end'))
    expect(err).toBeInstanceOf(TemplateError)
    expect((err as TemplateError).message).toMatch(/Undefined variable 'x'/)
  })

  it('handles one-line blocks mixed with full blocks', () => {
    expect(render('%if (x):\n%a=1\n%end\n{{a}}', { x: true })).toBe('1')
    expect(render('%if (x): a=1; end\n{{a}}', { x: true })).toBe('1')
    const cases = [
      '%if (x):\n%a=1\n%else:\n%a=2\n%end\n{{a}}',
      '%if (x):   a=1\n%else:\n%a=2\n%end\n{{a}}',
      '%if (x):\n%a=1\n%else:   a=2; end\n{{a}}',
      '%if (x):   a=1\n%else:   a=2; end\n{{a}}',
    ]
    for (const t of cases) {
      expect(render(t, { x: true })).toBe('1')
      expect(render(t, { x: false })).toBe('2')
    }
  })

  it('runs a loop with its body and end on one line', () => {
    const t = "start\n%a=''\n%for (const i of l): a += String(i); end\n{{a}}\nend"
    expect(render(t, { l: [1, 2, 3] })).toBe('start\n123\nend')
    expect(render(t, { l: [] })).toBe('start\n\nend')
  })

  it('supports elif, while, try/catch/finally and function blocks', () => {
    const t = dedent(`
      % if (n === 1):
      one
      % elif (n === 2):
      two
      % else if (n === 3):
      three
      % else:
      many
      % end
    `)
    expect([1, 2, 3, 4].map((n) => render(t, { n }))).toEqual([
      'one\n',
      'two\n',
      'three\n',
      'many\n',
    ])
    expect(render('% i = 0\n% while (i < 3):\n{{i++}}\n% end\n')).toBe('0\n1\n2\n')
    const tc = '% try:\n% boom()\n% catch (e):\nfailed: {{e.message}}\n% finally:\ndone\n% end\n'
    expect(
      render(tc, {
        boom: () => {
          throw new Error('<x>')
        },
      })
    ).toBe('failed: &lt;x&gt;\ndone\n')
    expect(render('% try:\nok\n% catch:\nno\n% end\n')).toBe('ok\n')
    expect(render('% function li(x):\n<li>{{x}}</li>\n% end\n% li(1); li(2)\n')).toBe(
      '<li>1</li>\n<li>2</li>\n'
    )
  })

  it('accepts block comments in code and end as a variable name', () => {
    expect(render('<% /* a comment\n   over lines */ x = 1 %>\n{{x}}')).toBe('1')
    expect(render('% end = 2\n{{end}}')).toBe('2')
  })

  it('continues an elif head over several % lines', () => {
    const t = '% if (n === 1):\none\n% elif (n === 2 ||\n%   n === 3):\ntwo or three\n% end\n'
    expect([1, 2, 3, 4].map((n) => render(t, { n }))).toEqual([
      'one\n',
      'two or three\n',
      'two or three\n',
      '',
    ])
  })

  it('takes Bottle heads without parentheses: if, elif, else if and while', () => {
    const t = dedent(`
      % if n === 1:
      one
      % elif n === 2 || n === 3:
      two or three
      % else if n > 10 ? n < 20 : false:
      teens
      % else:
      other
      % end
    `)
    expect([1, 2, 3, 15, 30].map((n) => render(t, { n }))).toEqual([
      'one\n',
      'two or three\n',
      'two or three\n',
      'teens\n',
      'other\n',
    ])
    expect(render('% while i < 3: i++; end\n{{i}}', { i: 0 })).toBe('3')
    const user = { admin: true }
    expect(render('% if user?.admin ?? false: a = 1\n% else: a = 2\n% end\n{{a}}', { user })).toBe(
      '1'
    )
    expect(render("% if s === 'a:b':\nyes\n% end\n", { s: 'a:b' })).toBe('yes\n')
    expect(render('% if [{ a: 1 }][0].a:\nobj\n% end\n')).toBe('obj\n')
    expect(render('% if (a) || b:\nx\n% end\n', { a: 0, b: 1 })).toBe('x\n')
  })

  it('supports JavaScript brace blocks as well', () => {
    const t = '% if (x) {\nyes\n% } else {\nno\n% }\n% for (const i of [1, 2]) {\n{{i}}\n% }\n'
    expect(render(t, { x: true })).toBe('yes\n1\n2\n')
    expect(render(t, { x: false })).toBe('no\n1\n2\n')
  })

  it('treats \\% and %% at a line start as literal text', () => {
    expect(render('\\% test')).toBe('% test')
    expect(render('\\%% test')).toBe('%% test')
    expect(render('    \\% test')).toBe('    % test')
    expect(render('%% test\n')).toBe('% test\n')
    expect(render('  %% y z\nq')).toBe('% y z\nq')
    expect(render('\\<% not code %>')).toBe('<% not code %>')
    expect(render('a % b')).toBe('a % b')
  })

  it('joins a text line ending in \\\\ with the next line', () => {
    expect(render('start\\\\\n%;\nend')).toBe('startend')
  })

  it('keeps an escaped \\\\ that is not right before code', () => {
    expect(render('start\\\\\n\\\\\n%;\nend')).toBe('start\\\\\nend')
  })

  it('skips %# comment lines, which end the text before them', () => {
    expect(render('...\n%#test\n...')).toBe('...\n...')
    const tpl = new SimpleTemplate('...\n%#test\n...')
    expect(tpl.code.lines[0]).not.toBe('#test')
    expect(tpl.code.lines[0]).toContain('"...\\n"')
  })

  it('consumes whole code lines and keeps text whitespace as Bottle does', () => {
    // Expected outputs checked against Bottle's own SimpleTemplate.
    expect(render('  %  if (x):\n    A {{x}}\n  % end\nZ', { x: 1 })).toBe('    A 1\nZ')
    expect(render('pre\n%if (x):\n\n%end\npost', { x: 1 })).toBe('pre\n\npost')
    expect(render('a\n\n%x = 1\n\nb{{x}}\n')).toBe('a\n\n\nb1\n')
    expect(render('   <%  x = 5  %>   \n{{x}}')).toBe('5')
    expect(render('%  \n{{1}}')).toBe('1')
    expect(render('%if (x):\nin\\\\\n%end\nout', { x: 1 })).toBe('inout')
  })

  it('handles Windows line breaks', () => {
    expect(render('%v+=1\r\n{{v}}\r\n', { v: 5 })).toBe('6\r\n')
    const test = [1, 2, 3]
    expect(render('%for (const i of test):\n{{i}}\n%end\n', { test })).toBe('1\n2\n3\n')
    expect(render('%for (const i of test):\n{{i}}\r\n%end\n', { test })).toBe('1\r\n2\r\n3\r\n')
    expect(render('%for (const i of test):\r\n{{i}}\n%end\r\n', { test })).toBe('1\n2\n3\n')
    expect(render('%for (const i of test):\r\n{{i}}\r\n%end\r\n', { test })).toBe('1\r\n2\r\n3\r\n')
  })

  it('does not take a ternary in a code line for a block (#595)', () => {
    expect(render("% m = true ? 'x' : 'y'\n{{m}}")).toBe('x')
  })

  it('reads quotes and brackets inside regular expression literals as part of the regex', () => {
    const t = "% s = v.replace(/['(]/g, '')\n% if (x):\nyes {{s}}\n% end\n"
    expect(render(t, { v: "a'(b", x: true })).toBe('yes ab\n')
    expect(render('% a = 10 / 2 / 5\n{{a}}\n% b = (a) / 1; c = [a][0] / 1\n{{b}} {{c}}')).toBe(
      '1\n1 1'
    )
  })

  it('makes plain assignments template-wide variables', () => {
    expect(render('% if (true):\n% total = 3\n% end\n{{total}}')).toBe('3')
    expect(render('% let local = 1\n{{local}}', { local: 'ignored' })).toBe('1')
  })
})

describe('SimpleTemplate: <% %> blocks', () => {
  it('runs multi-line code blocks', () => {
    const source = dedent(`
      <% a = 5
      b = 6
      c = 7 %>
      {{a+b+c}}
    `)
    expect(render(source)).toBe('18\n')
    expect(render('<% a = 5\r\nb = 6\r\nc = 7\r\n%>\r\n{{a+b+c}}')).toBe('18')
  })

  it('ignores %> inside a string', () => {
    const source = dedent(`
      <% x=5 // a comment
         y = '%>' // a string
         // this is still code
         // lets end this %>
      {{x}}{{!y}}
    `)
    expect(render(source)).toBe('5%>\n')
  })

  it('ends a block with %> at the end of a comment only', () => {
    const source = dedent(`
      <% // a comment
         // %> ignore because not end of line
         // this is still code
         x=5
         // lets end this here %>
      {{x}}
    `)
    expect(render(source)).toBe('5\n')
  })

  it('ignores indentation inside a block', () => {
    const source = dedent(`
      <%   if (true):
             a = 2
               else:
                 a = 0
                   end
      %>
      {{a}}
    `)
    expect(render(source)).toBe('2\n')
  })

  it('accepts end right before %>', () => {
    const source = dedent(`
      <%   if (true):
             a = 2
           end %>
      {{a}}
    `)
    expect(render(source)).toBe('2\n')
  })

  it('reads the block-close token as code on a single code line (custom syntax)', () => {
    const tpl = new SimpleTemplate({
      source: 'cline eob=5; eob\nxxx\n',
      syntax: 'sob eob cline foo bar',
    })
    expect(tpl.render()).toBe('xxx\n')
    const custom = new SimpleTemplate({
      source: '[[ x = 2 ]]\n$ y = 3\n(( x * y ))',
      syntax: '[[ ]] $ (( ))',
    })
    expect(custom.render()).toBe('6')
  })

  it('lets a template string span several lines of a code line', () => {
    const source = '% a = `line 1\n      line 2`\n{{a}}\n'
    expect(render(source)).toBe('line 1\n      line 2\n')
  })

  it('continues an expression over several % lines', () => {
    const source = dedent(`
      % a = [
      %    0, 1, 2, 3, 4,
      % ].filter((i) => i % 2 === 0)
      %  .map((i) => i + 1)
      {{a}}
    `)
    expect(render(source)).toBe('1,3,5\n')
  })

  it('closes a block with end after ; on the same line', () => {
    expect(render('% if (1):\n%    1; end\nfoo\n')).toBe('foo\n')
  })
})

describe('SimpleTemplate: include, rebase and helpers', () => {
  it('includes another template with the given variables', () => {
    const tpl = new SimpleTemplate({ name: 'stpl_include', lookup: [VIEWS] })
    expect(tpl.render({ v: 'var' })).toBe('before\nstart var end\nafter\n')
  })

  it('shows the caller variables to an included template', () => {
    expect(render("% include('stpl_simple')", { v: 'from caller' })).toBe('start from caller end\n')
  })

  it('rebases onto a base template and passes functions along (t2 chain)', () => {
    const tpl = new SimpleTemplate({ name: 'stpl_t2main', lookup: [VIEWS] })
    expect(tpl.render({ content: '1234' })).toBe(
      '+base+\n+main+\n!1234!\n+include+\n-main-\n+include+\n-base-\n'
    )
  })

  it('passes the output as base to a layout', () => {
    const tpl = new SimpleTemplate({ name: 'page', lookup: [VIEWS] })
    expect(tpl.render({ n: 3 })).toBe('<title>Page 3</title>\n<p>3</p>\n\n')
  })

  it('reads variables with get(name, default)', () => {
    expect(render('{{get("x", "default")}}', { x: '1234' })).toBe('1234')
    expect(render('{{get("x", "default")}}')).toBe('default')
    expect(render('{{get("x")}}')).toBe('')
  })

  it('sets a missing variable with setdefault(name, value)', () => {
    const t = '%setdefault("x", "default")\n{{x}}'
    expect(render(t, { x: '1234' })).toBe('1234')
    expect(render(t)).toBe('default')
  })

  it('tells whether a variable exists with defined(name)', () => {
    expect(render('{{defined("x") ? x : "no"}}', { x: 'yes' })).toBe('yes')
    expect(render('{{defined("x") ? x : "no"}}')).toBe('no')
  })

  it('gives variable names that are not identifiers through get()', () => {
    expect(render('{{end}}-{{of}}', { end: 1, of: 2 })).toBe('1-2')
    expect(render('{{get("data-id")}} {{get("class")}}', { 'data-id': 7, class: 'c' })).toBe('7 c')
  })

  it('names the including template and line when an included template is missing', () => {
    const err = thrown(() => render("first\n% include('no_such_template')\n"))
    expect(err).toBeInstanceOf(TemplateError)
    expect((err as Error).message).toBe(
      "Template 'no_such_template' not found. (included from '<string>', line 2)"
    )
  })

  it('declares helpers used inside template strings', () => {
    expect(render("% s = `${get('x', 'd')}!`\n{{s}}")).toBe('d!')
  })

  it('stops a recursive include with a clear error', () => {
    const err = thrown(() => new SimpleTemplate({ name: 'loop', lookup: [VIEWS] }).render())
    expect(err).toBeInstanceOf(TemplateError)
    expect((err as Error).message).toMatch(/nested more than 64 deep.*loop\.tpl/)
  })

  it('merges class defaults under the render variables', () => {
    class Defaulted extends SimpleTemplate {
      static override defaults = { site: 'Bottle', who: 'nobody' }
    }
    expect(new Defaulted('{{site}}: {{who}}').render({ who: 'me' })).toBe('Bottle: me')
  })
})

describe('SimpleTemplate: errors', () => {
  it('needs a source or a name', () => {
    expect(() => new SimpleTemplate({})).toThrow('No template specified.')
  })

  it('reports a missing template by name', () => {
    const err = thrown(() => new SimpleTemplate({ name: 'abcdef', lookup: ['.'] }))
    expect(err).toBeInstanceOf(TemplateError)
    expect((err as Error).message).toBe("Template 'abcdef' not found.")
  })

  it('raises StplSyntaxError with the template line for bad code', () => {
    const err = thrown(() => new SimpleTemplate('ok\n\n%for badsyntax'))
    expect(err).toBeInstanceOf(StplSyntaxError)
    expect((err as StplSyntaxError).line).toBe(3)
    expect((err as StplSyntaxError).code).toBe('BOTTLE_TEMPLATE_SYNTAX')
    expect((err as Error).message).toMatch(/line 3/)
  })

  it('names the file and line of a syntax error in a template file', () => {
    const err = thrown(() => new SimpleTemplate({ name: 'broken', lookup: [VIEWS] }))
    expect(err).toBeInstanceOf(StplSyntaxError)
    expect((err as Error).message).toContain(join(VIEWS, 'broken.tpl'))
    expect((err as StplSyntaxError).template).toBe(join(VIEWS, 'broken.tpl'))
  })

  it('refuses an empty inline expression', () => {
    const err = thrown(() => new SimpleTemplate('a\nb {{ }}'))
    expect(err).toBeInstanceOf(StplSyntaxError)
    expect((err as Error).message).toBe("Empty inline expression in template '<string>', line 2")
    const named = thrown(() => new SimpleTemplate({ source: '{{!}}', name: 'x.tpl' }))
    expect((named as StplSyntaxError).template).toBe('x.tpl')
  })

  it('names the variable, template and line of an undefined variable', () => {
    const err = thrown(() =>
      new SimpleTemplate({ name: 'undefined_var', lookup: [VIEWS] }).render()
    )
    expect(err).toBeInstanceOf(TemplateError)
    const e = err as TemplateError
    expect(e.code).toBe('BOTTLE_TEMPLATE_UNDEFINED')
    expect(e.message).toBe(
      `Undefined variable 'missing_variable' in template '${join(VIEWS, 'undefined_var.tpl')}', line 3`
    )
    expect(e.line).toBe(3)
  })

  it('wraps runtime errors with the template line and keeps the cause', () => {
    const err = thrown(() => render('a\nb\n{{ i[5].x }}', { i: [0] }))
    expect(err).toBeInstanceOf(TemplateError)
    expect((err as TemplateError).line).toBe(3)
    expect((err as TemplateError).cause).toBeInstanceOf(TypeError)
    const inCode = thrown(() => render('a\n% const n = null\n% n.length\n'))
    expect((inCode as TemplateError).line).toBe(3)
  })

  it('reports an error in a function at the line of the template that defined it', () => {
    const err = thrown(() => new SimpleTemplate({ name: 'fn_def', lookup: [VIEWS] }).render())
    expect(err).toBeInstanceOf(TemplateError)
    expect((err as TemplateError).template).toBe(join(VIEWS, 'fn_def.tpl'))
    expect((err as TemplateError).line).toBe(3)
    expect((err as Error).message).toMatch(/reading 'deep'.*fn_def\.tpl', line 3$/)
  })

  it('lets HTTP responses thrown in a template through unchanged', () => {
    const err = thrown(() =>
      render('% fail()', {
        fail: () => {
          throw new HTTPError(401, 'no')
        },
      })
    )
    expect(err).toBeInstanceOf(HTTPError)
  })
})

describe('SimpleTemplate: safety', () => {
  it('escapes the String() of objects, so toString cannot smuggle markup', () => {
    const evil = { toString: () => '<script>alert(1)</script>' }
    expect(render('{{v}}', { v: evil })).toBe('&lt;script&gt;alert(1)&lt;/script&gt;')
    const prim = { [Symbol.toPrimitive]: () => '<b>' }
    expect(render('{{v}}', { v: prim })).toBe('&lt;b&gt;')
    const getter = {
      get html() {
        return '<i>'
      },
    }
    expect(render('{{v.html}}', { v: getter })).toBe('&lt;i&gt;')
    expect(render('{{v}}', { v: Symbol('<x>') })).toBe('Symbol(&lt;x&gt;)')
  })

  it('never compiles variable values as code', () => {
    const payload = '"); globalThis.__pwned = 1; ("'
    expect(render('{{v}}|{{!v}}', { v: payload })).toBe(
      '&quot;); globalThis.__pwned = 1; (&quot;|' + payload
    )
    expect((globalThis as Record<string, unknown>).__pwned).toBeUndefined()
  })

  it('treats odd variable names as data, not code', () => {
    const vars = JSON.parse('{"__proto__": {"polluted": 1}, "a;b": 2, "$$h": 3, "constructor": 4}')
    expect(render('{{get("a;b")}} {{constructor}} {{get("$$h")}}', vars)).toBe('2 4 3')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('compiles hostile templates in linear time', () => {
    // Each case repeats a hostile unit n times: a quadratic parse would need billions of
    // steps (minutes), a linear one takes well under a second.
    const n = 50_000
    const hostile = [
      '{{'.repeat(n),
      "{{'".repeat(n),
      '{{ "'.repeat(n) + '\n',
      '%'.repeat(n),
      '\\%\n'.repeat(n),
      '<% (' + '('.repeat(n) + '\n%>',
      '% ' + 'if ('.repeat(n),
      'x\\\\\n'.repeat(n),
      '{{ a }}'.repeat(n),
      '% ' + 'if (a) { '.repeat(n),
      '% ' + 'if a; '.repeat(n),
      '% ' + 'if a ? '.repeat(n) + ':',
      '% x = ' + '1 / '.repeat(n) + '1',
      '% if (a): x = 1; ' + 'elif (b): x = 2; '.repeat(n),
      '% ' + 'end; '.repeat(n),
    ]
    const started = performance.now()
    for (const source of hostile) {
      try {
        new SimpleTemplate(source)
      } catch (err) {
        expect(err).toBeInstanceOf(TemplateError)
      }
    }
    expect(performance.now() - started).toBeLessThan(10_000)
  })

  it('refuses names that leave the lookup path, and absolute names', () => {
    expect(() => new SimpleTemplate({ name: '../stpl.test.ts', lookup: [VIEWS] })).toThrow(
      /not found/
    )
    expect(
      () => new SimpleTemplate({ name: join(VIEWS, 'stpl_simple.tpl'), lookup: [VIEWS] })
    ).toThrow(/Absolute template name/)
  })
})

describe('template()', () => {
  it('renders a source string', () => {
    expect(template('start {{v}} end', { v: 'middle' })).toBe('start middle end')
  })

  it('tells source from name as Bottle does', () => {
    const lookup = [VIEWS]
    expect(template('stpl_simple', { v: 1 }, { templateLookup: lookup })).toBe('start 1 end\n')
    expect(template('stpl_simple.tpl', { v: 2 }, { templateLookup: lookup })).toBe('start 2 end\n')
    expect(template('page.html', { content: '<b>' }, { templateLookup: lookup })).toBe(
      '<html><b></html>\n'
    )
    expect(template('50%', {}, { templateLookup: lookup })).toBe('50%')
    expect(template('a $b', {}, { templateLookup: lookup })).toBe('a $b')
    expect(() => template('missing_one', {}, { templateLookup: lookup })).toThrow(
      "Template 'missing_one' not found."
    )
  })

  it('searches TEMPLATE_PATH by default', () => {
    expect(TEMPLATE_PATH).toEqual(['./', './views/'])
    TEMPLATE_PATH.push(VIEWS)
    try {
      expect(template('stpl_no_vars')).toBe('hihi')
    } finally {
      TEMPLATE_PATH.pop()
    }
  })

  it('caches compiled templates until TEMPLATES.clear()', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stpl-'))
    try {
      writeFileSync(join(dir, 'greet.tpl'), 'Hello {{who}}')
      const lookup = [dir]
      expect(template('greet', { who: 'a' }, { templateLookup: lookup })).toBe('Hello a')
      writeFileSync(join(dir, 'greet.tpl'), 'Bye {{who}}')
      expect(template('greet', { who: 'b' }, { templateLookup: lookup })).toBe('Hello b')
      TEMPLATES.clear()
      expect(template('greet', { who: 'c' }, { templateLookup: lookup })).toBe('Bye c')
      DEBUG.enabled = true
      writeFileSync(join(dir, 'greet.tpl'), 'Debug {{who}}')
      expect(template('greet', { who: 'd' }, { templateLookup: lookup })).toBe('Debug d')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('renders a template instance and applies template settings', () => {
    expect(template(new SimpleTemplate('<{{v}}>'), { v: '&' })).toBe('<&amp;>')
    expect(template('<{{v}}>', { v: '&' }, { templateSettings: { noescape: true } })).toBe('<&>')
  })

  it('renders through another adapter', () => {
    class Upper extends BaseTemplate {
      // prepare() runs inside the base constructor: before private fields exist.
      declare inner: SimpleTemplate
      prepare(settings: TemplateSettings): void {
        this.inner = new SimpleTemplate({
          ...settings,
          source: this.source,
          name: this.name,
          lookup: this.lookup,
        })
      }
      render(vars: Record<string, unknown> = {}): string {
        return this.inner.render(vars).toUpperCase()
      }
    }
    expect(template('hi {{v}}', { v: 'x' }, { templateAdapter: Upper })).toBe('HI X')
    expect(template('hi {{v}}', { v: 'x' })).toBe('hi x')
    expect(
      template('stpl_simple', { v: 'y' }, { templateAdapter: Upper, templateLookup: [VIEWS] })
    ).toBe('START Y END\n')
  })

  it('keeps class-wide settings set with globalConfig', () => {
    class Configured extends SimpleTemplate {}
    Configured.globalConfig('noescape', true)
    expect(Configured.globalConfig('noescape')).toBe(true)
    expect(SimpleTemplate.globalConfig('noescape')).toBeUndefined()
    expect(new Configured('{{v}}').render({ v: '<' })).toBe('<')
    expect(new SimpleTemplate('anything').render()).toBe('anything')
  })
})

describe('view()', () => {
  it('renders the object a function returns', () => {
    const fn = view('start {{v}} end')(() => ({ v: 'middle' }))
    expect(fn()).toBe('start middle end')
  })

  it('renders defaults when the function returns nothing (#407)', () => {
    TEMPLATE_PATH.push(VIEWS)
    try {
      expect(view('stpl_no_vars')(() => undefined)()).toBe('hihi')
    } finally {
      TEMPLATE_PATH.pop()
    }
    expect(view('aaa {{x}}', { x: 'bbb' })(() => null)()).toBe('aaa bbb')
    expect(view('aaa {{x}}', { x: 'bbb' })(() => ({ x: 'ccc' }))()).toBe('aaa ccc')
  })

  it('passes other results through', () => {
    const err = new HTTPError(401, 'no')
    expect(view('x {{y}}')(() => err)()).toBe(err)
    expect(view('x {{y}}')(() => 'plain')()).toBe('plain')
    expect(view('x {{y}}')(() => [1])()).toEqual([1])
  })

  it('works as a TC39 method decorator', () => {
    class Pages {
      constructor(readonly who: string) {}
      // The decorated method returns template text, hence `unknown`.
      @view('hello {{who}}')
      show(): unknown {
        return { who: this.who }
      }
    }
    expect(new Pages('<me>').show()).toBe('hello &lt;me&gt;')
  })

  it('awaits async handlers and keeps arguments and this', async () => {
    const fn = view('{{a}}-{{b}}')(async (a: number) => ({ a, b: 2 }))
    await expect(fn(1)).resolves.toBe('1-2')
    const obj = {
      name: 'me',
      show: view('{{n}}')(function (this: { name: string }) {
        return { n: this.name }
      }),
    }
    expect(obj.show()).toBe('me')
  })
})

describe('EtaTemplate (optional adapter)', () => {
  const eta = { templateAdapter: EtaTemplate, templateLookup: [VIEWS] }

  it('renders an Eta file with includes next to it, escaping as SimpleTemplate does', () => {
    const out = template('eta_page', { title: 'T<', items: ['a&', null, 'c'] }, eta)
    expect(out).toBe('<h1>T&lt;</h1>\n<ul>\n  <li>a&amp;</li>\n  <li></li>\n  <li>c</li>\n</ul>\n')
  })

  it('renders Eta source and keeps its cache apart from SimpleTemplate', () => {
    expect(template('x: <%= it.x %>{{x}}', { x: '<' }, eta)).toBe('x: &lt;{{x}}')
    expect(template('x: <%= it.x %>{{x}}', { x: '<' })).toBe('x: <%= it.x %>&lt;')
  })

  it('reports Eta errors as TemplateError naming the template', () => {
    const parse = thrown(() => template('Hi <%= it.name %{', {}, eta))
    expect(parse).toBeInstanceOf(TemplateError)
    expect((parse as TemplateError).code).toBe('BOTTLE_TEMPLATE_SYNTAX')
    const run = thrown(() => template('{<%= it.a.b %>', {}, eta))
    expect(run).toBeInstanceOf(TemplateError)
    expect((run as TemplateError).cause).toBeInstanceOf(TypeError)
    expect((run as Error).message).toMatch(/reading 'b'.*in template '<string>'/)
  })

  it('serves an Eta view from a route', async () => {
    const app = new Bottle()
    app.get(
      '/',
      view('eta_header', {}, eta)(() => ({ title: 'Eta & Bottle' }))
    )
    const res = await new TestClient(app).get('/')
    expect(res.text()).toBe('<h1>Eta &amp; Bottle</h1>\n')
  })
})

describeMatrix('templates in an app', (client) => {
  it('renders views and the template route option', async () => {
    const app = new Bottle()
    app.logError = () => {}
    app.get(
      '/hello/<name>',
      view('<b>Hello {{name}}</b>')(({ name }) => ({ name }))
    )
    app.get('/opt', { template: 'tpl {{a}} {{b}}' }, () => ({ a: 5 }))
    app.get('/opt2', { template: ['tpl {{a}} {{b}}', { b: 6 }] }, () => ({ a: 5 }))
    app.get('/list', { template: ['list', { templateLookup: [VIEWS] }] }, () => ({
      items: ['<a>', 'b'],
    }))
    app.get('/pass', { template: 'tpl {{a}}' }, () => 'not a dict')
    app.get('/none', { template: ['none {{b}}', { b: 6 }] }, () => undefined)
    app.get(
      '/denied',
      view('x {{y}}')(() => new HTTPResponse('nope', 401))
    )
    const c = client(app)
    const hello = await c.get('/hello/%3Cworld%3E')
    expect(hello.status).toBe(200)
    expect(hello.text()).toBe('<b>Hello &lt;world&gt;</b>')
    expect(hello.header('content-type')).toBe('text/html; charset=UTF-8')
    expect((await c.get('/opt2')).text()).toBe('tpl 5 6')
    expect((await c.get('/list')).text()).toBe('<ul>\n  <li>&lt;a&gt;</li>\n  <li>b</li>\n</ul>\n')
    expect((await c.get('/pass')).text()).toBe('not a dict')
    expect((await c.get('/none')).text()).toBe('none 6')
    const denied = await c.get('/denied')
    expect(denied.status).toBe(401)
    expect(denied.text()).toBe('nope')
    const missing = await c.get('/opt')
    expect(missing.status).toBe(500)
    expect(missing.text()).not.toContain('Undefined variable')
  })

  it('turns template errors into a 500 page that names the template in debug mode', async () => {
    const app = new Bottle({ debug: true })
    app.logError = () => {}
    app.get('/broken', () => template('broken', {}, { templateLookup: [VIEWS] }))
    app.get('/undef', () => template('undefined_var', {}, { templateLookup: [VIEWS] }))
    app.get('/fine', () => 'still up')
    const c = client(app)
    const broken = await c.get('/broken')
    expect(broken.status).toBe(500)
    expect(broken.text()).toContain('StplSyntaxError')
    expect(broken.text()).toContain('broken.tpl')
    const undef = await c.get('/undef')
    expect(undef.status).toBe(500)
    expect(undef.text()).toContain('Undefined variable &#039;missing_variable&#039;')
    expect(undef.text()).toContain('line 3')
    expect((await c.get('/fine')).text()).toBe('still up')
  })
})

describe('templates in an app (in-process only)', () => {
  it('hides the template location outside debug mode', async () => {
    const app = new Bottle()
    app.logError = () => {}
    app.get('/broken', () => template('broken', {}, { templateLookup: [VIEWS] }))
    const res = await new TestClient(app).get('/broken')
    expect(res.status).toBe(500)
    expect(res.text()).not.toContain('broken.tpl')
  })
})
