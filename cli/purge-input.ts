/**
 * Everything `purge` checks before its first request: the command line, the environment, the policy, the saved
 * plan (readable, valid, fresh, made for this account and this selection) and the output paths. Every problem
 * is collected and reported together in one `ConfigError`, so an operator fixes them in one go and nothing
 * reaches the cloud from a run that would stop anyway.
 */
import { constants } from 'node:fs';
import { access, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { loadConfig } from '../lib/config';
import { ConfigError } from '../lib/errors';
import {
  type EnvGetter,
  POLICY_ENV,
  type PreparedInvocation,
  prepareInvocation,
  toEnvRecord,
} from '../lib/invocation';
import { checkDuration } from '../lib/policy/duration';
import { loadPolicy } from '../lib/policy/load';
import { applyOverrides, enabledServices } from '../lib/policy/overrides';
import type { Policy, PolicyOverrides } from '../lib/policy/types';
import {
  checkPlanAccount,
  checkPlanAge,
  parseSavedPlan,
  planPolicy,
  type SavedPlan,
} from '../lib/saved-plan';
import type { PurgeCommand } from './args';

export interface CheckedPurge {
  readonly prepared: PreparedInvocation;
  /** `--plan FILE`, valid and made for this account (its project id too, when it is configured). */
  readonly savedPlan: SavedPlan | undefined;
}

export interface PurgeInputContext {
  readonly env: EnvGetter;
  readonly nowMs: number;
}

/**
 * Checks a purge before anything is sent.
 * @throws ConfigError listing every problem, each prefixed by where it is (flag, variable, file).
 */
export async function checkPurgeInput(
  command: PurgeCommand,
  commandLineProblems: readonly string[],
  context: PurgeInputContext,
): Promise<CheckedPurge> {
  const problems = commandLineProblems.map((problem) => `command line: ${problem}`);
  const collect = (prefix: string | undefined, error: unknown): void => {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) {
      problems.push(prefix ? `${prefix}: ${problem}` : nameOverrideFlags(problem));
    }
  };

  let prepared: PreparedInvocation | undefined;
  let savedPlan: SavedPlan | undefined;
  if (command.planPath === undefined) {
    try {
      prepared = await prepareInvocation({
        env: context.env,
        overrides: command.overrides,
        ...(command.policyPath !== undefined ? { policySource: command.policyPath } : {}),
      });
    } catch (error) {
      collect(undefined, error);
    }
  } else {
    const label = `--plan ${command.planPath}`;
    problems.push(...checkNarrowingWithPlan(command.overrides));
    try {
      savedPlan = parseSavedPlan(await readPlanText(command.planPath));
    } catch (error) {
      collect(label, error);
    }
    problems.push(...(await checkPolicyAgainstPlan(command, context.env, savedPlan)));
    if (savedPlan === undefined) {
      // Still check the environment, so that every problem is reported at once.
      try {
        loadConfig(toEnvRecord(context.env));
      } catch (error) {
        collect('environment', error);
      }
    } else {
      problems.push(...checkFlagsAgainstPlan(command.overrides, planPolicy(savedPlan)));
      const tooOld = checkPlanAge(savedPlan, context.nowMs, command.planMaxAgeMs);
      if (tooOld !== undefined) problems.push(`${label}: ${tooOld}`);
      try {
        // The plan's own selection runs; only deletion (`--apply`) comes from this command line.
        // A plan of several targets runs exactly its targets: one IAM no longer shows is refused, not skipped.
        const planTargets = savedPlan.targets?.map(({ region, projectId }) => ({ region, projectId }));
        prepared = await prepareInvocation({
          env: context.env,
          overrides: {
            dryRun: command.overrides.dryRun,
            ...(planTargets !== undefined ? { targets: { planned: planTargets } } : {}),
          },
          policySource: JSON.stringify(savedPlan.selection.policy),
          policySourceLabel: `plan ${command.planPath}`,
        });
      } catch (error) {
        collect(undefined, error);
      }
      if (prepared !== undefined) {
        const run = { ...prepared.config, regionEndpoints: prepared.regionEndpoints };
        for (const problem of checkPlanAccount(savedPlan, run)) problems.push(`${label}: ${problem}`);
      }
    }
  }

  for (const [flag, path] of [
    ['--report', command.reportPath],
    ['--plan-out', command.planOutPath],
  ] as const) {
    if (path === undefined) continue;
    const problem = await checkOutputPath(path);
    if (problem !== undefined) problems.push(`${flag} ${path}: ${problem}`);
  }

  problems.push(...(await checkDistinctFiles(command)));

  if (problems.length > 0 || prepared === undefined) throw new ConfigError(problems, { subject: 'input' });
  return { prepared, savedPlan };
}

