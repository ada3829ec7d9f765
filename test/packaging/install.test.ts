/**
 * The package as a user gets it: `npm pack` here (which builds the bundle at prepack), the tarball installed
 * into an empty prefix, offline, with an empty npm cache, and the installed `task-janitor` run from a folder
 * outside the repository against the emulator running as its own process.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../lib/report';
import { waitFor } from '../cli/run-cli';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `command ...args` with exactly `env`, collecting its output until it exits. */
function run(
  command: string,
  args: readonly string[],
  { cwd, env }: { cwd: string; env: Record<string, string> },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface PackedFile {
  readonly path: string;
  readonly size: number;
}

interface PackResult {
  readonly filename: string;
  /** Bytes of the .tgz. */
  readonly size: number;
  readonly entryCount: number;
  readonly files: readonly PackedFile[];
}

let tmp: string;
/** Only what npm and node need: no NODE_OPTIONS loader from the test runner, no user npm config or cache. */
let baseEnv: Record<string, string>;
let packed: PackResult;
let installDir: string;
let bin: string;
/** A folder outside the repository, where the installed command runs. */
let workDir: string;
let emulator: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
let emulatorEnv: Record<string, string>;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'task-janitor-install-'));
  for (const dir of ['home', 'cache', 'pack', 'prefix', 'work']) await mkdir(join(tmp, dir));
  workDir = join(tmp, 'work');
  baseEnv = {
    PATH: process.env.PATH ?? '',
    HOME: join(tmp, 'home'),
    NODE_OPTIONS: '',
    npm_config_cache: join(tmp, 'cache'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };

  const pack = await run('npm', ['pack', '--json', '--pack-destination', join(tmp, 'pack')], {
    cwd: REPO_ROOT,
    env: baseEnv,
  });
  if (pack.code !== 0) throw new Error(`npm pack failed (${pack.code}): ${pack.stderr}`);
  const [result] = JSON.parse(pack.stdout) as PackResult[];
  if (result === undefined) throw new Error(`npm pack printed no result: ${pack.stdout}`);
  packed = result;

  // --offline and an empty cache: the install must need nothing from a registry.
  const install = await run(
    'npm',
    ['install', '--global', '--prefix', join(tmp, 'prefix'), '--offline', join(tmp, 'pack', packed.filename)],
    { cwd: workDir, env: baseEnv },
  );
  if (install.code !== 0) throw new Error(`npm install failed (${install.code}): ${install.stderr}`);
  installDir = join(tmp, 'prefix', 'lib', 'node_modules', 'task-janitor');
  bin = join(tmp, 'prefix', 'bin', 'task-janitor');

  // The emulator as its own process, as an operator starts it; the purge finds it through its export lines.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'emulator/cli.ts', '--tasks', '300', '--seed', '11', '--credentials', 'aksk'],
    { cwd: REPO_ROOT, env: baseEnv, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  emulator = child;
  let printed = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    printed += chunk;
  });
  await waitFor(
    () => /^# .*\n(#.*\n)*#\s+export OS_DOMAIN_NAME=.*\n$/m.test(printed) || child.exitCode !== null,
    'the emulator to print its environment',
    60_000,
  );
  emulatorEnv = Object.fromEntries(
    [...printed.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
  );
}, 120_000);

afterAll(async () => {
  if (emulator !== undefined && emulator.exitCode === null) {
    const exited = new Promise((resolve) => emulator?.once('exit', resolve));
    emulator.kill('SIGTERM');
    await exited;
  }
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

/** The installed command, from the work folder, with `env` (plus PATH and HOME) only. */
function taskJanitor(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return run(bin, args, { cwd: workDir, env: { ...baseEnv, ...env } });
}

async function packageVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

describe('npm pack', () => {
  it('packs the bundle, its licences, the example policies, README, LICENSE and package.json: nothing else', () => {
    expect(packed.files.map((f) => f.path).sort()).toEqual([
      'LICENSE',
      'README.md',
      'dist/THIRD-PARTY-LICENSES.txt',
      'dist/task-janitor.mjs',
      'examples/oms-only.json',
      'examples/otc-policy.yml',
      'examples/policy.yml',
      'package.json',
    ]);
  });

  it('is the size and file count the README states', async () => {
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
    const stated = /tarball of (\d+) files, about (\d+) KiB/.exec(readme);
    expect(stated, 'README: "tarball of N files, about K KiB"').not.toBeNull();
    expect(Number(stated?.[1])).toBe(packed.entryCount);
    const statedKiB = Number(stated?.[2]);
    const actualKiB = packed.size / 1024;
    expect(
      Math.abs(actualKiB - statedKiB) / statedKiB,
      `README says about ${statedKiB} KiB, the tarball is ${actualKiB.toFixed(1)} KiB`,
    ).toBeLessThan(0.2);
  });
});

describe('the installed package', () => {
  it('declares no dependency and has no node_modules: the bin carries everything', async () => {
    const manifest = JSON.parse(await readFile(join(installDir, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(existsSync(join(installDir, 'node_modules'))).toBe(false);
    expect((await readdir(join(tmp, 'prefix', 'lib', 'node_modules'))).sort()).toEqual(['task-janitor']);
    expect(relative(REPO_ROOT, workDir).startsWith('..')).toBe(true);
  });

  it('prints its version with --version, and in --help', async () => {
    const version = await packageVersion();

    const shown = await taskJanitor(['--version']);
    const help = await taskJanitor(['--help']);

    expect(shown).toMatchObject({ code: 0, stdout: `task-janitor ${version}\n`, stderr: '' });
    expect(help.code).toBe(0);
    expect(help.stdout.split('\n')[0]).toBe(`task-janitor ${version}`);
    expect(help.stdout).toContain('task-janitor purge [options]');
  });

  it('validates its example policy', async () => {
    const result = await taskJanitor(['validate', join(installDir, 'examples', 'policy.yml')]);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^policy OK: .*policy\.yml \(digest [0-9a-f]{12}\)\n/);
    expect(result.stdout).toContain('  dcs-center-tasks: older than 30d');
  });

  it('runs a dry run, then --apply deletes exactly what it planned, against the emulator process', async () => {
    const env: Record<string, string> = {
      ...emulatorEnv,
      TASK_JANITOR_POLICY: join(installDir, 'examples', 'policy.yml'),
    };
    expect(env.HUAWEICLOUD_SDK_AK).toBeTruthy();

    const dry = await taskJanitor(['purge', '--json'], env);
    expect(dry.code, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout) as Report;
    expect(planned.dryRun).toBe(true);
    expect(planned.tool.version).toBe(await packageVersion());
    expect(planned.totals.wouldDelete).toBeGreaterThan(0);
    expect(planned.totals.deleted).toBe(0);

    const applied = await taskJanitor(['purge', '--apply', '--json'], env);
    expect(applied.code, applied.stderr).toBe(0);
    const report = JSON.parse(applied.stdout) as Report;
    expect(report.dryRun).toBe(false);
    expect(report.totals.deleted).toBe(planned.totals.wouldDelete);
    expect(report.totals.failed).toBe(0);

    // The emulator kept the deletions: a new dry run finds nothing left to delete.
    const after = await taskJanitor(['purge', '--json'], env);
    expect((JSON.parse(after.stdout) as Report).totals.wouldDelete).toBe(0);
  });
});
