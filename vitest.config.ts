import { defineConfig } from 'vitest/config';

// Tests run the TypeScript sources directly. Child-process tests (crash, packaging) run the
// compiled dist/ build, which `npm test` produces first.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
