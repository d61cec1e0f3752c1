/**
 * The notes example in a real browser: Debian's Chromium, driven by playwright-core over
 * a real socket, logs in through the form, creates a note with an attachment, downloads
 * it, and logs out. It checks what only a browser shows: redirects followed after form
 * posts, a multipart body the browser built, a download by `Content-Disposition`, and a
 * cookie jar that drops the signed cookie on logout. Skipped when Chromium is missing.
 * @module
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Bottle } from 'bottle-ts'
import { COOKIE, DEMO_USER, makeApp } from '../examples/notes/app.js'
import { listen } from './_helpers.js'

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium) {
  console.warn(`browser.test.ts: skipped, no Chromium at ${CHROMIUM} (apt-get install -y chromium)`)
}
// Flags that keep Chromium quiet and offline apart from the app under test; Playwright
// adds --headless itself for `headless: true`.
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

describe('notes app in Chromium', () => {
  let work: string
  let app: Bottle | undefined
  let server: Awaited<ReturnType<typeof listen>> | undefined

  beforeAll(async () => {
    if (!hasChromium) return
    work = mkdtempSync(join(tmpdir(), 'bottle-ts-browser-'))
    // As `npm run notes` would be started, with the data directory from the environment.
    process.env.NOTES_DATA = join(work, 'data')
    ;({ app } = await makeApp({ secret: 'browser secret' }))
    delete process.env.NOTES_DATA
    server = await listen(app)
  })
  afterAll(async () => {
    await server?.close()
    app?.close()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it.skipIf(!hasChromium)(
    hasChromium
      ? 'logs in, uploads an attachment, downloads it and logs out'
      : `needs Chromium at ${CHROMIUM} (apt-get install -y chromium): skipped`,
    async () => {
      const base = server!.url
      const context = await chromium.launchPersistentContext(join(work, 'profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: FLAGS,
        acceptDownloads: true,
        timeout: 15_000,
      })
      try {
        context.setDefaultTimeout(5_000)
        const page = context.pages()[0] ?? (await context.newPage())

        // Not logged in: the app redirects to the form, styled by the static stylesheet.
        await page.goto(`${base}/`)
        expect(new URL(page.url()).pathname).toBe('/login')
        // Strings, not functions: these run in the page, and the project has no DOM types.
        const width = await page.evaluate<string>('getComputedStyle(document.body).maxWidth')
        expect(width).toBe('640px')

        // A wrong password shows the error on the form and sets no cookie.
        await page.fill('#username', DEMO_USER.username)
        await page.fill('#password', 'wrong')
        await page.click('#login')
        await expect.poll(() => page.locator('[role=alert]').textContent()).toContain('Wrong')
        expect(await context.cookies()).toEqual([])

        await page.fill('#password', DEMO_USER.password)
        await Promise.all([page.waitForURL(`${base}/`), page.click('#login')])
        const [cookie] = await context.cookies()
        expect(cookie).toMatchObject({ name: COOKIE, httpOnly: true, sameSite: 'Lax' })
        // HttpOnly: the page's scripts cannot see it.
        expect(await page.evaluate<string>('document.cookie')).toBe('')

        // A note with an attachment, through the real multipart form.
        const bytes = Buffer.from('attached \u00e9\u00e8 bytes\n\u0000\u0001', 'utf8')
        await page.fill('#title', 'From the browser')
        await page.fill('#body', 'Written in <Chromium>')
        await page.setInputFiles('#attachment', {
          name: 'hello.txt',
          mimeType: 'text/plain',
          buffer: bytes,
        })
        await Promise.all([page.waitForURL(/\/notes\/1$/), page.click('#save')])
        expect(await page.locator('h1').textContent()).toBe('From the browser')
        expect(await page.locator('.body').textContent()).toBe('Written in <Chromium>')

        // Listed on the index page.
        await page.goto(`${base}/`)
        const item = page.locator('ul.notes li')
        expect(await item.count()).toBe(1)
        expect(await item.locator('a').textContent()).toBe('From the browser')
        expect(await item.locator('.attachment').textContent()).toContain('hello.txt')

        // The attachment downloads with its name and the very bytes sent.
        await page.goto(`${base}/notes/1`)
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.click('#download'),
        ])
        expect(download.suggestedFilename()).toBe('hello.txt')
        expect(readFileSync(await download.path()).equals(bytes)).toBe(true)
        expect(readFileSync(join(work, 'data', 'uploads', '1', 'hello.txt')).equals(bytes)).toBe(
          true
        )

        mkdirSync('test-results', { recursive: true })
        await page.goto(`${base}/`)
        await page.screenshot({ path: join('test-results', 'notes.png'), fullPage: true })

        // Logging out deletes the signed cookie from the browser.
        await Promise.all([page.waitForURL(`${base}/login`), page.click('#logout')])
        expect((await context.cookies()).filter((c) => c.name === COOKIE)).toEqual([])
        await page.goto(`${base}/`)
        expect(new URL(page.url()).pathname).toBe('/login')
      } finally {
        await context.close()
      }
    },
    30_000
  )
})
