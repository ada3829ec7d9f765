import { describe, expect, it } from 'vitest';
import { applyCap, type DeleteCandidate, evaluateTask, planPurge } from '../../lib/plan';
import { parsePolicyText } from '../../lib/policy/load';
import type { ServiceId, StateClass } from '../../lib/types';
import { servicePolicy } from '../support/policy';
import { DAY_MS, makeTask, NOW_MS } from './fakes';

// The state table (docs/decisions/0005-state-table.md), row by row: the source's classification of each wire state, and what the engine does.
const STATE_TABLE: readonly (readonly [ServiceId, string, StateClass, 'delete' | 'keep'])[] = [
  ['dcs-center-tasks', 'SUCCESS', 'deletable', 'delete'],
  ['dcs-center-tasks', 'FAILED', 'deletable', 'delete'],
  ['dcs-center-tasks', 'FAIL', 'deletable', 'delete'],
  ['dcs-center-tasks', 'EXECUTING', 'in-progress', 'keep'],
  ['dcs-center-tasks', 'PENDING', 'unknown', 'keep'],
  ['dcs-background-tasks', 'SUCCESS', 'deletable', 'delete'],
  ['dcs-background-tasks', 'FAILED', 'deletable', 'delete'],
  ['dcs-background-tasks', 'FAIL', 'deletable', 'delete'],
  ['dcs-background-tasks', 'EXECUTING', 'in-progress', 'keep'],
  ['modelarts-processor-tasks', 'completed', 'deletable', 'delete'],
  ['modelarts-processor-tasks', 'failed', 'deletable', 'delete'],
  ['modelarts-processor-tasks', 'stopped', 'deletable', 'delete'],
  ['modelarts-processor-tasks', 'initialized', 'in-progress', 'keep'],
  ['modelarts-processor-tasks', 'running', 'in-progress', 'keep'],
  ['modelarts-processor-tasks', 'status-9', 'unknown', 'keep'],
  ['oms-migration-tasks', 'paused', 'deletable', 'delete'],
  ['oms-migration-tasks', 'failed', 'deletable', 'delete'],
  ['oms-migration-tasks', 'succeeded', 'deletable', 'delete'],
  ['oms-migration-tasks', 'status-0', 'in-progress', 'keep'],
  ['oms-migration-tasks', 'waiting', 'in-progress', 'keep'],
  ['oms-migration-tasks', 'executing', 'in-progress', 'keep'],
  ['oms-migration-tasks', 'retrying', 'in-progress', 'keep'],
  ['oms-migration-tasks', 'pausing', 'in-progress', 'keep'],
  ['oms-migration-tasks', 'status-8', 'unknown', 'keep'],
  ['dis-dump-tasks', 'ERROR', 'deletable', 'delete'],
  ['dis-dump-tasks', 'ABNORMAL', 'deletable', 'delete'],
  ['dis-dump-tasks', 'PAUSED', 'deletable', 'delete'],
  ['dis-dump-tasks', 'STARTING', 'in-progress', 'keep'],
  ['dis-dump-tasks', 'RUNNING', 'in-progress', 'keep'],
  ['dis-dump-tasks', 'DELETED', 'unknown', 'keep'],
  ['sms-migration-tasks', 'MIGRATE_SUCCESS', 'deletable', 'delete'],
  ['sms-migration-tasks', 'ABORT', 'deletable', 'delete'],
  // An outcome whose source server still works: the listing classes it in progress.
  ['sms-migration-tasks', 'MIGRATE_SUCCESS', 'in-progress', 'keep'],
  ['sms-migration-tasks', 'RUNNING', 'in-progress', 'keep'],
  ['sms-migration-tasks', 'PREPARING', 'unknown', 'keep'],
];

