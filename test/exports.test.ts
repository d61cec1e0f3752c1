/**
 * The export surface of `bottle-ts`. The snapshot lists every public name, so an export
 * added or removed by accident shows up in review; update it on purpose with
 * `npx vitest run test/exports.test.ts -u`.
 */
import { describe, expect, it } from 'vitest'
import * as bottle from 'bottle-ts'

describe('public exports', () => {
  it('exports exactly these names', async () => {
    const mod = await import('../src/index.js')
    expect(Object.keys(mod).sort()).toMatchInlineSnapshot(`
      [
        "AutoServer",
        "BaseRequest",
        "BaseResponse",
        "BaseTemplate",
        "Bottle",
        "BottleException",
        "CGIServer",
        "ClusterServer",
        "ConfigDict",
        "DEBUG",
        "DEFAULT_LIMITS",
        "EtaTemplate",
        "FileUpload",
        "FormsDict",
        "HTTPError",
        "HTTPResponse",
        "HeaderDict",
        "Http2Server",
        "HttpsServer",
        "JSONPlugin",
        "Metrics",
        "MultiDict",
        "NORUN",
        "NodeServer",
        "PluginError",
        "Reloader",
        "RequestBody",
        "RequestLogger",
        "Route",
        "RouteBuildError",
        "RouteError",
        "RouteSyntaxError",
        "Router",
        "ServerAdapter",
        "SimpleTemplate",
        "SpooledFile",
        "StplSyntaxError",
        "TEMPLATES",
        "TEMPLATE_PATH",
        "TemplateError",
        "TemplatePlugin",
        "abort",
        "authBasic",
        "cookieDecode",
        "cookieEncode",
        "cookieIsEncoded",
        "current",
        "defaultApp",
        "del",
        "delete",
        "encodeQuery",
        "error",
        "get",
        "hook",
        "htmlEscape",
        "install",
        "mount",
        "patch",
        "pathShift",
        "post",
        "put",
        "redirect",
        "request",
        "response",
        "route",
        "run",
        "serverNames",
        "staticFile",
        "template",
        "uninstall",
        "url",
        "view",
        "withApp",
      ]
    `)
  })

  it('exports the DELETE shortcut as both del and delete', () => {
    expect(typeof bottle.del).toBe('function')
    expect(bottle.delete).toBe(bottle.del)
    expect('delete' in bottle && 'del' in bottle).toBe(true)
  })

  it('is the same module through the package name and the source path', async () => {
    const mod = await import('../src/index.js')
    expect(mod.Bottle).toBe(bottle.Bottle)
  })
})
