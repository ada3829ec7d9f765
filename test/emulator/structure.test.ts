/**
 * The emulator is an independent oracle made of small parts: no import of the code it judges (`lib/`), files
 * of at most 400 lines, functions of at most 80, and its own error for invalid options.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { EmulatorOptionsError } from '../../emulator/errors';
import { startEmulator } from '../../emulator/index';

const ROOT = join(import.meta.dirname, '../../emulator');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const FILES = sourceFiles(ROOT).map((path) => ({
  name: relative(ROOT, path),
  text: readFileSync(path, 'utf8'),
}));

/** Every module specifier the file imports or re-exports from. */
function specifiers(text: string): string[] {
  const file = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest);
  return file.statements.flatMap((statement) => {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) return [];
    const spec = statement.moduleSpecifier;
    return spec && ts.isStringLiteral(spec) ? [spec.text] : [];
  });
}

/** Functions, methods and arrow functions with their length in lines. */
function functionLengths(name: string, text: string): Array<{ where: string; lines: number }> {
  const file = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
  const out: Array<{ where: string; lines: number }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      out.push({ where: `${name}:${start + 1}`, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

describe('emulator structure', () => {
  it('finds the emulator sources', () => {
    expect(FILES.map((f) => f.name)).toEqual(expect.arrayContaining(['index.ts', 'services/sms.ts']));
  });

  it.each(FILES.map((f) => [f.name, f.text]))('%s imports nothing from lib/', (_name, text) => {
    expect(specifiers(text).filter((s) => /(^|\/)lib(\/|$)/.test(s))).toEqual([]);
  });

  it.each(FILES.map((f) => [f.name, f.text]))('%s has at most 400 lines', (_name, text) => {
    expect(text.split('\n').length).toBeLessThanOrEqual(400);
  });

  it('has no function over 80 lines', () => {
    const long = FILES.flatMap((f) => functionLengths(f.name, f.text)).filter((f) => f.lines > 80);
    expect(long).toEqual([]);
  });
});

describe('emulator options', () => {
  it('refuses invalid options with its own error, naming every bad field', async () => {
    const options = {
      tasks: -1,
      tasksPerService: { 'sms-migration-tasks': 1.5 },
      faults: [{ service: 'nope' }],
    };
    const error: unknown = await startEmulator(options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorOptionsError);
    const problems = error instanceof EmulatorOptionsError ? error.problems : [];
    expect(problems).toEqual([
      expect.stringMatching(/^tasks: /),
      expect.stringMatching(/^tasksPerService\.sms-migration-tasks: /),
      expect.stringMatching(/^faults\.0\.service: /),
    ]);
  });
});
