/**
 * Reads a V8 `.cpuprofile` (from `--cpu-prof`, e.g. `npm run bench -- --only=bottle-ts
 * --node-args="--cpu-prof --cpu-prof-dir=bench/.cache/prof"`) and prints the functions with
 * the most self time, and the share of time under each bottle-ts source file, so an
 * optimisation can quote its evidence without opening DevTools.
 *
 * usage: node bench/profile-top.mjs <file.cpuprofile | dir> [--top=25]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const [target, ...rest] = process.argv.slice(2)
if (!target) {
  process.stderr.write('usage: node bench/profile-top.mjs <file.cpuprofile | dir> [--top=25]\n')
  process.exit(2)
}
const top = Number((rest.find((a) => a.startsWith('--top=')) ?? '--top=25').slice(6))
let file = target
if (statSync(target).isDirectory()) {
  // The newest profile in the directory.
  const files = readdirSync(target)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(target, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
  if (!files.length) throw new Error(`no .cpuprofile in ${target}`)
  file = files[0]
}

const profile = JSON.parse(readFileSync(file, 'utf8'))
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map()
// Samples are node ids taken at a fixed interval; timeDeltas give each sample's weight.
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
})
const total = [...self.values()].reduce((a, b) => a + b, 0)
const fnSelf = new Map()
const fileSelf = new Map()
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = byId.get(id).callFrame
  const where = url
    ? `${url.replace(/^file:\/\/.*?\/(dist|node_modules|bench)\//, '$1/')}:${lineNumber + 1}`
    : ''
  const key = `${functionName || '(anonymous)'} ${where}`.trim()
  fnSelf.set(key, (fnSelf.get(key) ?? 0) + us)
  const group = url.includes('/dist/')
    ? url.replace(/^.*\/dist\//, 'dist/')
    : url.startsWith('node:')
      ? 'node internals'
      : url
        ? 'other JS'
        : functionName.startsWith('(')
          ? functionName
          : 'native'
  fileSelf.set(group, (fileSelf.get(group) ?? 0) + us)
}
const pct = (us) => ((100 * us) / total).toFixed(1).padStart(5) + '%'
process.stdout.write(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n\nSelf time by function:\n`)
for (const [k, us] of [...fnSelf].sort((a, b) => b[1] - a[1]).slice(0, top))
  process.stdout.write(`${pct(us)}  ${k}\n`)
process.stdout.write('\nSelf time by file:\n')
for (const [k, us] of [...fileSelf].sort((a, b) => b[1] - a[1]).slice(0, top))
  process.stdout.write(`${pct(us)}  ${k}\n`)
