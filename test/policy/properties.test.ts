/**
 * Property-based tests: the duration, policy and event parsers either return a valid value or
 * throw a ConfigError whose every problem names a field; never another exception. Overrides never widen.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors';
import { checkDuration, parseDuration } from '../../lib/policy/duration';
import { parsePolicyText, validatePolicy } from '../../lib/policy/load';
import { applyOverrides, enabledServices, parseManualEvent } from '../../lib/policy/overrides';
import { DELETABLE_STATES } from '../../lib/policy/states';
import type { Policy } from '../../lib/policy/types';
import { SERVICE_IDS } from '../../lib/types';

const RUNS = 300;

const SEGMENT = String.raw`(?:[A-Za-z0-9_-]+|\[(?:\d+|"(?:[^"\\]|\\.)*")\])`;
/** `path: message`, where path is `(root)`, `a.b[0]["odd key"]` or `file (line L, column C)`. */
const FIELD_PROBLEM = new RegExp(
  String.raw`^(?:\(root\)|${SEGMENT}(?:\.[A-Za-z0-9_-]+|\[(?:\d+|"(?:[^"\\]|\\.)*")\])*)(?: \(line \d+, column \d+\))?: \S`,
);

/** Calls `act`; a ConfigError must have problems each shaped `path: message`. Returns whether it parsed. */
function parsesOrNamesField(act: () => unknown, problemShape = FIELD_PROBLEM): boolean {
  try {
    act();
    return true;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    expect(error.problems.length).toBeGreaterThan(0);
    for (const problem of error.problems) expect(problem).toMatch(problemShape);
    return false;
  }
}

const durationLike = fc.oneof(
  fc.string(),
  fc.stringMatching(/^P?T?[0-9]{0,4}[smhdwSMHDWY.]?[0-9]{0,3}[SMHDW]?$/),
  fc
    .tuple(fc.integer({ min: -5, max: 1e7 }), fc.constantFrom('s', 'm', 'h', 'd', 'w', 'D', '', ' d'))
    .map(([n, u]) => `${n}${u}`),
);

const serviceIdLike = fc.oneof(fc.constantFrom(...SERVICE_IDS), fc.string({ maxLength: 12 }));
const stateLike = fc.oneof(
  fc.constantFrom(...Object.values(DELETABLE_STATES).flat(), 'running', 'EXECUTING'),
  fc.string(),
);

const servicePolicyLike = fc.record(
  {
    olderThan: fc.oneof(durationLike, fc.integer()),
    states: fc.array(stateLike, { maxLength: 3 }),
    include: fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
    exclude: fc.oneof(fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }), fc.string()),
    enabled: fc.oneof(fc.boolean(), fc.string()),
    instances: fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
    streams: fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);

const policyLike = fc.oneof(
  fc.anything(),
  fc.record(
    {
      version: fc.oneof(fc.constant(1), fc.anything()),
      dryRun: fc.oneof(fc.boolean(), fc.anything()),
      maxDeletesPerRun: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.string()),
      services: fc.oneof(fc.dictionary(serviceIdLike, servicePolicyLike, { maxKeys: 4 }), fc.anything()),
      unknown: fc.anything(),
    },
    { requiredKeys: ['version'] },
  ),
);

function assertValidPolicy(policy: Policy): void {
  expect(policy.version).toBe(1);
  expect(Number.isSafeInteger(policy.maxDeletesPerRun) && policy.maxDeletesPerRun >= 0).toBe(true);
  for (const [id, sp] of Object.entries(policy.services)) {
    expect(SERVICE_IDS).toContain(id);
    expect(sp?.olderThanMs).toBeGreaterThan(0);
    for (const state of sp?.states ?? [])
      expect(DELETABLE_STATES[id as keyof typeof DELETABLE_STATES]).toContain(state);
  }
}

describe('parser properties', () => {
  it('parseDuration returns a positive safe integer or throws ConfigError', () => {
    fc.assert(
      fc.property(durationLike, (text) => {
        // A bare duration has no field: its one problem says what was expected and what came.
        if (
          parsesOrNamesField(() => parseDuration(text), /^expected a duration like "30d" or "P30D", got /)
        ) {
          const ms = parseDuration(text);
          expect(Number.isSafeInteger(ms) && ms > 0).toBe(true);
        }
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('checkDuration never throws, whatever the value', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(typeof checkDuration(value).ok).toBe('boolean');
      }),
      { numRuns: RUNS },
    );
  });

  it('validatePolicy returns a valid policy or throws ConfigError naming fields', () => {
    fc.assert(
      fc.property(policyLike, (doc) => {
        let policy: Policy | undefined;
        if (parsesOrNamesField(() => (policy = validatePolicy(doc))) && policy) assertValidPolicy(policy);
      }),
      { numRuns: RUNS },
    );
  });

  it('parsePolicyText handles any text (YAML and JSON) the same way', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          policyLike.map((d) => JSON.stringify(d) ?? 'null'),
        ),
        (text) => {
          parsesOrNamesField(() => parsePolicyText(text));
          parsesOrNamesField(() => parsePolicyText(text, { format: 'json' }));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('parseManualEvent returns only known keys or throws ConfigError naming fields', () => {
    const eventLike = fc.oneof(
      fc.anything(),
      fc.record(
        {
          dryRun: fc.oneof(fc.boolean(), fc.anything()),
          services: fc.oneof(fc.array(serviceIdLike, { maxLength: 3 }), fc.anything()),
          olderThan: fc.oneof(durationLike, fc.anything()),
          maxDeletesPerRun: fc.oneof(fc.nat(), fc.double(), fc.anything()),
          other: fc.anything(),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(eventLike, (event) => {
        try {
          const overrides = parseManualEvent(event);
          for (const key of Object.keys(overrides)) {
            expect(['dryRun', 'services', 'olderThan', 'maxDeletesPerRun']).toContain(key);
          }
          for (const id of overrides.services ?? []) expect(SERVICE_IDS).toContain(id);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('applyOverrides never widens the services, the cap, states, globs or parents', () => {
    const basePolicy = parsePolicyText(`
version: 1
maxDeletesPerRun: 50
services:
  oms-migration-tasks: { olderThan: 30d, exclude: [keep-*] }
  dis-dump-tasks: { olderThan: 90d, states: [ERROR], streams: [prod-*] }
  dcs-center-tasks: { olderThan: 30d, enabled: false }
`);
    const overridesLike = fc.record(
      {
        dryRun: fc.boolean(),
        services: fc.array(fc.constantFrom(...SERVICE_IDS), { maxLength: 5 }),
        olderThan: durationLike,
        maxDeletesPerRun: fc.integer({ min: -2, max: 200 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(overridesLike, (overrides) => {
        let result: Policy | undefined;
        if (!parsesOrNamesField(() => (result = applyOverrides(basePolicy, overrides))) || !result) return;
        const before = enabledServices(basePolicy);
        for (const id of enabledServices(result)) {
          expect(before).toContain(id);
          const was = basePolicy.services[id];
          const now = result.services[id];
          expect(now?.states).toEqual(was?.states);
          expect(now?.include).toEqual(was?.include);
          expect(now?.exclude).toEqual(was?.exclude);
          expect(now?.parents).toEqual(was?.parents);
        }
        expect(result.maxDeletesPerRun).toBeLessThanOrEqual(basePolicy.maxDeletesPerRun);
      }),
      { numRuns: RUNS },
    );
  });
});
