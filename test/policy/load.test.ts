import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors';
import { loadPolicy, parsePolicyText } from '../../lib/policy/load';
import { DELETABLE_STATES } from '../../lib/policy/states';
import { SERVICE_IDS } from '../../lib/types';
import { problemsOf } from '../support/config-error';
import { servicePolicy } from '../support/policy';

const EXAMPLE_POLICY = `
version: 1
dryRun: true              # default true
maxDeletesPerRun: 1000
services:
  dcs-center-tasks:          { olderThan: 30d }
  dcs-background-tasks:      { olderThan: 30d, instances: ["prod-*"] }
  modelarts-processor-tasks: { olderThan: 14d, states: [completed, failed, stopped] }
  oms-migration-tasks:       { olderThan: 30d, exclude: ["keep-*"] }
  dis-dump-tasks:            { olderThan: 90d, states: [ERROR, ABNORMAL] }
`;

const DAY_MS = 86_400_000;

describe('parsePolicyText', () => {
  it('reads the schema v1 example policy', () => {
    const policy = parsePolicyText(EXAMPLE_POLICY);

    expect(policy).toMatchObject({ version: 1, dryRun: true, maxDeletesPerRun: 1000 });
    expect(policy.services['dcs-center-tasks']).toEqual(servicePolicy());
    expect(policy.services['dcs-background-tasks']?.parents).toEqual(['prod-*']);
    expect(policy.services['modelarts-processor-tasks']?.states).toEqual(['completed', 'failed', 'stopped']);
    expect(policy.services['oms-migration-tasks']?.exclude).toEqual(['keep-*']);
    expect(policy.services['dis-dump-tasks']).toMatchObject({
      olderThanMs: 90 * DAY_MS,
      states: ['ERROR', 'ABNORMAL'],
    });
    expect(policy.digest).toMatch(/^[0-9a-f]{12}$/);
  });

  it('applies the defaults: dryRun true, maxDeletesPerRun 1000, enabled true', () => {
    const policy = parsePolicyText('version: 1\nservices:\n  oms-migration-tasks: { olderThan: P30D }\n');

    expect(policy.dryRun).toBe(true);
    expect(policy.maxDeletesPerRun).toBe(1000);
    expect(policy.services['oms-migration-tasks']).toMatchObject({ enabled: true, olderThanMs: 30 * DAY_MS });
  });

  it('reads every per-service field', () => {
    const policy = parsePolicyText(
      JSON.stringify({
        version: 1,
        dryRun: false,
        maxDeletesPerRun: 0,
        services: {
          'dis-dump-tasks': {
            olderThan: '12h',
            states: ['PAUSED'],
            include: ['a*'],
            exclude: ['ab*'],
            enabled: false,
            streams: ['s-?'],
          },
        },
      }),
      { format: 'json' },
    );

    expect(policy).toMatchObject({ dryRun: false, maxDeletesPerRun: 0 });
    expect(policy.services['dis-dump-tasks']).toEqual({
      enabled: false,
      olderThanMs: 12 * 3_600_000,
      olderThan: '12h',
      states: ['PAUSED'],
      include: ['a*'],
      exclude: ['ab*'],
      parents: ['s-?'],
    });
  });

  it.each(
    SERVICE_IDS.flatMap((service) => DELETABLE_STATES[service].map((state) => [service, state] as const)),
  )('accepts %s state %s', (service, state) => {
    const policy = parsePolicyText(
      JSON.stringify({ version: 1, services: { [service]: { olderThan: '1d', states: [state] } } }),
    );
    expect(policy.services[service]?.states).toEqual([state]);
  });

  it.each([
    ['oms-migration-tasks', 'executing'],
    ['oms-migration-tasks', 'waiting'],
    ['modelarts-processor-tasks', 'running'],
    ['dcs-center-tasks', 'EXECUTING'],
    ['dis-dump-tasks', 'RUNNING'],
    ['dis-dump-tasks', 'error'],
  ] as const)('refuses %s state %s as in progress or unknown, listing the allowed ones', (service, state) => {
    const problems = problemsOf(() =>
      parsePolicyText(
        JSON.stringify({ version: 1, services: { [service]: { olderThan: '1d', states: [state] } } }),
      ),
    );
    expect(problems).toEqual([
      `services.${service}.states[0]: "${state}" is not a deletable state of ${service} (it is in progress or unknown); allowed: ${DELETABLE_STATES[service].join(', ')}`,
    ]);
  });

  it.each([
    [
      'a wrong duration',
      { 'oms-migration-tasks': { olderThan: '30 days' } },
      'services.oms-migration-tasks.olderThan: expected a duration like "30d" or "P30D", got "30 days"',
    ],
    [
      'a missing olderThan',
      { 'oms-migration-tasks': {} },
      'services.oms-migration-tasks.olderThan: expected a duration like "30d" or "P30D", got nothing (it is required)',
    ],
    [
      'an unknown service',
      { 'sms-tasks': { olderThan: '1d' } },
      `services.sms-tasks: unknown service "sms-tasks"; expected one of ${SERVICE_IDS.join(', ')}`,
    ],
    [
      'an unknown service key',
      { 'oms-migration-tasks': { olderThan: '1d', olderthan: '2d' } },
      'services.oms-migration-tasks.olderthan: unknown key',
    ],
    [
      'instances on another service',
      { 'oms-migration-tasks': { olderThan: '1d', instances: ['x'] } },
      'services.oms-migration-tasks.instances: unknown key (instances applies only to dcs-background-tasks)',
    ],
    [
      'streams on another service',
      { 'dcs-center-tasks': { olderThan: '1d', streams: ['x'] } },
      'services.dcs-center-tasks.streams: unknown key (streams applies only to dis-dump-tasks)',
    ],
    [
      'empty states',
      { 'oms-migration-tasks': { olderThan: '1d', states: [] } },
      'services.oms-migration-tasks.states: expected at least 1 item(s)',
    ],
    [
      'an empty glob',
      { 'oms-migration-tasks': { olderThan: '1d', exclude: [''] } },
      'services.oms-migration-tasks.exclude[0]: expected a non-empty string',
    ],
    [
      'a glob that is not a list',
      { 'oms-migration-tasks': { olderThan: '1d', include: 'a*' } },
      'services.oms-migration-tasks.include: expected array, got string',
    ],
    [
      'enabled as a string',
      { 'oms-migration-tasks': { olderThan: '1d', enabled: 'yes' } },
      'services.oms-migration-tasks.enabled: expected boolean, got string',
    ],
    ['no service at all', {}, `services: name at least one service (${SERVICE_IDS.join(', ')})`],
  ])('reports %s with its path', (_label, services, problem) => {
    // An unknown service id also leaves no known service, which is reported too; the first line is the cause.
    expect(problemsOf(() => parsePolicyText(JSON.stringify({ version: 1, services })))[0]).toEqual(problem);
  });

  it.each([
    ['version 2', { version: 2 }, 'version: expected 1, got 2'],
    ['no version', { version: undefined }, 'version: expected 1, got nothing'],
    ['dryRun as a string', { dryRun: 'false' }, 'dryRun: expected boolean, got string'],
    ['a negative cap', { maxDeletesPerRun: -1 }, 'maxDeletesPerRun: expected a number ≥ 0'],
    ['a fractional cap', { maxDeletesPerRun: 1.5 }, 'maxDeletesPerRun: expected an integer, got float'],
    ['an unknown top-level key', { dryrun: false }, 'dryrun: unknown key'],
    ['services as a list', { services: ['oms-migration-tasks'] }, 'services: expected object, got array'],
  ])('reports %s at the top level', (_label, patch, problem) => {
    const doc = { version: 1, services: { 'oms-migration-tasks': { olderThan: '1d' } }, ...patch };
    expect(problemsOf(() => parsePolicyText(JSON.stringify(doc)))).toEqual([problem]);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(() =>
      parsePolicyText(
        'version: 1\ndryRun: maybe\nservices:\n  oms-migration-tasks: { olderThan: 30 days, states: [executing] }\n  nope: {}\n',
      ),
    );
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(
      /dryRun: .*\n.*olderThan.*\n.*states\[0\].*\n.*nope: unknown service/,
    );
  });

  it('turns a YAML syntax error into a ConfigError with line and column', () => {
    const problems = problemsOf(() =>
      parsePolicyText('version: 1\nservices: [a,\n  b: c: d\n', { filename: 'p.yaml' }),
    );
    expect(problems[0]).toMatch(/^p\.yaml \(line 3, column \d+\): not valid YAML: /);
  });

  it.each([
    ['a custom tag', 'version: 1\nservices: !!js/function x\n'],
    ['a duplicate key', 'version: 1\nversion: 1\n'],
    ['an empty text', '  \n'],
    ['a list', '- 1\n'],
    ['a scalar', '42'],
  ])('refuses %s as a ConfigError', (_label, text) => {
    expect(() => parsePolicyText(text)).toThrow(ConfigError);
  });

  it('refuses invalid JSON in json format', () => {
    expect(problemsOf(() => parsePolicyText('{"version": 1,', { format: 'json' }))[0]).toMatch(
      /not valid JSON/,
    );
  });

  it('gives the same digest for the same policy whatever the key order or dryRun', () => {
    const a = parsePolicyText(
      'version: 1\ndryRun: true\nservices:\n  oms-migration-tasks: { olderThan: 30d, exclude: [k] }\n',
    );
    const b = parsePolicyText(
      '{"services": {"oms-migration-tasks": {"exclude": ["k"], "olderThan": "30d"}}, "dryRun": false, "version": 1}',
    );
    const c = parsePolicyText(
      'version: 1\nservices:\n  oms-migration-tasks: { olderThan: 31d, exclude: [k] }\n',
    );

    expect(a.digest).toBe(b.digest);
    expect(c.digest).not.toBe(a.digest);
  });

  it('returns a frozen policy', () => {
    const policy = parsePolicyText(EXAMPLE_POLICY);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.services)).toBe(true);
  });
});

