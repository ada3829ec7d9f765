/**
 * `task-janitor`: the command-line shell. Parses arguments, validates everything (arguments, environment,
 * policy, saved plan) before any request, runs the same `lib/invocation.ts` logic as the cloud functions, and
 * presents the report. Exit codes: 0 done, 1 some operation failed, 2 invalid input or configuration.
 */

import { realpathSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { createDefaultDeps } from '../lib/default-deps';
import { ConfigError } from '../lib/errors';
import { type EnvGetter, executeInvocation, prepareInvocation } from '../lib/invocation';
import { loadPolicy } from '../lib/policy/load';
import { enabledServices } from '../lib/policy/overrides';
import type { Policy } from '../lib/policy/types';
import { redactUrlsInText } from '../lib/redact-url';
import { type Report, renderReportTable } from '../lib/report';
import { createSavedPlan, parseSavedPlan, type SavedPlan, type SavedPlanTask } from '../lib/saved-plan';
import { type PurgeCommand, parseCliArgs, USAGE } from './args';
import { createProgressReporter, type ProgressOutput } from './progress';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INVALID = 2;

/** A CLI run has no platform timeout; this bounds it (and keeps a stuck run from hanging forever). */
export const CLI_TIME_BUDGET_MS = 6 * 60 * 60 * 1000;

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressOutput;
  readonly env: EnvGetter;
  /** Ctrl-C: stops starting new work; the report of what was done is still printed. */
  readonly signal?: AbortSignal;
}

/** Runs one command; resolves to the exit code. Never calls `process.exit`. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const command = parseCliArgs(argv);
    if (command.command === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    }
    if (command.command === 'validate') return await validate(command.policyPath, io);
    return await purge(command, io);
  } catch (error) {
    // Messages are built without secrets; URLs are cut once more here, as the logger does for errors.
    if (error instanceof ConfigError) {
      io.stderr.write(
        `task-janitor: ${redactUrlsInText(error.message)}\nNothing was sent to the cloud. See task-janitor --help.\n`,
      );
      return EXIT_INVALID;
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    io.stderr.write(`task-janitor: ${redactUrlsInText(message)}\n`);
    return EXIT_FAILED;
  }
}

async function validate(policyPath: string, io: CliIo): Promise<number> {
  const policy = await loadPolicy(policyPath, (path) => readFile(path, 'utf8'));
  io.stdout.write(`${summarisePolicy(policy)}\n`);
  return EXIT_OK;
}

/** One line: what a policy would touch. */
export function summarisePolicy(policy: Policy): string {
  const services = enabledServices(policy).map((id) => {
    const sp = policy.services[id];
    const states = sp?.states ? ` states ${sp.states.join('/')}` : '';
    return `${id} older than ${sp?.olderThan ?? '?'}${states}`;
  });
  const mode = policy.dryRun ? 'dry run' : 'deletes';
  return `policy OK (${policy.digest}): ${mode}, cap ${policy.maxDeletesPerRun}; ${services.join('; ') || 'no service enabled'}`;
}

async function purge(command: PurgeCommand, io: CliIo): Promise<number> {
  const savedPlan = command.planPath === undefined ? undefined : await readSavedPlan(command.planPath);
  const prepared = await prepareInvocation({
    env: io.env,
    overrides: command.overrides,
    ...(command.policyPath === undefined ? {} : { policySource: command.policyPath }),
  });
  // Human output on stdout; JSON logs on stderr, quiet unless TASK_JANITOR_LOG_LEVEL asks for more.
  const logLevel = io.env('TASK_JANITOR_LOG_LEVEL') ? prepared.config.logLevel : 'warn';
  const deps = createDefaultDeps({
    logLevel,
    destination: { write: (line: string) => io.stderr.write(line) },
  });
  const progress = createProgressReporter({ output: io.stderr, nowMs: () => deps.now().getTime() });

  let report: Report;
  let planned: readonly SavedPlanTask[];
  try {
    const result = await executeInvocation(prepared, {
      deps,
      remainingTimeMs: CLI_TIME_BUDGET_MS,
      onProgress: progress.onProgress,
      throwOnFullFailure: false,
      ...(io.signal ? { signal: io.signal } : {}),
      ...(savedPlan ? { savedPlan } : {}),
    });
    report = result.report;
    planned = result.plannedDeletes;
  } finally {
    progress.finish();
  }

  io.stdout.write(command.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderReportTable(report)}\n`);
  if (command.reportPath !== undefined)
    await writeFile(command.reportPath, `${JSON.stringify(report, null, 2)}\n`);
  if (command.planOutPath !== undefined) {
    const plan = createSavedPlan({
      createdAt: deps.now(),
      policyDigest: prepared.policy.digest,
      tasks: planned,
    });
    await writeFile(command.planOutPath, `${JSON.stringify(plan, null, 2)}\n`);
    io.stderr.write(`wrote a plan of ${plan.tasks.length} tasks to ${command.planOutPath}\n`);
  }
  return hasFailures(report) ? EXIT_FAILED : EXIT_OK;
}

async function readSavedPlan(path: string): Promise<SavedPlan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([redactUrlsInText(`${path}: cannot read the plan file: ${reason}`)], {
      subject: 'plan',
      cause: error,
    });
  }
  return parseSavedPlan(text);
}

/** Exit 1 when any operation failed: a delete, or a service that could not be listed. */
export function hasFailures(report: Report): boolean {
  return report.totals.failed > 0 || report.totals.failedServices > 0;
}

/** The process wrapper: real streams, real env, Ctrl-C handling; sets `process.exitCode`. */
export async function runCli(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const interrupt = new AbortController();
  const onSigint = (): void => {
    if (interrupt.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupted: finishing in-flight requests (Ctrl-C again to quit now)\n');
    interrupt.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSigint);
  try {
    process.exitCode = await main(argv, {
      stdout: process.stdout,
      stderr: process.stderr,
      env: (key) => process.env[key],
      signal: interrupt.signal,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) await runCli();
