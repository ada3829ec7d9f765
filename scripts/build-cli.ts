/**
 * `npm run build` (and `prepack`): builds the installable command, `dist/task-janitor.mjs`: one minified ESM
 * file with every runtime dependency inside, so an installed copy needs neither tsx nor a `node_modules`. The
 * licences of the bundled packages go to `dist/THIRD-PARTY-LICENSES.txt`, packed next to it: their notices
 * must travel with their code, and minification drops the comments that held some of them.
 */
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';

export interface BuildCliOptions {
  /** Repository root. @default the parent of `scripts/` */
  readonly rootDir?: string;
  /** @default `<rootDir>/dist` */
  readonly outDir?: string;
}

export interface BuildCliResult {
  readonly binPath: string;
  readonly binSizeBytes: number;
  readonly licensesPath: string;
  /** `name@version` of every bundled package, sorted. */
  readonly bundledPackages: readonly string[];
}

export const BIN_FILE = 'task-janitor.mjs';
export const LICENSES_FILE = 'THIRD-PARTY-LICENSES.txt';

// Some bundled packages are CommonJS and call require() for Node built-ins, which an ES module lacks.
const BANNER = [
  '#!/usr/bin/env node',
  "import { createRequire as __createRequire } from 'node:module';",
  'const require = __createRequire(import.meta.url);',
].join('\n');

export async function buildCli(options: BuildCliOptions = {}): Promise<BuildCliResult> {
  const rootDir = options.rootDir ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const outDir = options.outDir ?? path.join(rootDir, 'dist');
  const binPath = path.join(outDir, BIN_FILE);
  await mkdir(outDir, { recursive: true });

  const result = await build({
    absWorkingDir: rootDir,
    // cli/main.ts runs itself when it is the process' entry point, as the bundle is under the bin link.
    entryPoints: ['cli/main.ts'],
    outfile: binPath,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    // Error class names survive minification: messages and pino's `err.type` show them.
    keepNames: true,
    legalComments: 'none',
    banner: { js: BANNER },
    metafile: true,
    logLevel: 'warning',
  });
  await chmod(binPath, 0o755);

  const packages = await bundledPackages(rootDir, result.metafile);
  const licensesPath = path.join(outDir, LICENSES_FILE);
  await writeFile(licensesPath, renderLicenses(packages));
  const binSizeBytes = (await readFile(binPath)).length;
  return {
    binPath,
    binSizeBytes,
    licensesPath,
    bundledPackages: packages.map((p) => `${p.name}@${p.version}`),
  };
}

interface BundledPackage {
  readonly name: string;
  readonly version: string;
  readonly license: string;
  /** The package's own licence file, when it ships one. */
  readonly licenseText: string | undefined;
  readonly author?: string;
}

/** The packages esbuild took code from (the metafile's inputs under node_modules), with their licences. */
async function bundledPackages(rootDir: string, metafile: Metafile): Promise<BundledPackage[]> {
  const dirs = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const dir = packageDirOf(input);
    if (dir !== undefined) dirs.add(dir);
  }
  const packages: BundledPackage[] = [];
  for (const dir of dirs) {
    const manifest: unknown = JSON.parse(await readFile(path.join(rootDir, dir, 'package.json'), 'utf8'));
    const name = stringField(manifest, 'name') ?? dir;
    const version = stringField(manifest, 'version') ?? 'unknown';
    const license = stringField(manifest, 'license') ?? 'see the package';
    const author = stringField(manifest, 'author');
    packages.push({
      name,
      version,
      license,
      licenseText: await readLicenseText(path.join(rootDir, dir)),
      ...(author === undefined ? {} : { author }),
    });
  }
  return packages.sort((a, b) => a.name.localeCompare(b.name));
}

/** `node_modules/a/x.js` → `node_modules/a`; `node_modules/@s/b/node_modules/c/y.js` → `…/node_modules/c`. */
function packageDirOf(input: string): string | undefined {
  const parts = input.split('/');
  const last = parts.lastIndexOf('node_modules');
  if (last < 0) return undefined;
  const first = parts[last + 1];
  if (first === undefined) return undefined;
  const size = first.startsWith('@') ? 3 : 2;
  if (parts.length < last + size + 1) return undefined;
  return parts.slice(0, last + size).join('/');
}

function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field: unknown = (value as Record<string, unknown>)[key];
  return typeof field === 'string' ? field : undefined;
}

async function readLicenseText(dir: string): Promise<string | undefined> {
  const names = await readdir(dir);
  const file = names.find((n) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(n));
  return file === undefined ? undefined : (await readFile(path.join(dir, file), 'utf8')).trim();
}

function renderLicenses(packages: readonly BundledPackage[]): string {
  const sections = packages.map((p) =>
    [
      `${p.name} ${p.version} (${p.license})`,
      '',
      p.licenseText ??
        `License: ${p.license}${p.author === undefined ? '' : `, copyright ${p.author}`} (the package ships no licence file)`,
    ].join('\n'),
  );
  return [
    'task-janitor bundles the following packages into dist/task-janitor.mjs.',
    'Their licences and notices follow.',
    '',
    ...sections.flatMap((s) => ['-'.repeat(78), s, '']),
  ].join('\n');
}

const isMain =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  const result = await buildCli();
  const kib = (result.binSizeBytes / 1024).toFixed(1);
  // stderr: `npm pack --json` runs this at prepack and its stdout must stay JSON.
  process.stderr.write(
    `${path.relative(process.cwd(), result.binPath)}: ${result.binSizeBytes} bytes (${kib} KiB), bundling ${result.bundledPackages.join(', ')}\n`,
  );
}
