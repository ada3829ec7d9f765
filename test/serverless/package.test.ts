import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSsm } from '../handlers/fake-ssm';
import { runNodeProcess } from '../support/run-node';
import { REPO_ROOT, readZipEntries, runServerless, type SlsResult, type ZipEntry } from './sls';

// One `serverless package` run (slow: a bundle plus the framework's start-up), shared by the assertions.
let dir: string;
let result: SlsResult;
let entries: ZipEntry[];
let template: {
  Conditions: Record<string, unknown>;
  Resources: Record<string, { Type: string; Condition?: string; Properties: Record<string, unknown> }>;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'task-janitor-sls-package-'));
  // Credentials are read at run time: packaging needs no credential parameter and no AWS access.
  result = await runServerless(
    ['package', '--package', join(dir, 'artifact'), '--param', 'cloudRegion=eu-de'],
    {
      TASK_JANITOR_SLS_WORK_FOLDER: '.esbuild/test-package',
    },
  );
  if (result.code === 0) {
    entries = readZipEntries(await readFile(join(dir, 'artifact', 'purge.zip')));
    template = JSON.parse(
      await readFile(join(dir, 'artifact', 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as typeof template;
  }
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('serverless package (offline, no AWS credentials)', () => {
  it('succeeds', () => {
    expect(result.stderr + result.stdout).not.toMatch(/AWS provider credentials not found/);
    expect(result.code).toBe(0);
  });

  it('puts the bundled handler and the policy in the zip: no source map, no node_modules', () => {
    const names = entries.map((e) => e.name).sort();
    expect(names).toEqual(['examples/policy.yml', 'handlers/aws/package.json', 'handlers/aws/purge.js']);
    const marker = entries.find((e) => e.name === 'handlers/aws/package.json');
    expect(JSON.parse(marker?.read().toString('utf8') ?? '{}')).toEqual({ type: 'commonjs' });
    const size = entries.find((e) => e.name === 'handlers/aws/purge.js')?.size ?? 0;
    expect(size).toBeGreaterThan(50_000);
  });

  it('leaves the AWS SDK out of the bundle: one lazy require of @aws-sdk/client-ssm, which the runtime provides', () => {
    const bundle =
      entries
        .find((e) => e.name === 'handlers/aws/purge.js')
        ?.read()
        .toString('utf8') ?? '';
    expect(bundle.match(/require\("@aws-sdk\/[^"]+"\)/g)).toEqual(['require("@aws-sdk/client-ssm")']);
    expect(bundle).not.toMatch(/import\("@aws-sdk/);
    // SDK internals (the JSON protocol's target header, smithy) would be here if it were bundled.
    expect(bundle).not.toContain('AmazonSSM.');
    expect(bundle).not.toContain('@smithy/');
  });

  it('bundles a self-contained CommonJS handler that loads without node_modules', async () => {
    const bundle = entries.find((e) => e.name === 'handlers/aws/purge.js');
    const file = join(dir, 'purge.cjs');
    await writeFile(file, bundle?.read() ?? '');

    const loaded = createRequire(file)(file) as { handler?: unknown };

    expect(typeof loaded.handler).toBe('function');
  });

  it('configures the function: timeout, memory, one concurrent run, no async retries, daily schedule', () => {
    const resources = Object.values(template.Resources);
    const fn = resources.find((r) => r.Type === 'AWS::Lambda::Function')?.Properties;
    expect(fn).toMatchObject({
      Handler: 'handlers/aws/purge.handler',
      Runtime: 'nodejs22.x',
      Timeout: 900,
      MemorySize: 256,
      ReservedConcurrentExecutions: 1,
    });
    expect(fn?.Environment).toMatchObject({
      Variables: {
        TASK_JANITOR_POLICY: 'examples/policy.yml',
        NODE_OPTIONS: '--max-old-space-size=120 --max-semi-space-size=4',
      },
    });
    const invokeConfig = resources.find((r) => r.Type === 'AWS::Lambda::EventInvokeConfig')?.Properties;
    expect(invokeConfig).toMatchObject({ MaximumRetryAttempts: 0 });
    const rule = resources.find((r) => r.Type === 'AWS::Events::Rule')?.Properties;
    expect(rule).toMatchObject({ ScheduleExpression: 'cron(0 3 * * ? *)', State: 'ENABLED' });
    const logGroup = resources.find((r) => r.Type === 'AWS::Logs::LogGroup')?.Properties;
    expect(logGroup).toMatchObject({ RetentionInDays: 30 });
  });

  it('deploys no state machine in the default mode: the schedule invokes the function (--param mode=fanout does)', () => {
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types.filter((type) => type.startsWith('AWS::StepFunctions::'))).toEqual([]);
    expect(types.filter((type) => type === 'AWS::IAM::Role')).toEqual(['AWS::IAM::Role']);
    const rule = Object.values(template.Resources).find((r) => r.Type === 'AWS::Events::Rule')?.Properties;
    expect(rule?.Targets).toEqual([
      { Arn: { 'Fn::GetAtt': ['PurgeLambdaFunction', 'Arn'] }, Id: 'purgeSchedule' },
    ]);
  });

  it('puts no credential in the configuration, only the names of the SSM parameters to read at run time', () => {
    const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function')?.Properties;
    const variables =
      (fn?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {};

    expect(variables.TASK_JANITOR_SSM_PARAMETERS).toBe(
      'HUAWEICLOUD_SDK_AK=/task-janitor/dev/access-key,HUAWEICLOUD_SDK_SK=/task-janitor/dev/secret-key',
    );
    expect(Object.keys(variables).filter((k) => /^(HUAWEICLOUD_SDK_|OS_|TASK_JANITOR_AUTH)/.test(k))).toEqual(
      [],
    );
  });

  it('lets the role call ssm:GetParameters on exactly the two parameters, and nothing else beyond its logs', () => {
    const role = template.Resources.IamRoleLambdaExecution?.Properties as {
      Policies: { PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] } }[];
    };
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    const arn = (name: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ssm:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:parameter${name}`,
        ],
      ],
    });

    expect(statements.flatMap((s) => s.Action).sort()).toEqual([
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'logs:TagResource',
      'ssm:GetParameters',
    ]);
    expect(statements.find((s) => s.Action.includes('ssm:GetParameters'))?.Resource).toEqual([
      arn('/task-janitor/dev/access-key'),
      arn('/task-janitor/dev/secret-key'),
    ]);
  });

  it('grants kms:Decrypt only through a policy conditional on a customer-managed key, off by default', () => {
    const kms = template.Resources.SsmKmsDecryptPolicy;

    expect(kms?.Condition).toBe('HasSsmKmsKey');
    expect(template.Conditions.HasSsmKmsKey).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
    expect(kms?.Properties).toMatchObject({
      Roles: [{ Ref: 'IamRoleLambdaExecution' }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt' }] },
    });
  });

  it('reads the parameters from the bundle with the SDK found on NODE_PATH, as on Lambda', async () => {
    const ssm = await startFakeSsm();
    try {
      const bundle = join(dir, 'lambda', 'purge.cjs');
      await rm(join(dir, 'lambda'), { recursive: true, force: true });
      await mkdir(join(dir, 'lambda'));
      await writeFile(bundle, entries.find((e) => e.name === 'handlers/aws/purge.js')?.read() ?? '');
      const script = `require(${JSON.stringify(bundle)}).handler({}, { awsRequestId: 'r1', functionName: 'f',
        getRemainingTimeInMillis: () => 60000 }).then(() => process.exit(3), (e) => {
        console.error(e.name + ': ' + e.message); process.exit(1); });`;

      const child = await runNode(script, {
        // Lambda keeps the SDK in /var/runtime/node_modules and puts it on NODE_PATH; here the repository's copy.
        NODE_PATH: join(REPO_ROOT, 'node_modules'),
        TASK_JANITOR_SSM_PARAMETERS: 'HUAWEICLOUD_SDK_AK=/tj/ak,HUAWEICLOUD_SDK_SK=/tj/sk',
        AWS_ENDPOINT_URL_SSM: ssm.url,
        AWS_REGION: 'eu-central-1',
        AWS_ACCESS_KEY_ID: 'AKIDPACKAGETEST',
        AWS_SECRET_ACCESS_KEY: 'package-test',
        AWS_CONFIG_FILE: '/nonexistent/aws-config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      });

      expect(child.stderr).toContain('ConfigError: invalid environment');
      expect(child.stderr).toContain('SSM parameter "/tj/ak" (HUAWEICLOUD_SDK_AK) does not exist');
      expect(child.code).toBe(1);
      expect(ssm.requests.map((r) => [r.target, r.body.Names])).toEqual([
        ['AmazonSSM.GetParameters', ['/tj/ak', '/tj/sk']],
      ]);
    } finally {
      await ssm.close();
    }
  });
});

/** `node -e script` with only PATH/HOME from this process plus `env`. */
function runNode(script: string, env: Record<string, string>): Promise<SlsResult> {
  return runNodeProcess(['-e', script], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  });
}