describe('evaluateTask', () => {
  it.each(STATE_TABLE)('%s %s (%s) → %s when old enough', (service, state, stateClass, action) => {
    const task = makeTask({ service, state, stateClass, ageDays: 365 });

    const decision = evaluateTask(task, servicePolicy(), NOW_MS);

    expect(decision.action).toBe(action);
    if (action === 'delete') expect(decision.reason).toBe('older-than-30d');
    else expect(decision.reason).toBe(stateClass === 'in-progress' ? 'in-progress' : 'unknown-state');
  });

  it('keeps a task a source calls deletable with a state outside the deletable table', () => {
    const task = makeTask({
      service: 'oms-migration-tasks',
      state: 'executing',
      stateClass: 'deletable',
      ageDays: 365,
    });
    expect(evaluateTask(task, servicePolicy(), NOW_MS)).toMatchObject({
      action: 'keep',
      reason: 'unknown-state',
    });
  });

  it.each([
    ['no end time', undefined],
    ['a NaN end time', Number.NaN],
  ])('keeps a task with %s as unknown-age', (_label, endedAtMs) => {
    const task = makeTask({ endedAtMs });
    expect(evaluateTask(task, servicePolicy(), NOW_MS)).toEqual({
      action: 'keep',
      reason: 'unknown-age',
      ageMs: undefined,
    });
  });

  it.each([
    ['more than a day ahead of the run', NOW_MS + DAY_MS + 1],
    ['ten years ahead', NOW_MS + 3650 * DAY_MS],
  ])('keeps a task whose end time is %s as unknown-age, not too-young', (_label, endedAtMs) => {
    expect(evaluateTask(makeTask({ endedAtMs }), servicePolicy(), NOW_MS)).toEqual({
      action: 'keep',
      reason: 'unknown-age',
      ageMs: undefined,
    });
  });

  it('reads an end time at most a day ahead (clock skew) as too young', () => {
    expect(evaluateTask(makeTask({ endedAtMs: NOW_MS + DAY_MS }), servicePolicy(), NOW_MS)).toEqual({
      action: 'keep',
      reason: 'too-young',
      ageMs: -DAY_MS,
    });
  });

  it.each([
    [29, 'keep'],
    [30, 'keep'],
    [30.0001, 'delete'],
    [31, 'delete'],
    [-1, 'keep'],
  ])('with olderThan 30d, a task that ended %d days ago → %s', (ageDays, action) => {
    const decision = evaluateTask(makeTask({ ageDays }), servicePolicy(), NOW_MS);
    expect(decision.action).toBe(action);
    if (action === 'keep') expect(decision.reason).toBe('too-young');
  });

  it('reports the age in ms', () => {
    expect(evaluateTask(makeTask({ ageDays: 40 }), servicePolicy(), NOW_MS).ageMs).toBe(40 * DAY_MS);
  });

  it.each([
    ['include matches', { include: ['nightly-*'] }, 'nightly-1', 'delete'],
    ['include does not match', { include: ['nightly-*'] }, 'weekly-1', 'excluded'],
    ['exclude matches', { exclude: ['keep-*'] }, 'keep-me', 'excluded'],
    ['exclude wins over include', { include: ['*'], exclude: ['keep-*'] }, 'keep-me', 'excluded'],
    ['* matches across /', { exclude: ['keep-*'] }, 'keep-a/b', 'excluded'],
    ['* matches dot names', { include: ['*'] }, '.hidden', 'delete'],
    ['? is one character', { include: ['job-?'] }, 'job-12', 'excluded'],
  ] as const)('name globs: %s', (_label, globs, name, expected) => {
    const decision = evaluateTask(makeTask({ name }), servicePolicy(globs), NOW_MS);
    expect(expected === 'delete' ? decision.action : decision.reason).toBe(expected);
  });

  it('keeps a deletable state the policy does not select', () => {
    const task = makeTask({ service: 'dis-dump-tasks', state: 'PAUSED' });
    expect(evaluateTask(task, servicePolicy({ states: ['ERROR'] }), NOW_MS)).toMatchObject({
      action: 'keep',
      reason: 'state-not-selected',
    });
  });

  it.each([
    ['prod-1', 'delete'],
    ['dev-1', 'parent-excluded'],
    [undefined, 'parent-excluded'],
  ])('parent globs: parent %s → %s', (parentName, expected) => {
    const task = makeTask({
      service: 'dis-dump-tasks',
      state: 'ERROR',
      ...(parentName ? { parentName } : {}),
    });
    const decision = evaluateTask(task, servicePolicy({ parents: ['prod-*'] }), NOW_MS);
    expect(expected === 'delete' ? decision.action : decision.reason).toBe(expected);
  });
});

