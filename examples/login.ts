/**
 * A login with a signed cookie: the server signs the user name with a secret, so a
 * client can read but not forge it. Run with `npx tsx examples/login.ts`, then open
 * http://127.0.0.1:8080/login (user `admin`, password `hunter2`).
 */
import { timingSafeEqual } from 'node:crypto'
import { Bottle, request, response, redirect, run } from 'bottle-ts'

const SECRET = process.env.COOKIE_SECRET ?? 'change me: a long random string'
const USERS: Record<string, string> = { admin: 'hunter2' }

function checkLogin(user: string, password: string): boolean {
  const expected = Buffer.from(USERS[user] ?? '')
  const given = Buffer.from(password)
  return expected.length > 0 && expected.length === given.length && timingSafeEqual(expected, given)
}

const app = new Bottle()

app.get(
  '/login',
  () => `<!DOCTYPE html>
<title>Login</title>
<form action="/login" method="post">
  <p>Username: <input name="username" type="text"></p>
  <p>Password: <input name="password" type="password"></p>
  <p><input value="Login" type="submit"></p>
</form>`
)

app.post('/login', () => {
  const username = request.forms.get('username', '')
  const password = request.forms.get('password', '')
  if (!checkLogin(username, password)) {
    response.status = 401
    return '<p>Login failed.</p>'
  }
  // Signed (HMAC-SHA256 over JSON), HttpOnly, and gone after an hour.
  response.setCookie(
    'account',
    { user: username, since: Date.now() },
    {
      secret: SECRET,
      httponly: true,
      samesite: 'lax',
      maxAge: 3600,
      path: '/',
    }
  )
  redirect('/restricted')
})

app.get('/restricted', () => {
  // A tampered, foreign or missing cookie reads as the default.
  const account = request.getCookie('account', { secret: SECRET, default: null }) as {
    user: string
  } | null
  if (!account) redirect('/login')
  return `<p>Welcome back, ${account.user}. <a href="/logout">Log out</a></p>`
})

app.get('/logout', () => {
  response.deleteCookie('account', { path: '/' })
  redirect('/login')
})

run(app, { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) })
