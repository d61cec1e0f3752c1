/**
 * Mounting (the `mount` app): a Bottle child under `/child/` keeps its own hooks and
 * error handlers and sees its own path, the parent's hooks run around it; a bare
 * handler (WSGI in app.py, Node `(req, res)` in app.ts) under `/raw/`.
 * @module
 */
import { req, type Area, type Case } from '../runner.js'

const on = (path: string, name: string, extra: Partial<Case> = {}): Case => ({
  name,
  app: 'mount',
  req: req('GET', path),
  ...extra,
})

// Bottle 0.12 replaces the parent's response with the child's; bottle-ts keeps what the
// parent's hooks set (mount-parent-hooks).
const keepsParent = {
  differs: 'mount-parent-hooks',
  ts: { headers: { 'x-parent': 'before' } },
  py: { headers: { 'x-parent': null } },
} as const

/** The mount cases. */
export const mount: Area = {
  area: 'mount',
  cases: [
    on('/', 'the parent serves its own routes'),
    on('/child/', 'the child root, with parent and child hooks', keepsParent),
    on('/child/info', 'the child sees its own path and the prefix as script name', keepsParent),
    on('/child/info?a=1', 'the query string reaches the child', keepsParent),
    on('/child/named/x', 'a child route with a wildcard', keepsParent),
    on('/child/url', 'the child builds its URLs under the prefix', keepsParent),
    on('/child/missing', "the child's own 404 handler"),
    on('/child/abort', 'an abort inside the child'),
    on('/child/redirect', 'a relative redirect inside the child', keepsParent),
    on('/child/json', 'the child keeps its JSON plugin', keepsParent),
    {
      name: 'a form posted to the child',
      app: 'mount',
      req: req('POST', '/child/post', {
        headers: [['Content-Type', 'application/x-www-form-urlencoded']],
        body: 'a=1',
      }),
      ...keepsParent,
    },
    on('/child-url', 'the parent builds the URL of a named child route', {
      differs: 'mount-get-url',
      ts: { status: 200, body: '/child/named/1' },
      py: { status: 500 },
    }),
    on('/child', 'the prefix without its slash'),
    on('/nothing', "the parent's 404 outside the mount"),
    on('/raw/some/path', 'a bare handler sees the shifted path', keepsParent),
    {
      name: 'a bare handler serves any method',
      app: 'mount',
      req: req('DELETE', '/raw/x'),
      ...keepsParent,
    },
    on('/raw/', 'a bare handler at its root', keepsParent),
    {
      name: 'HEAD through a mount',
      app: 'mount',
      req: req('HEAD', '/child/info'),
      ...keepsParent,
    },
  ],
}
