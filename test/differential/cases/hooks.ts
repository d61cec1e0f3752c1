/**
 * Hooks (the `hooks` app): two before_request and two after_request hooks add to
 * `X-Trace`, so the header shows which ran and in which order.
 * @module
 */
import { req, type Area } from '../runner.js'

const on = (path: string, method = 'GET'): { app: string; req: ReturnType<typeof req> } => ({
  app: 'hooks',
  req: req(method, path),
})

/** The hook cases. */
export const hooks: Area = {
  area: 'hooks',
  cases: [
    { name: 'before hooks in order, the handler, after hooks in reverse', ...on('/h/ok') },
    { name: 'hooks run for HEAD too', ...on('/h/ok', 'HEAD') },
    {
      name: 'after_request headers survive a 405',
      ...on('/h/ok', 'POST'),
      differs: 'after-request-on-errors',
      ts: { headers: { 'x-trace': ['a2', 'a1'] } },
      py: { status: 405, headers: { 'x-trace': null } },
    },
    {
      name: 'after_request headers survive an abort',
      ...on('/h/abort'),
      differs: 'after-request-on-errors',
      ts: { headers: { 'x-trace': ['a2', 'a1'] } },
      py: { headers: { 'x-trace': null } },
    },
    {
      name: 'after_request headers survive a router 404',
      ...on('/h/missing'),
      differs: 'after-request-on-errors',
      ts: { headers: { 'x-trace': ['a2', 'a1'] } },
      py: { headers: { 'x-trace': null } },
    },
    {
      name: 'after_request headers survive a 500',
      ...on('/h/raise'),
      differs: 'after-request-on-errors',
      ts: { headers: { 'x-trace': ['a2', 'a1'] } },
      py: { headers: { 'x-trace': null } },
    },
    {
      name: 'after_request headers survive a returned HTTPResponse',
      ...on('/h/response'),
      differs: 'after-request-on-errors',
      ts: { headers: { 'x-trace': ['a2', 'a1'] } },
      py: { headers: { 'x-trace': null } },
    },
    {
      name: 'an HTTPResponse thrown by a before hook is the response',
      ...on('/h/blocked'),
      differs: 'after-request-on-errors',
      ts: { status: 403, body: 'blocked', headers: { 'x-trace': ['a2', 'a1'] } },
      py: { status: 403, body: 'blocked', headers: { 'x-trace': null } },
    },
    {
      name: 'a redirect keeps the before_request headers',
      ...on('/h/redirect'),
      differs: 'after-request-on-errors',
      ts: { status: 303, headers: { 'x-trace': ['b1', 'b2', 'a2', 'a1'] } },
      py: { status: 303, headers: { 'x-trace': ['b1', 'b2'] } },
    },
  ],
}
