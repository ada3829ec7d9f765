/**
 * `serverless package --param mode=fanout`: the Step Functions state machine of deploy/aws/fanout.yml, as
 * CloudFormation would deploy it. The template is read for what AWS is asked to create; the definition is
 * validated with asl-validator and then run offline (test/support/asl-runner.ts) against a stand-in for the
 * purge function that answers the `enumerate` and `target` events as their contract says.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReport, finishReport, MAX_LISTED_FAILURES, type Report } from '../../lib/report';
import type { ServiceId } from '../../lib/types';
import {
  type ExecutionResult,
  PAYLOAD_QUOTA_BYTES,
  runStateMachine,
  TaskFailure,
  type TaskHandler,
} from '../support/asl-runner';
import {
  PLACEHOLDER_ACCOUNT_ID,
  PLACEHOLDER_REGION,
  resolveIntrinsics,
  resourcesOfType,
  type Template,
  type TemplateResource,
} from './cloudformation';
import { runServerless, type SlsResult } from './sls';

// Not the default (4): the parameter must reach the Map state and the function's reserved concurrency.
const MAX_CONCURRENCY = 7;
const FUNCTION_ARN = `arn:aws:lambda:${PLACEHOLDER_REGION}:${PLACEHOLDER_ACCOUNT_ID}:function:task-janitor-dev-purge`;
const STATE_MACHINE_ARN = `arn:aws:states:${PLACEHOLDER_REGION}:${PLACEHOLDER_ACCOUNT_ID}:stateMachine:task-janitor-dev-fanout`;
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LIST_EXECUTIONS = 'arn:aws:states:::aws-sdk:sfn:listExecutions';

// One `serverless package` run, shared by the assertions.
let dir: string;
let result: SlsResult;
let template: Template;
let definition: unknown;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'task-janitor-sls-fanout-'));
  result = await runServerless(
    [
      'package',
      '--package',
      join(dir, 'artifact'),
      '--param',
      'cloudRegion=eu-de',
      '--param',
      'mode=fanout',
      '--param',
      `fanoutMaxConcurrency=${MAX_CONCURRENCY}`,
    ],
    { TASK_JANITOR_SLS_WORK_FOLDER: '.esbuild/test-fanout' },
  );
  if (result.code !== 0) return;
  const text = await readFile(join(dir, 'artifact', 'cloudformation-template-update-stack.json'), 'utf8');
  template = JSON.parse(text);
  const machine = template.Resources.FanoutStateMachine;
  const definitionString = resolveIntrinsics(machine?.Properties.DefinitionString, template);
  if (typeof definitionString !== 'string') throw new Error('DefinitionString does not resolve to a string');
  definition = JSON.parse(definitionString);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('serverless package --param mode=fanout (offline)', () => {
  it('succeeds', () => {
    expect(result.stderr + result.stdout).not.toMatch(/AWS provider credentials not found/);
    expect(result.code).toBe(0);
  });

  it('creates the state machine, started by the daily schedule with an empty manual event', () => {
    const [[id, machine] = ['', undefined]] = resourcesOfType(template, 'AWS::StepFunctions::StateMachine');
    expect(id).toBe('FanoutStateMachine');
    expect(machine?.Properties.StateMachineName).toBe('task-janitor-dev-fanout');

    const rules = resourcesOfType(template, 'AWS::Events::Rule').map(([, rule]) => rule.Properties);
    expect(rules).toHaveLength(1);
    const [rule] = rules;
    expect(rule).toMatchObject({ ScheduleExpression: 'cron(0 3 * * ? *)', State: 'ENABLED' });
    expect(rule?.Targets).toEqual([
      expect.objectContaining({ Arn: { Ref: 'FanoutStateMachine' }, Input: '{}' }),
    ]);
    const eventsRole = roleOf(rule?.Targets, template);
    expect(eventsRole.principal).toBe('events.amazonaws.com');
    expect(eventsRole.statements).toEqual([
      { Effect: 'Allow', Action: ['states:StartExecution'], Resource: STATE_MACHINE_ARN },
    ]);
  });

  it('takes the schedule away from the function and reserves one more slot than the Map runs at once', () => {
    const [[, fn] = ['', undefined]] = resourcesOfType(template, 'AWS::Lambda::Function');
    expect(fn?.Properties.ReservedConcurrentExecutions).toBe(MAX_CONCURRENCY + 1);
    expect(fn?.Properties.Timeout).toBe(900);
    // Nothing but the state machine invokes it on a schedule.
    expect(resourcesOfType(template, 'AWS::Lambda::Permission')).toEqual([]);
    const invokeConfig = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig').map(
      ([, r]) => r.Properties,
    );
    expect(invokeConfig).toEqual([expect.objectContaining({ MaximumRetryAttempts: 0 })]);
  });

  it("lets the state machine's role invoke this function and list this machine's executions, nothing else", () => {
    const machine = template.Resources.FanoutStateMachine;
    const role = roleOf([{ RoleArn: machine?.Properties.RoleArn }], template);

    expect(role.principal).toBe(`states.${PLACEHOLDER_REGION}.amazonaws.com`);
    expect(role.statements).toEqual([
      // The function and its versions (`:*`): the plugin derives this from the lambda:invoke states.
      { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [FUNCTION_ARN, `${FUNCTION_ARN}:*`] },
      { Effect: 'Allow', Action: 'states:ListExecutions', Resource: [STATE_MACHINE_ARN] },
    ]);
  });

  it('has a definition asl-validator accepts (ARNs, paths, transitions), the function ARN filled in', () => {
    const { isValid, errors } = validateAsl(definition);

    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
    expect(JSON.stringify(definition)).toContain(`"FunctionName":"${FUNCTION_ARN}"`);
  });

  it('runs the Map at fanoutMaxConcurrency, catches States.ALL per target after retrying Lambda errors', () => {
    const map = stateOf(definition, 'PurgeEachTarget');
    expect(map).toMatchObject({
      Type: 'Map',
      MaxConcurrency: MAX_CONCURRENCY,
      ItemsPath: '$.listed.targets',
    });
    const purge = stateOf(map.ItemProcessor, 'PurgeTarget');
    expect(purge.Catch).toEqual([
      { ErrorEquals: ['States.DataLimitExceeded'], ResultPath: '$.error', Next: 'TargetFailed' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'TargetFailed' },
    ]);
    const retried = (Array.isArray(purge.Retry) ? purge.Retry : []).flatMap(
      (r: { ErrorEquals: string[] }) => r.ErrorEquals,
    );
    expect(retried.sort()).toEqual([
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.ServiceException',
      'Lambda.TooManyRequestsException',
    ]);
  });

  // A --param arrives as the string "false"; the plugins disable a schedule only for a boolean false, so both
  // modes read it through deploy/aws/mode.cjs.
  it.each(['fanout', 'single'])(
    'disables the schedule with --param scheduleEnabled=false (mode=%s)',
    async (mode) => {
      const disabled = await runServerless(
        [
          'package',
          '--package',
          join(dir, `disabled-${mode}`),
          '--param',
          'cloudRegion=eu-de',
          '--param',
          `mode=${mode}`,
          '--param',
          'scheduleEnabled=false',
        ],
        { TASK_JANITOR_SLS_WORK_FOLDER: `.esbuild/test-${mode}-disabled` },
      );
      expect(disabled.code, disabled.stderr).toBe(0);
      const text = await readFile(
        join(dir, `disabled-${mode}`, 'cloudformation-template-update-stack.json'),
        'utf8',
      );
      const rules = resourcesOfType(JSON.parse(text), 'AWS::Events::Rule').map(([, rule]) => rule.Properties);

      expect(rules).toEqual([expect.objectContaining({ State: 'DISABLED' })]);
    },
  );

  it('refuses a wrong mode before packaging, naming the parameter', async () => {
    const refused = await runServerless(
      [
        'package',
        '--package',
        join(dir, 'refused'),
        '--param',
        'cloudRegion=eu-de',
        '--param',
        'mode=fan-out',
      ],
      { TASK_JANITOR_SLS_WORK_FOLDER: '.esbuild/test-fanout-refused' },
    );

    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain(
      '--param mode: expected "single" or "fanout", got "fan-out"',
    );
    await expect(
      readFile(join(dir, 'refused', 'cloudformation-template-update-stack.json')),
    ).rejects.toThrow();
  });

  it('refuses a scheduleEnabled that is not true or false in the default mode too', async () => {
    const refused = await runServerless(
      ['package', '--package', join(dir, 'refused-enabled'), '--param', 'scheduleEnabled=no'],
      { TASK_JANITOR_SLS_WORK_FOLDER: '.esbuild/test-single-refused' },
    );

    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain(
      '--param scheduleEnabled: expected true or false, got "no"',
    );
  });
});

describe('the fan-out state machine, run offline against the function contract', () => {
  const targets = ['cn-north-4', 'ap-southeast-3', 'cn-east-3', 'la-south-2'].map((region, index) => ({
    cloud: 'huaweicloud',
    region,
    projectId: `${index}`.repeat(32),
    projectName: region,
  }));

  it('purges every target in its own invocation with the manual keys, and returns one summary per target', async () => {
    const fn = purgeFunction({ targets });

    const run = await execute({ dryRun: true, services: ['oms-migration-tasks'] }, fn.handler);

    expect(fn.payloads[0]).toEqual({ enumerate: true });
    expect(fn.payloads.slice(1)).toEqual(
      expect.arrayContaining(
        targets.map((target) => ({ dryRun: true, services: ['oms-migration-tasks'], target })),
      ),
    );
    expect(fn.payloads).toHaveLength(1 + targets.length);
    expect(run).toEqual({
      status: 'SUCCEEDED',
      output: targets.map((target) => ({ target, report: summaryOf(reportFor(target)) })),
    });
  });

  it('sends each target alone when the schedule starts it (the empty manual event)', async () => {
    const fn = purgeFunction({ targets });

    await execute({}, fn.handler);

    expect(fn.payloads.slice(1).sort(byRegion)).toEqual(
      [...targets].sort(byRegionOfTarget).map((target) => ({ target })),
    );
  });

  it('reports a target whose run failed with its error, never stopping the others', async () => {
    const [first, second, third, fourth] = targets;
    const fn = purgeFunction({
      targets,
      fail: (target) =>
        target === second?.region
          ? new TaskFailure(
              'ConfigError',
              '{"errorType":"ConfigError","errorMessage":"target: not in the policy"}',
            )
          : target === third?.region
            ? new TaskFailure('Sandbox.Timedout', 'Task timed out after 900.00 seconds')
            : undefined,
    });

    const run = await execute({}, fn.handler);

    expect(run.status).toBe('SUCCEEDED');
    expect(run.status === 'SUCCEEDED' ? run.output : undefined).toEqual([
      { target: first, report: summaryOf(reportFor(first)) },
      {
        target: second,
        error: { Error: 'ConfigError', Cause: expect.stringContaining('not in the policy') },
      },
      { target: third, error: { Error: 'Sandbox.Timedout', Cause: 'Task timed out after 900.00 seconds' } },
      { target: fourth, report: summaryOf(reportFor(fourth)) },
    ]);
    // The function's own failure is not retried: the next schedule is the retry.
    expect(fn.invocationsOf(second?.region)).toBe(1);
    expect(fn.invocationsOf(third?.region)).toBe(1);
  });

  it("retries Lambda's own transient errors with backoff, then reports the target's error", async () => {
    const [first, second] = targets;
    const delays: number[] = [];
    const fn = purgeFunction({
      targets: [first, second],
      fail: (region, attempt) =>
        region === first?.region && attempt <= 3
          ? new TaskFailure('Lambda.TooManyRequestsException', 'Rate Exceeded.')
          : region === second?.region
            ? new TaskFailure('Lambda.ServiceException', 'Lambda is unavailable')
            : undefined,
    });

    const run = await execute({}, fn.handler, (state, _error, seconds) => {
      if (state === 'PurgeTarget') delays.push(seconds);
    });

    expect(run.status === 'SUCCEEDED' ? run.output : run).toEqual([
      { target: first, report: summaryOf(reportFor(first)) },
      { target: second, error: { Error: 'Lambda.ServiceException', Cause: 'Lambda is unavailable' } },
    ]);
    expect(fn.invocationsOf(first?.region)).toBe(4);
    expect(fn.invocationsOf(second?.region)).toBe(7);
    expect(delays).toEqual(expect.arrayContaining([5, 10, 20, 2, 4, 8, 16, 32, 60]));
  });

  it('reports a target whose report is over 256 KiB as its error (States.ALL does not match that one)', async () => {
    const [first, second] = targets;
    const fn = purgeFunction({
      targets: [first, second],
      failuresPerService: (region) => (region === first?.region ? 5 * MAX_LISTED_FAILURES : 0),
    });

    const run = await execute({}, fn.handler);

    expect(run.status === 'SUCCEEDED' ? run.output : run).toEqual([
      {
        target: first,
        error: { Error: 'States.DataLimitExceeded', Cause: expect.stringContaining('bytes') },
      },
      { target: second, report: summaryOf(reportFor(second)) },
    ]);
  });

  it('runs at most fanoutMaxConcurrency targets at once', async () => {
    const many = Array.from({ length: 30 }, (_, index) => ({ region: 'cn-north-4', projectId: `p${index}` }));
    const fn = purgeFunction({ targets: many, invocationMs: 5 });

    const run = await execute({}, fn.handler);

    expect(run.status).toBe('SUCCEEDED');
    expect(fn.maxInFlight()).toBe(MAX_CONCURRENCY);
  });

  it('invokes nothing and fails as AlreadyRunning while another execution runs', async () => {
    const fn = purgeFunction({ targets, runningExecutions: 2 });

    const run = await execute({}, fn.handler);

    expect(run).toEqual({
      status: 'FAILED',
      error: 'TaskJanitor.AlreadyRunning',
      cause: 'Another execution of this state machine is running; this one invoked nothing.',
    });
    expect(fn.payloads).toEqual([]);
    expect(fn.listedExecutions).toEqual([
      { StateMachineArn: STATE_MACHINE_ARN, StatusFilter: 'RUNNING', MaxResults: 2 },
    ]);
  });

  it('fails with the function’s error when the targets cannot be listed, and purges nothing', async () => {
    const fn = purgeFunction({
      targets,
      failEnumerate: new TaskFailure(
        'ConfigError',
        '{"errorMessage":"TASK_JANITOR_POLICY: targets[0].regions: …"}',
      ),
    });

    const run = await execute({}, fn.handler);

    expect(run).toMatchObject({ status: 'FAILED', error: 'ConfigError' });
    expect(fn.payloads).toEqual([{ enumerate: true }]);
  });

  it("keeps the output within Step Functions' 256 KiB for 60 targets whose reports each list hundreds of failures", async () => {
    const many = Array.from({ length: 60 }, (_, index) => ({ region: 'cn-north-4', projectId: `p${index}` }));
    const fn = purgeFunction({ targets: many, failuresPerService: MAX_LISTED_FAILURES });
    const oneReport = Buffer.byteLength(JSON.stringify(reportFor(many[0], MAX_LISTED_FAILURES)));

    const run = await execute({}, fn.handler);

    // Each report fits one invocation's answer; the 60 of them would not fit the execution's output.
    expect(oneReport).toBeLessThan(PAYLOAD_QUOTA_BYTES);
    expect(oneReport * many.length).toBeGreaterThan(PAYLOAD_QUOTA_BYTES);
    expect(run.status).toBe('SUCCEEDED');
    expect(Buffer.byteLength(JSON.stringify(run.status === 'SUCCEEDED' ? run.output : ''))).toBeLessThan(
      PAYLOAD_QUOTA_BYTES / 4,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------

interface Target {
  readonly region: string;
  readonly projectId?: string;
  readonly projectName?: string;
  readonly cloud?: string;
}

function execute(
  input: unknown,
  task: TaskHandler,
  onRetryDelay?: (state: string, error: string, seconds: number) => void,
): Promise<ExecutionResult> {
  return runStateMachine(definition, input, {
    stateMachineArn: STATE_MACHINE_ARN,
    task,
    ...(onRetryDelay !== undefined ? { onRetryDelay } : {}),
  });
}

/**
 * A stand-in for the purge function behind `lambda:invoke`, answering as the contract says: `{"enumerate": true}`
 * gives `{"targets": [...]}`, `{"target": …}` gives that target's report. `fail` makes an invocation fail
 * (attempt counts from 1 per region).
 */
