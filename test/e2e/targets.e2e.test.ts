/**
 * Many projects and regions in one run, end to end: the real `task-janitor` process (`bin/task-janitor.mjs`)
 * against the emulator serving three regions of two projects each, with password credentials (a token minted
 * per target on its region's IAM). What each target must lose is the test's own reading of the emulator's
 * tasks (`targets-fixture.ts`), compared with the emulator's deletions per project.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator, EmulatorOptions } from '../../emulator/types';
import type { Report } from '../../lib/report';
import { startCli } from '../cli/run-cli';
import {
  accountOptions,
  DAY_MS,
  firstByRegionAndName,
  keyOfTask,
  keysOfDeletions,
  keysOfPlan,
  policyOver,
  REGIONS,
  removeBorderlineTasks,
  sectionOf,
  selectedIn,
  selectedKeys,
} from './targets-fixture';

/** Each run takes about a second; one that takes this long is stuck. */
const RUN_TIMEOUT_MS = 20_000;

let emulator: Emulator;
let dir: string;

async function startAccount(options: EmulatorOptions = accountOptions()): Promise<void> {
  emulator = await startEmulator(options);
  removeBorderlineTasks(emulator);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'task-janitor-targets-'));
});
afterEach(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
});

async function writePolicy(policy: Record<string, unknown>, name = 'policy.json'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(policy));
  return path;
}

/**
 * `task-janitor ARGS` with the emulator's environment. A run that hangs is killed, so that it fails its test
 * instead of outliving it.
 */
