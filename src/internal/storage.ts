/**
 * The one AsyncLocalStorage that binds a request and its response to the async work it
 * starts. A leaf module so that errors, request and response code can reach it without
 * import cycles; context.ts builds the public `request` / `response` objects on it.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { ServerResponse } from 'node:http'
import type { BaseRequest } from '../request.js'
import type { BaseResponse } from '../response.js'

/** What the storage holds for one request. */
export interface RequestContext {
  request: BaseRequest
  response: BaseResponse
  /** Node's response, when the request came from a Node server. */
  res?: ServerResponse
  /** The app whose after_request hooks already ran early (for a mounted Node handler). */
  afterDone?: object
}

/** The request-context storage; `run` once per request in `app.handle`. */
export const storage: AsyncLocalStorage<RequestContext> = new AsyncLocalStorage<RequestContext>()

/** The current context, or `undefined` outside a request. */
export function currentOrNull(): RequestContext | undefined {
  return storage.getStore()
}
