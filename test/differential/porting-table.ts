/**
 * Prints the "Deliberate differences" tables of docs/porting.md from differences.ts:
 * `npx tsx test/differential/porting-table.ts`. The suite checks that the page lists the
 * same ids; this keeps writing the rows mechanical.
 * @module
 */
import { DIFFERENCES, type Difference } from './differences.js'

const KINDS: [Difference['kind'], string][] = [
  ['deliberate', 'On purpose (DESIGN.md "Which Bottle" and "Bad input")'],
  ['version', 'Where Bottle 0.12 differs from 0.13 (bottle-ts follows 0.13)'],
  ['server', 'Where the HTTP server differs (wsgiref against node:http), not the framework'],
]

const cell = (text: string): string => text.replace(/\|/g, '\\|')

/** The markdown of the section body. */
export function portingTables(): string {
  const parts: string[] = []
  for (const [kind, title] of KINDS) {
    const rows = DIFFERENCES.filter((d) => d.kind === kind)
    if (!rows.length) continue
    parts.push(`### ${title}\n`)
    parts.push('| id | area | Bottle | bottle-ts | why |')
    parts.push('| --- | --- | --- | --- | --- |')
    for (const d of rows)
      parts.push(
        `| \`${d.id}\` | ${d.area} | ${cell(d.bottle)} | ${cell(d.bottleTs)} | ${cell(d.why)} |`
      )
    parts.push('')
  }
  return parts.join('\n')
}

if (process.argv[1]?.endsWith('porting-table.ts')) process.stdout.write(portingTables())
