/**
 * Errors and error handlers: abort, uncaught exceptions, returned HTTPErrors, the default
 * error page, and app-wide handlers (the `errors` app) for router and callback errors.
 * @module
 */
import { req, type Area } from '../runner.js'

const get = (path: string): ReturnType<typeof req> => req('GET', path)
const onErrors = (path: string, method = 'GET'): { app: string; req: ReturnType<typeof req> } => ({
  app: 'errors',
  req: req(method, path),
})

/** The error cases. */
export const errors: Area = {
  area: 'errors',
  cases: [
    { name: 'abort renders the default error page', req: get('/e/abort') },
    { name: 'abort without arguments is a 500 "Unknown Error."', req: get('/e/abort-default') },
    { name: 'an uncaught exception is a 500 without details', req: get('/e/raise') },
    { name: 'a returned HTTPError renders like a thrown one', req: get('/e/return-error') },
    { name: 'headers set before abort are dropped', req: get('/e/headers-dropped') },
    { name: 'an HTTPError carries its own headers', req: get('/e/error-headers') },
    { name: 'the error message is HTML-escaped in the page', req: get('/e/escape') },
    { name: '418 has its reason phrase', req: get('/e/teapot') },
    { name: 'HEAD on an abort sends no body', req: req('HEAD', '/e/abort') },
    { name: 'an abort with an unknown code', req: get('/e/abort599') },
    { name: 'HEAD on a 404 with a 404 handler', ...onErrors('/nothing', 'HEAD') },
    { name: 'a router 404 uses the 404 handler', ...onErrors('/nothing') },
    { name: 'abort(404) uses the 404 handler', ...onErrors('/e2/abort404') },
    { name: 'a router 405 uses the 405 handler and keeps Allow', ...onErrors('/e2/post') },
    { name: 'an uncaught exception uses the 500 handler', ...onErrors('/e2/raise') },
    { name: 'a handler may change the status', ...onErrors('/e2/abort403') },
    {
      name: 'a handler returning an object bypasses the JSON plugin',
      ...onErrors('/e2/abort401'),
    },
    {
      name: 'a handler that throws yields the critical error page',
      ...onErrors('/e2/abort402'),
    },
    {
      name: 'a returned HTTPResponse(404) bypasses the 404 handler',
      ...onErrors('/e2/response404'),
    },
    { name: 'a handled route still answers normally', ...onErrors('/e2/post', 'POST') },
  ],
}
