/**
 * The coverage of `lib/` cannot fall unnoticed: `npm test` measures it, `vitest.config.ts` holds it to a
 * threshold for each measure, and the README and CONTRIBUTING state the thresholds the config holds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import config from '../vitest.config';

const ROOT = join(import.meta.dirname, '..');
const MEASURES = ['lines', 'statements', 'functions', 'branches'] as const;

function readText(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8');
}

/** The thresholds of the config, by measure; fails the test when one is not a number. */
function thresholds(): Record<(typeof MEASURES)[number], number> {
  const coverage: unknown = config.test?.coverage;
  const set: unknown =
    typeof coverage === 'object' && coverage !== null ? Reflect.get(coverage, 'thresholds') : {};
  const read = (measure: string): number => {
    const value: unknown = typeof set === 'object' && set !== null ? Reflect.get(set, measure) : undefined;
    if (typeof value !== 'number')
      throw new Error(`coverage.thresholds.${measure}: expected a number, got ${value}`);
    return value;
  };
  return {
    lines: read('lines'),
    statements: read('statements'),
    functions: read('functions'),
    branches: read('branches'),
  };
}

describe('coverage of lib/', () => {
  it('is measured by npm test', () => {
    const manifest = JSON.parse(readText('package.json')) as { scripts: Record<string, string> };
    expect(manifest.scripts.test).toMatch(/(^|&& )vitest run --coverage$/);
  });

  it('counts lib/ only, with v8, and holds each measure to a threshold between 50 and 100 %', () => {
    expect(config.test?.coverage).toMatchObject({ provider: 'v8', include: ['lib/**'] });
    for (const measure of MEASURES) {
      expect(thresholds()[measure]).toBeGreaterThanOrEqual(50);
      expect(thresholds()[measure]).toBeLessThanOrEqual(100);
    }
  });

  type Thresholds = ReturnType<typeof thresholds>;
  it.each([
    ['README.md', (t: Thresholds) => `lines ${t.lines} %, statements ${t.statements} %`],
    [
      'CONTRIBUTING.md',
      (t: Thresholds) =>
        t.lines === t.statements
          ? `lines and statements ${t.lines} %`
          : `lines ${t.lines} %, statements ${t.statements} %`,
    ],
  ])('%s states the thresholds the config holds', (file, linesAndStatements) => {
    const t = thresholds();
    const text = readText(file).replace(/\s+/g, ' ');
    expect(text).toContain(`${linesAndStatements(t)}, functions ${t.functions} %, branches ${t.branches} %`);
  });
});
