/**
 * The CLI's pure parts, without a process: the signal listener's decisions, the output wrapper that a closed
 * pipe cannot stop, the output-path check, and the flags-against-plan check.
 */
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCommandLine } from '../../cli/args';
import { hasFailures } from '../../cli/main';
import { checkDistinctFiles, checkFlagsAgainstPlan, checkOutputPath } from '../../cli/purge-input';
import { createSafeOutput } from '../../cli/safe-output';
import { createInterruptHandler, interruptOf, type SignalAction } from '../../cli/signals';
import { InterruptError, type InterruptSignal } from '../../lib/errors';
import { parsePolicyText } from '../../lib/policy/load';
import { createReport, finishReport, serviceReportOf } from '../../lib/report';

describe('the signal listener', () => {
  it.each<[string, Array<[InterruptSignal, number]>, SignalAction[], number | undefined]>([
    ['one Ctrl-C', [['SIGINT', 0]], ['interrupt'], undefined],
    [
      'one Ctrl-C forwarded by npm and tsx',
      [
        ['SIGINT', 0],
        ['SIGINT', 3],
        ['SIGINT', 31],
      ],
      ['interrupt', 'repeat', 'repeat'],
      undefined,
    ],
    [
      'a second press after a pause',
      [
        ['SIGINT', 0],
        ['SIGINT', 1000],
      ],
      ['interrupt', 'quit'],
      130,
    ],
    [
      'a second press just inside the window',
      [
        ['SIGINT', 0],
        ['SIGINT', 999],
      ],
      ['interrupt', 'repeat'],
      undefined,
    ],
    ['SIGTERM', [['SIGTERM', 0]], ['interrupt'], undefined],
    [
      'SIGTERM, then Ctrl-C later',
      [
        ['SIGTERM', 0],
        ['SIGINT', 5000],
      ],
      ['interrupt', 'quit'],
      130,
    ],
    [
      'SIGTERM twice, a while apart',
      [
        ['SIGTERM', 0],
        ['SIGTERM', 2000],
      ],
      ['interrupt', 'quit'],
      143,
    ],
  ])('%s', (_label, signals, actions, quitCode) => {
    let nowMs = 0;
    const interrupts: InterruptError[] = [];
    const quits: number[] = [];
    const onSignal = createInterruptHandler({
      nowMs: () => nowMs,
      interrupt: (error) => interrupts.push(error),
      quit: (code) => quits.push(code),
      notify: () => undefined,
    });

    const taken = signals.map(([signal, atMs]) => {
      nowMs = atMs;
      return onSignal(signal);
    });

    expect(taken).toEqual(actions);
    expect(interrupts).toHaveLength(1);
    expect(interrupts[0]).toBeInstanceOf(InterruptError);
    expect(interrupts[0]?.signal).toBe(signals[0]?.[0]);
    expect(quits).toEqual(quitCode === undefined ? [] : [quitCode]);
  });

  it('reads the interrupt back from an aborted signal, and nothing else', () => {
    const interrupted = new AbortController();
    interrupted.abort(new InterruptError('SIGTERM'));
    const timedOut = new AbortController();
    timedOut.abort(new Error('deadline'));

    expect(interruptOf(interrupted.signal)?.signal).toBe('SIGTERM');
    expect(interruptOf(timedOut.signal)).toBeUndefined();
    expect(interruptOf(new AbortController().signal)).toBeUndefined();
    expect(interruptOf(undefined)).toBeUndefined();
  });
});

describe('an output a closed pipe cannot stop', () => {
  class FakeStream extends EventEmitter {
    readonly written: string[] = [];
    throwOnWrite = false;
    isTTY = false;
    write(text: string): boolean {
      if (this.throwOnWrite) throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      this.written.push(text);
      return true;
    }
  }

  it('keeps an EPIPE error event from being unhandled, and drops what follows', () => {
    const stream = new FakeStream();
    const output = createSafeOutput(stream);
    output.write('a');

    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    output.write('b');

    expect(stream.written).toEqual(['a']);
    expect(output.failure?.message).toBe('write EPIPE');
  });

  it('catches a throwing write', () => {
    const stream = new FakeStream();
    const output = createSafeOutput(stream);
    stream.throwOnWrite = true;

    expect(() => output.write('a')).not.toThrow();
    stream.throwOnWrite = false;
    output.write('b');

    expect(stream.written).toEqual([]);
    expect(output.failure?.message).toBe('write EPIPE');
    expect(output.isTTY).toBe(false);
  });
});

describe('output paths', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'task-janitor-paths-'));
    await mkdir(join(dir, 'folder'));
    await writeFile(join(dir, 'file.json'), '{}');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each<[string, string, RegExp | undefined]>([
    ['a new file in a folder', 'new.json', undefined],
    ['an existing file', 'file.json', undefined],
    ['a folder', 'folder', /^is a folder; expected a file path$/],
    ['a file in a missing folder', 'missing/r.json', /^the folder .*missing does not exist$/],
    ['a file under a file', 'file.json/r.json', /file\.json is not a folder$/],
  ])('%s', async (_label, path, expected) => {
    const problem = await checkOutputPath(join(dir, path));
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});

