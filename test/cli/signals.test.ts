/**
 * Ctrl-C and SIGTERM against the real CLI process: no unhandled promise rejection at any early point (the child
 * runs with `--unhandled-rejections=strict`, which turns one into a crash), one press is one interrupt (the
 * report is written, exit 130), a second press after a pause quits at once, SIGTERM stops like Ctrl-C (exit 143).
 */
import { execFileSync } from 'node:child_process';
import { type FileHandle, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator, EmulatorOperation, FaultTarget } from '../../emulator/types';
import type { Report } from '../../lib/report';
import type { StartedProcess } from '../support/run-node';
import { startCli, waitFor } from './run-cli';

const POLICY = `version: 1
dryRun: false
services:
  dcs-center-tasks: { olderThan: 30d }
  oms-migration-tasks: { olderThan: 30d }
  dis-dump-tasks: { olderThan: 30d }
`;
const STRICT = { nodeFlags: ['--unhandled-rejections=strict'] };
/** What Node prints for an unhandled rejection or any other uncaught error (the footer names its version). */
const CRASH_TEXT = /unhandled|UnhandledPromiseRejection|Uncaught|^Node\.js v\d+/im;
const SLOW_MS = 4000;

let emulator: Emulator;
let dir: string;
let policyPath: string;
let reportPath: string;

beforeEach(async () => {
  emulator = await startEmulator({ seed: 5, tasks: 300 });
  dir = await mkdtemp(join(tmpdir(), 'task-janitor-signals-'));
  policyPath = join(dir, 'policy.yml');
  reportPath = join(dir, 'report.json');
  await writeFile(policyPath, POLICY);
});

/** Children and FIFO writers of the current test: a failed test must not leave a process blocked on a FIFO. */
const cleanups: Array<() => Promise<void> | void> = [];

function start(args: readonly string[], env: Record<string, string>): StartedProcess {
  const run = startCli(args, env, STRICT);
  cleanups.push(() => {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  });
  return run;
}

async function openForWriting(fifo: string): Promise<FileHandle> {
  const writer = await open(fifo, 'w');
  cleanups.push(() => writer.close().catch(() => undefined));
  return writer;
}

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

type Credentials = 'password' | 'password, no project id' | 'aksk, no project id';

function cliEnv(credentials: Credentials): Record<string, string> {
  const env: Record<string, string> = { ...emulator.endpointEnv(), TASK_JANITOR_POLICY: policyPath };
  if (credentials !== 'password') delete env.TASK_JANITOR_PROJECT_ID;
  if (credentials !== 'aksk, no project id') return env;
  for (const key of ['OS_USERNAME', 'OS_PASSWORD', 'OS_DOMAIN_NAME']) delete env[key];
  return {
    ...env,
    HUAWEICLOUD_SDK_AK: emulator.account.accessKey,
    HUAWEICLOUD_SDK_SK: emulator.account.secretKey,
  };
}

function arrived(operation: EmulatorOperation): () => boolean {
  return () => emulator.requestLog().some((r) => r.operation === operation);
}

async function expectInterruptedCleanly(run: StartedProcess, exitCode: number): Promise<Report> {
  const result = await run.result;
  expect(result.stderr).not.toMatch(CRASH_TEXT);
  expect(result.code).toBe(exitCode);
  expect(emulator.deletions()).toEqual([]);
  // The report of what was done (nothing) is written however early the run was stopped.
  return JSON.parse(await readFile(reportPath, 'utf8')) as Report;
}