describe('loadPolicy', () => {
  it.each([
    ['inline YAML', 'version: 1\nservices: { oms-migration-tasks: { olderThan: 1d } }'],
    ['inline JSON', '{"version":1,"services":{"oms-migration-tasks":{"olderThan":"1d"}}}'],
  ])('reads %s without touching the file system', async (_label, source) => {
    const policy = await loadPolicy(source, () => Promise.reject(new Error('must not read')));
    expect(policy.services['oms-migration-tasks']?.olderThan).toBe('1d');
  });

  it('treats one-line text with "version:" as inline, not as a path', async () => {
    const error = await loadPolicy('version: 1', () => Promise.reject(new Error('must not read'))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^services: is required/)]);
  });

  it('reads a path through the injected readFile', async () => {
    const reads: string[] = [];
    const policy = await loadPolicy('policies/prod.yaml', async (path) => {
      reads.push(path);
      return 'version: 1\nservices:\n  dis-dump-tasks: { olderThan: 90d }\n';
    });
    expect(reads).toEqual(['policies/prod.yaml']);
    expect(policy.services['dis-dump-tasks']?.olderThan).toBe('90d');
  });

  it('names the file it cannot read', async () => {
    const error = await loadPolicy('missing.yaml', () =>
      Promise.reject(new Error('ENOENT: no such file')),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'missing.yaml: cannot read the policy file: ENOENT: no such file',
    ]);
  });
});

