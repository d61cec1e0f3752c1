/**
 * Plugins: route-level `apply` (functions and objects, in Bottle's order), `skip` by
 * name and `true`, route config, and an app-wide plugin (the `plugins` app).
 * @module
 */
import { req, type Area } from '../runner.js'

const get = (path: string): ReturnType<typeof req> => req('GET', path)
const onPlugins = (path: string): { app: string; req: ReturnType<typeof req> } => ({
  app: 'plugins',
  req: req('GET', path),
})

/** The plugin cases. */
export const plugins: Area = {
  area: 'plugins',
  cases: [
    { name: 'a route plugin wraps the callback', req: get('/p/upper') },
    { name: 'the first listed route plugin is outermost', req: get('/p/order') },
    { name: 'skipping json leaves an object to be iterated', req: get('/p/skipjson') },
    { name: 'a plugin object sees its route', req: get('/p/object') },
    { name: 'extra route options become route config', req: get('/p/config') },
    { name: 'an installed plugin applies to every route', ...onPlugins('/pl/stamped') },
    { name: 'skip by name leaves one plugin out', ...onPlugins('/pl/skip-name') },
    { name: 'skip true leaves every plugin out, json included', ...onPlugins('/pl/skip-all') },
    { name: 'json and an installed plugin work together', ...onPlugins('/pl/dict') },
    { name: 'the app plugin does not run for a 404', ...onPlugins('/pl/none') },
  ],
}
