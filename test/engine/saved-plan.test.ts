import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors';
import { parsePolicyText } from '../../lib/policy/load';
import { applyOverrides } from '../../lib/policy/overrides';
import type { PolicyOverrides } from '../../lib/policy/types';
import {
  checkPlanAccount,
  checkPlanAge,
  checkPlanProject,
  checkPlanTargetsResolved,
  createSavedPlan,
  describePlanAccount,
  endpointHost,
  parseSavedPlan,
  planPolicy,
  type RunAccount,
  type SavedPlan,
  taskKey,
  toSavedPlanTask,
} from '../../lib/saved-plan';
import { perCloudService } from '../support/task-apis';
import { makeTask, NOW, NOW_MS, PLAN_ACCOUNT } from './fakes';

const POLICY = parsePolicyText(`
version: 1
maxDeletesPerRun: 500
services:
  dcs-background-tasks: { olderThan: 30d, instances: ["prod-*"], exclude: ["*restore*"] }
  modelarts-processor-tasks: { olderThan: P14D, states: [completed, failed] }
  oms-migration-tasks: { olderThan: 30d, include: ["nightly-*"], enabled: false }
  dis-dump-tasks: { olderThan: 90d, streams: ["click-*"], states: [ERROR] }
`);

const TARGETS_POLICY = parsePolicyText(`
version: 1
maxDeletesPerRun: 500
targets:
  - regions: [cn-north-4, cn-east-3]
    projects: ["*"]
services:
  oms-migration-tasks: { olderThan: 30d }
`);

/** A version 3 plan: two targets of one region, each task with its target. */
function makeTargetsPlan(tasks: SavedPlan['tasks'], policy = TARGETS_POLICY): SavedPlan {
  const target = (projectId: string) => ({
    region: 'cn-north-4',
    projectId,
    endpointHosts: PLAN_ACCOUNT.endpointHosts,
  });
  return createSavedPlan({
    createdAt: NOW,
    toolVersion: '1.2.3',
    account: { cloud: 'huaweicloud', targets: [target('p1'), target('p2')] },
    policy,
    overrides: {},
    tasks,
  });
}

function makePlan(
  overrides: PolicyOverrides = {},
  tasks = [toSavedPlanTask(makeTask({ id: 'x' }))],
): SavedPlan {
  return createSavedPlan({
    createdAt: NOW,
    toolVersion: '1.2.3',
    account: PLAN_ACCOUNT,
    policy: applyOverrides(POLICY, overrides),
    overrides,
    tasks,
  });
}

