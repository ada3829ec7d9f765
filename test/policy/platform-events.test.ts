/**
 * The platform event rule, table-tested without a server: a scheduled event is one only with the platform's
 * complete shape; manual keys beside it are honoured and validated like the manual event; everything else is
 * refused naming the field. Fixtures are the platforms' published templates (test/support/platform-events.ts).
 */
import { describe, expect, it } from 'vitest';
import { overridesFromLambdaEvent } from '../../handlers/aws/event';
import { overridesFromFunctionGraphEvent } from '../../handlers/functiongraph/event';
import type { PolicyOverrides } from '../../lib/policy/types';
import { problemsOf } from '../support/config-error';
import {
  EVENTBRIDGE_EC2_STATE_CHANGE,
  EVENTBRIDGE_SCHEDULED_EVENT,
  FUNCTIONGRAPH_TIMER_EXAMPLE,
  FUNCTIONGRAPH_TIMER_EXAMPLE_TEXT,
  LAMBDA_CONSOLE_SCHEDULED_EVENT_TEMPLATE,
  SAM_CLI_SCHEDULED_EVENT_TEMPLATE,
} from '../support/platform-events';

const BESIDE_SCHEDULE =
  'unknown key; expected dryRun, services, olderThan, maxDeletesPerRun, targets, target, enumerate next to the fields of an EventBridge scheduled event';
const BESIDE_TIMER =
  'unknown key; expected dryRun, services, olderThan, maxDeletesPerRun, targets, target, enumerate next to the fields of a TIMER event';
const ALL_MANUAL_KEYS = {
  dryRun: false,
  services: ['oms-migration-tasks', 'dis-dump-tasks'],
  olderThan: '7d',
  maxDeletesPerRun: 50,
} as const;

function without(event: Readonly<Record<string, unknown>>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = event;
  return rest;
}

describe('Lambda events (overridesFromLambdaEvent)', () => {
  it.each<[string, unknown, PolicyOverrides]>([
    ['the scheduled event EventBridge delivers', EVENTBRIDGE_SCHEDULED_EVENT, {}],
    ['the SAM CLI scheduled-event template (no version)', SAM_CLI_SCHEDULED_EVENT_TEMPLATE, {}],
    ['the Lambda console scheduled-event template (no version)', LAMBDA_CONSOLE_SCHEDULED_EVENT_TEMPLATE, {}],
    [
      'the console template with the keys of the review (dryRun, maxDeletesPerRun 0)',
      { ...LAMBDA_CONSOLE_SCHEDULED_EVENT_TEMPLATE, dryRun: true, maxDeletesPerRun: 0 },
      { dryRun: true, maxDeletesPerRun: 0 },
    ],
    [
      'the delivered scheduled event with every manual key',
      { ...EVENTBRIDGE_SCHEDULED_EVENT, ...ALL_MANUAL_KEYS },
      ALL_MANUAL_KEYS,
    ],
    [
      'the SAM CLI template with one service',
      { ...SAM_CLI_SCHEDULED_EVENT_TEMPLATE, services: ['dis-dump-tasks'] },
      { services: ['dis-dump-tasks'] },
    ],
    ['a manual event', ALL_MANUAL_KEYS, ALL_MANUAL_KEYS],
    ['an empty manual event', {}, {}],
  ])('honours %s', (_label, event, expected) => {
    expect(overridesFromLambdaEvent(event)).toEqual(expected);
  });

  it.each<[string, unknown, string[]]>([
    [
      'an unknown key beside the console template',
      { ...LAMBDA_CONSOLE_SCHEDULED_EVENT_TEMPLATE, dryRun: true, force: true },
      [`force: ${BESIDE_SCHEDULE}`],
    ],
    [
      'a misspelt manual key beside the delivered event',
      { ...EVENTBRIDGE_SCHEDULED_EVENT, dryrun: true },
      [`dryrun: ${BESIDE_SCHEDULE}`],
    ],
    [
      'a manual key of the wrong type beside the console template',
      { ...LAMBDA_CONSOLE_SCHEDULED_EVENT_TEMPLATE, dryRun: 'true' },
      ['dryRun: expected boolean, got string'],
    ],
    [
      'a cap that is not an integer beside the SAM CLI template',
      { ...SAM_CLI_SCHEDULED_EVENT_TEMPLATE, maxDeletesPerRun: 1.5 },
      ['maxDeletesPerRun: expected an integer, got float'],
    ],
    [
      'the markers alone with manual keys (the shape of the review)',
      { source: 'aws.events', 'detail-type': 'Scheduled Event', dryRun: true, maxDeletesPerRun: 0 },
      [
        'id: is required (expected string)',
        'account: is required (expected string)',
        'time: is required (expected string)',
        'region: is required (expected string)',
        'resources: is required (expected array)',
        'detail: is required (expected object)',
      ],
    ],
    [
      'the markers alone',
      { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} },
      [
        'id: is required (expected string)',
        'account: is required (expected string)',
        'time: is required (expected string)',
        'region: is required (expected string)',
        'resources: is required (expected array)',
      ],
    ],
    [
      'the delivered event without detail-type',
      without(EVENTBRIDGE_SCHEDULED_EVENT, 'detail-type'),
      ['detail-type: expected "Scheduled Event", got nothing'],
    ],
    [
      'the delivered event without resources',
      without(EVENTBRIDGE_SCHEDULED_EVENT, 'resources'),
      ['resources: is required (expected array)'],
    ],
    [
      '"Scheduled Event" from another source',
      { ...EVENTBRIDGE_SCHEDULED_EVENT, source: 'custom.scheduler', dryRun: false },
      ['source: expected "aws.events", got "custom.scheduler"'],
    ],
    [
      'a scheduled event with a non-empty detail',
      { ...EVENTBRIDGE_SCHEDULED_EVENT, detail: { dryRun: false } },
      ['detail.dryRun: unknown key; the detail of an EventBridge scheduled event is empty ({})'],
    ],
    [
      'a scheduled event whose detail is not an object',
      { ...EVENTBRIDGE_SCHEDULED_EVENT, detail: 'Scheduled Event' },
      ['detail: expected object, got string'],
    ],
    [
      'an EventBridge event that is not a schedule',
      EVENTBRIDGE_EC2_STATE_CHANGE,
      [
        'detail-type: expected "Scheduled Event", got "EC2 Instance State-change Notification"',
        'source: expected "aws.events", got "aws.ec2"',
        'detail.instance-id: unknown key; the detail of an EventBridge scheduled event is empty ({})',
        'detail.state: unknown key; the detail of an EventBridge scheduled event is empty ({})',
      ],
    ],
    [
      'markers with wrong types',
      {
        ...EVENTBRIDGE_SCHEDULED_EVENT,
        version: 0,
        id: null,
        time: 1_444_323_186,
        resources: 'arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule',
      },
      [
        'version: expected string, got number',
        'id: expected string, got null',
        'time: expected string, got number',
        'resources: expected array, got string',
      ],
    ],
    [
      'a lone envelope key beside manual keys',
      { version: '0', dryRun: false },
      [
        'id: is required (expected string)',
        'detail-type: expected "Scheduled Event", got nothing',
        'source: expected "aws.events", got nothing',
        'account: is required (expected string)',
        'time: is required (expected string)',
        'region: is required (expected string)',
        'resources: is required (expected array)',
        'detail: is required (expected object)',
      ],
    ],
    [
      'a manual event with an unknown key',
      { dryRun: false, force: true },
      [
        'force: unknown key; expected dryRun, services, olderThan, maxDeletesPerRun, targets, target, enumerate',
      ],
    ],
  ])('refuses %s, naming each field', (_label, event, problems) => {
    expect(problemsOf(() => overridesFromLambdaEvent(event))).toEqual(problems);
  });
});