/**
 * An output that is also another output or an input (`--report ./plan.json --plan plan.json`, a symlink to the
 * policy) would overwrite what the run reads or writes: refused, whatever the spelling of the paths.
 */
export async function checkDistinctFiles(
  command: Pick<PurgeCommand, 'reportPath' | 'planOutPath' | 'planPath' | 'policyPath'>,
): Promise<string[]> {
  const files = [
    ['--report', command.reportPath, 'output'],
    ['--plan-out', command.planOutPath, 'output'],
    ['--plan', command.planPath, 'input'],
    ['--policy', command.policyPath, 'input'],
  ] as const;
  const given = await Promise.all(
    files
      .filter(([, path]) => path !== undefined && path !== '')
      .map(async ([flag, path, role]) => ({
        flag,
        path: path ?? '',
        role,
        real: await realPathOf(path ?? ''),
      })),
  );
  const problems: string[] = [];
  given.forEach((file, index) => {
    if (file.role !== 'output') return;
    const other = given.find((candidate, j) => j !== index && candidate.real === file.real);
    if (other !== undefined && !(other.role === 'output' && given.indexOf(other) < index)) {
      problems.push(
        `${file.flag} ${file.path}: the same file as ${other.flag} ${other.path}; give each its own file`,
      );
    }
  });
  return problems;
}