describe('Ctrl-C at an early point leaves no unhandled rejection', () => {
  it.each<[string, Credentials, FaultTarget & { operation: EmulatorOperation }]>([
    ['during the token mint', 'password', { service: 'iam', operation: 'CreateToken' }],
    [
      'during project-id resolution through the token mint',
      'password, no project id',
      { service: 'iam', operation: 'CreateToken' },
    ],
    [
      'during project-id resolution through IAM projects',
      'aksk, no project id',
      { service: 'iam', operation: 'ListProjects' },
    ],
    ['during listing', 'password', { service: 'oms', operation: 'ListMigrationTasks' }],
  ])('%s (%s): exit 130, report written', async (_label, credentials, slow) => {
    emulator.setFaults(slow, { latencyMs: SLOW_MS });
    const run = start(['purge', '--apply', '--report', reportPath], cliEnv(credentials));
    await waitFor(arrived(slow.operation), `${slow.operation} to arrive`);

    run.child.kill('SIGINT');

    const report = await expectInterruptedCleanly(run, 130);
    expect(report.totals.deleted).toBe(0);
  });

  it('during start-up, before the first request (the policy is still being read): nothing is sent', async () => {
    const fifo = join(dir, 'policy.fifo');
    execFileSync('mkfifo', [fifo]);
    const run = start(
      ['purge', '--apply', '--policy', fifo, '--report', reportPath],
      cliEnv('password, no project id'),
    );
    // Opening the FIFO for writing returns once the CLI has opened it to read the policy.
    const writer = await openForWriting(fifo);
    run.child.kill('SIGINT');
    await waitFor(() => run.output().stderr.includes('SIGINT: stopping'), 'the interrupt to be taken');
    await writer.write(POLICY);
    await writer.close();

    await expectInterruptedCleanly(run, 130);
    // Not even the token mint: the run was interrupted before it could start.
    expect(emulator.requestLog()).toEqual([]);
  });
});

describe('signals', () => {
  it('one press forwarded twice (npm, tsx) is one interrupt: the report is written, exit 130', async () => {
    emulator.setFaults({ service: 'oms', operation: 'ListMigrationTasks' }, { latencyMs: SLOW_MS });
    const run = start(['purge', '--apply', '--report', reportPath], cliEnv('password'));
    await waitFor(arrived('ListMigrationTasks'), 'the listing to start');

    run.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 20));
    run.child.kill('SIGINT');

    const report = await expectInterruptedCleanly(run, 130);
    expect(report.finishedAt).toEqual(expect.any(String));
    expect(run.output().stderr).not.toContain('quitting now');
  });

  it('SIGTERM stops like the first Ctrl-C: the report is written, exit 143', async () => {
    emulator.setFaults({ service: 'oms', operation: 'ListMigrationTasks' }, { latencyMs: SLOW_MS });
    const run = start(['purge', '--apply', '--report', reportPath], cliEnv('password'));
    await waitFor(arrived('ListMigrationTasks'), 'the listing to start');

    run.child.kill('SIGTERM');

    await expectInterruptedCleanly(run, 143);
    expect(run.output().stderr).toContain('SIGTERM: stopping');
  });

  it('SIGHUP (the terminal closed) stops like the first Ctrl-C: the report is written, exit 129', async () => {
    emulator.setFaults({ service: 'oms', operation: 'ListMigrationTasks' }, { latencyMs: SLOW_MS });
    const run = start(['purge', '--apply', '--report', reportPath], cliEnv('password'));
    await waitFor(arrived('ListMigrationTasks'), 'the listing to start');

    run.child.kill('SIGHUP');

    await expectInterruptedCleanly(run, 129);
    expect(run.output().stderr).toContain('SIGHUP: stopping');
  });

  it('an interrupted --plan-out writes no plan: its listing is incomplete', async () => {
    emulator.setFaults({ service: 'oms', operation: 'ListMigrationTasks' }, { latencyMs: SLOW_MS });
    const planPath = join(dir, 'plan.json');
    const run = start(['purge', '--plan-out', planPath, '--report', reportPath], cliEnv('password'));
    await waitFor(arrived('ListMigrationTasks'), 'the listing to start');

    run.child.kill('SIGINT');

    await expectInterruptedCleanly(run, 130);
    expect(run.output().stderr).toContain('no plan was written');
    await expect(readFile(planPath, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a second press a second or more after the first quits at once', async () => {
    // The run is held at its start: the policy comes from a FIFO nobody writes to.
    const fifo = join(dir, 'policy.fifo');
    execFileSync('mkfifo', [fifo]);
    const run = start(['purge', '--apply', '--policy', fifo, '--report', reportPath], cliEnv('password'));
    const writer = await openForWriting(fifo);
    run.child.kill('SIGINT');
    await waitFor(() => run.output().stderr.includes('SIGINT: stopping'), 'the interrupt to be taken');
    await new Promise((resolve) => setTimeout(resolve, 1200));

    run.child.kill('SIGINT');
    await waitFor(() => run.output().stderr.includes('quitting now'), 'the second press to be taken');
    // Node finishes exiting once the read it has in flight ends; without the quit, the empty policy would
    // make this run exit 2 instead.
    await writer.close();

    const result = await run.result;
    expect(result.code).toBe(130);
    expect(result.stderr).not.toContain('invalid input');
    expect(emulator.requestLog()).toEqual([]);
  });
});