function problemsOf(act: () => unknown): readonly string[] {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('saved plans (version 2)', () => {
  it('round-trips through JSON, with its account, selection, tool version and creation time', () => {
    const task = makeTask({
      service: 'dis-dump-tasks',
      id: 'dump-1',
      state: 'ERROR',
      parentId: 's1',
      parentName: 's1',
      ageDays: 100,
    });
    const plan = makePlan({ services: ['dis-dump-tasks'], olderThan: '7d', maxDeletesPerRun: 9 }, [
      toSavedPlanTask(task),
    ]);

    const parsed = parseSavedPlan(JSON.stringify(plan));

    expect(parsed).toEqual(plan);
    expect(parsed).toMatchObject({
      version: 2,
      createdAt: NOW.toISOString(),
      tool: { name: 'task-janitor', version: '1.2.3' },
      account: PLAN_ACCOUNT,
      selection: { overrides: { services: ['dis-dump-tasks'], olderThan: '7d', maxDeletesPerRun: 9 } },
    });
    expect(taskKey(parsed.tasks[0] ?? task)).toBe(taskKey(task));
  });

  it.each<[string, PolicyOverrides]>([
    ['no override', {}],
    ['a service', { services: ['dcs-background-tasks'] }],
    ['an age', { olderThan: '36h' }],
    ['a lower cap', { maxDeletesPerRun: 3 }],
    [
      'all of them',
      { services: ['modelarts-processor-tasks', 'dis-dump-tasks'], olderThan: 'P2D', maxDeletesPerRun: 1 },
    ],
  ])('records the whole effective policy so it is rebuilt exactly (%s)', (_label, overrides) => {
    const effective = applyOverrides(POLICY, overrides);
    const plan = parseSavedPlan(JSON.stringify(makePlan(overrides)));

    const rebuilt = planPolicy(plan);

    expect(rebuilt.digest).toBe(effective.digest);
    expect(plan.policyDigest).toBe(effective.digest);
    expect(rebuilt.services).toEqual(effective.services);
    expect(rebuilt.maxDeletesPerRun).toBe(effective.maxDeletesPerRun);
  });

  const valid = (): Record<string, unknown> =>
    JSON.parse(JSON.stringify(makePlan())) as Record<string, unknown>;

  it.each<[string, () => unknown, RegExp]>([
    ['not JSON', () => '{', /^\(root\): not valid JSON/],
    [
      'a version-1 plan (not bound to an account)',
      () => ({ version: 1, createdAt: NOW.toISOString(), policyDigest: 'x', tasks: [] }),
      /^version: 1 .*not bound to an account.*make a new plan/,
    ],
    ['a future version', () => ({ ...valid(), version: 4 }), /^version: expected 2, got 4$/],
    ['an unknown key', () => ({ ...valid(), extra: 1 }), /^extra: unknown key$/],
    [
      'a bad date',
      () => ({ ...valid(), createdAt: 'yesterday' }),
      /^createdAt: expected an ISO-8601 timestamp$/,
    ],
    [
      'a missing account',
      () => {
        const { account: _unused, ...rest } = valid();
        return rest;
      },
      /^account: is required/,
    ],
    [
      'an unknown cloud',
      () => ({ ...valid(), account: { ...PLAN_ACCOUNT, cloud: 'aws' } }),
      /^account\.cloud: /,
    ],
    [
      'a missing endpoint host',
      () => ({ ...valid(), account: { ...PLAN_ACCOUNT, endpointHosts: { iam: 'iam.example' } } }),
      /^account\.endpointHosts\.dcs: is required/,
    ],
    [
      'an unknown service',
      () => ({ ...valid(), tasks: [{ service: 'sms', id: '1', name: 'n', state: 's', endedAtMs: 1 }] }),
      /^tasks\[0\]\.service: /,
    ],
    [
      'a numeric id (would lose digits)',
      () => ({
        ...valid(),
        tasks: [{ service: 'oms-migration-tasks', id: 191297407830872, name: 'n', state: 's', endedAtMs: 1 }],
      }),
      /^tasks\[0\]\.id: expected string, got number$/,
    ],
    [
      'a policy edited after the plan was written',
      () => {
        const plan = valid() as { selection: { policy: { maxDeletesPerRun: number } } };
        plan.selection.policy.maxDeletesPerRun = 100_000;
        return plan;
      },
      /^policyDigest: expected the digest of selection\.policy .*changed after it was written/,
    ],
    [
      'a recorded policy that is not valid',
      () => {
        const plan = valid() as { selection: { policy: Record<string, unknown> } };
        plan.selection.policy.services = { 'oms-migration-tasks': { olderThan: '30 days' } };
        return plan;
      },
      /^selection\.policy\.services\.oms-migration-tasks\.olderThan: /,
    ],
  ])('refuses %s, naming the field', (_label, value, problem) => {
    const built = value();
    const text = typeof built === 'string' ? built : JSON.stringify(built);

    expect(problemsOf(() => parseSavedPlan(text))[0]).toMatch(problem);
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
    const text = JSON.stringify(makePlan({}, [task, task]));
    expect(() => parseSavedPlan(text)).toThrow(/tasks\[1\]: duplicate task oms-migration-tasks x/);
  });
  it('version 3: two targets may each hold a task of the same id; one target may not list it twice', () => {
    const task = toSavedPlanTask(makeTask({ id: 'x' }));
    const apart = makeTargetsPlan([
      { ...task, target: 'p1' },
      { ...task, target: 'p2' },
    ]);
    expect(parseSavedPlan(JSON.stringify(apart)).tasks).toHaveLength(2);
    const twice = makeTargetsPlan([
      { ...task, target: 'p1' },
      { ...task, target: 'p1' },
    ]);
    expect(() => parseSavedPlan(JSON.stringify(twice))).toThrow(
      /tasks\[1\]: duplicate task oms-migration-tasks x/,
    );
  });
});

describe('the version fits the recorded policy', () => {
  const task = toSavedPlanTask(makeTask({ id: 'x' }));

  it('version 2 with a policy without targets and version 3 with a policy with targets round-trip', () => {
    const one = makePlan();
    const several = makeTargetsPlan([{ ...task, target: 'p1' }]);

    expect(parseSavedPlan(JSON.stringify(one))).toEqual(one);
    expect(parseSavedPlan(JSON.stringify(several))).toEqual(several);
  });

  it('refuses version 2 whose policy has targets (every task would go to every target), naming the field', () => {
    // Consistent otherwise: the digest is the recorded policy's, the account and tasks are valid.
    const plan = createSavedPlan({
      createdAt: NOW,
      toolVersion: '1.2.3',
      account: PLAN_ACCOUNT,
      policy: TARGETS_POLICY,
      overrides: {},
      tasks: [task],
    });
    expect(plan.version).toBe(2);

    expect(problemsOf(() => parseSavedPlan(JSON.stringify(plan)))).toEqual([
      expect.stringMatching(
        /^selection\.policy\.targets: a plan of one account \(version 2\) records a policy without targets; /,
      ),
    ]);
  });

  it('refuses version 3 whose policy has no targets, naming the field', () => {
    const plan = makeTargetsPlan([{ ...task, target: 'p1' }], POLICY);
    expect(plan.version).toBe(3);

    expect(problemsOf(() => parseSavedPlan(JSON.stringify(plan)))).toEqual([
      expect.stringMatching(
        /^selection\.policy\.targets: a plan of several targets \(version 3\) records the policy with targets/,
      ),
    ]);
  });
});

describe('a plan within its own cap (applied, each target may delete exactly its planned tasks)', () => {
  const tasks = ['a', 'b', 'c'].map((id) => toSavedPlanTask(makeTask({ id })));

  it('refuses more tasks than the cap it records, naming the field', () => {
    expect(
      problemsOf(() => parseSavedPlan(JSON.stringify(makePlan({ maxDeletesPerRun: 2 }, tasks)))),
    ).toEqual(["tasks: 3 tasks, more than the plan's cap of 2 deletes per run"]);
  });

  it('accepts as many tasks as the cap', () => {
    const plan = makePlan({ maxDeletesPerRun: 3 }, tasks);
    expect(parseSavedPlan(JSON.stringify(plan))).toEqual(plan);
  });
});

describe('binding a plan to its account', () => {
  const endpoints = perCloudService((service) => `https://${service}.eu-de.myhuaweicloud.com`);
  const same: RunAccount = { cloud: 'huaweicloud', region: 'eu-de', projectId: 'p-1', endpoints };

  it.each([
    ['https://oms.eu-de.example.com', 'oms.eu-de.example.com'],
    ['http://127.0.0.1:4567', '127.0.0.1:4567'],
    ['https://user:secret@oms.example.com:8443/base/path?q=1#f', 'oms.example.com:8443'],
    ['https://[::1]:9000/x', '[::1]:9000'],
  ])('records only the host of %s', (url, host) => {
    expect(endpointHost(url)).toBe(host);
  });

  it('describes the account of a configuration', () => {
    expect(describePlanAccount(same, 'p-1')).toEqual(PLAN_ACCOUNT);
  });

  it('accepts the account the plan was made for', () => {
    expect(checkPlanAccount({ account: PLAN_ACCOUNT }, same)).toEqual([]);
    expect(checkPlanAccount({ account: PLAN_ACCOUNT }, { ...same, projectId: undefined })).toEqual([]);
  });

  it.each<[string, Partial<RunAccount>, RegExp[]]>([
    ['another cloud', { cloud: 'otc' }, [/^account\.cloud: .*"huaweicloud".*"otc" \(TASK_JANITOR_CLOUD\)$/]],
    [
      'another region',
      { region: 'eu-nl' },
      [/^account\.region: .*"eu-de".*"eu-nl" \(TASK_JANITOR_REGION\)$/],
    ],
    [
      'another project',
      { projectId: 'p-2' },
      [/^account\.projectId: .*"p-1".*"p-2" \(TASK_JANITOR_PROJECT_ID\)$/],
    ],
    [
      'another host',
      { endpoints: { ...endpoints, oms: 'https://oms.other.example:8443/path' } },
      [
        /^account\.endpointHosts\.oms: .*"oms\.eu-de\.myhuaweicloud\.com".*"oms\.other\.example:8443" \(TASK_JANITOR_ENDPOINT_OMS/,
      ],
    ],
    [
      'everything at once',
      { cloud: 'otc', region: 'eu-nl', projectId: 'p-2', endpoints: { ...endpoints, iam: 'https://iam.x' } },
      [/^account\.cloud/, /^account\.region/, /^account\.projectId/, /^account\.endpointHosts\.iam/],
    ],
  ])('refuses %s', (_label, change, expected) => {
    const problems = checkPlanAccount({ account: PLAN_ACCOUNT }, { ...same, ...change });

    expect(problems).toHaveLength(expected.length);
    expected.forEach((pattern, i) => {
      expect(problems[i]).toMatch(pattern);
    });
  });

  it('compares a project id resolved through IAM', () => {
    expect(checkPlanProject({ account: PLAN_ACCOUNT }, 'p-1')).toBeUndefined();
    expect(checkPlanProject({ account: PLAN_ACCOUNT }, 'p-2')).toMatch(
      /^account\.projectId: .*"p-1".*"p-2"$/,
    );
  });
});

describe('the targets a plan of several (version 3) is applied to', () => {
  const planned = (region: string, projectId: string, projectName?: string) => ({
    region,
    projectId,
    ...(projectName !== undefined ? { projectName } : {}),
    endpointHosts: PLAN_ACCOUNT.endpointHosts,
  });
  const plan = {
    targets: [planned('cn-north-4', 'p-1', 'cn-north-4'), planned('cn-east-3', 'p-2', 'cn-east-3_dev')],
  };
  const run = (region: string, projectId: string, projectName?: string) => ({
    region,
    projectId,
    projectName,
  });

  it('accepts exactly the plan targets, in any order', () => {
    expect(
      checkPlanTargetsResolved(plan, [
        run('cn-east-3', 'p-2', 'cn-east-3_dev'),
        run('cn-north-4', 'p-1', 'cn-north-4'),
      ]),
    ).toEqual([]);
  });

  it("refuses a run without one of the plan's targets (its tasks would not be applied)", () => {
    expect(checkPlanTargetsResolved(plan, [run('cn-north-4', 'p-1', 'cn-north-4')])).toEqual([
      "targets: the plan's target cn-east-3/cn-east-3_dev is not among this run's targets; its tasks would not be applied",
    ]);
  });

  it('refuses a target that appeared since the plan (never reviewed; it would take a share of the cap), naming it', () => {
    const problems = checkPlanTargetsResolved(plan, [
      run('cn-north-4', 'p-1', 'cn-north-4'),
      run('cn-north-4', 'p-9', 'cn-north-4_new'),
      run('cn-east-3', 'p-2', 'cn-east-3_dev'),
    ]);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^targets: a target appeared since the plan: cn-north-4\/cn-north-4_new; .*share of the cap/,
    );
  });

  it('names an appeared target by its id when it has no name, and one of the same id in another region', () => {
    expect(
      checkPlanTargetsResolved(plan, [
        run('cn-north-4', 'p-1'),
        run('cn-east-3', 'p-2'),
        run('ap-southeast-3', 'p-1'),
      ]),
    ).toEqual([expect.stringMatching(/^targets: a target appeared since the plan: ap-southeast-3\/p-1; /)]);
  });

  it('both at once: a target gone and another appeared (the same number of targets)', () => {
    const problems = checkPlanTargetsResolved(plan, [
      run('cn-north-4', 'p-1', 'cn-north-4'),
      run('cn-east-3', 'p-3', 'cn-east-3_new'),
    ]);

    expect(problems).toEqual([
      expect.stringMatching(/^targets: the plan's target cn-east-3\/cn-east-3_dev is not among/),
      expect.stringMatching(/^targets: a target appeared since the plan: cn-east-3\/cn-east-3_new; /),
    ]);
  });

  it('has nothing to say of a plan of one account (version 2: its project is compared instead)', () => {
    expect(checkPlanTargetsResolved({}, [run('cn-north-4', 'p-1'), run('cn-east-3', 'p-2')])).toEqual([]);
  });
});

describe('the age of a plan', () => {
  const HOUR_MS = 3_600_000;
  it.each<[string, number, number, RegExp | undefined]>([
    ['a fresh plan', NOW_MS + HOUR_MS, 24 * HOUR_MS, undefined],
    ['a plan at the limit', NOW_MS + 24 * HOUR_MS, 24 * HOUR_MS, undefined],
    ['a plan over the limit', NOW_MS + 25 * HOUR_MS, 24 * HOUR_MS, /25 h ago, more than the limit of 24 h/],
    ['a plan over a raised limit', NOW_MS + 49 * HOUR_MS, 48 * HOUR_MS, /more than the limit of 48 h/],
    ['a plan within a raised limit', NOW_MS + 25 * HOUR_MS, 48 * HOUR_MS, undefined],
    ['a plan a minute ahead of this clock', NOW_MS - 60_000, HOUR_MS, undefined],
    ['a plan from the future', NOW_MS - HOUR_MS, 24 * HOUR_MS, /is in the future/],
  ])('%s', (_label, nowMs, maxAgeMs, expected) => {
    const problem = checkPlanAge({ createdAt: NOW.toISOString() }, nowMs, maxAgeMs);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});