describe('duplicate keys are refused with their path, in every policy source', () => {
  const JSON_DUPLICATE_EXCLUDE = `{
  "version": 1,
  "services": {
    "oms-migration-tasks": { "olderThan": "7d", "exclude": ["keep-*"], "exclude": [] }
  }
}`;
  const YAML_DUPLICATE_EXCLUDE = `version: 1
services:
  oms-migration-tasks:
    olderThan: 7d
    exclude: ["keep-*"]
    exclude: ["other"]
`;
  const JSON_DUPLICATE_DRY_RUN =
    '{"version": 1, "dryRun": true, "services": {"oms-migration-tasks": {"olderThan": "7d"}}, "dryRun": false}';

  it.each([
    [
      'a .json file',
      'policy.json',
      JSON_DUPLICATE_EXCLUDE,
      'services.oms-migration-tasks.exclude: duplicate key (line 4, column 72 of policy.json)',
    ],
    [
      'a .json file (top level)',
      'p.json',
      JSON_DUPLICATE_DRY_RUN,
      'dryRun: duplicate key (line 1, column 90 of p.json)',
    ],
    [
      'a .yml file',
      'policy.yml',
      YAML_DUPLICATE_EXCLUDE,
      'services.oms-migration-tasks.exclude: duplicate key (line 6, column 5 of policy.yml)',
    ],
    [
      'a .yaml file holding JSON',
      'policy.yaml',
      JSON_DUPLICATE_EXCLUDE,
      'services.oms-migration-tasks.exclude: duplicate key (line 4, column 73 of policy.yaml)',
    ],
    [
      'inline YAML',
      YAML_DUPLICATE_EXCLUDE,
      undefined,
      'services.oms-migration-tasks.exclude: duplicate key (line 6, column 5)',
    ],
    ['inline JSON', JSON_DUPLICATE_DRY_RUN, undefined, 'dryRun: duplicate key (line 1, column 91)'],
  ])('%s', async (_label, source, fileText, problem) => {
    const error = await loadPolicy(source, async (path) => {
      if (fileText === undefined || path !== source) throw new Error(`unexpected read of ${path}`);
      return fileText;
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([problem]);
  });

  it('names every duplicate of a JSON policy, not only the first', () => {
    const text =
      '{"version":1,"version":1,"services":{"dis-dump-tasks":{"olderThan":"1d","streams":["a"],"streams":["b"]}}}';
    expect(problemsOf(() => parsePolicyText(text, { format: 'json' }))).toEqual([
      'version: duplicate key (line 1, column 14)',
      'services.dis-dump-tasks.streams: duplicate key (line 1, column 89)',
    ]);
  });

  it.each([
    ['a YAML mapping in a list', 'a:\n  - {b: 1, b: 2}\n', 'a[0].b: duplicate key (line 2, column 12)'],
    [
      'a quoted YAML key equal to a plain one',
      'version: 1\n"version": 1\n',
      'version: duplicate key (line 2, column 2)',
    ],
    [
      'an escaped JSON key equal to a plain one',
      '{"version": 1, "\\u0076ersion": 1}',
      'version: duplicate key (line 1, column 17)',
    ],
  ])('spots %s', (_label, text, problem) => {
    expect(problemsOf(() => parsePolicyText(text))).toEqual([problem]);
  });

  it('keeps naming line and column for YAML syntax errors and invalid JSON', () => {
    expect(problemsOf(() => parsePolicyText('a: [1,\n', { filename: 'x.yml' }))[0]).toMatch(
      /^x\.yml \(line \d+, column \d+\): not valid YAML: /,
    );
    expect(problemsOf(() => parsePolicyText('{"a": 1,}', { format: 'json', filename: 'x.json' }))[0]).toMatch(
      /^x\.json: not valid JSON: .*position 8/,
    );
  });
});

describe('a glob starting with "!" is refused, never read as negation', () => {
  it.each([
    [
      'oms-migration-tasks',
      'include: ["prod-*", "!prod-critical"]',
      'services.oms-migration-tasks.include[1]: "!prod-critical" starts with "!"',
      'list the names to keep out under exclude instead',
    ],
    [
      'oms-migration-tasks',
      'exclude: ["!keep-*"]',
      'services.oms-migration-tasks.exclude[0]: "!keep-*" starts with "!"',
      'list the names to keep out under exclude instead',
    ],
    [
      'dcs-background-tasks',
      'instances: ["!(dev-*)"]',
      'services.dcs-background-tasks.instances[0]: "!(dev-*)" starts with "!"',
      'list the instances to select, and keep tasks out by name under exclude instead',
    ],
    [
      'dis-dump-tasks',
      'streams: ["click-*", "!click-test"]',
      'services.dis-dump-tasks.streams[1]: "!click-test" starts with "!"',
      'list the streams to select, and keep tasks out by name under exclude instead',
    ],
  ])('%s: %s', (service, globs, start, advice) => {
    const problems = problemsOf(() =>
      parsePolicyText(`version: 1\nservices:\n  ${service}: { olderThan: 30d, ${globs} }\n`),
    );

    expect(problems).toHaveLength(1);
    expect(problems[0]?.startsWith(`${start}: negation is not supported`)).toBe(true);
    expect(problems[0]?.endsWith(advice)).toBe(true);
  });

  it('still accepts "!" inside a glob', () => {
    const policy = parsePolicyText(
      'version: 1\nservices:\n  oms-migration-tasks: { olderThan: 30d, exclude: ["a!b"] }\n',
    );
    expect(policy.services['oms-migration-tasks']?.exclude).toEqual(['a!b']);
  });
});