describe('FunctionGraph events (overridesFromFunctionGraphEvent)', () => {
  const timer = (userEvent: unknown, extra: Record<string, unknown> = {}) => ({
    ...FUNCTIONGRAPH_TIMER_EXAMPLE,
    user_event: userEvent,
    ...extra,
  });

  it.each<[string, unknown, PolicyOverrides]>([
    ['a TIMER event with an empty user_event', timer(''), {}],
    ['a TIMER event with a blank user_event', timer('  \n'), {}],
    ['a TIMER event without user_event', without(FUNCTIONGRAPH_TIMER_EXAMPLE, 'user_event'), {}],
    ['a TIMER event with a null user_event', timer(null), {}],
    ['a TIMER event with the manual event in user_event', timer('{"dryRun": false}'), { dryRun: false }],
    [
      'a TIMER event with manual keys beside its fields',
      timer('', { dryRun: true, services: ['dis-dump-tasks'] }),
      { dryRun: true, services: ['dis-dump-tasks'] },
    ],
    [
      'a TIMER event with manual keys beside its fields and "{}" in user_event',
      timer('{}', { maxDeletesPerRun: 0 }),
      { maxDeletesPerRun: 0 },
    ],
    ['a manual invocation body', ALL_MANUAL_KEYS, ALL_MANUAL_KEYS],
  ])('honours %s', (_label, event, expected) => {
    expect(overridesFromFunctionGraphEvent(event)).toEqual(expected);
  });

  it.each<[string, unknown, string[]]>([
    [
      'the documented timer example (its user_event is not a manual event)',
      FUNCTIONGRAPH_TIMER_EXAMPLE,
      [
        'user_event: message: unknown key; expected dryRun, services, olderThan, maxDeletesPerRun, targets, target, enumerate',
        'user_event: topic: unknown key; expected dryRun, services, olderThan, maxDeletesPerRun, targets, target, enumerate',
      ],
    ],
    [
      'the documented timer example with plain text, and a manual key beside it',
      { ...FUNCTIONGRAPH_TIMER_EXAMPLE_TEXT, dryRun: true },
      [
        'user_event: expected empty text or a JSON object (the manual event, e.g. {"dryRun":true}), got "User Event"',
      ],
    ],
    [
      'manual keys both beside the TIMER fields and in user_event',
      timer('{"services": ["dis-dump-tasks"]}', { dryRun: true, maxDeletesPerRun: 5 }),
      [
        'dryRun: given next to the TIMER fields while user_event holds a manual event too (services); put the manual event in one place',
        'maxDeletesPerRun: given next to the TIMER fields while user_event holds a manual event too (services); put the manual event in one place',
      ],
    ],
    ['an unknown key beside the TIMER fields', timer('', { force: true }), [`force: ${BESIDE_TIMER}`]],
    [
      'a bad manual key beside the TIMER fields and a bad user_event, together',
      timer('{"dryrun": true}', { dryRun: 'yes' }),
      [
        'dryRun: expected boolean, got string',
        'user_event: dryrun: unknown key; expected dryRun, services, olderThan, maxDeletesPerRun, targets, target, enumerate',
      ],
    ],
    [
      'the TIMER marker alone with manual keys',
      { trigger_type: 'TIMER', dryRun: true },
      [
        'version: is required (expected string)',
        'time: is required (expected string)',
        'trigger_name: is required (expected string)',
      ],
    ],
    [
      'another trigger type',
      timer('', { trigger_type: 'APIG' }),
      ['trigger_type: expected "TIMER", got "APIG"'],
    ],
    [
      'TIMER fields of the wrong type',
      timer(42, { trigger_name: ['Timer_001'] }),
      ['trigger_name: expected string, got array', 'user_event: expected string, got number'],
    ],
    [
      'a manual body with an unknown key',
      { dryRun: true, user: 'ops' },
      [
        'user: unknown key; expected dryRun, services, olderThan, maxDeletesPerRun, targets, target, enumerate',
      ],
    ],
  ])('refuses %s, naming each field', (_label, event, problems) => {
    expect(problemsOf(() => overridesFromFunctionGraphEvent(event))).toEqual(problems);
  });
});