describe('flags given with --plan', () => {
  const recorded = parsePolicyText(`
version: 1
maxDeletesPerRun: 40
services:
  oms-migration-tasks: { olderThan: 1d }
  dis-dump-tasks: { olderThan: 1d }
`);

  it.each<[string, string[], RegExp[]]>([
    ['none', [], []],
    [
      'the same services, in another order',
      ['--service', 'dis-dump-tasks', '--service', 'oms-migration-tasks'],
      [],
    ],
    ['the same age, written another way', ['--older-than', '24h'], []],
    ['the same cap', ['--max-deletes', '40'], []],
    [
      'fewer services',
      ['--service', 'dis-dump-tasks'],
      [/^--service: the plan selects oms-migration-tasks, dis-dump-tasks/],
    ],
    [
      'another age',
      ['--older-than', 'P2D'],
      [
        /^--older-than: the plan selects tasks older than oms-migration-tasks 1d, dis-dump-tasks 1d, the command line P2D/,
      ],
    ],
    ['a bad age', ['--older-than', '2 days'], [/^--older-than: expected a duration/]],
    ['another cap', ['--max-deletes', '3'], [/^--max-deletes: the plan's cap is 40, the command line 3/]],
  ])('%s', (_label, flags, expected) => {
    const { command, problems: lineProblems } = readCommandLine(['purge', '--plan', 'p.json', ...flags]);
    if (command?.command !== 'purge') throw new Error('expected a purge command');

    // A malformed value is refused with the command line; the rest against the plan.
    const problems = [...lineProblems, ...checkFlagsAgainstPlan(command.overrides, recorded)];

    expect(problems).toHaveLength(expected.length);
    expected.forEach((pattern, i) => {
      expect(problems[i]).toMatch(pattern);
    });
  });
});

describe('the exit code of a finished run', () => {
  const base = () =>
    createReport({
      dryRun: false,
      startedAt: new Date(0),
      policy: { digest: 'd', maxDeletesPerRun: 10 },
      services: ['oms-migration-tasks'],
    });

  it('is 0 (no failure) when every delete was done, gone or skipped', () => {
    const report = finishReport(base(), new Date(1));
    expect(hasFailures(report)).toBe(false);
  });

  it('is 1 when a delete failed, or its outcome is unknown (someone must look at the task)', () => {
    const failed = base();
    serviceReportOf(failed, 'oms-migration-tasks').failed = 1;
    const unknown = base();
    serviceReportOf(unknown, 'oms-migration-tasks').unknown = 1;
    expect(hasFailures(finishReport(failed, new Date(1)))).toBe(true);
    expect(hasFailures(finishReport(unknown, new Date(1)))).toBe(true);
  });

  it('is 1 when a service could not be listed in one target, even though the others listed it', () => {
    const report = finishReport(base(), new Date(1));
    const totals = { ...report.totals, failedServices: 1 };
    report.targets = [
      {
        cloud: 'huaweicloud',
        region: 'cn-north-4',
        projectId: 'a',
        status: 'done',
        services: {},
        totals: report.totals,
      },
      {
        cloud: 'huaweicloud',
        region: 'ap-southeast-3',
        projectId: 'b',
        status: 'failed',
        services: {},
        totals,
      },
    ];
    expect(hasFailures(report)).toBe(true);
  });
});

describe('outputs that would overwrite another file of the run', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'task-janitor-paths-'));
    await writeFile(join(dir, 'policy.yml'), 'version: 1\n');
    await symlink(join(dir, 'policy.yml'), join(dir, 'link.yml'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each<[string, Record<string, string>, RegExp[]]>([
    [
      '--report and --plan-out, spelt differently',
      { reportPath: 'X/out.json', planOutPath: 'X/./sub/../out.json' },
      [/^--report .*: the same file as --plan-out/],
    ],
    [
      '--report over the plan it applies',
      { reportPath: 'X/plan.json', planPath: 'X/plan.json' },
      [/^--report .*: the same file as --plan/],
    ],
    [
      '--report over the policy through a symlink',
      { reportPath: 'X/link.yml', policyPath: 'X/policy.yml' },
      [/^--report .*: the same file as --policy/],
    ],
    ['distinct files', { reportPath: 'X/r.json', planOutPath: 'X/p.json', policyPath: 'X/policy.yml' }, []],
  ])('%s', async (_name, paths, expected) => {
    const command = Object.fromEntries(Object.entries(paths).map(([k, v]) => [k, v.replace('X', dir)]));
    const problems = await checkDistinctFiles({
      reportPath: undefined,
      planOutPath: undefined,
      planPath: undefined,
      policyPath: undefined,
      ...command,
    });
    expect(problems).toHaveLength(expected.length);
    expected.forEach((pattern, i) => {
      expect(problems[i]).toMatch(pattern);
    });
  });
});
