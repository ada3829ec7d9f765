/**
 * The CLI's presentation without a process: the summary table (100 columns, headers that are the report's field
 * names), the task list (ids intact, cloud text escaped), the apply command (shell-quoted), the log lines (what
 * is printed, what is counted, repeats cut), and the status line (text written while the bar is shown lands on
 * its own line).
 */
import { describe, expect, it } from 'vitest';
import { createHumanLogSink } from '../../cli/log-lines';
import {
  formatAge,
  printable,
  quoteForShell,
  renderApplyCommand,
  renderReportHeader,
  renderReportTable,
  renderTaskList,
} from '../../cli/present';
import { createLiveOutput, createProgressReporter, type ProgressCounter } from '../../cli/progress';
import { createReport, finishReport, type Report, serviceReportOf } from '../../lib/report';
import type { SavedPlanTask } from '../../lib/saved-plan';
import { SERVICE_IDS } from '../../lib/types';
import { NOW } from '../engine/fakes';
import { renderScreen } from '../support/terminal';

function makeReport(dryRun: boolean, scale = 1): Report {
  const report = createReport({
    dryRun,
    startedAt: NOW,
    policy: { digest: 'abcdef123456', maxDeletesPerRun: 1000, source: 'policies/prod.yml' },
    services: [...SERVICE_IDS],
  });
  report.target = { cloud: 'otc', region: 'eu-de', projectId: '0b5c6a7e9d8f4e2a9c1b3d5f7a9e1c3b' };
  for (const id of SERVICE_IDS) {
    const entry = serviceReportOf(report, id);
    Object.assign(entry, { listed: 999_999 * scale, stale: 99_999 * scale, failed: 1 });
    if (dryRun) entry.wouldDelete = 99_990 * scale;
    else entry.deleted = 99_990 * scale;
    entry.skipped.inProgress = 12;
    entry.kept.tooYoung = 7;
    entry.failures.push({
      taskId: 't1',
      name: 'n',
      status: 500,
      errorCode: 'X.500',
      errorMsg: 'boom',
      host: 'h:1',
    });
  }
  serviceReportOf(report, 'modelarts-processor-tasks').error = {
    message: 'GET /v2/p/processor-tasks answered 401',
  };
  return finishReport(report, new Date(NOW.getTime() + 5000));
}

describe('the summary table', () => {
  it.each([
    ['a dry run', true],
    ['an applied run', false],
  ])('%s fits 100 columns, with every service listing failed or not', (_label, dryRun) => {
    const table = renderReportTable(makeReport(dryRun));
    const lines = table.split('\n');

    for (const line of [...renderReportHeader(makeReport(dryRun)).split('\n'), ...lines]) {
      expect(line.length).toBeLessThanOrEqual(100);
    }
    // One word per header: the report's own field names.
    const headers = lines[0]?.trim().split(/\s+/);
    expect(headers).toEqual([
      'service',
      'listed',
      'stale',
      dryRun ? 'wouldDelete' : 'deleted',
      'alreadyGone',
      'failed',
      'unknown',
      'skipped',
      'kept',
    ]);
    expect(table).toMatch(/^! modelarts-processor-tasks +999999 +99999 +99990 +0 +1 +0 +12 +7$/m);
    const services = SERVICE_IDS.length;
    expect(table).toMatch(new RegExp(`^ {2}total +${999_999 * services} `, 'm'));
    // Every row as wide as the header: the columns line up (header, rule, services, rule, total).
    for (const row of lines.slice(0, services + 4)) expect(row.length).toBe(lines[0]?.length);
    expect(table).toContain(`skipped: inProgress ${12 * services}`);
    expect(table).toContain(`kept: tooYoung ${7 * services}`);
    expect(table).toContain(
      '! modelarts-processor-tasks: not listed, nothing deleted: GET /v2/p/processor-tasks answered 401',
    );
    expect(table).toContain('oms-migration-tasks: task t1 (n) failed at h:1: 500 X.500 boom');
  });

  it('the header names the target, the policy source and digest, the tool and the mode', () => {
    const report = makeReport(false);
    report.stoppedBy = 'interrupted';

    expect(renderReportHeader(report).split('\n')).toEqual([
      'APPLIED, STOPPED EARLY (interrupted)',
      '  target  otc eu-de, project 0b5c6a7e9d8f4e2a9c1b3d5f7a9e1c3b',
      '  policy  policies/prod.yml (digest abcdef123456)',
      '  cap     at most 1000 tasks per run, oldest first',
      `  run     ${report.startedAt} → ${report.finishedAt}, task-janitor ${report.tool.version}`,
    ]);
  });
});

