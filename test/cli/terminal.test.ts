/**
 * The CLI on a real pseudo-terminal (util-linux `script`): the dry run's task list, plan → confirm → apply (the
 * typed project name deletes exactly the tasks shown, anything else or Ctrl-C deletes nothing), log lines above
 * the progress bar and never glued to it, and one Ctrl-C through `npm run purge` (npm and tsx forward the
 * terminal's SIGINT) and through the installed bin writing the whole report.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import type { Report } from '../../lib/report';
import { renderScreen, runInTerminal, TERMINAL_COLUMNS, type TerminalRun } from '../support/terminal';
import { BIN, REPO_ROOT } from './run-cli';

const POLICY = `version: 1
dryRun: false
services:
  dcs-center-tasks: { olderThan: 30d }
  oms-migration-tasks: { olderThan: 30d }
`;
const QUESTION = 'anything else aborts: ';

let emulator: Emulator;
let dir: string;
let policyPath: string;
let reportPath: string;
const terminals: TerminalRun[] = [];

beforeEach(async () => {
  emulator = await startEmulator({ seed: 5, tasks: 240 });
  dir = await mkdtemp(join(tmpdir(), 'task-janitor-terminal-'));
  policyPath = join(dir, 'policy.yml');
  reportPath = join(dir, 'report.json');
  await writeFile(policyPath, POLICY);
});

afterEach(async () => {
  for (const terminal of terminals.splice(0)) terminal.kill();
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ...emulator.endpointEnv(), TASK_JANITOR_POLICY: policyPath, ...extra };
}

/** `task-janitor ARGS` through the bin, as an installed command runs. */
function bin(args: string, extra: Record<string, string> = {}): TerminalRun {
  const run = runInTerminal(`node ${BIN} ${args}`, { cwd: REPO_ROOT, env: env(extra) });
  terminals.push(run);
  return run;
}

function deleteRequests(): number {
  return emulator.requestLog().filter((r) => r.method === 'DELETE').length;
}

describe('a dry run on a terminal', () => {
  it('shows the oldest tasks per service, how many more, and ends with the command that applies it', async () => {
    const run = bin('purge');

    const { code, output } = await run.result;

    expect(code).toBe(0);
    const screen = renderScreen(output);
    expect(screen).toContain('DRY RUN: nothing was deleted');
    expect(
      screen.some((line) => /^ {2}target {2}huaweicloud cn-north-4, project [0-9a-f]{32}$/.test(line)),
    ).toBe(true);
    expect(screen.some((line) => line.startsWith(`  policy  ${policyPath} (digest `))).toBe(true);
    expect(screen.some((line) => /^ {2}run {5}.* → .*, task-janitor \d+\.\d+\.\d+/.test(line))).toBe(true);
    const oms = screen.findIndex((line) => /^oms-migration-tasks: \d+ tasks$/.test(line));
    expect(oms).toBeGreaterThan(0);
    expect(screen[oms + 1]).toMatch(/^ {2}id +name +state +age$/);
    // Ten task rows, then the rest counted.
    for (const line of screen.slice(oms + 2, oms + 12)) {
      expect(line).toMatch(/^ {2}\d+ +\S.* +(paused|failed|succeeded) +\d+d$/);
    }
    expect(screen[oms + 12]).toMatch(/^ {2}… and \d+ more$/);
    expect(screen.join(' ')).toMatch(
      /\d+ tasks not shown: --list prints them all; --plan-out FILE writes the whole list to a plan file\./,
    );
    const last = screen.filter((line) => line !== '').at(-1);
    expect(last).toMatch(/^To delete these \d+ tasks: task-janitor purge --apply$/);
    for (const line of screen) expect(line.length).toBeLessThanOrEqual(TERMINAL_COLUMNS);
    expect(emulator.deletions()).toEqual([]);
  });
});