describe('the empty name: only a glob made of "*" matches it', () => {
  /** One service's rule, read from policy text as an operator writes it. */
  const ruleOf = (service: ServiceId, globs: string) => {
    const rule = parsePolicyText(`version: 1\nservices:\n  ${service}: { olderThan: 30d, ${globs} }\n`)
      .services[service];
    if (!rule) throw new Error('no rule');
    return rule;
  };

  it.each([
    ['exclude: ["*"]', '', 'excluded'],
    ['exclude: ["**"]', '', 'excluded'],
    ['exclude: ["keep-*", "*"]', '', 'excluded'],
    ['exclude: ["*"]', 'named', 'excluded'],
    ['exclude: ["keep-*"]', '', 'delete'],
    ['exclude: ["?*"]', '', 'delete'],
    ['exclude: ["*?"]', '', 'delete'],
    ['exclude: ["{,x}"]', '', 'delete'],
    ['include: ["*"]', '', 'delete'],
    ['include: ["**"]', '', 'delete'],
    ['include: ["prod-*"]', '', 'excluded'],
    ['include: ["{,x}"]', '', 'excluded'],
    ['include: ["*"], exclude: ["*"]', '', 'excluded'],
  ] as const)('%s, name %j → %s', (globs, name, expected) => {
    const task = makeTask({ service: 'oms-migration-tasks', name });
    const decision = evaluateTask(task, ruleOf('oms-migration-tasks', globs), NOW_MS);
    expect(expected === 'delete' ? decision.action : decision.reason).toBe(expected);
  });

  it.each([
    ['streams: ["*"]', undefined, 'delete'],
    ['streams: ["*"]', '', 'delete'],
    ['streams: ["s-*"]', undefined, 'parent-excluded'],
    ['streams: ["s-*"]', '', 'parent-excluded'],
    ['streams: ["?*"]', '', 'parent-excluded'],
  ] as const)('%s, parent name %j → %s', (globs, parentName, expected) => {
    const task = makeTask({
      service: 'dis-dump-tasks',
      state: 'ERROR',
      parentId: 'stream-id',
      ...(parentName !== undefined ? { parentName } : {}),
    });
    const decision = evaluateTask(task, ruleOf('dis-dump-tasks', globs), NOW_MS);
    expect(expected === 'delete' ? decision.action : decision.reason).toBe(expected);
  });
});

describe('names with line breaks: "*" matches every character', () => {
  const ruleOf = (globs: string) => {
    const rule = parsePolicyText(
      `version: 1\nservices:\n  oms-migration-tasks: { olderThan: 30d, ${globs} }\n`,
    ).services['oms-migration-tasks'];
    if (!rule) throw new Error('no rule');
    return rule;
  };

  it.each([
    ['exclude: ["keep-*"]', 'keep-prod-migration\n', 'excluded'],
    ['exclude: ["keep-*"]', 'keep-a\rb', 'excluded'],
    ['exclude: ["keep-*"]', 'keep-x\u2028y', 'excluded'],
    ['exclude: ["keep-*"]', 'keep-x\u2029', 'excluded'],
    ['exclude: ["*else"]', 'anything\nelse', 'excluded'],
    ['exclude: ["*"]', '\n', 'excluded'],
    ['exclude: ["keep-?"]', 'keep-\n', 'excluded'],
    ['exclude: ["keep-*"]', 'other\nkeep-a', 'delete'],
    ['include: ["prod-*"]', 'prod-\nx', 'delete'],
    ['include: ["prod-*"]', 'dev\nprod-x', 'excluded'],
  ] as const)('%s, name %j → %s', (globs, name, expected) => {
    const decision = evaluateTask(makeTask({ service: 'oms-migration-tasks', name }), ruleOf(globs), NOW_MS);
    expect(expected === 'delete' ? decision.action : decision.reason).toBe(expected);
  });
});