describe('target, targets and enumerate exclude one another in every shape of event', () => {
  const TARGET = { region: 'cn-north-4', projectName: 'cn-north-4' };
  const TARGETS = [{ regions: ['cn-north-4', 'ap-southeast-3'], projects: ['*'] }];
  // Each pair of the three keys, and all three: the message names the keys given, at the second one.
  const PAIRS: readonly [string, Record<string, unknown>, string][] = [
    ['target and targets', { target: TARGET, targets: TARGETS }, 'targets: target and targets'],
    ['target and enumerate', { target: TARGET, enumerate: true }, 'enumerate: target and enumerate'],
    ['targets and enumerate', { targets: TARGETS, enumerate: true }, 'enumerate: targets and enumerate'],
    [
      'all three',
      { target: TARGET, targets: TARGETS, enumerate: true },
      'targets: target and targets and enumerate',
    ],
  ];
  const refusal = (keys: string) => `${keys} exclude one another: give one of them`;
  const timer = (userEvent: string, extra: Record<string, unknown> = {}) => ({
    ...FUNCTIONGRAPH_TIMER_EXAMPLE,
    user_event: userEvent,
    ...extra,
  });

  describe.each<[string, (keys: Record<string, unknown>) => unknown, (event: unknown) => unknown, string]>([
    [
      'beside the EventBridge scheduled event',
      (keys) => ({ ...EVENTBRIDGE_SCHEDULED_EVENT, ...keys }),
      overridesFromLambdaEvent,
      '',
    ],
    [
      'beside the SAM CLI template',
      (keys) => ({ ...SAM_CLI_SCHEDULED_EVENT_TEMPLATE, ...keys }),
      overridesFromLambdaEvent,
      '',
    ],
    [
      'beside the Lambda console template',
      (keys) => ({ ...LAMBDA_CONSOLE_SCHEDULED_EVENT_TEMPLATE, ...keys }),
      overridesFromLambdaEvent,
      '',
    ],
    ['in a Lambda manual event', (keys) => keys, overridesFromLambdaEvent, ''],
    ['beside the TIMER fields', (keys) => timer('', keys), overridesFromFunctionGraphEvent, ''],
    [
      'in the TIMER event user_event',
      (keys) => timer(JSON.stringify(keys)),
      overridesFromFunctionGraphEvent,
      'user_event: ',
    ],
    ['in a FunctionGraph manual body', (keys) => keys, overridesFromFunctionGraphEvent, ''],
  ])('%s', (_shape, eventWith, parse, prefix) => {
    it.each(PAIRS)('%s: refused, naming the keys', (_pair, keys, problem) => {
      const [path, named] = problem.split(': ') as [string, string];
      expect(problemsOf(() => parse(eventWith(keys)))).toEqual([`${prefix}${path}: ${refusal(named)}`]);
    });
  });
});
