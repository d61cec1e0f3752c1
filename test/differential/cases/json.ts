/**
 * JSON request bodies: media types, empty and invalid bodies.
 * @module
 */
import { req, type Area } from '../runner.js'

const post = (type: string | null, body: string): ReturnType<typeof req> =>
  req('POST', '/f/json', { headers: type ? [['Content-Type', type]] : [], body })

/** The JSON-body cases. */
export const json: Area = {
  area: 'json',
  cases: [
    { name: 'application/json is parsed', req: post('application/json', '{"a": [1, 2]}') },
    {
      name: 'a charset parameter is fine',
      req: post('application/json; charset=utf-8', '{"a": "\u00e4"}'),
    },
    { name: 'the media type is case-insensitive', req: post('Application/JSON', '{"a": 1}') },
    { name: 'text/plain is not JSON', req: post('text/plain', '{"a": 1}') },
    { name: 'no content type is not JSON', req: post(null, '{"a": 1}') },
    { name: 'an empty JSON body is null', req: post('application/json', '') },
    { name: 'a JSON scalar', req: post('application/json', '"text"') },
    { name: 'a JSON array', req: post('application/json', '[1, "two", null]') },
    {
      name: 'invalid JSON',
      req: post('application/json', '{"a": '),
      differs: 'invalid-json-400',
      ts: { status: 400 },
      py: { status: 500 },
    },
    {
      name: 'a +json media type',
      req: post('application/vnd.api+json', '{"a": 1}'),
      differs: 'json-media-types',
      ts: { body: 'json:{"json":{"a":1}}' },
      py: { body: 'json:{"json":null}' },
    },
    {
      name: 'JSON via PUT',
      req: req('PUT', '/f/json', {
        headers: [['Content-Type', 'application/json']],
        body: '{"put": true}',
      }),
    },
    { name: 'a JSON response to HEAD', req: req('HEAD', '/o/dict') },
  ],
}