function candidate(service: ServiceId, id: string, endedAtMs: number): DeleteCandidate {
  return { task: makeTask({ service, id, endedAtMs }), ageMs: NOW_MS - endedAtMs, reason: 'older-than-30d' };
}

describe('applyCap', () => {
  it('keeps the oldest, ties broken by service then id, whatever the input order', () => {
    const items = [
      candidate('oms-migration-tasks', 'b', 100),
      candidate('dis-dump-tasks', 'z', 100),
      candidate('oms-migration-tasks', 'a', 100),
      candidate('oms-migration-tasks', 'old', 50),
      candidate('dcs-center-tasks', 'young', 200),
    ];
    const key = (c: DeleteCandidate) => `${c.task.service}/${c.task.id}`;

    const forward = applyCap(items, 3);
    const backward = applyCap([...items].reverse(), 3);

    expect(forward.deletes.map(key)).toEqual([
      'oms-migration-tasks/old',
      'dis-dump-tasks/z',
      'oms-migration-tasks/a',
    ]);
    expect(forward.capped.map(key)).toEqual(['oms-migration-tasks/b', 'dcs-center-tasks/young']);
    expect(backward.deletes.map(key)).toEqual(forward.deletes.map(key));
  });

  it('plans nothing with a cap of 0', () => {
    const { deletes, capped } = applyCap([candidate('oms-migration-tasks', 'a', 1)], 0);
    expect(deletes).toEqual([]);
    expect(capped).toHaveLength(1);
  });
});

describe('planPurge', () => {
  it('plans the stale tasks of enabled services, counting kept ones by reason', () => {
    const policy = parsePolicyText(`
version: 1
maxDeletesPerRun: 2
services:
  oms-migration-tasks: { olderThan: 30d, exclude: [keep-*] }
  dcs-center-tasks: { olderThan: 30d, enabled: false }
`);
    const tasks = [
      makeTask({ id: 'stale-1', ageDays: 90 }),
      makeTask({ id: 'stale-2', ageDays: 60 }),
      makeTask({ id: 'stale-3', ageDays: 31 }),
      makeTask({ id: 'young', ageDays: 3 }),
      makeTask({ id: 'busy', state: 'executing', ageDays: 90 }),
      makeTask({ id: 'kept', name: 'keep-this', ageDays: 90 }),
      makeTask({ id: 'odd', state: 'status-9', stateClass: 'unknown' }),
      makeTask({ id: 'ageless', endedAtMs: undefined }),
      makeTask({ service: 'dcs-center-tasks', id: 'disabled', ageDays: 90 }),
    ];

    const plan = planPurge(tasks, policy, NOW_MS);

    expect(plan.deletes.map((c) => c.task.id)).toEqual(['stale-1', 'stale-2']);
    expect(plan.capped.map((c) => c.task.id)).toEqual(['stale-3']);
    expect(plan.services['dcs-center-tasks']).toBeUndefined();
    expect(plan.services['oms-migration-tasks']).toMatchObject({
      listed: 8,
      kept: {
        'too-young': 1,
        'in-progress': 1,
        excluded: 1,
        'unknown-state': 1,
        'unknown-age': 1,
        'state-not-selected': 0,
        'parent-excluded': 0,
      },
    });
  });
});
