/**
 * bottle-ts: Bottle, the Python micro web framework, for TypeScript on Node.js.
 * This file is the public surface only.
 * @module
 */
// App and routing
export {
  Bottle,
  DEBUG,
  type BottleOptions,
  type ErrorHandler,
  type HookName,
  type NodeHandler,
} from './app.js'
export { Router, Route, encodeQuery, type RouteFilter, type RouteMatch } from './router.js'
// Request / response bound to the current request
export { request, response, current, type RequestContext } from './context.js'
export { BaseRequest, pathShift, type GetCookieOptions, type UrlParts } from './request.js'
export {
  BaseResponse,
  type SetCookieOptions,
  type SameSite,
  type HeadersInit,
  type HeaderValue,
} from './response.js'
export {
  FormsDict,
  MultiDict,
  HeaderDict,
  ConfigDict,
  type ConfigKeys,
  type ConfigKey,
  type TrustProxy,
} from './structures.js'
export {
  FileUpload,
  RequestBody,
  SpooledFile,
  DEFAULT_LIMITS,
  type BodyLimits,
  type SaveOptions,
} from './body.js'
export { authBasic, type AuthBasicOptions, type BasicAuthCheck } from './auth.js'
export { cookieEncode, cookieDecode, cookieIsEncoded } from './cookies.js'
// Errors and output helpers
export {
  BottleException,
  RouteError,
  RouteSyntaxError,
  RouteBuildError,
  PluginError,
  HTTPResponse,
  HTTPError,
  abort,
  redirect,
} from './errors.js'
export { staticFile, type StaticFileOptions } from './static.js'
export { htmlEscape as htmlEscape } from './internal/http.js'
// Templates
export {
  SimpleTemplate,
  BaseTemplate,
  EtaTemplate,
  template,
  view,
  TEMPLATE_PATH,
  TEMPLATES,
  TemplateError,
  StplSyntaxError,
  type SimpleTemplateOptions,
  type SimpleTemplateSettings,
  type TemplateAdapter,
  type TemplateInit,
  type TemplateOptions,
  type TemplateSettings,
  type ViewHandler,
} from './template/index.js'
// Plugins and servers
export { JSONPlugin, TemplatePlugin, type JSONPluginOptions } from './plugins.js'
export {
  RequestLogger,
  Metrics,
  type LogEntry,
  type LogSink,
  type RequestLoggerOptions,
  type MetricsOptions,
} from './observability.js'
export {
  ServerAdapter,
  serverNames,
  AutoServer,
  NORUN,
  type AdapterClass,
  run,
  type RunOptions,
  type ServerHandle,
  type ServerOptions,
  type RequestHandler,
} from './server/index.js'
export {
  NodeServer,
  HttpsServer,
  type NodeServerOptions,
  type HttpsServerOptions,
} from './server/node.js'
export { Http2Server, type Http2ServerOptions } from './server/http2.js'
export { ClusterServer, type ClusterServerOptions } from './server/cluster.js'
export { CGIServer, type CGIServerOptions } from './server/cgi.js'
export { Reloader, type ReloaderOptions } from './server/reloader.js'
// Default app and module-level shortcuts
export {
  defaultApp,
  withApp,
  route,
  get,
  post,
  put,
  patch,
  del,
  del as delete,
  error,
  hook,
  install,
  uninstall,
  mount,
  url,
  type AppStack,
  type RouteRegistrar,
  type Shortcut,
} from './default-app.js'
export type {
  Callback,
  Handler,
  Plugin,
  PluginLike,
  RouteArgs,
  RouteOptions,
  RouteParams,
  RouteNames,
  SkipEntry,
  UrlParams,
} from './types.js'