function purgeFunction(options: {
  readonly targets: readonly (Target | undefined)[];
  readonly fail?: (region: string, attempt: number) => TaskFailure | undefined;
  readonly failEnumerate?: TaskFailure;
  readonly runningExecutions?: number;
  readonly invocationMs?: number;
  readonly failuresPerService?: number | ((region: string) => number);
}) {
  const payloads: unknown[] = [];
  const listedExecutions: unknown[] = [];
  const attempts = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const handler: TaskHandler = async (resource, parameters) => {
    if (resource === LIST_EXECUTIONS) {
      listedExecutions.push(parameters);
      const running = options.runningExecutions ?? 1;
      return { Executions: Array.from({ length: running }, (_, i) => ({ name: `execution-${i}` })) };
    }
    expect(resource).toBe(LAMBDA_INVOKE);
    expect(parameters).toMatchObject({ FunctionName: FUNCTION_ARN });
    const payload = isRecord(parameters) ? parameters.Payload : undefined;
    if (isRecord(payload) && payload.enumerate === true) {
      payloads.push(payload);
      if (options.failEnumerate) throw options.failEnumerate;
      return { StatusCode: 200, Payload: { targets: options.targets } };
    }
    const target = isRecord(payload) && isRecord(payload.target) ? payload.target : {};
    const region = typeof target.region === 'string' ? target.region : '';
    const key = `${region}/${String(target.projectId)}`;
    const attempt = (attempts.get(region) ?? 0) + 1;
    attempts.set(region, attempt);
    attempts.set(key, (attempts.get(key) ?? 0) + 1);
    const failure = options.fail?.(region, attempt);
    if (failure) throw failure;
    payloads.push(payload);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, options.invocationMs ?? 0));
    inFlight -= 1;
    const failures = options.failuresPerService;
    const count = typeof failures === 'function' ? failures(region) : (failures ?? 0);
    return { StatusCode: 200, Payload: reportFor(target, count) };
  };
  return {
    handler,
    payloads,
    listedExecutions,
    maxInFlight: () => maxInFlight,
    invocationsOf: (region: string | undefined) => attempts.get(region ?? '') ?? 0,
  };
}

