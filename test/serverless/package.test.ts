import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readZipEntries, runServerless, type SlsResult, type ZipEntry } from './sls';

// One `serverless package` run (slow: a bundle plus the framework's start-up), shared by the assertions.
let dir: string;
let result: SlsResult;
let entries: ZipEntry[];
let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'task-janitor-sls-package-'));
  result = await runServerless(
    [
      'package',
      '--package',
      join(dir, 'artifact'),
      '--param',
      'cloudRegion=eu-de',
      '--param',
      'accessKey=offline-placeholder',
      '--param',
      'secretKey=offline-placeholder',
    ],
    { TASK_JANITOR_SLS_WORK_FOLDER: '.esbuild/test-package' },
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

  it('puts the bundled handler, its source map and the policy in the zip, and no node_modules', () => {
    const names = entries.map((e) => e.name).sort();
    expect(names).toEqual([
      'examples/policy.yml',
      'handlers/package.json',
      'handlers/purge.js',
      'handlers/purge.js.map',
    ]);
    const marker = entries.find((e) => e.name === 'handlers/package.json');
    expect(JSON.parse(marker?.read().toString('utf8') ?? '{}')).toEqual({ type: 'commonjs' });
    const size = entries.find((e) => e.name === 'handlers/purge.js')?.size ?? 0;
    expect(size).toBeGreaterThan(50_000);
  });

  it('bundles a self-contained CommonJS handler that loads without node_modules', async () => {
    const bundle = entries.find((e) => e.name === 'handlers/purge.js');
    const file = join(dir, 'purge.cjs');
    await writeFile(file, bundle?.read() ?? '');

    const loaded = createRequire(file)(file) as { handler?: unknown };

    expect(typeof loaded.handler).toBe('function');
  });

  it('configures the function: timeout, memory, one concurrent run, no async retries, daily schedule', () => {
    const resources = Object.values(template.Resources);
    const fn = resources.find((r) => r.Type === 'AWS::Lambda::Function')?.Properties;
    expect(fn).toMatchObject({
      Handler: 'handlers/purge.handler',
      Runtime: 'nodejs22.x',
      Timeout: 900,
      MemorySize: 256,
      ReservedConcurrentExecutions: 1,
    });
    expect(fn?.Environment).toMatchObject({ Variables: { TASK_JANITOR_POLICY: 'examples/policy.yml' } });
    const invokeConfig = resources.find((r) => r.Type === 'AWS::Lambda::EventInvokeConfig')?.Properties;
    expect(invokeConfig).toMatchObject({ MaximumRetryAttempts: 0 });
    const rule = resources.find((r) => r.Type === 'AWS::Events::Rule')?.Properties;
    expect(rule).toMatchObject({ ScheduleExpression: 'cron(0 3 * * ? *)', State: 'ENABLED' });
    const logGroup = resources.find((r) => r.Type === 'AWS::Logs::LogGroup')?.Properties;
    expect(logGroup).toMatchObject({ RetentionInDays: 30 });
  });
});
