/**
 * `npm run package:functiongraph`: builds `dist/functiongraph.zip` for FunctionGraph (runtime Node.js20.15,
 * handler `index.handler`): one minified CommonJS bundle `index.js` plus the policy files, at the same relative
 * paths as in the Lambda artifact (serverless.yml packages `examples/policy.yml` and points TASK_JANITOR_POLICY
 * at it), so the same TASK_JANITOR_POLICY value works on both platforms; the FunctionGraph handler resolves a
 * relative path against the code directory. Works offline: esbuild is a local dev dependency and the zip is
 * written here with node:zlib, so no `zip` binary is needed.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';

export interface PackageFunctionGraphOptions {
  /** Repository root. @default the parent of `scripts/` */
  readonly rootDir?: string;
  /** Where the zip is written. @default `<rootDir>/dist` */
  readonly outDir?: string;
  /** @default 'functiongraph.zip' */
  readonly zipName?: string;
}

export interface PackageFunctionGraphResult {
  readonly zipPath: string;
  readonly zipSizeBytes: number;
  /** Entry names in the zip, in order. */
  readonly entries: readonly string[];
}

/** Policy files packaged with index.js, at their repository paths (the default for Huawei Cloud and for OTC). */
export const PACKAGED_POLICIES: readonly string[] = ['examples/policy.yml', 'examples/otc-policy.yml'];

export async function packageFunctionGraph(
  options: PackageFunctionGraphOptions = {},
): Promise<PackageFunctionGraphResult> {
  const rootDir = options.rootDir ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const outDir = options.outDir ?? path.join(rootDir, 'dist');
  const zipPath = path.join(outDir, options.zipName ?? 'functiongraph.zip');

  const bundle = await build({
    absWorkingDir: rootDir,
    entryPoints: ['handlers/functiongraph/index.ts'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    write: false,
    outfile: 'index.js',
    legalComments: 'none',
    // Error class names survive minification: pino logs `err.type` from the constructor's name.
    keepNames: true,
    logLevel: 'warning',
  });
  const indexJs = bundle.outputFiles.find((file) => file.path.endsWith('index.js'));
  if (indexJs === undefined) throw new Error('esbuild produced no index.js');

  const files: ZipEntry[] = [{ name: 'index.js', data: Buffer.from(indexJs.contents) }];
  for (const name of PACKAGED_POLICIES) {
    files.push({ name, data: await readFile(path.join(rootDir, name)) });
  }
  const zip = writeZip(files);
  await mkdir(outDir, { recursive: true });
  await writeFile(zipPath, zip);
  return { zipPath, zipSizeBytes: zip.length, entries: files.map((file) => file.name) };
}

interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
}

// Fixed timestamp (2025-01-01 00:00) so that the same sources give the same zip, byte for byte.
const DOS_TIME = 0;
const DOS_DATE = ((2025 - 1980) << 9) | (1 << 5) | 1;

/** A minimal PKZIP writer (deflate, no zip64: the bundle is far below 4 GiB), APPNOTE 6.3 sections 4.3.7-4.3.16. */
export function writeZip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const compressed = deflateRawSync(entry.data, { level: 9 });
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, compressed);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the mode bits below are honoured)
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const centralDirectory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralDirectory, end]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (IEEE), as zip requires; node:zlib's own crc32 only exists from Node 20.15 / 22.2. */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const isMain =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  const result = await packageFunctionGraph();
  const kib = (result.zipSizeBytes / 1024).toFixed(1);
  process.stdout.write(
    `${path.relative(process.cwd(), result.zipPath)}: ${result.zipSizeBytes} bytes (${kib} KiB) [${result.entries.join(', ')}]\n`,
  );
}
