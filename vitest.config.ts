import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
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