/** The file a path names, links followed where it exists (a new file: its folder's real path and its name). */
async function realPathOf(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    try {
      return resolve(await realpath(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}

/** The engine names overrides as event keys; on the command line they are the flags the operator typed. */
const OVERRIDE_FLAGS: readonly (readonly [string, string])[] = [
  ['overrides: services: ', 'command line: --service: '],
  ['overrides: olderThan: ', 'command line: --older-than: '],
  ['overrides: maxDeletesPerRun: ', 'command line: --max-deletes: '],
];

/** A problem with an override, worded with the flag that set it (`--max-deletes`, not `maxDeletesPerRun`). */
export function nameOverrideFlags(problem: string): string {
  for (const [key, flag] of OVERRIDE_FLAGS) {
    if (!problem.startsWith(key)) continue;
    const name = flag.slice('command line: '.length, -2);
    return `${flag}${problem.slice(key.length)}`.replace(
      /\(overrides can only (\w+) it\)/,
      `(${name} can only $1 it)`,
    );
  }
  return problem;
}

async function readPlanText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([`cannot read the plan file: ${reason}`], { subject: 'plan', cause: error });
  }
}

/**
 * With `--plan`, the plan's targets run (the run is narrowed to exactly them): a `--region` or `--project` could
 * only be ignored, so it is refused, whatever the plan (the operator meant fewer targets than the plan's).
 */
export function checkNarrowingWithPlan(overrides: Pick<PolicyOverrides, 'targets'>): string[] {
  const refusal = "not with --plan (the plan's targets run; make a new plan to narrow)";
  return [
    ...(overrides.targets?.regions !== undefined ? [`--region: ${refusal}`] : []),
    ...(overrides.targets?.projects !== undefined ? [`--project: ${refusal}`] : []),
  ];
}

/**
 * With `--plan`, the selection flags need not be repeated; one that is given must say what the plan says
 * (it cannot change what was reviewed).
 */
export function checkFlagsAgainstPlan(
  overrides: Omit<PolicyOverrides, 'dryRun'>,
  recorded: Policy,
): string[] {
  const problems: string[] = [];
  const planned = enabledServices(recorded);
  const remedy = 'drop the flag (the plan keeps its own selection) or make a new plan';
  if (overrides.services !== undefined) {
    const given = [...overrides.services].sort();
    if (given.join(',') !== [...planned].sort().join(',')) {
      problems.push(
        `--service: the plan selects ${planned.join(', ') || 'no service'}, the command line ${given.join(', ')}; ${remedy}`,
      );
    }
  }
  if (overrides.olderThan !== undefined) {
    const duration = checkDuration(overrides.olderThan);
    if (!duration.ok) {
      problems.push(`--older-than: ${duration.message}`);
    } else {
      const differing = planned.filter((id) => recorded.services[id]?.olderThanMs !== duration.ms);
      if (differing.length > 0) {
        const ages = differing.map((id) => `${id} ${recorded.services[id]?.olderThan ?? '?'}`).join(', ');
        problems.push(
          `--older-than: the plan selects tasks older than ${ages}, the command line ${overrides.olderThan}; ${remedy}`,
        );
      }
    }
  }
  if (overrides.maxDeletesPerRun !== undefined && overrides.maxDeletesPerRun !== recorded.maxDeletesPerRun) {
    problems.push(
      `--max-deletes: the plan's cap is ${recorded.maxDeletesPerRun}, the command line ${overrides.maxDeletesPerRun}; ${remedy}`,
    );
  }
  return problems;
}

/**
 * With `--plan`, a policy given as well (`--policy`, or `TASK_JANITOR_POLICY`) must be the one the plan was made
 * with: narrowed by the plan's recorded overrides, it must select exactly what the plan records. (Without a
 * readable plan, the policy is only validated.)
 */
async function checkPolicyAgainstPlan(
  command: PurgeCommand,
  env: EnvGetter,
  plan: SavedPlan | undefined,
): Promise<string[]> {
  const fromEnv = env(POLICY_ENV);
  const source =
    command.policyPath !== undefined
      ? { label: `--policy ${command.policyPath}`, text: command.policyPath }
      : fromEnv !== undefined && fromEnv.trim() !== ''
        ? { label: POLICY_ENV, text: fromEnv }
        : undefined;
  if (source === undefined) return [];
  let given: Policy;
  try {
    given = await loadPolicy(source.text, (path) => readFile(path, 'utf8'));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((problem) => `${source.label}: ${problem}`);
  }
  if (plan === undefined) return [];
  let narrowed: Policy | undefined;
  try {
    narrowed = applyOverrides(given, plan.selection.overrides);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
  if (narrowed?.digest === plan.policyDigest) return [];
  return [
    `${source.label}: this policy is not the one the plan was made with (narrowed as the plan was, its digest is ${narrowed?.digest ?? 'not computable'}, the plan's ${plan.policyDigest}); apply the plan without it (the plan records its policy) or make a new plan`,
  ];
}

/**
 * Whether `path` can be written: an existing file must be writable, a new one needs a writable folder. Run
 * before the first request, so a typo in `--report` does not surface only after the deletes.
 */
export async function checkOutputPath(path: string): Promise<string | undefined> {
  const target = resolve(path);
  try {
    const info = await stat(target);
    if (info.isDirectory()) return 'is a folder; expected a file path';
    await access(target, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EACCES' || code === 'EPERM') return 'the file exists and cannot be written';
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return `cannot be checked: ${errorMessage(error)}`;
  }
  const folder = dirname(target);
  try {
    const info = await stat(folder);
    if (!info.isDirectory()) return `${folder} is not a folder`;
  } catch {
    return `the folder ${folder} does not exist`;
  }
  try {
    await access(folder, constants.W_OK | constants.X_OK);
  } catch {
    return `the folder ${folder} is not writable`;
  }
  return undefined;
}

function errorCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : undefined;
  return typeof code === 'string' ? code : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
