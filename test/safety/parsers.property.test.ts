/**
 * Property-based tests that complete test/policy/properties.test.ts: the two platform event parsers
 * (EventBridge/manual on Lambda, TIMER `user_event` on FunctionGraph) either parse or fail with a ConfigError
 * whose every problem names a field; a parsed policy never selects more than its document says; and no
 * policy, whatever it says, selects a task outside the deletable-state table, even when a source wrongly
 * claims one deletable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { overridesFromLambdaEvent } from '../../handlers/aws/event';
import { overridesFromFunctionGraphEvent } from '../../handlers/functiongraph/event';
import { ConfigError } from '../../lib/errors';
import { evaluateTask } from '../../lib/plan';
import { validatePolicy } from '../../lib/policy/load';
import { DELETABLE_STATES } from '../../lib/policy/states';
import type { Policy } from '../../lib/policy/types';
import { SERVICE_IDS, type ServiceId, type Task } from '../../lib/types';
import { EVENTBRIDGE_SCHEDULED_EVENT, FUNCTIONGRAPH_TIMER_EXAMPLE } from '../support/platform-events';

const RUNS = 400;
const OVERRIDE_KEYS = ['dryRun', 'services', 'olderThan', 'maxDeletesPerRun'];
const SEGMENT = String.raw`(?:[A-Za-z0-9_-]+|\[(?:\d+|"(?:[^"\\]|\\.)*")\])`;
/** `field: message` (optionally under `user_event: `): `(root)`, `a.b[0]["odd key"]`; never a bare message. */
const NAMES_A_FIELD = new RegExp(
  String.raw`^(?:user_event: )?(?:\(root\)|${SEGMENT}(?:\.[A-Za-z0-9_-]+|\[(?:\d+|"(?:[^"\\]|\\.)*")\])*): \S`,
);

function parsesOrNamesField<T>(act: () => T): T | undefined {
  try {
    return act();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    expect(error.problems.length).toBeGreaterThan(0);
    for (const problem of error.problems) expect(problem).toMatch(NAMES_A_FIELD);
    return undefined;
  }
}

const manualEventLike = fc.oneof(
  fc.anything(),
  fc.record(
    {
      dryRun: fc.oneof(fc.boolean(), fc.anything()),
      services: fc.oneof(
        fc.array(fc.oneof(fc.constantFrom(...SERVICE_IDS), fc.string({ maxLength: 8 })), { maxLength: 3 }),
        fc.anything(),
      ),
      olderThan: fc.oneof(
        fc.constantFrom('7d', 'P30D', '0d', '-1d', '1.5h', 'P1M'),
        fc.string(),
        fc.anything(),
      ),
      maxDeletesPerRun: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.anything()),
      extra: fc.anything(),
    },
    { requiredKeys: [] },
  ),
);

function expectKnownOverrides(overrides: Record<string, unknown>): void {
  for (const key of Object.keys(overrides)) expect(OVERRIDE_KEYS).toContain(key);
  for (const id of (overrides.services as unknown[] | undefined) ?? []) expect(SERVICE_IDS).toContain(id);
}

/** Every manual key the event carries at its top level came through: nothing is silently dropped. */
function expectNoManualKeyDropped(event: unknown, overrides: Record<string, unknown>): void {
  if (event === null || typeof event !== 'object') return;
  for (const key of OVERRIDE_KEYS) {
    if (Object.hasOwn(event, key)) expect(overrides).toHaveProperty(key);
  }
}

/** Some of a scheduled event's fields, each with its own value or another one, plus some manual keys. */
function scheduleLike(fields: Readonly<Record<string, unknown>>) {
  const entries = Object.entries(fields).map(([key, value]) =>
    fc.option(
      fc.tuple(fc.constant(key), fc.oneof({ weight: 4, arbitrary: fc.constant(value) }, fc.anything())),
      { freq: 4, nil: undefined },
    ),
  );
  return fc.tuple(fc.tuple(...entries), manualEventLike).map(([picked, manual]) => ({
    ...Object.fromEntries(picked.filter((entry) => entry !== undefined)),
    ...(manual !== null && typeof manual === 'object' && !Array.isArray(manual) ? manual : {}),
  }));
}

