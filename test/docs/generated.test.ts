/**
 * The per-API facts the README and the deployment state are the descriptors' (`lib/sources/<api>/descriptor.ts`):
 * the README's generated tables are current (`npm run docs` rewrites them), and every FunctionGraph agency grants
 * the actions of every API its cloud documents.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DESCRIPTORS } from '../../lib/sources/catalog';
import { GENERATED_TABLES, renderGenerated } from '../../lib/sources/tables';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('documentation generated from the descriptors', () => {
  it('the README holds every generated table, as the descriptors render it today (npm run docs)', () => {
    const readme = read('README.md');
    for (const name of Object.keys(GENERATED_TABLES)) expect(readme).toContain(`<!-- generated:${name} -->`);
    expect(renderGenerated(readme)).toBe(readme);
  });

  it.each(['huaweicloud', 'otc'] as const)(
    'the %s FunctionGraph agency grants the actions of every API that cloud documents',
    (cloud) => {
      const variables = read(`deploy/functiongraph/${cloud}/variables.tf`);
      for (const descriptor of DESCRIPTORS.filter((d) => (d.clouds as readonly string[]).includes(cloud))) {
        for (const action of descriptor.permissions) {
          expect({ api: descriptor.id, granted: variables.includes(`"${action}"`) }).toEqual({
            api: descriptor.id,
            granted: true,
          });
        }
      }
    },
  );
});
