import { once } from 'node:events'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe } from 'vitest'
import type { Bottle } from 'bottle-ts'
import { TestClient, TestResponse, encodeMultipart, type TestRequestInit } from 'bottle-ts/testing'

/** A running server on 127.0.0.1:0 for an app; `close()` when done. */
export async function listen(
  app: Bottle
): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  const server = createServer(app.handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The subset of the test client that the matrix runs over both transports. */
export interface Client {
  request(method: string, url: string, init?: TestRequestInit): Promise<TestResponse>
  get(url: string, init?: TestRequestInit): Promise<TestResponse>
  post(url: string, init?: TestRequestInit): Promise<TestResponse>
  head(url: string, init?: TestRequestInit): Promise<TestResponse>
}

/** A client that talks to the app over a real socket, with the TestClient's interface. */
export class SocketClient implements Client {
  readonly #app: Bottle
  constructor(app: Bottle) {
    this.#app = app
  }
  async request(method: string, url: string, init: TestRequestInit = {}): Promise<TestResponse> {
    // Reuse the in-memory client's body encoding by asking it for headers/body is overkill;
    // bodies here are the simple kinds.
    const server = await listen(this.#app)
    try {
      const headers: Record<string, string | string[]> = { ...init.headers }
      let body: Buffer | undefined
      if (init.json !== undefined) {
        body = Buffer.from(JSON.stringify(init.json))
        headers['content-type'] ??= 'application/json'
      } else if (init.form) {
        body = Buffer.from(new URLSearchParams(init.form as Record<string, string>).toString())
        headers['content-type'] ??= 'application/x-www-form-urlencoded'
      } else if (init.multipart) {
        const boundary = '----bottle-ts-socket-' + Math.random().toString(16).slice(2)
        body = encodeMultipart(init.multipart, boundary)
        headers['content-type'] ??= `multipart/form-data; boundary=${boundary}`
      } else if (init.body !== undefined) body = Buffer.from(init.body)
      const path = init.query
        ? `${url}${url.includes('?') ? '&' : '?'}${new URLSearchParams(init.query as Record<string, string>).toString()}`
        : url
      return await new Promise((resolve, reject) => {
        const req = httpRequest(
          `${server.url}${path}`,
          { method, headers, agent: false },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () =>
              resolve(
                new TestResponse(
                  res.statusCode ?? 0,
                  res.statusMessage ?? '',
                  res.headers,
                  Buffer.concat(chunks)
                )
              )
            )
            res.on('error', reject)
          }
        )
        req.on('error', reject)
        req.end(body)
      })
    } finally {
      await server.close()
    }
  }
  get(url: string, init?: TestRequestInit): Promise<TestResponse> {
    return this.request('GET', url, init)
  }
  post(url: string, init?: TestRequestInit): Promise<TestResponse> {
    return this.request('POST', url, init)
  }
  head(url: string, init?: TestRequestInit): Promise<TestResponse> {
    return this.request('HEAD', url, init)
  }
}

/** Runs the cases once through the in-process client and once over a real socket. */
export function describeMatrix(
  name: string,
  cases: (client: (app: Bottle) => Client) => void
): void {
  describe(`${name} (in-process)`, () => cases((app) => new TestClient(app)))
  describe(`${name} (socket)`, () => cases((app) => new SocketClient(app)))
}
