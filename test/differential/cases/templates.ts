/**
 * SimpleTemplate: the same templates in Python (app.py) and JavaScript (app.ts)
 * expressions, rendered through `template()`, the `template` route option and `view()`.
 * Whitespace counts: bodies are compared byte for byte.
 * @module
 */
import { req, type Area, type Case } from '../runner.js'

const t = (key: string, name: string, extra: Partial<Case> = {}): Case => ({
  name,
  req: req('GET', `/t/${key}`),
  ...extra,
})

/** The template cases. */
export const templates: Area = {
  area: 'templates',
  requires: 'template',
  cases: [
    t('escaped', '{{expr}} escapes HTML'),
    t('raw', '{{!expr}} does not escape'),
    t('unicode', 'non-ASCII text and values'),
    t('arithmetic', 'expressions are evaluated'),
    t('method', 'method calls in expressions'),
    t('none', 'a null value renders empty', {
      differs: 'template-none',
      ts: { body: '[]' },
      py: { body: '[None]' },
    }),
    t('for', 'a for loop with % lines, indentation of text kept'),
    t('for-empty', 'a loop over nothing leaves no lines'),
    t('if', 'if/elif/else takes the elif branch'),
    t('if-else', 'if/elif/else takes the else branch'),
    t('indented-code', 'indented % lines are code'),
    t('nested', 'nested loops and a \\\\ line join'),
    t('block', '<% %> blocks run code and leave no line'),
    t('assign', 'an assignment in a % line defines a variable'),
    t('continuation', 'a line ending in \\\\ joins the next'),
    t('escaped-percent', '\\% at a line start is text'),
    t('comment', '%# comment lines leave no line'),
    t('text-only', 'plain text passes through'),
    t('no-trailing-newline', 'no newline is added at the end'),
    t('inline-in-text', 'several inline expressions on one line'),
    t('string-with-braces', '}} inside a string literal'),
    t('get', 'get(name, default)'),
    t('defined', 'defined(name)'),
    t('setdefault', 'setdefault(name, value)'),
    t('include', 'include renders another template in place'),
    t('rebase', 'rebase wraps the output in a layout'),
    t('file', 'a template found by name on TEMPLATE_PATH'),
    t('undefined', 'an undefined variable is a 500'),
    t('missing-file', 'a missing template file', {
      differs: 'template-error-500',
      ts: { body: /message=Internal Server Error$/ },
      py: { status: 500, body: /message=Template &#039;no_such_template&#039; not found.$/ },
    }),
    { name: 'the template route option renders a returned object', req: req('GET', '/t-plugin') },
    {
      name: 'the template route option passes a string through',
      req: req('GET', '/t-plugin-string'),
    },
    { name: 'view() renders a returned object', req: req('GET', '/t-view') },
    { name: 'view() renders its defaults for null', req: req('GET', '/t-view-defaults') },
  ],
}
