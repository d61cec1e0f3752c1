// Mounting: a Bottle sub-app and an Express app side by side under one server.
// Run: npx tsx examples/mount.ts, then open /blog/, /blog/post/1 and /shop/items
import express from 'express'
import { Bottle, request, response, run } from 'bottle-ts'

const blog = new Bottle()
blog.get('/', () => `Blog index (path ${request.path}, mounted at ${request.scriptName})`)
blog.get('/post/<id:int>', { name: 'post' }, ({ id }) => ({ id, url: blog.getUrl('post', { id }) }))
blog.error(404, () => 'No such blog page')

const shop = express()
shop.get('/items', (_req, res) => {
  res.json([{ id: 1, name: 'teapot' }])
})

const app = new Bottle()
app.get('/', () => '<a href="/blog/">blog</a> · <a href="/shop/items">shop</a>')
app.mount('/blog/', blog)
app.mount('/shop', shop)
// Parent hooks run around both mounted apps:
app.hook('after_request')(() => response.setHeader('X-Served-By', 'bottle-ts'))

run(app, { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) })
