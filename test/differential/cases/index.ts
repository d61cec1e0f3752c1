/**
 * Every area of the differential suite, in the order the summary prints them.
 * @module
 */
import type { Area } from '../runner.js'
import { cookies } from './cookies.js'
import { errors } from './errors.js'
import { forms } from './forms.js'
import { hooks } from './hooks.js'
import { json } from './json.js'
import { mount } from './mount.js'
import { uploads } from './multipart.js'
import { output } from './output.js'
import { plugins } from './plugins.js'
import { query } from './query.js'
import { redirects } from './redirects.js'
import { routing } from './routing.js'
import { staticFiles } from './static.js'
import { templates } from './templates.js'
import { urls } from './urls.js'

/** All areas. */
export const AREAS: Area[] = [
  routing,
  output,
  errors,
  redirects,
  hooks,
  plugins,
  urls,
  query,
  forms,
  json,
  cookies,
  staticFiles,
  templates,
  mount,
  uploads,
]
