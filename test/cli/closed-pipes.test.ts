/**
 * A closed pipe does not stop a purge: `task-janitor purge --apply … | head -1` closes stdout early, a log
 * reader that goes away closes stderr. Every delete still happens, the `--report` file is complete and the
 * exit code is the run's. A real child process whose pipes this process closes.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import type { Report } from '../../lib/report';
import { startCli } from './run-cli';

const OMS_TASKS = 5000;

let emulator: Emulator;
let dir: string;
let policyPath: string;
let reportPath: string;

beforeEach(async () => {
  emulator = await startEmulator({
    seed: 3,
    tasksPerService: {
      'oms-migration-tasks': OMS_TASKS,
      'dcs-center-tasks': 0,
      'dcs-background-tasks': 0,
      'modelarts-processor-tasks': 0,
      'dis-dump-tasks': 0,
    },
  });
  dir = await mkdtemp(join(tmpdir(), 'task-janitor-pipes-'));
  policyPath = join(dir, 'policy.yml');
  reportPath = join(dir, 'report.json');
  await writeFile(
    policyPath,
    'version: 1\nmaxDeletesPerRun: 100000\nservices:\n  oms-migration-tasks: { olderThan: 1d }\n',
  );
});

afterEach(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

function cliEnv(): Record<string, string> {
  // Every decision is logged to stderr: it is written to all through the run.
  return { ...emulator.endpointEnv(), TASK_JANITOR_POLICY: policyPath, TASK_JANITOR_LOG_LEVEL: 'info' };
}

/** The report file is whole, and says what the cloud saw: every stale task deleted, nothing failed. */
async function expectEveryStaleTaskDeleted(): Promise<void> {
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
  expect(report.totals.stale).toBeGreaterThan(2000);
  expect(report.totals.deleted).toBe(report.totals.stale);
  expect(report.totals.failed).toBe(0);
  expect(report.finishedAt).toEqual(expect.any(String));
  expect(emulator.deletions()).toHaveLength(report.totals.deleted);
}

describe('a closed pipe', () => {
  it('stdout closed (purge --apply | head -1): every delete done, the report file complete, exit 0', async () => {
    const run = startCli(['purge', '--apply', '--report', reportPath], cliEnv());
    run.child.stdout.destroy();

    const result = await run.result;

    expect(result.code).toBe(0);
    await expectEveryStaleTaskDeleted();
    // The report is still logged (stderr is open here).
    expect(result.stderr).toContain('"msg":"purge report"');
  });

  it('stderr closed mid-run: every delete done, the report file complete, exit 0', async () => {
    const run = startCli(['purge', '--apply', '--json', '--report', reportPath], cliEnv());
    let closed = false;
    run.child.stderr.once('data', () => {
      closed = true;
      run.child.stderr.destroy();
    });

    const result = await run.result;

    expect(closed).toBe(true);
    expect(result.code).toBe(0);
    await expectEveryStaleTaskDeleted();
    expect((JSON.parse(result.stdout) as Report).totals.deleted).toBe(emulator.deletions().length);
  });
});
