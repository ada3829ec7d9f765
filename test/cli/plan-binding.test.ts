/**
 * A saved plan is bound to the account and the selection it was made with: applied anywhere else it is refused
 * before any request; applied here it runs exactly the reviewed selection (and still re-checks each task).
 * The real CLI as a process against the emulator.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import type { Report } from '../../lib/report';
import type { SavedPlan } from '../../lib/saved-plan';
import { runNodeProcess } from '../support/run-node';
import { REPO_ROOT, runCli } from './run-cli';

const POLICY = `version: 1
dryRun: false
maxDeletesPerRun: 1000
services:
  dcs-center-tasks: { olderThan: 30d }
  oms-migration-tasks: { olderThan: 30d }
  dis-dump-tasks: { olderThan: 30d }
`;
const DAY_MS = 86_400_000;

let emulator: Emulator;
let dir: string;
let policyPath: string;
let planPath: string;

function cliEnv(extra: Record<string, string> = {}, on: Emulator = emulator): Record<string, string> {
  return { ...on.endpointEnv(), TASK_JANITOR_POLICY: policyPath, ...extra };
}

async function readPlan(): Promise<SavedPlan> {
  return JSON.parse(await readFile(planPath, 'utf8')) as SavedPlan;
}

/** Rewrites part of the plan file, as someone editing it (or another account's plan) would. */
async function editPlan(change: (plan: Record<string, unknown>) => void): Promise<void> {
  const plan = JSON.parse(await readFile(planPath, 'utf8')) as Record<string, unknown>;
  change(plan);
  await writeFile(planPath, JSON.stringify(plan, null, 2));
}

/** A plan of OMS tasks older than 1 day; two of them are only 5 days old (stale under 1d, not under 30d). */
async function planRecentOms(): Promise<SavedPlan> {
  for (const name of ['recent-a', 'recent-b']) {
    emulator.addTask({
      service: 'oms-migration-tasks',
      name,
      state: 5,
      fields: { start_time: Date.now() - 5 * DAY_MS },
    });
  }
  const planned = await runCli(
    ['purge', '--plan-out', planPath, '--service', 'oms-migration-tasks', '--older-than', '1d'],
    cliEnv(),
  );
  expect(planned.code).toBe(0);
  emulator.clearRequestLog();
  return readPlan();
}

beforeEach(async () => {
  emulator = await startEmulator({ seed: 7, tasks: 240 });
  dir = await mkdtemp(join(tmpdir(), 'task-janitor-plan-'));
  policyPath = join(dir, 'policy.yml');
  planPath = join(dir, 'plan.json');
  await writeFile(policyPath, POLICY);
});

