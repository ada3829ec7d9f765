import { describe, expect, it } from 'vitest';
import { parsePolicyText } from '../../lib/policy/load';
import { applyOverrides, enabledServices, parseManualEvent } from '../../lib/policy/overrides';
import { SERVICE_IDS } from '../../lib/types';
import { problemsOf } from '../support/config-error';

const DAY_MS = 86_400_000;

function makePolicy() {
  return parsePolicyText(`
version: 1
dryRun: true
maxDeletesPerRun: 100
services:
  oms-migration-tasks: { olderThan: 30d, exclude: [keep-*] }
  dis-dump-tasks: { olderThan: 90d, states: [ERROR], streams: [prod-*] }
  dcs-center-tasks: { olderThan: 30d, enabled: false }
`);
}

describe('applyOverrides', () => {
  it('returns the same selection with no overrides', () => {
    const policy = makePolicy();
    const result = applyOverrides(policy, {});
    expect(enabledServices(result)).toEqual(['oms-migration-tasks', 'dis-dump-tasks']);
    expect(result.digest).toBe(policy.digest);
  });

  it('narrows services to the named ones', () => {
    const result = applyOverrides(makePolicy(), { services: ['dis-dump-tasks'] });
    expect(enabledServices(result)).toEqual(['dis-dump-tasks']);
    expect(result.services['oms-migration-tasks']).toBeUndefined();
  });

  it.each([
    ['a service the policy disables', 'dcs-center-tasks'],
    ['a service the policy does not list', 'modelarts-processor-tasks'],
  ] as const)('refuses %s, naming it', (_label, service) => {
    expect(problemsOf(() => applyOverrides(makePolicy(), { services: [service] }))).toEqual([
      `services: ${service} is not enabled in the policy (overrides can only narrow it); enabled: oms-migration-tasks, dis-dump-tasks`,
    ]);
  });

  it('replaces olderThan of every selected service and keeps states, globs and parents', () => {
    const result = applyOverrides(makePolicy(), { olderThan: '7d' });
    expect(result.services['oms-migration-tasks']).toMatchObject({
      olderThan: '7d',
      olderThanMs: 7 * DAY_MS,
      exclude: ['keep-*'],
    });
    expect(result.services['dis-dump-tasks']).toMatchObject({
      olderThan: '7d',
      olderThanMs: 7 * DAY_MS,
      states: ['ERROR'],
      parents: ['prod-*'],
    });
  });

  it('lowers the cap and sets dryRun', () => {
    const result = applyOverrides(makePolicy(), { maxDeletesPerRun: 5, dryRun: false });
    expect(result).toMatchObject({ maxDeletesPerRun: 5, dryRun: false });
  });

  it('refuses to raise the cap', () => {
    expect(problemsOf(() => applyOverrides(makePolicy(), { maxDeletesPerRun: 101 }))).toEqual([
      "maxDeletesPerRun: 101 is above the policy's cap of 100 (overrides can only lower it)",
    ]);
  });

  it('reports every bad override at once', () => {
    const problems = problemsOf(() =>
      applyOverrides(makePolicy(), {
        services: ['dcs-center-tasks'],
        olderThan: '0d',
        maxDeletesPerRun: 1000,
      }),
    );
    expect(problems).toHaveLength(3);
    expect(problems.map((p) => p.split(':')[0])).toEqual(['services', 'olderThan', 'maxDeletesPerRun']);
  });

  it('gives the effective policy a new digest', () => {
    const policy = makePolicy();
    expect(applyOverrides(policy, { olderThan: '7d' }).digest).not.toBe(policy.digest);
  });
});

describe('parseManualEvent', () => {
  it('reads the manual event of the README', () => {
    expect(
      parseManualEvent({
        dryRun: false,
        services: ['oms-migration-tasks'],
        olderThan: '7d',
        maxDeletesPerRun: 50,
      }),
    ).toEqual({ dryRun: false, services: ['oms-migration-tasks'], olderThan: '7d', maxDeletesPerRun: 50 });
  });

  it('reads an empty event as no overrides', () => {
    expect(parseManualEvent({})).toEqual({});
  });

  it.each([
    [
      'an unknown key',
      { dryrun: false },
      'dryrun: unknown key; expected dryRun, services, olderThan, maxDeletesPerRun, targets, target, enumerate',
    ],
    ['dryRun as a string', { dryRun: 'false' }, 'dryRun: expected boolean, got string'],
    ['services as a string', { services: 'oms-migration-tasks' }, 'services: expected array, got string'],
    ['empty services', { services: [] }, 'services: expected at least 1 item(s)'],
    [
      'an unknown service',
      { services: ['sms'] },
      `services[0]: unknown service "sms"; expected one of ${SERVICE_IDS.join(', ')}`,
    ],
    [
      'a bad duration',
      { olderThan: '7 days' },
      'olderThan: expected a duration like "30d" or "P30D", got "7 days"',
    ],
    [
      'a numeric duration',
      { olderThan: 7 },
      'olderThan: expected a duration like "30d" or "P30D", got the number 7',
    ],
    ['a negative cap', { maxDeletesPerRun: -1 }, 'maxDeletesPerRun: expected a number ≥ 0'],
    ['a string cap', { maxDeletesPerRun: '5' }, 'maxDeletesPerRun: expected number, got string'],
    ['a fractional cap', { maxDeletesPerRun: 2.5 }, 'maxDeletesPerRun: expected an integer, got float'],
  ])('refuses %s, naming the field', (_label, event, problem) => {
    expect(problemsOf(() => parseManualEvent(event))).toEqual([problem]);
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['a string', '{"dryRun": false}'],
    ['a number', 1],
    ['undefined', undefined],
  ])('refuses %s as the event', (_label, event) => {
    expect(problemsOf(() => parseManualEvent(event))[0]).toMatch(/^\(root\): expected a JSON object, got /);
  });

  it('uses subject "event" in the message', () => {
    expect(() => parseManualEvent({ x: 1 })).toThrow(/^invalid event:/);
  });
});