describe('event parsers (property-based)', () => {
  it('Lambda: a scheduled event (or part of one) or a manual event parses or names its fields', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          manualEventLike,
          fc.record({ 'detail-type': fc.constant('Scheduled Event'), source: fc.constant('aws.events') }),
        ),
        (event) => {
          const overrides = parsesOrNamesField(() => overridesFromLambdaEvent(event));
          if (overrides) expectKnownOverrides({ ...overrides });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('Lambda: a manual key beside (part of) a scheduled event is honoured or the event is refused', () => {
    fc.assert(
      fc.property(scheduleLike(EVENTBRIDGE_SCHEDULED_EVENT), (event) => {
        const overrides = parsesOrNamesField(() => overridesFromLambdaEvent(event));
        if (overrides) expectNoManualKeyDropped(event, { ...overrides });
      }),
      { numRuns: RUNS },
    );
  });

  it('FunctionGraph: a manual key beside (part of) a TIMER event is honoured or the event is refused', () => {
    fc.assert(
      fc.property(scheduleLike({ ...FUNCTIONGRAPH_TIMER_EXAMPLE, user_event: '' }), (event) => {
        const overrides = parsesOrNamesField(() => overridesFromFunctionGraphEvent(event));
        if (overrides) expectNoManualKeyDropped(event, { ...overrides });
      }),
      { numRuns: RUNS },
    );
  });

  it('FunctionGraph: a TIMER user_event (any text) or a manual event parses or names its fields', () => {
    const timerEvent = fc.record({
      version: fc.constant('v1.0'),
      time: fc.constant('2025-01-01T00:00:00+08:00'),
      trigger_type: fc.constant('TIMER'),
      trigger_name: fc.constant('nightly'),
      user_event: fc.oneof(
        fc.string(),
        manualEventLike.map((e) => JSON.stringify(e) ?? 'null'),
        fc.anything(),
      ),
    });
    fc.assert(
      fc.property(fc.oneof(timerEvent, manualEventLike), (event) => {
        const overrides = parsesOrNamesField(() => overridesFromFunctionGraphEvent(event));
        if (overrides) expectKnownOverrides({ ...overrides });
      }),
      { numRuns: RUNS },
    );
  });
});

const GLOBS = ['keep-*', 'job-*', 'exact-name', '*'];
const NAMES = ['keep-1', 'job-2', 'exact-name', 'other', 'keep-', 'a/b', '..'];
const ALL_LABELS = [...new Set(Object.values(DELETABLE_STATES).flat())];
const NON_DELETABLE = ['EXECUTING', 'RUNNING', 'running', 'initialized', 'status-9', 'DELETE', ''];

const serviceDoc = (service: ServiceId) =>
  fc.record(
    {
      olderThan: fc.constantFrom('1d', '7d', '30d', 'PT12H'),
      states: fc.subarray([...DELETABLE_STATES[service]], { minLength: 1 }),
      include: fc.subarray(GLOBS, { minLength: 1 }),
      exclude: fc.subarray(GLOBS, { minLength: 1 }),
      enabled: fc.boolean(),
    },
    { requiredKeys: ['olderThan'] },
  );

const policyDoc = fc
  .record(
    Object.fromEntries(SERVICE_IDS.map((id) => [id, serviceDoc(id)])) as {
      [K in ServiceId]: ReturnType<typeof serviceDoc>;
    },
    { requiredKeys: [] },
  )
  .filter((services) => Object.keys(services).length > 0)
  .map((services) => ({ version: 1, services }));

const taskLike = fc.record({
  service: fc.constantFrom(...SERVICE_IDS),
  name: fc.constantFrom(...NAMES),
  state: fc.constantFrom(...ALL_LABELS, ...NON_DELETABLE),
  // A source may be wrong about the class: the planner must not trust it alone.
  stateClass: fc.constantFrom('deletable', 'in-progress', 'unknown'),
  ageDays: fc.option(fc.integer({ min: -2, max: 400 }), { nil: undefined }),
});

const matches = (glob: string, name: string): boolean =>
  glob === '*' ? true : glob.endsWith('*') ? name.startsWith(glob.slice(0, -1)) : glob === name;

describe('policy selection (property-based)', () => {
  const nowMs = Date.UTC(2025, 0, 1);

  // Names are not paths: a glob must not treat '.', '..' or '/' in a name as path syntax.
  it.each([
    ['*', '..'],
    ['*', '.'],
    ['*', '../x'],
    ['keep-*', 'keep-/..'],
    ['keep-*', 'keep-a/../b'],
    ['*-tmp', './a-tmp'],
    ['a.b*', 'a.b/..'],
  ])('exclude %j excludes a task named %j', (glob, name) => {
    const policy = validatePolicy({
      version: 1,
      services: { 'modelarts-processor-tasks': { olderThan: '1d', exclude: [glob] } },
    });
    const rule = policy.services['modelarts-processor-tasks'];
    const task: Task = {
      service: 'modelarts-processor-tasks',
      id: 'id-1',
      name,
      state: 'completed',
      stateClass: 'deletable',
      endedAtMs: nowMs - 10 * 86_400_000,
    };
    expect(rule && evaluateTask(task, rule, nowMs)).toMatchObject({ action: 'keep', reason: 'excluded' });
  });

  it('a parsed policy keeps every narrowing field of its document, and selects nothing beyond it', () => {
    fc.assert(
      fc.property(policyDoc, fc.array(taskLike, { maxLength: 12 }), (doc, tasks) => {
        const policy: Policy = validatePolicy(doc);
        expect(policy.dryRun).toBe(true);
        for (const id of SERVICE_IDS) {
          const given = (doc.services as Partial<Record<ServiceId, Record<string, unknown>>>)[id];
          const parsed = policy.services[id];
          if (!given) {
            expect(parsed).toBeUndefined();
            continue;
          }
          expect(parsed?.enabled).toBe(given.enabled ?? true);
          expect(parsed?.states).toEqual(given.states);
          expect(parsed?.include).toEqual(given.include);
          expect(parsed?.exclude).toEqual(given.exclude);
        }
        for (const t of tasks) {
          const rule = policy.services[t.service];
          const given = (doc.services as Partial<Record<ServiceId, Record<string, unknown>>>)[t.service];
          if (!rule || !given) continue;
          const task: Task = {
            service: t.service,
            id: 'id-1',
            name: t.name,
            state: t.state,
            stateClass: t.stateClass,
            endedAtMs: t.ageDays === undefined ? undefined : nowMs - t.ageDays * 86_400_000,
          };
          const decision = evaluateTask(task, rule, nowMs);
          if (decision.action !== 'delete') continue;
          expect(task.stateClass).toBe('deletable');
          expect(DELETABLE_STATES[t.service]).toContain(task.state);
          if (given.states) expect(given.states).toContain(task.state);
          if (given.include)
            expect((given.include as string[]).some((g) => matches(g, task.name))).toBe(true);
          if (given.exclude)
            expect((given.exclude as string[]).some((g) => matches(g, task.name))).toBe(false);
          expect(decision.ageMs).toBeGreaterThan(rule.olderThanMs);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
