/**
 * Measures source files for the structure tests: the files of a folder, the modules a file imports, and the
 * length of every function, method and arrow function (read with the TypeScript parser, not by regex).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface SourceFile {
  /** Path relative to the folder given to `readSourceFiles`, with `/` separators. */
  readonly name: string;
  readonly text: string;
}

export interface FunctionLength {
  /** `file:line` of the function's first line. */
  readonly where: string;
  readonly lines: number;
}

/** Every `.ts` file under `dir`, recursively. */
export function listSourcePaths(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listSourcePaths(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every `.ts` file under `dir` with its text, named relative to `namesFrom` (default `dir`). */
export function readSourceFiles(dir: string, namesFrom = dir): SourceFile[] {
  return listSourcePaths(dir).map((path) => ({
    name: relative(namesFrom, path).split('\\').join('/'),
    text: readFileSync(path, 'utf8'),
  }));
}

/** Lines of a file as an editor counts them (a final newline does not start another line). */
export function countLines(text: string): number {
  return text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
}

/** Every module specifier the file imports or re-exports from. */
export function listSpecifiers(text: string): string[] {
  const file = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest);
  return file.statements.flatMap((statement) => {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) return [];
    const spec = statement.moduleSpecifier;
    return spec && ts.isStringLiteral(spec) ? [spec.text] : [];
  });
}

/** Functions, methods and arrow functions (with a body) and their length in lines, nested ones included. */
export function measureFunctions(name: string, text: string): FunctionLength[] {
  const file = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
  const out: FunctionLength[] = [];
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