const SERVICES: readonly ServiceId[] = [
  'dcs-center-tasks',
  'dcs-background-tasks',
  'modelarts-processor-tasks',
  'oms-migration-tasks',
  'dis-dump-tasks',
];

/** The report a run of `target` returns (the engine's own report shape), with `failures` listed per service. */
function reportFor(target: Target | Record<string, unknown> | undefined, failures = 0): Report {
  const report = createReport({
    dryRun: false,
    startedAt: new Date('2026-12-02T03:00:00.000Z'),
    policy: { digest: 'eeef7c116ca6', maxDeletesPerRun: 1000, source: 'examples/policy.yml' },
    services: SERVICES,
  });
  const region = typeof target?.region === 'string' ? target.region : '';
  report.target = { cloud: 'huaweicloud', region, projectId: String(target?.projectId) };
  for (const service of SERVICES) {
    const entry = report.services[service];
    if (!entry) continue;
    entry.listed = 3 + failures;
    entry.deleted = 3;
    entry.failed = failures;
    for (let i = 0; i < failures; i += 1) {
      entry.failures.push({
        taskId: `${service}-${i}-0123456789abcdef0123456789abcdef`,
        name: `nightly export of the ${service} backlog number ${i}`,
        status: 500,
        errorCode: 'APIG.0101',
        errorMsg:
          'The API does not exist or has not been published in the environment, or the backend failed.',
        host: `${service}.${region}.myhuaweicloud.com`,
      });
    }
  }
  return finishReport(report, new Date('2026-12-02T03:01:00.000Z'));
}

