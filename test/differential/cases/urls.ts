/**
 * URL building with `getUrl`: wildcards, query, static rules and custom filters.
 * @module
 */
import { req, type Area } from '../runner.js'

const get = (path: string): ReturnType<typeof req> => req('GET', path)

/** The URL-building cases. */
export const urls: Area = {
  area: 'urls',
  cases: [
    { name: 'a named route with wildcards', req: get('/u/build') },
    { name: 'leftover values become the query', req: get('/u/build-query') },
    { name: 'a static named route', req: get('/u/build-static') },
    { name: 'a custom filter builds through its to-URL function', req: get('/u/build-custom') },
    { name: 'the built URL routes back', req: get('/u/user/5/bob') },
    { name: 'a value with a space', req: get('/u/build-space') },
    { name: 'an int filter given text', req: get('/u/build-int-text') },
    { name: 'query values are escaped', req: get('/u/build-query-escape') },
    { name: 'a missing wildcard value is a 500', req: get('/u/build-missing') },
    { name: 'the custom filter route', req: get('/u/c/abc') },
  ],
}
