/**
 * `lib/` is made of small parts: no file over 400 lines, no function over 80. And the repository stands
 * alone: no file cites a document that is not in it (the old external API notes by section, an issue of the
 * tracker by number, the old external style guide by rule number, a sibling `shared` folder).
 *
 * Each allow-list names files that do not meet a rule yet because others were changing them when the rule
 * came; an entry must still be needed (the test fails once its file meets the rule: delete the entry then).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countLines, measureFunctions, readSourceFiles } from './support/structure';

const ROOT = join(import.meta.dirname, '..');
const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;

/** Files of `lib/` allowed over 400 lines: none (one that must be lists itself here, with why). */
const LONG_FILES_ALLOWED: ReadonlySet<string> = new Set<string>([]);

/** Files of `lib/` allowed a function over 80 lines: none (as above). */
const LONG_FUNCTIONS_ALLOWED: ReadonlySet<string> = new Set<string>([]);

/** Files that may still cite documents outside the repository: none (a new one lists itself here, with why). */
const CITATIONS_ALLOWED: ReadonlySet<string> = new Set<string>([]);

/**
 * A citation of a document outside the repository. Spelt so that this file does not match itself: the old
 * API notes by name or section sign, an issue by number, the old style guide, a sibling `shared` folder.
 */
const CITATION = new RegExp(
  ['REFEREN[C]E', '[Ii]ssues? ?#?[0-9]', '\\u00a7', 'STYL[E]', '\\.\\./shared'].join('|'),
);

/** What the citation check reads: the code, its configuration and the documentation. */
const SCANNED_FOLDERS = [
  'lib',
  'handlers',
  'cli',
  'emulator',
  'bench',
  'scripts',
  'test',
  'deploy',
  'docs',
  'examples',
];
const SCANNED_ROOT_FILES = [
  'tsconfig.json',
  'package.json',
  'biome.json',
  'vitest.config.ts',
  'serverless.yml',
  'README.md',
  'CONTRIBUTING.md',
];
/** Generated or installed output inside the scanned folders. */
const SKIPPED = new Set(['node_modules', 'dist', 'coverage', '.serverless', '.esbuild', 'results']);

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIPPED.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(path);
    return entry.isFile() ? [path] : [];
  });
}

function readTextFiles(): Array<{ name: string; text: string }> {
  const paths = [
    ...SCANNED_FOLDERS.flatMap((folder) => listFiles(join(ROOT, folder))),
    ...SCANNED_ROOT_FILES.map((file) => join(ROOT, file)).filter((path) => existsSync(path)),
  ];
  return paths
    .filter((path) => statSync(path).size < 2_000_000)
    .map((path) => ({ name: relative(ROOT, path).split('\\').join('/'), text: readFileSync(path, 'utf8') }))
    .filter((file) => !file.text.includes('\u0000'));
}

const LIB = readSourceFiles(join(ROOT, 'lib'), ROOT);
const TEXT_FILES = readTextFiles();

function longFunctions(name: string, text: string) {
  return measureFunctions(name, text).filter((f) => f.lines > MAX_FUNCTION_LINES);
}

describe('lib/ structure', () => {
  it('finds the lib/ sources', () => {
    expect(LIB.map((f) => f.name)).toEqual(expect.arrayContaining(['lib/cloud/client.ts', 'lib/execute.ts']));
  });

  it('has no file over 400 lines outside the allow-list', () => {
    const long = LIB.filter((f) => !LONG_FILES_ALLOWED.has(f.name) && countLines(f.text) > MAX_FILE_LINES);
    expect(long.map((f) => `${f.name}: ${countLines(f.text)} lines`)).toEqual([]);
  });

  it('has no function over 80 lines outside the allow-list', () => {
    const long = LIB.filter((f) => !LONG_FUNCTIONS_ALLOWED.has(f.name)).flatMap((f) =>
      longFunctions(f.name, f.text),
    );
    expect(long.map((f) => `${f.where}: ${f.lines} lines`)).toEqual([]);
  });

  it('needs every entry of its allow-lists', () => {
    const byName = new Map(LIB.map((f) => [f.name, f.text]));
    const stale = [
      ...[...LONG_FILES_ALLOWED].filter((name) => countLines(byName.get(name) ?? '') <= MAX_FILE_LINES),
      ...[...LONG_FUNCTIONS_ALLOWED].filter(
        (name) => longFunctions(name, byName.get(name) ?? '').length === 0,
      ),
    ];
    expect(stale).toEqual([]);
  });
});

describe('citations of documents outside the repository', () => {
  it('reads the code, the configuration and the documentation', () => {
    expect(TEXT_FILES.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        'lib/execute.ts',
        'tsconfig.json',
        'README.md',
        'deploy/functiongraph/otc/variables.tf',
      ]),
    );
  });

  it('finds none outside the allow-list', () => {
    const citing = TEXT_FILES.filter((f) => !CITATIONS_ALLOWED.has(f.name)).flatMap((f) =>
      f.text
        .split('\n')
        .map((line, index) => ({ line, index }))
        .filter(({ line }) => CITATION.test(line))
        .map(({ line, index }) => `${f.name}:${index + 1}: ${line.trim()}`),
    );
    expect(citing).toEqual([]);
  });

  it('needs every entry of the allow-list', () => {
    const texts = new Map(TEXT_FILES.map((f) => [f.name, f.text]));
    const stale = [...CITATIONS_ALLOWED].filter((name) => !CITATION.test(texts.get(name) ?? ''));
    expect(stale).toEqual([]);
  });
});