describe('plan → confirm → apply on a terminal', () => {
  it('the typed project name deletes exactly the tasks shown, each re-checked', async () => {
    const run = bin(`purge --apply --list --report ${reportPath}`);
    await run.waitFor(QUESTION);

    // Listed and planned; nothing deleted before the answer.
    expect(deleteRequests()).toBe(0);
    const shown = renderScreen(run.output());
    expect(shown.some((line) => line.includes('Type the project name (cn-north-4) to delete'))).toBe(true);
    const listedIds = shown.flatMap((line) => /^ {2}(\S+) +/.exec(line)?.slice(1, 2) ?? []);

    run.type('cn-north-4\r');
    const { code, output } = await run.result;

    expect(code).toBe(0);
    const deleted = emulator.deletions().map((d) => d.id);
    expect(deleted.length).toBeGreaterThan(0);
    for (const id of deleted) expect(listedIds).toContain(id);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
    expect(report.dryRun).toBe(false);
    expect(report.totals.deleted).toBe(deleted.length);
    expect(renderScreen(output)).toContain('APPLIED');
  });

  it('a task added after the question was asked is not deleted: the plan shown is applied, not a new one', async () => {
    const run = bin('purge --apply');
    await run.waitFor(QUESTION);
    const late = emulator.addTask({ service: 'oms-migration-tasks', name: 'added-while-asking', state: 5 });

    run.type('cn-north-4\r');
    const { code } = await run.result;

    expect(code).toBe(0);
    expect(emulator.deletions().length).toBeGreaterThan(0);
    expect(emulator.deletions().map((d) => d.id)).not.toContain(late.id);
  });

  it.each([
    ['another name', 'eu-nl\r'],
    ['an empty answer', '\r'],
  ])('%s aborts: exit 0, "aborted", nothing deleted', async (_label, keys) => {
    const run = bin(`purge --apply --report ${reportPath}`);
    await run.waitFor(QUESTION);

    run.type(keys);
    const { code, output } = await run.result;

    expect(code).toBe(0);
    expect(renderScreen(output).some((line) => line.startsWith('aborted: nothing was deleted'))).toBe(true);
    expect(deleteRequests()).toBe(0);
    expect(emulator.deletions()).toEqual([]);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
    expect(report.dryRun).toBe(true);
    expect(report.totals.deleted).toBe(0);
  });

  it('Ctrl-C at the question deletes nothing and exits 130', async () => {
    const run = bin(`purge --apply --report ${reportPath}`);
    await run.waitFor(QUESTION);

    run.type('\u0003');
    const { code, output } = await run.result;

    expect(code).toBe(130);
    expect(output).toContain('nothing was deleted');
    expect(deleteRequests()).toBe(0);
    expect((JSON.parse(await readFile(reportPath, 'utf8')) as Report).totals.deleted).toBe(0);
  });

  it('--yes applies without asking', async () => {
    const run = bin('purge --apply --yes');

    const { code, output } = await run.result;

    expect(code).toBe(0);
    expect(output).not.toContain(QUESTION);
    expect(emulator.deletions().length).toBeGreaterThan(0);
  });
});

describe('log lines on a terminal', () => {
  /** A throttled run whose deletes of one service fail: 429s to count, failures to print. */
  function troubledRun(extraArgs: string): TerminalRun {
    // 6 deletes/s: slow start doubles to 8 and 16 at once, faster than the limit refills, so some are throttled.
    emulator.setFaults({ service: 'oms', operation: 'DeleteMigrationTask' }, { rateLimitPerSecond: 6 });
    // A proxy's 404 without an error code: a failure, not retried.
    emulator.setFaults({ service: 'dcs', operation: 'DeleteCenterTask' }, { proxyNotFoundShare: 1 });
    return bin(`purge --apply --yes ${extraArgs}`);
  }

  it('are short human lines above the bar, never glued to it; 429s and retries are counters on the bar', async () => {
    const { code, output } = await troubledRun('').result;

    expect(code).toBe(1);
    const screen = renderScreen(output);
    const bar = /deleting \[[#-]+\]/;
    for (const line of screen) {
      // The bar alone on its line: no log text after it, no raw JSON anywhere.
      if (bar.test(line))
        expect(line).toMatch(/^deleting \[[#-]+\] \d+\/\d+ \([\w-]+ \d+\/\d+\)( · [\w-]+ \d+)*$/);
      expect(line).not.toMatch(/^\{|"level":/);
    }
    expect(screen.some((line) => /^(WARN|ERROR) +dcs-center-tasks/.test(line))).toBe(true);
    expect(screen.some((line) => bar.test(line) && / · 429s \d+/.test(line))).toBe(true);
    // Twenty failed deletes: three lines, then a note instead of the rest.
    expect(screen.filter((line) => /^WARN +dcs-center-tasks: task \S+ .* failed/.test(line))).toHaveLength(3);
    expect(
      screen.some((line) => /… further "task decision" lines of dcs-center-tasks are not shown/.test(line)),
    ).toBe(true);
  });

  it('--log-format json keeps the raw lines, each a whole line above the bar', async () => {
    const { code, output } = await troubledRun('--log-format json').result;

    expect(code).toBe(1);
    const jsonLines = renderScreen(output).filter((line) => line.includes('"level"'));
    expect(jsonLines.length).toBeGreaterThan(0);
    for (const line of jsonLines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });
});

describe('one Ctrl-C is one interrupt', () => {
  it.each([
    ['through npm run purge', () => `npm run --silent purge -- --apply --yes --report ${reportPath}`],
    ['through the bin', () => `node ${BIN} purge --apply --yes --report ${reportPath}`],
  ])('%s: the whole report is written, exit 130', async (_label, command) => {
    emulator.setFaults({ service: 'oms', operation: 'DeleteMigrationTask' }, { latencyMs: 150 });
    const run = runInTerminal(command(), { cwd: REPO_ROOT, env: env() });
    terminals.push(run);
    await run.waitFor('deleting [');

    run.type('\u0003');
    const { code, output } = await run.result;

    expect(code).toBe(130);
    expect(output).toContain('SIGINT: stopping');
    expect(output).not.toContain('quitting now');
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
    expect(report.stoppedBy).toBe('interrupted');
    expect(report.finishedAt).toEqual(expect.any(String));
    // The report's deletions are the cloud's, and what was not sent is accounted for.
    expect(report.totals.deleted).toBe(emulator.deletions().length);
    expect(report.totals.skipped.interrupted).toBeGreaterThan(0);
    expect(renderScreen(output).some((line) => line.startsWith('APPLIED, STOPPED EARLY (interrupted)'))).toBe(
      true,
    );
  });
});
