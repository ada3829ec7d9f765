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
  },
});
