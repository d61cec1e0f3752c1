/**
 * Public types: callbacks, route options, route-parameter inference from Bottle rules,
 * plugins and run options.
 * @module
 */
import type { Bottle } from './app.js'
import type { Route } from './router.js'

/** What a route callback receives: the URL wildcards, converted by their filters. */
export type RouteArgs = Record<string, unknown>

/** A route callback after plugins: wildcards in, any castable value (or a Promise) out. */
export type Callback = (args: RouteArgs) => unknown

/** A route callback as written by users, with typed wildcards. */
export type Handler<P = RouteArgs> = (args: P) => unknown

/** A Bottle API v2 plugin object. */
export interface Plugin {
  /** A unique name: installing another plugin with the same name replaces nothing but is skipped per route. */
  name?: string
  /** Plugin API version; bottle-ts implements version 2. */
  api?: number
  /** Called once by `app.install`. */
  setup?(app: Bottle): void
  /** Wraps a route's callback; called once per route, lazily, and cached. */
  apply(callback: Callback, route: Route): Callback
  /** Called by `app.uninstall` and `app.close`. */
  close?(): void
}

/** A plugin: an object with `apply`, or a function `(callback, route) => callback`. */
export type PluginLike = Plugin | ((callback: Callback, route: Route) => Callback)

/** Something that can be skipped on a route: a plugin, its class, its name, or `true` for all. */
export type SkipEntry = PluginLike | string | boolean | (abstract new (...args: never[]) => unknown)

/** Options of `app.route()` and the method shortcuts; other keys become `route.config`. */
export interface RouteOptions {
  /** One method or a list (`'GET'` by default for `route`). */
  method?: string | string[]
  /** A name for `app.getUrl`. */
  name?: string
  /** Plugins to apply to this route only. */
  apply?: PluginLike | PluginLike[]
  /** Plugins not to apply to this route. */
  skip?: SkipEntry | SkipEntry[]
  /** Free config keys, readable as `route.config.get(key)`. */
  [key: string]: unknown
}

type Trim<S extends string> = S extends ` ${infer R}`
  ? Trim<R>
  : S extends `${infer R} `
    ? Trim<R>
    : S

/** The value type of a wildcard filter. */
type FilterValue<F extends string> = F extends 'int' | 'float' ? number : string

/** One `<...>` wildcard's contribution to the params object. */
type WildcardParam<W extends string> = W extends `:${string}`
  ? unknown // anonymous wildcard: no key
  : W extends `${infer Name}:${infer Filter}:${string}`
    ? { [K in Trim<Name>]: FilterValue<Filter> }
    : W extends `${infer Name}:${infer Filter}`
      ? { [K in Trim<Name>]: FilterValue<Filter> }
      : W extends ''
        ? unknown
        : { [K in W]: string }

type Merge<T> = { [K in keyof T]: T[K] }

/** The name of an old-syntax wildcard: `id` of `:id#[0-9]+#`, `name` of `:name.json`. */
type OldName<N extends string> = N extends `${infer Name}#${string}`
  ? OldName<Name>
  : N extends `${infer Name}.${string}`
    ? OldName<Name>
    : N extends `${infer Name}-${string}`
      ? OldName<Name>
      : N

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (
  x: infer I
) => void
  ? I
  : never
type IsUnion<T, C = T> = T extends unknown ? ([C] extends [T] ? false : true) : never

/**
 * The params object inferred from a Bottle rule: `RouteParams<'/user/<id:int>'>` is
 * `{ id: number }`; `<x>`, `<x:path>` and `<x:re:...>` are strings; a non-literal rule
 * gives `Record<string, unknown>`.
 */
export type RouteParams<Rule extends string> = string extends Rule
  ? RouteArgs
  : true extends IsUnion<Rule>
    ? // Several rules share one callback: a wildcard missing from some rules may be absent.
      Merge<Partial<UnionToIntersection<SingleRouteParams<Rule>>>>
    : SingleRouteParams<Rule>

type SingleRouteParams<Rule extends string> = string extends Rule
  ? RouteArgs
  : Rule extends `${string}<${infer W}>${infer Rest}`
    ? Merge<WildcardParam<W> & SingleRouteParams<Rest>>
    : Rule extends `${string}/:${infer Name}/${infer Rest}`
      ? Merge<{ [K in OldName<Name>]: string } & SingleRouteParams<`/${Rest}`>>
      : Rule extends `${string}/:${infer Name}`
        ? { [K in OldName<Name>]: string }
        : // eslint-disable-next-line @typescript-eslint/no-empty-object-type
          {}

/**
 * Named routes and their rules, for typed URL building. Declare yours through
 * declaration merging and `app.getUrl('user', { id: 1 })` checks the parameters:
 * `declare module 'bottle-ts' { interface RouteNames { user: '/user/<id:int>' } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface RouteNames {}

/** The parameters `getUrl` needs for a declared route name (any other name: a record). */
export type UrlParams<N extends string> = N extends keyof RouteNames
  ? RouteNames[N] extends string
    ? RouteParams<RouteNames[N]> & Record<string, unknown>
    : Record<string, unknown>
  : Record<string, unknown>
