import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanup, fetchText, load, serve, signal, sleep, tempDir } from './fixtures/apps/process.js'

afterAll(cleanup)

const pidOf = (body: string): number => Number(/(\d+)$/.exec(body)?.[1])

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

// Each worker is a fresh Node process with tsx: allow for a busy machine.
describe('cluster adapter', { timeout: 90_000 }, () => {
  it('re-forks a worker killed with SIGKILL under load', async () => {
    const { proc, address } = await serve({
      port: 0,
      server: 'cluster',
      workers: 2,
      restartDelay: 50,
    })
    const url = `http://127.0.0.1:${(address as AddressInfo).port}/slow?ms=20`
    const first = await Promise.all(Array.from({ length: 8 }, () => fetchText(url)))
    const before = [...new Set(first.map((r) => pidOf(r.body)))]
    expect(before).toHaveLength(2)
    let stop = false
    const known = new Set(before)
    const seen = new Set<number>()
    const hasNewWorker = (): boolean => [...seen].some((pid) => !known.has(pid))
    const running = load(
      () => url,
      8,
      () => stop,
      (body) => seen.add(pidOf(body))
    )
    await sleep(300)
    process.kill(before[0]!, 'SIGKILL')
    await proc.waitFor(/Worker \d+ died \(SIGKILL\); restarting in 50 ms/)
    // Keep the load on until the re-forked worker answers too.
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline && !hasNewWorker()) await sleep(100)
    await sleep(200)
    stop = true
    const result = await running
    // Requests in flight on the killed worker are lost; everything else must succeed.
    console.log(
      `cluster kill -9 under load: ${result.ok} ok, ${result.failed} failed (${[...new Set(result.errors)].join(', ') || 'none'})`
    )
    expect(result.ok).toBeGreaterThan(50)
    expect(result.failed).toBeLessThanOrEqual(8)
    const after = await Promise.all(Array.from({ length: 12 }, () => fetchText(url)))
    const pidsAfter = new Set(after.map((r) => pidOf(r.body)))
    expect(pidsAfter.size).toBe(2)
    expect(pidsAfter.has(before[0]!)).toBe(false)
    expect(pidsAfter.has(before[1]!)).toBe(true)
    signal(proc, 'SIGTERM')
    expect((await proc.exited).code).toBe(0)
  })

  it('reloads all workers one by one on SIGHUP without dropping a request', async () => {
    const { proc, address } = await serve({ port: 0, server: 'cluster', workers: 2 })
    const url = `http://127.0.0.1:${(address as AddressInfo).port}/slow?ms=50`
    const first = await Promise.all(Array.from({ length: 8 }, () => fetchText(url)))
    const before = new Set(first.map((r) => pidOf(r.body)))
    let stop = false
    const running = load(
      () => url,
      8,
      () => stop
    )
    await sleep(300)
    signal(proc, 'SIGHUP')
    await proc.waitFor(/Reloaded 2 workers/, 50_000)
    await sleep(300)
    stop = true
    const result = await running
    console.log(`cluster rolling reload under load: ${result.ok} ok, ${result.failed} failed`)
    expect(result.errors).toEqual([])
    expect(result.ok).toBeGreaterThan(50)
    const served = new Set(result.bodies.map(pidOf))
    const fresh = [...served].filter((pid) => !before.has(pid))
    expect(fresh.length).toBeGreaterThanOrEqual(2)
    for (const pid of before) expect(alive(pid)).toBe(false)
    expect(proc.stderr).not.toMatch(/died/)
    signal(proc, 'SIGTERM')
    expect((await proc.exited).code).toBe(0)
  })

  it('runs N workers sharing a Unix socket; SIGTERM stops them all and exits 0', async () => {
    const path = join(tempDir(), 'app.sock')
    const { proc, address } = await serve({ host: `unix:${path}`, server: 'cluster', workers: 2 })
    expect(address).toBe(path)
    expect(proc.stderr).toContain('using ClusterServer(workers=2)')
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => fetchText({ socketPath: path, path: '/' }))
    )
    const pids = new Set(replies.map((r) => pidOf(r.body)))
    expect(pids.size).toBe(2)
    expect(pids.has(proc.child.pid!)).toBe(false)
    signal(proc, 'SIGTERM')
    expect((await proc.exited).code).toBe(0)
    for (const pid of pids) expect(alive(pid)).toBe(false)
  })
})