function run(args: readonly string[], env: Record<string, string> = {}) {
  const started = startCli(args, { ...emulator.endpointEnv(), ...env });
  const timer = setTimeout(() => started.child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return started.result.finally(() => clearTimeout(timer));
}

/** `task-janitor purge --json …`: the report (or refusal) it printed. */
async function purge(args: readonly string[], env: Record<string, string> = {}) {
  const result = await run(['purge', '--json', ...args], env);
  let output: Report & { error?: { name: string; message: string; problems?: string[]; sent?: string } };
  try {
    output = JSON.parse(result.stdout);
  } catch {
    throw new Error(`no JSON on stdout (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { code: result.code, stderr: result.stderr, report: output };
}

const project = (name: string) => {
  const found = emulator.projects.find((p) => p.name === name);
  if (!found) throw new Error(`no project ${name}`);
  return found;
};

/** The hosts the run asked, besides IAM: none means "only IAM was asked". */
const nonIamRequests = () => emulator.requestLog().filter((entry) => entry.service !== 'iam');

describe('one run over three regions of two projects', () => {
  it('plans exactly the selected tasks of every target (a dry run), then deletes exactly them; SMS listed once', async () => {
    await startAccount();
    const policy = await writePolicy(policyOver());
    const planFile = join(dir, 'plan.json');
    const expected = selectedKeys(emulator);
    expect(expected.length).toBeGreaterThan(30);

    const dry = await purge(['--policy', policy, '--plan-out', planFile]);

    expect(dry.code, dry.stderr).toBe(0);
    expect(emulator.deletions()).toEqual([]);
    const plan = JSON.parse(await readFile(planFile, 'utf8'));
    expect(plan.version).toBe(3);
    expect(keysOfPlan(plan)).toEqual(expected);
    const smsLister = firstByRegionAndName(emulator);
    expect(dry.report.targets).toHaveLength(6);
    for (const p of emulator.projects) {
      const section = sectionOf(dry.report, p.id);
      expect(section).toMatchObject({ region: p.region, projectName: p.name, status: 'done' });
      const sms = p.id === smsLister ? emulator.tasks('sms-migration-tasks').length : 0;
      expect([p.name, Object.keys(section.services).includes('sms-migration-tasks')]).toEqual([
        p.name,
        p.id === smsLister,
      ]);
      const smsSelected = expected.filter((k) => k.startsWith('account|')).length;
      expect(section.totals.wouldDelete).toBe(
        selectedIn(emulator, p.id) + (p.id === smsLister ? smsSelected : 0),
      );
      expect(section.services['sms-migration-tasks']?.listed ?? 0).toBe(sms);
    }
    // The account's SMS tasks were listed by one target only, the first by region and project name.
    const smsLists = emulator.requestLog().filter((e) => e.service === 'sms' && e.operation === 'ListTasks');
    expect(new Set(smsLists.map((e) => e.projectId))).toEqual(new Set([smsLister]));
    // Each target was served by its own region's hosts, with a token its region's IAM minted.
    for (const entry of nonIamRequests()) {
      if (entry.region === undefined) continue;
      expect(emulator.projects.find((p) => p.id === entry.projectId)?.region).toBe(entry.region);
      expect(entry.status).not.toBe(403);
    }
    const minted = emulator.requestLog().filter((e) => e.operation === 'CreateToken');
    expect(new Set(minted.map((e) => e.region))).toEqual(new Set(REGIONS));

    const applied = await purge(['--policy', policy, '--apply']);

    expect(applied.code, applied.stderr).toBe(0);
    expect(keysOfDeletions(emulator.deletions())).toEqual(expected);
    for (const p of emulator.projects) {
      const mine = emulator.deletions().filter((d) => d.projectId === p.id);
      expect(mine.every((d) => d.region === p.region)).toBe(true);
      expect(sectionOf(applied.report, p.id).totals.deleted).toBe(
        sectionOf(dry.report, p.id).totals.wouldDelete,
      );
    }
    expect(applied.report.totals.deleted).toBe(expected.length);
  }, 60_000);

  it('"*" with exclude, and projects named by name and by id, select exactly those projects', async () => {
    await startAccount();
    const ap = project('ap-southeast-3');
    const policy = await writePolicy(
      policyOver({
        targets: [
          { regions: ['cn-north-4', 'cn-east-3'], projects: ['*'], exclude: ['*_dev'] },
          { regions: ['ap-southeast-3'], projects: [ap.id, 'ap-southeast-3_dev'] },
        ],
      }),
    );
    const chosen = ['cn-north-4', 'cn-east-3', 'ap-southeast-3', 'ap-southeast-3_dev'].map(
      (n) => project(n).id,
    );

    const expected = selectedKeys(emulator, { projects: chosen });

    const applied = await purge(['--policy', policy, '--apply']);

    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.report.targets?.map((t) => t.projectId).sort()).toEqual([...chosen].sort());
    expect(keysOfDeletions(emulator.deletions())).toEqual(expected);
    expect(emulator.deletions().some((d) => d.projectId === project('cn-north-4_dev').id)).toBe(false);
  }, 60_000);

  it('a named project IAM does not show stops the run before anything is listed: only IAM was asked', async () => {
    await startAccount();
    const policy = await writePolicy(
      policyOver({
        targets: [{ regions: ['cn-north-4', 'cn-east-3'], projects: ['cn-north-4', 'cn-north-4_nope'] }],
      }),
    );

    const run = await purge(['--policy', policy, '--apply']);

    expect(run.code).toBe(2);
    expect(run.report.error?.name).toBe('ConfigError');
    expect(run.report.error?.message).toMatch(/targets\[0\]\.projects\[1\]: no project "cn-north-4_nope"/);
    expect(run.stderr).toMatch(/Only IAM was asked for the projects; nothing was listed or deleted\./);
    expect(run.stderr).not.toMatch(/Nothing was sent/);
    // --json says the same to a script.
    expect(run.report.error?.sent).toBe('iam');
    expect(emulator.requestLog().length).toBeGreaterThan(0);
    expect(nonIamRequests()).toEqual([]);
    expect(emulator.deletions()).toEqual([]);
  }, 60_000);
});

describe('narrowing on the command line', () => {
  it('--region and --project narrow the targets; naming one the policy does not select is refused', async () => {
    await startAccount();
    const policy = await writePolicy(policyOver());
    const south = ['ap-southeast-3', 'ap-southeast-3_dev'].map((n) => project(n).id);
    const southSelected = selectedKeys(emulator, { projects: south });
    const dev = project('cn-east-3_dev');
    const devSelected = selectedKeys(emulator, { projects: [dev.id], sms: false }).length;

    const byRegion = await purge(['--policy', policy, '--apply', '--region', 'ap-southeast-3']);

    expect(byRegion.code, byRegion.stderr).toBe(0);
    expect(byRegion.report.targets?.map((t) => t.projectId).sort()).toEqual([...south].sort());
    // The narrowed run's first target by region and name lists SMS.
    expect(keysOfDeletions(emulator.deletions())).toEqual(southSelected);
    expect(new Set(emulator.deletions().map((d) => d.region))).toEqual(
      new Set(['ap-southeast-3', undefined]),
    );

    emulator.clearRequestLog();
    const byProject = await purge(['--policy', policy, '--project', 'cn-east-3_dev']);
    expect(byProject.code, byProject.stderr).toBe(0);
    expect(byProject.report.targets?.map((t) => t.projectId)).toEqual([dev.id]);
    // Its one target lists SMS too, whose stale tasks the run before deleted.
    expect(byProject.report.totals.wouldDelete).toBe(devSelected);
    expect(new Set(nonIamRequests().map((e) => e.projectId))).toEqual(new Set([dev.id]));

    emulator.clearRequestLog();
    const wider = await purge(['--policy', policy, '--apply', '--region', 'eu-west-101']);
    expect(wider.code).toBe(2);
    expect(wider.report.error?.message).toMatch(/--region eu-west-101: not among the policy's regions/);
    expect(emulator.requestLog()).toEqual([]);

    const unknown = await purge(['--policy', policy, '--apply', '--project', 'cn-north-4_nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.report.error?.message).toMatch(
      /--project cn-north-4_nope: not among the policy's targets/,
    );
    expect(nonIamRequests()).toEqual([]);
    expect(emulator.deletions().every((d) => d.region !== 'cn-north-4')).toBe(true);
  }, 60_000);
});

describe('the apply command a narrowed dry run prints', () => {
  it('carries every --region and --project: pasted, it deletes in that target only', async () => {
    await startAccount();
    const policy = await writePolicy(policyOver());
    const dev = project('ap-southeast-3_dev');
    // The policy's SMS lister is ap-southeast-3's own project: this narrowing leaves SMS out.
    const expected = selectedKeys(emulator, { projects: [dev.id], sms: false });
    expect(expected.length).toBeGreaterThan(0);

    const dry = await run([
      'purge',
      '--policy',
      policy,
      '--region',
      'ap-southeast-3',
      '--project',
      'ap-southeast-3_dev',
    ]);

    expect(dry.code, dry.stderr).toBe(0);
    expect(emulator.deletions()).toEqual([]);
    const printed = /^To delete these \d+ tasks: (.*)$/m.exec(dry.stdout)?.[1];
    expect(printed).toBe(
      `task-janitor purge --policy ${policy} --region ap-southeast-3 --project ap-southeast-3_dev --apply`,
    );

    // Pasted (no value needed quoting): exactly that target's tasks, none of the other five targets'.
    const [, command, ...args] = (printed ?? '').split(' ');
    expect(command).toBe('purge');
    const applied = await purge(args);

    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.report.targets?.map((t) => t.projectId)).toEqual([dev.id]);
    expect(keysOfDeletions(emulator.deletions())).toEqual(expected);
  }, 60_000);
});

describe('a target that cannot be reached', () => {
  it('credentials refused for one project: that target is reported failed, the others delete exactly as without it', async () => {
    const options = accountOptions();
    const regions = (options.regions ?? []).map((region) =>
      region.id === 'ap-southeast-3'
        ? {
            ...region,
            projects: [{ name: 'ap-southeast-3' }, { name: 'ap-southeast-3_dev', accessDenied: true }],
          }
        : region,
    );
    await startAccount({ ...options, regions });
    const denied = project('ap-southeast-3_dev');
    const others = emulator.projects.filter((p) => p.id !== denied.id).map((p) => p.id);
    const expected = selectedKeys(emulator, { projects: others });
    const policy = await writePolicy(policyOver());

    const run = await purge(['--policy', policy, '--apply']);

    expect(run.code).toBe(1);
    expect(sectionOf(run.report, denied.id)).toMatchObject({
      status: 'failed',
      totals: { listed: 0, deleted: 0 },
    });
    for (const id of others) expect(sectionOf(run.report, id).status).toBe('done');
    expect(keysOfDeletions(emulator.deletions())).toEqual(expected);
    expect(emulator.tasks('oms-migration-tasks', denied.id).length).toBeGreaterThan(0);
    expect(run.report.services['oms-migration-tasks']?.error).toBeUndefined();
  }, 60_000);
});

describe('plan files of several targets (version 3)', () => {
  it('--plan-out then --plan --apply deletes exactly the planned tasks; a plan naming a target not in the run is refused', async () => {
    await startAccount();
    const policy = await writePolicy(policyOver());
    const planFile = join(dir, 'plan.json');
    const made = await purge(['--policy', policy, '--plan-out', planFile]);
    expect(made.code, made.stderr).toBe(0);
    const plan = JSON.parse(await readFile(planFile, 'utf8'));
    expect(plan.targets).toHaveLength(6);
    // After the plan: a new stale task, which the plan does not name.
    const late = emulator.addTask({
      service: 'oms-migration-tasks',
      project: 'cn-east-3',
      ageMs: 90 * DAY_MS,
    });

    // A target IAM no longer shows (a project deleted since): its tasks could not be applied.
    const gone = {
      ...plan.targets[0],
      projectId: 'f'.repeat(32),
      projectName: `${plan.targets[0].region}_gone`,
    };
    const stale = join(dir, 'stale-plan.json');
    await writeFile(stale, JSON.stringify({ ...plan, targets: [...plan.targets, gone] }));
    emulator.clearRequestLog();
    const refused = await purge(['--plan', stale, '--apply']);
    expect(refused.code).toBe(2);
    // Applying a plan narrows the run to the plan's targets: one IAM does not show is refused.
    expect(refused.report.error?.message).toMatch(
      /the plan: targets\[\d+\] [a-z0-9-]+\/f{32}: not among the policy's targets/,
    );
    // The operator gave no --project: the message names the plan, not a flag.
    expect(refused.report.error?.message).not.toMatch(/--project/);
    expect(refused.stderr).toMatch(/Only IAM was asked for the projects; nothing was listed or deleted\./);
    expect(refused.report.error?.sent).toBe('iam');
    expect(nonIamRequests()).toEqual([]);
    expect(emulator.deletions()).toEqual([]);

    // A narrowing cannot pick some of the plan's targets: refused, nothing sent (it used to be ignored).
    emulator.clearRequestLog();
    const narrowed = await purge(['--plan', planFile, '--apply', '--project', 'cn-east-3']);
    expect(narrowed.code).toBe(2);
    expect(narrowed.report.error?.problems).toEqual([
      "--project: not with --plan (the plan's targets run; make a new plan to narrow)",
    ]);
    expect(emulator.requestLog()).toEqual([]);

    const applied = await purge(['--plan', planFile, '--apply']);

    expect(applied.code, applied.stderr).toBe(0);
    expect(keysOfDeletions(emulator.deletions())).toEqual(keysOfPlan(plan));
    expect(emulator.tasks('oms-migration-tasks', 'cn-east-3').map((t) => t.id)).toContain(late.id);
    expect(keysOfDeletions(emulator.deletions())).not.toContain(
      keyOfTask(project('cn-east-3').id, 'oms-migration-tasks', late.id),
    );
  }, 60_000);
});

describe('the cap, split evenly between the targets', () => {
  it('each target deletes at most its share, oldest first, no one waiting; the dry run plans exactly what the applied run deletes', async () => {
    await startAccount();
    const selected = selectedKeys(emulator);
    const cap = Math.floor(selected.length / 2);
    const policy = await writePolicy(policyOver({ maxDeletesPerRun: cap }));
    const planFile = join(dir, 'plan.json');

    const dry = await purge(['--policy', policy, '--plan-out', planFile]);
    const applied = await purge(['--policy', policy, '--apply']);

    expect(dry.code, dry.stderr).toBe(0);
    expect(applied.code, applied.stderr).toBe(0);
    const plan = JSON.parse(await readFile(planFile, 'utf8'));
    expect(keysOfDeletions(emulator.deletions())).toEqual(keysOfPlan(plan));
    // In the order the targets started: the cap divided by their number, the remainder one each to the first.
    const sections = applied.report.targets ?? [];
    const order = sections.map((t) => t.projectId);
    expect(order).toEqual((dry.report.targets ?? []).map((t) => t.projectId));
    let total = 0;
    sections.forEach((section, index) => {
      const quota = Math.floor(cap / sections.length) + (index < cap % sections.length ? 1 : 0);
      const share = Math.min(section.totals.stale, quota);
      total += share;
      expect([section.projectName, section.totals.deleted]).toEqual([section.projectName, share]);
      expect(section.totals.skipped.cap).toBe(section.totals.stale - share);
      expect(sectionOf(dry.report, section.projectId).totals.wouldDelete).toBe(share);
    });
    expect(applied.report.totals.deleted).toBe(total);
    expect(total).toBeLessThanOrEqual(cap);
    expect(keysOfPlan(plan)).toHaveLength(total);
  }, 60_000);
});
