/**
 * HTTP Basic authentication (Bottle's `auth_basic`): a decorator that wraps a route
 * callback and answers 401 with a `WWW-Authenticate` challenge unless `request.auth`
 * holds credentials that `check` accepts.
 * @module
 */
import { current } from './context.js'
import { HTTPError } from './errors.js'

/** Options of `authBasic`. */
export interface AuthBasicOptions {
  /** The realm named in the challenge (default `'private'`). */
  realm?: string
  /** The body of the 401 response (default `'Access denied'`). */
  text?: string
}

/** Decides whether a user name and password are valid; may be async. */
export type BasicAuthCheck = (user: string, password: string) => boolean | Promise<boolean>

/**
 * Wraps a route callback so that it runs only for requests with valid Basic
 * credentials; others get `401` and `WWW-Authenticate: Basic realm="..."`.
 *
 * Security: Basic credentials travel in clear text, so serve such routes over HTTPS;
 * `check` should compare passwords in constant time (`crypto.timingSafeEqual`) and
 * should not reveal which part was wrong.
 */
export function authBasic(
  check: BasicAuthCheck,
  options: AuthBasicOptions = {}
): <A, R>(callback: (args: A) => R) => (args: A) => R | HTTPError | Promise<R | HTTPError> {
  const { realm = 'private', text = 'Access denied' } = options
  if (/[\r\n\0"\\]/.test(realm)) {
    throw new TypeError('authBasic realm must not contain quotes, backslashes, CR, LF or NUL')
  }
  const challenge = (): HTTPError =>
    new HTTPError(401, text, undefined, undefined, {
      'WWW-Authenticate': `Basic realm="${realm}"`,
    })
  return (callback) => (args) => {
    const credentials = current().request.auth
    if (!credentials) return challenge()
    const ok = check(credentials[0], credentials[1])
    if (typeof ok !== 'boolean')
      return Promise.resolve(ok).then((v) => (v ? callback(args) : challenge()))
    return ok ? callback(args) : challenge()
  }
}
