/**
 * `npm run docs`: rewrites the README's generated per-API tables from the descriptors (`lib/sources/tables.ts`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderGenerated } from '../lib/sources/tables';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const before = readFileSync(readme, 'utf8');
const after = renderGenerated(before);
if (after !== before) writeFileSync(readme, after);
process.stdout.write(
  after === before ? 'README.md is up to date\n' : 'README.md: generated tables rewritten\n',
);
