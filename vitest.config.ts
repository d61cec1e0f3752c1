import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'
import { defineConfig, type Plugin } from 'vitest/config'

/**
 * Vite's default TypeScript transform does not lower TC39 decorators yet; esbuild does.
 * Files that use decorators go through esbuild first.
 */
function decorators(): Plugin {
  return {
    name: 'tc39-decorators',
    enforce: 'pre',
    async transform(code, id) {
      if (!id.endsWith('.ts') || !/^\s*@\w+/m.test(code)) return null
      const out = await transform(code, {
        loader: 'ts',
        target: 'es2022',
        sourcemap: true,
        sourcefile: id,
      })
      return { code: out.code, map: out.map }
    },
  }
}

export default defineConfig({
  plugins: [decorators()],
  resolve: {
    alias: {
      'bottle-ts/testing': fileURLToPath(new URL('./src/testing.ts', import.meta.url)),
      'bottle-ts': fileURLToPath(new URL('./src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
    coverage: { provider: 'v8', include: ['src/**/*.ts'], exclude: ['src/types.ts'] },
    testTimeout: 20000,
  },
})