function task(i: number, extra: Partial<SavedPlanTask> = {}): SavedPlanTask {
  return {
    service: 'dis-dump-tasks',
    id: `dump-${i}`,
    name: `dump-${i}`,
    parentName: 'clickstream-eu',
    state: 'ERROR',
    endedAtMs: NOW.getTime() - (100 - i) * 86_400_000,
    ...extra,
  };
}

describe('the task list', () => {
  it('shows the 10 oldest per service, counts the rest, and says where the whole list is', () => {
    const tasks = Array.from({ length: 25 }, (_, i) => task(24 - i));

    const lines = renderTaskList({ tasks, nowMs: NOW.getTime(), all: false, verb: 'would delete' }).split(
      '\n',
    );

    expect(lines[0]).toBe(
      'Tasks this run would delete, oldest first (25 in all; at most 10 per service shown):',
    );
    expect(lines[2]).toBe('dis-dump-tasks: 25 tasks');
    expect(lines[3]).toMatch(/^ {2}id +name +parent +state +age$/);
    expect(lines[4]).toMatch(/^ {2}dump-0 +dump-0 +clickstream-eu +ERROR +100d$/);
    expect(lines[13]).toMatch(/^ {2}dump-9 /);
    expect(lines[14]).toBe('  … and 15 more');
    expect(lines.slice(16).join(' ')).toBe(
      '15 tasks not shown: --list prints them all; --plan-out FILE writes the whole list to a plan file.',
    );
  });

  it('--list shows all; ids are never cut, long names are, and every line fits 100 columns', () => {
    const longId = 'x'.repeat(60);
    const tasks = [
      task(1, { id: longId, name: 'n'.repeat(200), parentName: 'p'.repeat(80) }),
      ...Array.from({ length: 14 }, (_, i) => task(i + 2)),
    ];

    const text = renderTaskList({ tasks, nowMs: NOW.getTime(), all: true, verb: 'to delete' });

    expect(text).not.toContain('… and');
    expect(text).toContain(`  ${longId}  `);
    expect(text).toContain('n…');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('cloud text cannot act on the terminal: control characters and bidi overrides are escaped', () => {
    const tasks = [task(1, { name: 'evil\n\u001b[2Kname\u202e', parentName: 'a\rb' })];

    const text = renderTaskList({ tasks, nowMs: NOW.getTime(), all: true, verb: 'to delete' });

    expect(text).toContain('evil\\u{a}\\u{1b}[2Kname\\u{202e}');
    expect(text).toContain('a\\u{d}b');
    expect([...text].filter((char) => char !== '\n' && (char < ' ' || char === '\u202e'))).toEqual([]);
  });

  it('nothing to delete', () => {
    expect(renderTaskList({ tasks: [], nowMs: 0, all: false, verb: 'would delete' })).toBe(
      'No task is stale: nothing to delete.',
    );
  });

  it.each([
    [0, '0m'],
    [119 * 60_000, '119m'],
    [47 * 3_600_000, '47h'],
    [48 * 3_600_000, '2d'],
    [400 * 86_400_000, '400d'],
  ])('an age of %i ms reads %s', (ageMs, text) => {
    expect(formatAge(ageMs)).toBe(text);
  });
});

describe('the command that applies a dry run', () => {
  const base = {
    policyPath: undefined,
    services: undefined,
    olderThan: undefined,
    maxDeletesPerRun: undefined,
    regions: undefined,
    projects: undefined,
    planPath: undefined,
  };

  it.each<[string, Partial<Parameters<typeof renderApplyCommand>[0]>, string]>([
    ['the policy from the environment', {}, 'task-janitor purge --apply'],
    [
      'every selection flag',
      { policyPath: 'p.yml', services: ['oms-migration-tasks'], olderThan: '7d', maxDeletesPerRun: 5 },
      'task-janitor purge --policy p.yml --service oms-migration-tasks --older-than 7d --max-deletes 5 --apply',
    ],
    [
      'the narrowing to regions and projects, every value',
      {
        policyPath: 'p.yml',
        regions: ['cn-north-4', 'ap-southeast-3'],
        projects: ['x', '0b5c6a7e9d8f4e2a9c1b3d5f7a9e1c3b'],
      },
      'task-janitor purge --policy p.yml --region cn-north-4 --region ap-southeast-3 --project x --project 0b5c6a7e9d8f4e2a9c1b3d5f7a9e1c3b --apply',
    ],
    [
      'a value the shell would split, quoted as the others are',
      { regions: ['eu-de'], projects: ["it's"] },
      `task-janitor purge --region eu-de --project 'it'\\''s' --apply`,
    ],
    [
      'a plan file (its targets are its own)',
      { planPath: 'plan.json', regions: ['cn-north-4'], projects: ['x'] },
      'task-janitor purge --plan plan.json --apply',
    ],
    [
      'a plan file',
      { planPath: 'plan.json', policyPath: 'p.yml' },
      'task-janitor purge --plan plan.json --apply',
    ],
    [
      'a path the shell would split',
      { policyPath: "it's a policy.yml" },
      `task-janitor purge --policy 'it'\\''s a policy.yml' --apply`,
    ],
    ['in the repository', { program: 'npm run purge --' }, 'npm run purge -- --apply'],
  ])('%s', (_label, options, expected) => {
    expect(renderApplyCommand({ program: 'task-janitor', ...base, ...options })).toBe(expected);
  });

  it.each([
    ['plain', 'plain'],
    ['$(rm -rf /)', "'$(rm -rf /)'"],
    ['', "''"],
  ])('quotes %j as %s', (arg, quoted) => {
    expect(quoteForShell(arg)).toBe(quoted);
  });

  it('printable leaves ordinary text alone', () => {
    expect(printable('oms-task 7 ümlaut ✓')).toBe('oms-task 7 ümlaut ✓');
  });
});

describe('log lines on a terminal', () => {
  function sink(printLevel: 'warn' | 'info' = 'warn') {
    const printed: string[] = [];
    const counted: Partial<Record<ProgressCounter, number>> = {};
    const write = createHumanLogSink({
      print: (line) => printed.push(line),
      count: (counter, n) => {
        counted[counter] = (counted[counter] ?? 0) + n;
      },
      printLevel,
    });
    return { printed, counted, write: (fields: object) => write(`${JSON.stringify(fields)}\n`) };
  }

  it.each<[string, object, string | undefined, ProgressCounter | undefined]>([
    [
      'a retried 429',
      {
        level: 'warn',
        service: 'oms',
        host: 'h',
        status: 429,
        willRetry: true,
        throttled: true,
        msg: 'DELETE /x answered 429',
      },
      undefined,
      'throttled',
    ],
    [
      'a retried 503',
      { level: 'warn', service: 'oms', status: 503, willRetry: true, msg: 'GET /x answered 503' },
      undefined,
      'retries',
    ],
    [
      'a later pass',
      {
        level: 'warn',
        service: 'oms',
        msg: 'delete failed; will try once more after the service’s other deletes',
      },
      undefined,
      'retries',
    ],
    [
      'a task kept on its re-check',
      {
        level: 'info',
        service: 'dis-dump-tasks',
        msg: 'task decision',
        action: 'skipped',
        reason: 'in-progress-on-recheck',
      },
      undefined,
      'rechecks',
    ],
    [
      'a failed delete',
      {
        level: 'warn',
        service: 'oms-migration-tasks',
        msg: 'task decision',
        taskId: '7',
        name: 'mig',
        action: 'failed',
        reason: 'older-than-30d',
        status: 500,
        errorCode: 'OMS.0500',
        errorMsg: 'internal',
        host: 'oms:443',
      },
      'WARN  oms-migration-tasks: task 7 (mig) failed (older-than-30d): 500 OMS.0500 internal at oms:443',
      undefined,
    ],
    [
      'a redirect',
      {
        level: 'error',
        service: 'dcs',
        host: 'dcs:443',
        status: 302,
        locationHost: 'evil.example',
        msg: 'DELETE /x answered 302 (a redirect, not followed)',
      },
      'ERROR dcs (dcs:443): DELETE /x answered 302 (a redirect, not followed): redirect to evil.example not followed',
      undefined,
    ],
    ['an info line', { level: 'info', msg: 'purge started' }, undefined, undefined],
    ['the report', { level: 'error', msg: 'purge report' }, undefined, undefined],
    [
      'a listing that failed (the progress line says so)',
      {
        level: 'error',
        service: 'dis-dump-tasks',
        msg: 'listing failed: nothing is deleted for this service',
      },
      undefined,
      undefined,
    ],
  ])('%s', (_label, fields, line, counter) => {
    const { printed, counted, write } = sink();

    write(fields);

    expect(printed).toEqual(line === undefined ? [] : [line]);
    expect(counted).toEqual(counter === undefined ? {} : { [counter]: 1 });
  });

  it('repeats of one kind: three lines, then one note, then nothing', () => {
    const { printed, write } = sink();

    for (let i = 0; i < 50; i++) {
      write({
        level: 'error',
        service: 'dcs',
        host: 'h',
        msg: `DELETE /v2/p/tasks/${i}a answered 500`,
        errorCode: 'DCS.500',
      });
    }

    expect(printed).toHaveLength(4);
    expect(printed[3]).toContain('… further "DELETE … answered …" lines of dcs are not shown');
  });

  it('a line that is not JSON is printed as it is, escaped', () => {
    const { printed } = sink();
    createHumanLogSink({ print: (line) => printed.push(line), count: () => undefined })(
      'plain \u001b[31mtext\n',
    );
    expect(printed).toEqual(['plain \\u{1b}[31mtext']);
  });
});

describe('the status line', () => {
  function terminal() {
    let raw = '';
    const output = createLiveOutput({ isTTY: true, columns: 100, write: (text: string) => (raw += text) });
    return { output, screen: () => renderScreen(raw) };
  }

  it('a line written while the bar is shown goes above it; the bar is drawn again below', () => {
    const { output, screen } = terminal();
    const progress = createProgressReporter({ output, nowMs: () => 0, redrawMs: 0 });
    progress.onProgress({ phase: 'plan', deletes: 10, capped: 0, dryRun: false });
    progress.onProgress({ phase: 'delete', service: 'oms-migration-tasks', done: 3, total: 10 });
    progress.count('throttled', 2);

    output.write('WARN  oms-migration-tasks: task 7 failed\n');

    expect(screen()).toEqual([
      'plan: 10 to delete',
      'WARN  oms-migration-tasks: task 7 failed',
      'deleting [#######-----------------] 3/10 (oms-migration-tasks 3/10) · 429s 2',
    ]);
  });

  it('text without a line end (a prompt) is not overwritten by the next bar', () => {
    const { output, screen } = terminal();
    output.setStatus('listing oms-migration-tasks: 500 tasks');
    output.write('partial');
    output.setStatus('listing oms-migration-tasks: 1000 tasks');

    expect(screen()).toEqual(['partial', 'listing oms-migration-tasks: 1000 tasks']);
  });

  it('without a terminal there is no status line, only plain lines', () => {
    let raw = '';
    const output = createLiveOutput({ isTTY: false, write: (text: string) => (raw += text) });
    output.setStatus('bar');
    output.write('line\n');
    expect(raw).toBe('line\n');
  });
});
