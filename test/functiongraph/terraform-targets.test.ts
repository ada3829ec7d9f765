/**
 * deploy/functiongraph: one TIMER trigger per target. The per-target logic (schedule, user_event, the agency's
 * projects) is deploy/functiongraph/modules/timer-targets, which has no provider: the terraform (or tofu) binary
 * evaluates it here, offline. The two roots need their providers, which cannot be downloaded here, so their
 * wiring is checked as text.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DEPLOY = fileURLToPath(new URL('../../deploy/functiongraph/', import.meta.url));
const MODULE = join(DEPLOY, 'modules', 'timer-targets');
const read = (path: string) => readFileSync(join(DEPLOY, path), 'utf8');

/** terraform or tofu on PATH, if any. */
const TERRAFORM = ['terraform', 'tofu']
  .flatMap((name) => (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name)))
  .find((path) => existsSync(path));

describe.each(['huaweicloud', 'otc'] as const)('deploy/functiongraph/%s wires the targets', (cloud) => {
  const main = read(`${cloud}/main.tf`);
  const variables = read(`${cloud}/variables.tf`);

  it('declares targets, targets_schedule and stagger_minutes, defaulting to the single trigger', () => {
    expect(variables).toMatch(/variable "targets" \{[\s\S]*?default = \[\]/);
    expect(variables).toMatch(/variable "targets_schedule" \{[\s\S]*?default\s+= "0 \{minute\} 3 \* \* \*"/);
    expect(variables).toMatch(/variable "stagger_minutes" \{[\s\S]*?default\s+= null/);
  });

  it('creates one trigger per module trigger, keeps the single one (moved in place) only without targets', () => {
    expect(main).toContain('source = "../modules/timer-targets"');
    expect(main).toMatch(/"timer" \{\n {2}count = length\(var\.targets\) == 0 \? 1 : 0/);
    expect(main).toMatch(/moved \{\n {2}from = \w+\.timer\n {2}to {3}= \w+\.timer\[0\]\n\}/);
    expect(main).toMatch(/"target_timer" \{\n {2}for_each = module\.targets\.triggers/);
    expect(main).toContain('schedule      = each.value.schedule');
    expect(main).toContain('user_event    = each.value.user_event');
  });

  it("gives the agency its role in the function's region without targets, else in every target's project", () => {
    expect(main).toContain(
      'for_each = length(var.targets) == 0 ? [var.region] : module.targets.agency_projects',
    );
    expect(main).not.toMatch(/ {2}project_role \{\n {4}project = var\.region/);
  });
});

describe.skipIf(TERRAFORM === undefined)('modules/timer-targets, evaluated by terraform', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'task-janitor-tf-targets-'));
    await writeFile(
      join(dir, 'main.tf'),
      `variable "targets" { type = any }
variable "base_user_event" { type = any }
variable "schedule" { type = string }
variable "stagger_minutes" {
  type    = number
  default = null
}
variable "project_names_by_id" { type = map(string) }
module "targets" {
  source              = ${JSON.stringify(MODULE)}
  targets             = var.targets
  function_name       = "task-janitor"
  base_user_event     = var.base_user_event
  dry_run             = true
  schedule            = var.schedule
  stagger_minutes     = var.stagger_minutes
  project_names_by_id = var.project_names_by_id
}
output "triggers" { value = module.targets.triggers }
output "agency_projects" { value = module.targets.agency_projects }
`,
    );
    const init = await terraform(['init', '-backend=false', '-input=false', '-no-color']);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** `terraform apply` of the wrapper with these inputs: the module's outputs, or the error text. */
  async function evaluate(inputs: Record<string, unknown>) {
    const variables = {
      base_user_event: {},
      schedule: '0 {minute} 3 * * *',
      project_names_by_id: { '0123456789abcdef0123456789abcdef': 'cn-north-4_analytics' },
      ...inputs,
    };
    await writeFile(join(dir, 'case.tfvars.json'), JSON.stringify(variables));
    const apply = await terraform([
      'apply',
      '-auto-approve',
      '-input=false',
      '-no-color',
      '-var-file=case.tfvars.json',
    ]);
    if (apply.code !== 0) return { error: apply.stderr.replace(/\s+/g, ' ') };
    const output = await terraform(['output', '-json', '-no-color']);
    const parsed: unknown = JSON.parse(output.stdout);
    return { outputs: valuesOf(parsed) };
  }

  it('gives each target its trigger: a staggered minute and the {"target": …} event with dryRun and the manual keys', async () => {
    const { outputs, error } = await evaluate({
      base_user_event: { services: ['oms-migration-tasks'] },
      targets: [
        { region: 'cn-north-4', project_id: '0123456789abcdef0123456789abcdef' },
        { region: 'ap-southeast-3', project_name: 'ap-southeast-3' },
        { region: 'cn-north-4', project_name: 'cn-north-4' },
      ],
    });

    expect(error).toBeUndefined();
    const triggers = outputs?.triggers;
    expect(Object.keys(isRecord(triggers) ? triggers : {})).toEqual(['0', '1', '2']);
    expect(eventsOf(triggers)).toEqual([
      {
        name: 'task-janitor-timer-0',
        schedule: '0 0 3 * * *',
        event: {
          dryRun: true,
          services: ['oms-migration-tasks'],
          target: { region: 'cn-north-4', projectId: '0123456789abcdef0123456789abcdef' },
        },
      },
      {
        name: 'task-janitor-timer-1',
        schedule: '0 20 3 * * *',
        event: {
          dryRun: true,
          services: ['oms-migration-tasks'],
          target: { region: 'ap-southeast-3', projectName: 'ap-southeast-3' },
        },
      },
      {
        name: 'task-janitor-timer-2',
        schedule: '0 40 3 * * *',
        event: {
          dryRun: true,
          services: ['oms-migration-tasks'],
          target: { region: 'cn-north-4', projectName: 'cn-north-4' },
        },
      },
    ]);
    // A project given by id is granted by the name IAM knows it by.
    expect(outputs?.agency_projects).toEqual(['cn-north-4_analytics', 'ap-southeast-3', 'cn-north-4']);
  }, 60_000);

  it('staggers by stagger_minutes when it is set, modulo the hour', async () => {
    const { outputs } = await evaluate({
      stagger_minutes: 45,
      schedule: 'CRON_TZ=UTC 0 {minute} 2 * * *',
      targets: ['a', 'b', 'c'].map((name) => ({ region: 'eu-de', project_name: `eu-de_${name}` })),
    });

    expect(eventsOf(outputs?.triggers).map((t) => t.schedule)).toEqual([
      'CRON_TZ=UTC 0 0 2 * * *',
      'CRON_TZ=UTC 0 45 2 * * *',
      'CRON_TZ=UTC 0 30 2 * * *',
    ]);
  }, 60_000);

  it('creates no trigger and grants no project without targets', async () => {
    const { outputs } = await evaluate({ targets: [] });

    expect(outputs).toEqual({ triggers: {}, agency_projects: [] });
  }, 60_000);

  it.each([
    [
      'a target naming its project twice',
      {
        targets: [
          {
            region: 'cn-north-4',
            project_id: '0123456789abcdef0123456789abcdef',
            project_name: 'cn-north-4',
          },
        ],
      },
      'targets: every target names its project by exactly one of project_id or project_name',
    ],
    [
      'a target naming no project',
      { targets: [{ region: 'cn-north-4', project_name: '' }] },
      'targets: every target names its project by exactly one of project_id or project_name',
    ],
    [
      'a target listed twice',
      {
        targets: [
          { region: 'eu-de', project_name: 'eu-de' },
          { region: 'eu-de', project_name: 'eu-de' },
        ],
      },
      'targets: a target is listed twice',
    ],
    [
      'a region that is no region id',
      { targets: [{ region: 'EU DE', project_name: 'eu-de' }] },
      'targets: every target has a region id',
    ],
    [
      'a project id the account does not have',
      { targets: [{ region: 'cn-north-4', project_id: 'ffffffffffffffffffffffffffffffff' }] },
      'targets: a project_id names no project of this account',
    ],
    [
      'a schedule without {minute}',
      { schedule: '0 0 3 * * *', targets: [{ region: 'eu-de', project_name: 'eu-de' }] },
      'targets_schedule: expected a cron with one {minute} placeholder',
    ],
    [
      'a stagger of an hour or more',
      { stagger_minutes: 60, targets: [{ region: 'eu-de', project_name: 'eu-de' }] },
      'stagger_minutes: expected a whole number of minutes from 0 to 59',
    ],
    [
      'a user_event over FunctionGraph’s 2 KB',
      {
        base_user_event: { services: ['x'.repeat(2100)] },
        targets: [{ region: 'eu-de', project_name: 'eu-de' }],
      },
      "trigger_user_event: with a target added, a trigger's user_event must stay under 2048 characters",
    ],
  ])(
    'refuses %s, naming the variable',
    async (_what, inputs, message) => {
      const { error } = await evaluate(inputs);

      expect(error).toContain(message);
    },
    60_000,
  );

  it('is formatted (terraform fmt -check), like both roots', async () => {
    const fmt = await terraform(['fmt', '-check', '-recursive', '-no-color', DEPLOY]);

    expect(fmt.stdout).toBe('');
    expect(fmt.code).toBe(0);
  });

  function terraform(
    args: readonly string[],
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(TERRAFORM ?? 'terraform', args, {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: dir,
          TF_DATA_DIR: join(dir, '.terraform'),
          TF_IN_AUTOMATION: '1',
          // No version check against checkpoint-api.hashicorp.com.
          CHECKPOINT_DISABLE: '1',
          TF_CLI_CONFIG_FILE: '/dev/null',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
});

/** `terraform output -json`: name → value. */
function valuesOf(outputs: unknown): Record<string, unknown> {
  if (!isRecord(outputs)) return {};
  return Object.fromEntries(
    Object.entries(outputs).map(([name, output]) => [name, isRecord(output) ? output.value : undefined]),
  );
}

/** The triggers in index order, with each user_event parsed. */
function eventsOf(triggers: unknown): { name: unknown; schedule: unknown; event: unknown }[] {
  if (!isRecord(triggers)) return [];
  return Object.entries(triggers)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, trigger]) => {
      const record = isRecord(trigger) ? trigger : {};
      const userEvent = typeof record.user_event === 'string' ? record.user_event : 'null';
      const event: unknown = JSON.parse(userEvent);
      return { name: record.name, schedule: record.schedule, event };
    });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
