import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests talk to the emulator over real loopback HTTP; some wait on real (short) Retry-After delays.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores here: keep the worker count small so HTTP timing tests are not starved.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // On with `--coverage` (`npm test` passes it; a run of a few files does not, so it is not held to the whole
    // suite's thresholds). Only code run inside the test workers counts: `lib/` run by a child process (the CLI
    // and packaging tests) does not. The per-file table: `npx vitest run --coverage --coverage.reporter=text`.
    coverage: {
      provider: 'v8',
      include: ['lib/**'],
      reporter: ['text-summary'],
      // Just below what the whole suite measured when they were set (lines and statements 93.7-93.9 %,
      // functions 96.1 %, branches 89.7-90.0 %: timing moves a few branches), so that coverage cannot fall
      // unnoticed; raise them when it rises.
      thresholds: { lines: 93, statements: 93, functions: 96, branches: 89 },
    },
  },
});