afterEach(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

describe('--plan-out records what the plan is bound to', () => {
  it('the cloud, region, project, endpoint hosts (host only), the selection, the tool version and the time', async () => {
    const beforeMs = Date.now();
    // DIS is not selected: its endpoint is recorded but never called, so it may carry a path.
    const result = await runCli(
      [
        'purge',
        '--plan-out',
        planPath,
        '--service',
        'oms-migration-tasks',
        '--older-than',
        '7d',
        '--max-deletes',
        '50',
      ],
      cliEnv({ TASK_JANITOR_ENDPOINT_DIS: 'http://127.0.0.1:9/some/base/path' }),
    );

    expect(result.code).toBe(0);
    const text = await readFile(planPath, 'utf8');
    const plan = JSON.parse(text) as SavedPlan;
    const host = (url: string) => new URL(url).host;
    expect(plan.version).toBe(2);
    expect(plan.account).toEqual({
      cloud: 'huaweicloud',
      region: emulator.account.region,
      projectId: emulator.account.projectId,
      endpointHosts: {
        ...Object.fromEntries(Object.entries(emulator.urls).map(([service, url]) => [service, host(url)])),
        dis: '127.0.0.1:9',
      },
    });
    expect(text).not.toContain('some/base/path');
    expect(plan.selection.overrides).toEqual({
      services: ['oms-migration-tasks'],
      olderThan: '7d',
      maxDeletesPerRun: 50,
    });
    expect(plan.selection.policy).toEqual({
      version: 1,
      maxDeletesPerRun: 50,
      services: { 'oms-migration-tasks': { enabled: true, olderThan: '7d' } },
    });
    const packageJson = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(plan.tool).toEqual({ name: 'task-janitor', version: packageJson.version });
    expect(plan.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(plan.createdAt)).toBeGreaterThanOrEqual(beforeMs);
    expect(Date.parse(plan.createdAt)).toBeLessThanOrEqual(Date.now());
  });

  it('records the tool version from a bundle too (no package.json next to it)', async () => {
    const bundle = join(dir, 'bundle', 'cli.mjs');
    buildSync({
      entryPoints: [join(REPO_ROOT, 'cli/main.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
      // Some bundled dependencies are CommonJS and call require().
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    const packageJson = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };

    const result = await runNodeProcess([bundle, 'purge', '--plan-out', planPath], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...cliEnv() },
    });

    expect(result.code).toBe(0);
    expect((await readPlan()).tool).toEqual({ name: 'task-janitor', version: packageJson.version });
  });

  it('records the project id resolved through IAM when TASK_JANITOR_PROJECT_ID is not set', async () => {
    const { TASK_JANITOR_PROJECT_ID: _unset, ...env } = cliEnv();

    const result = await runCli(['purge', '--plan-out', planPath], env);

    expect(result.code).toBe(0);
    expect((await readPlan()).account?.projectId).toBe(emulator.account.projectId);
  });
});

describe('--plan applies the selection the plan records', () => {
  it('without repeating the flags, deleting the planned tasks it re-checks as still deletable', async () => {
    const plan = await planRecentOms();
    expect(plan.tasks.filter((t) => t.name.startsWith('recent-'))).toHaveLength(2);
    // Since the plan was made, one planned task started executing: the apply must keep it.
    const [turned] = plan.tasks;
    if (turned === undefined) throw new Error('expected a planned task');
    emulator.setTaskState('oms-migration-tasks', turned.id, 2);

    // Neither --service nor --older-than: the plan's selection (OMS, older than 1 day) is what runs.
    const applied = await runCli(['purge', '--plan', planPath, '--apply', '--json'], cliEnv());

    expect(applied.code).toBe(0);
    const report = JSON.parse(applied.stdout) as Report;
    expect(report.policy.digest).toBe(plan.policyDigest);
    expect(Object.keys(report.services)).toEqual(['oms-migration-tasks']);
    expect(report.totals.skipped.changed).toBe(1);
    const deleted = emulator.deletions().map((d) => d.id);
    expect(new Set(deleted)).toEqual(new Set(plan.tasks.map((t) => t.id).filter((id) => id !== turned.id)));
    expect(deleted).toHaveLength(plan.tasks.length - 1);
  });

  it.each([
    [
      ['--service', 'dcs-center-tasks'],
      /--service: the plan selects oms-migration-tasks, the command line dcs-center-tasks/,
    ],
    [
      ['--older-than', '2d'],
      /--older-than: the plan selects tasks older than oms-migration-tasks 1d, the command line 2d/,
    ],
    [['--max-deletes', '5'], /--max-deletes: the plan's cap is 1000, the command line 5/],
  ])('refuses a flag that contradicts the plan (%j) before any request', async (flags, message) => {
    await planRecentOms();

    const applied = await runCli(['purge', '--plan', planPath, '--apply', ...flags], cliEnv());

    expect(applied.code).toBe(2);
    expect(applied.stderr).toMatch(message);
    expect(applied.stderr).toContain('Nothing was sent to the cloud');
    expect(emulator.requestLog()).toEqual([]);
  });

  it("refuses --region and --project, naming each, before any request: the plan's targets run", async () => {
    await planRecentOms();
    const { region, projectName } = emulator.account;

    // Even a narrowing to the plan's own target: --plan runs the plan's targets, a narrowing would be ignored.
    const applied = await runCli(
      ['purge', '--plan', planPath, '--apply', '--region', region, '--project', projectName, '--json'],
      cliEnv(),
    );

    expect(applied.code).toBe(2);
    const refusal = "not with --plan (the plan's targets run; make a new plan to narrow)";
    expect(applied.stderr).toContain(`--region: ${refusal}`);
    expect(applied.stderr).toContain(`--project: ${refusal}`);
    expect(applied.stderr).toContain('Nothing was sent to the cloud');
    const output = JSON.parse(applied.stdout) as { error: { problems: string[]; sent: string } };
    expect(output.error.problems).toEqual(
      expect.arrayContaining([`--region: ${refusal}`, `--project: ${refusal}`]),
    );
    expect(output.error.sent).toBe('nothing');
    expect(emulator.requestLog()).toEqual([]);
    expect(emulator.deletions()).toEqual([]);
  });

  it('refuses a --policy or TASK_JANITOR_POLICY that is not the policy the plan was made with', async () => {
    await planRecentOms();
    const otherPath = join(dir, 'other.yml');
    await writeFile(
      otherPath,
      POLICY.replace(
        'oms-migration-tasks: { olderThan: 30d }',
        'oms-migration-tasks: { olderThan: 30d, exclude: ["keep-*"] }',
      ),
    );

    const viaFlag = await runCli(['purge', '--plan', planPath, '--apply', '--policy', otherPath], cliEnv());
    const viaEnv = await runCli(
      ['purge', '--plan', planPath, '--apply'],
      cliEnv({ TASK_JANITOR_POLICY: otherPath }),
    );

    expect(viaFlag.code).toBe(2);
    expect(viaFlag.stderr).toContain(
      `--policy ${otherPath}: this policy is not the one the plan was made with`,
    );
    expect(viaEnv.code).toBe(2);
    expect(viaEnv.stderr).toContain('TASK_JANITOR_POLICY: this policy is not the one the plan was made with');
    expect(emulator.requestLog()).toEqual([]);

    // The policy the plan was made with is accepted (a dry run of the plan: listing only).
    const same = await runCli(['purge', '--plan', planPath, '--policy', policyPath], cliEnv());

    expect(same.code).toBe(0);
    expect(emulator.deletions()).toEqual([]);
  });
});

describe('--plan is refused against another account, before any request', () => {
  it('another account behind other endpoints, holding tasks of the same ids, is left untouched', async () => {
    const plan = await planRecentOms();
    const other = await startEmulator({ seed: 7, tasks: 240 });
    try {
      const sameIds = other.tasks('oms-migration-tasks').filter((t) => plan.tasks.some((p) => p.id === t.id));
      expect(sameIds.length).toBeGreaterThan(0);

      const applied = await runCli(['purge', '--plan', planPath, '--apply'], cliEnv({}, other));

      expect(applied.code).toBe(2);
      for (const service of Object.keys(other.urls)) {
        expect(applied.stderr).toContain(`account.endpointHosts.${service}: the plan was made against`);
      }
      expect(applied.stderr).toContain('Nothing was sent to the cloud');
      expect(other.requestLog()).toEqual([]);
      expect(other.deletions()).toEqual([]);
      expect(emulator.requestLog()).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it.each([
    [
      { TASK_JANITOR_PROJECT_ID: 'another-project' },
      /account\.projectId: the plan was made for project "0b5c.*", this run is for "another-project" \(TASK_JANITOR_PROJECT_ID\)/,
      'oms-migration-tasks',
    ],
    [
      { TASK_JANITOR_REGION: 'cn-east-3' },
      /account\.region: the plan was made for region "cn-north-4", this run is for "cn-east-3" \(TASK_JANITOR_REGION\)/,
      'oms-migration-tasks',
    ],
    // A plan of an API both clouds offer: one of OMS is refused on OTC for naming a Huawei Cloud only API.
    [
      { TASK_JANITOR_CLOUD: 'otc' },
      /account\.cloud: the plan was made for cloud "huaweicloud", this run is for "otc" \(TASK_JANITOR_CLOUD\)/,
      'dis-dump-tasks',
    ],
  ])('another configured account (%j)', async (change, message, service) => {
    if (service === 'oms-migration-tasks') await planRecentOms();
    else {
      expect((await runCli(['purge', '--plan-out', planPath, '--service', service], cliEnv())).code).toBe(0);
      emulator.clearRequestLog();
    }

    const applied = await runCli(['purge', '--plan', planPath, '--apply'], cliEnv(change));

    expect(applied.code).toBe(2);
    expect(applied.stderr).toMatch(message);
    expect(applied.stderr).toContain('Nothing was sent to the cloud');
    expect(emulator.requestLog()).toEqual([]);
  });

  it('another project resolved through IAM: only IAM was asked, nothing was listed or deleted', async () => {
    await planRecentOms();
    await editPlan((plan) => {
      (plan.account as Record<string, unknown>).projectId = 'another-project';
    });
    const { TASK_JANITOR_PROJECT_ID: _unset, ...env } = cliEnv();

    const applied = await runCli(['purge', '--plan', planPath, '--apply'], env);

    expect(applied.code).toBe(2);
    expect(applied.stderr).toMatch(
      /account\.projectId: the plan was made for project "another-project", this run is for "0b5c/,
    );
    expect(applied.stderr).toContain('Only IAM was asked for the project id; nothing was listed or deleted.');
    expect(applied.stderr).not.toContain('Nothing was sent');
    const log = emulator.requestLog();
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((r) => r.service === 'iam')).toBe(true);
    expect(emulator.deletions()).toEqual([]);
  });
});

describe('--plan refuses stale and unbound plans', () => {
  it('a plan older than 24 hours, unless --plan-max-age allows it', async () => {
    const plan = await planRecentOms();
    await editPlan((p) => {
      p.createdAt = new Date(Date.now() - 25 * 3_600_000).toISOString();
    });

    const refused = await runCli(['purge', '--plan', planPath, '--apply'], cliEnv());

    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /createdAt: the plan was made at .*, 25 h ago, more than the limit of 24 h; make a new plan/,
    );
    expect(emulator.requestLog()).toEqual([]);

    const allowed = await runCli(['purge', '--plan', planPath, '--apply', '--plan-max-age', '48h'], cliEnv());

    expect(allowed.code).toBe(0);
    expect(emulator.deletions()).toHaveLength(plan.tasks.length);
  });

  it('a version-1 plan, which is not bound to an account', async () => {
    const plan = await planRecentOms();
    await writeFile(
      planPath,
      JSON.stringify({
        version: 1,
        createdAt: new Date().toISOString(),
        policyDigest: plan.policyDigest,
        tasks: plan.tasks,
      }),
    );

    const applied = await runCli(['purge', '--plan', planPath, '--apply'], cliEnv());

    expect(applied.code).toBe(2);
    expect(applied.stderr).toContain('not bound to an account');
    expect(applied.stderr).toContain('make a new plan with --plan-out');
    expect(emulator.requestLog()).toEqual([]);
    expect(emulator.deletions()).toEqual([]);
  });
});
