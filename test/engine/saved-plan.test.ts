import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors';
import { createSavedPlan, parseSavedPlan, taskKey, toSavedPlanTask } from '../../lib/saved-plan';
import { problemsOf } from '../support/config-error';
import { makeTask, NOW } from './fakes';

describe('saved plans', () => {
  it('round-trips through JSON', () => {
    const task = makeTask({
      service: 'dis-dump-tasks',
      id: 'dump-1',
      state: 'ERROR',
      parentId: 's1',
      parentName: 's1',
      ageDays: 100,
    });
    const plan = createSavedPlan({
      createdAt: NOW,
      policyDigest: 'abcdef123456',
      tasks: [toSavedPlanTask(task)],
    });

    const parsed = parseSavedPlan(JSON.stringify(plan));

    expect(parsed).toEqual(plan);
    expect(taskKey(parsed.tasks[0] ?? task)).toBe(taskKey(task));
  });

  it.each([
    ['not JSON', '{', /^\(root\): not valid JSON/],
    [
      'a wrong version',
      JSON.stringify({ version: 2, createdAt: NOW.toISOString(), policyDigest: 'x', tasks: [] }),
      /^version: expected 1, got 2$/,
    ],
    [
      'an unknown key',
      JSON.stringify({ version: 1, createdAt: NOW.toISOString(), policyDigest: 'x', tasks: [], extra: 1 }),
      /^extra: unknown key$/,
    ],
    [
      'a bad date',
      JSON.stringify({ version: 1, createdAt: 'yesterday', policyDigest: 'x', tasks: [] }),
      /^createdAt: expected an ISO-8601 timestamp$/,
    ],
    [
      'an unknown service',
      JSON.stringify({
        version: 1,
        createdAt: NOW.toISOString(),
        policyDigest: 'x',
        tasks: [{ service: 'sms', id: '1', name: 'n', state: 's', endedAtMs: 1 }],
      }),
      /^tasks\[0\]\.service: /,
    ],
    [
      'a numeric id (would lose digits)',
      JSON.stringify({
        version: 1,
        createdAt: NOW.toISOString(),
        policyDigest: 'x',
        tasks: [{ service: 'oms-migration-tasks', id: 191297407830872, name: 'n', state: 's', endedAtMs: 1 }],
      }),
      /^tasks\[0\]\.id: expected string, got number$/,
    ],
  ])('refuses %s with a named field', (_label, text, problem) => {
    const act = () => parseSavedPlan(text);
    expect(act).toThrow(ConfigError);
    try {
      act();
    } catch (error) {
      expect((error as ConfigError).problems[0]).toMatch(problem);
    }
  });

  it('refuses a key given twice in one task, naming its path, line and column', () => {
    const text = `{
  "version": 1,
  "createdAt": "${NOW.toISOString()}",
  "policyDigest": "d",
  "tasks": [
    { "service": "oms-migration-tasks", "id": "1", "name": "a", "state": "failed", "endedAtMs": 1 },
    { "service": "oms-migration-tasks", "id": "2", "id": "3", "name": "b", "state": "failed", "endedAtMs": 1 }
  ]
}`;
    expect(problemsOf(() => parseSavedPlan(text))).toEqual([
      'tasks[1].id: duplicate key (line 7, column 52)',
    ]);
  });

  it('refuses a task listed twice', () => {
    const task = toSavedPlanTask(makeTask({ id: 'x' }));
    const text = JSON.stringify(createSavedPlan({ createdAt: NOW, policyDigest: 'd', tasks: [task, task] }));
    expect(() => parseSavedPlan(text)).toThrow(/tasks\[1\]: duplicate task oms-migration-tasks x/);
  });
});