function summaryOf(report: Report) {
  return {
    dryRun: report.dryRun,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    totals: JSON.parse(JSON.stringify(report.totals)),
  };
}

function stateOf(machine: unknown, name: string): Record<string, unknown> & { Retry?: unknown } {
  const states = isRecord(machine) && isRecord(machine.States) ? machine.States : {};
  const state = states[name];
  if (!isRecord(state)) throw new Error(`no state ${name}`);
  return state;
}

/** The role a schedule target or a state machine names: its assume-role principal and its statements, resolved. */
function roleOf(targets: unknown, source: Template): { principal: unknown; statements: unknown[] } {
  const [first] = Array.isArray(targets) ? targets : [];
  const roleArn = isRecord(first) ? first.RoleArn : undefined;
  const getAtt = isRecord(roleArn) ? roleArn['Fn::GetAtt'] : undefined;
  const roleId = Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : '';
  const role: TemplateResource | undefined = source.Resources[roleId];
  expect(role?.Type).toBe('AWS::IAM::Role');
  const properties = resolveIntrinsics(role?.Properties, source);
  const assume =
    isRecord(properties) && isRecord(properties.AssumeRolePolicyDocument)
      ? properties.AssumeRolePolicyDocument
      : {};
  const [trust] = Array.isArray(assume.Statement) ? assume.Statement : [];
  const principal = isRecord(trust) && isRecord(trust.Principal) ? trust.Principal.Service : undefined;
  const policies = isRecord(properties) && Array.isArray(properties.Policies) ? properties.Policies : [];
  const statements = policies.flatMap((policy: unknown) =>
    isRecord(policy) && isRecord(policy.PolicyDocument) && Array.isArray(policy.PolicyDocument.Statement)
      ? policy.PolicyDocument.Statement
      : [],
  );
  return { principal, statements };
}

const requireFromHere = createRequire(import.meta.url);

/** asl-validator (no type declarations): its verdict and error messages on a copy of `machine`. */
function validateAsl(machine: unknown): { isValid: unknown; errors: string[] } {
  const validator: unknown = requireFromHere('asl-validator');
  if (typeof validator !== 'function') throw new Error('asl-validator does not export a function');
  const verdict: unknown = validator(structuredClone(machine));
  if (!isRecord(verdict)) throw new Error('asl-validator returned no verdict');
  const errors = Array.isArray(verdict.errors)
    ? verdict.errors.map((error: unknown) => (isRecord(error) ? String(error.message) : String(error)))
    : [];
  return { isValid: verdict.isValid, errors };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function byRegion(a: unknown, b: unknown): number {
  const region = (value: unknown) =>
    isRecord(value) && isRecord(value.target) && typeof value.target.region === 'string'
      ? value.target.region
      : '';
  return region(a).localeCompare(region(b));
}

function byRegionOfTarget(a: Target, b: Target): number {
  return a.region.localeCompare(b.region);
}
