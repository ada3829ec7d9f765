/**
 * `task-janitor`: the command-line shell. Parses arguments, checks everything local (arguments, environment,
 * policy, saved plan, output paths) before any request, runs the same `lib/invocation.ts` logic as the cloud
 * functions, and presents the report. Exit codes: 0 done, 1 some operation failed, 2 invalid input or
 * configuration, 130 interrupted (SIGINT), 143 stopped by SIGTERM.
 */

import { realpathSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { createDefaultDeps } from '../lib/default-deps';
import { ConfigError, InterruptError } from '../lib/errors';
import { type EnvGetter, executeInvocation } from '../lib/invocation';
import { loadPolicy } from '../lib/policy/load';
import { enabledServices } from '../lib/policy/overrides';
import type { Policy } from '../lib/policy/types';
import { redactUrlsInText } from '../lib/redact-url';
import { describeUnknownRegion } from '../lib/regions';
import { type Report, renderReportTable } from '../lib/report';
import type { PurgeResult } from '../lib/run-purge';
import { checkPlanProject, createSavedPlan, describePlanAccount } from '../lib/saved-plan';
import { TOOL_VERSION } from '../lib/version';
import { cliError, type PurgeCommand, readCommandLine, USAGE, VERSION_LINE } from './args';
import { createProgressReporter, type ProgressOutput } from './progress';
import { checkPurgeInput } from './purge-input';
import { createSafeOutput } from './safe-output';
import { createInterruptHandler, EXIT_CODE_OF_SIGNAL, interruptOf } from './signals';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INVALID = 2;
export const EXIT_INTERRUPTED = EXIT_CODE_OF_SIGNAL.SIGINT;
export const EXIT_TERMINATED = EXIT_CODE_OF_SIGNAL.SIGTERM;

/** A CLI run has no platform timeout; this bounds it (and keeps a stuck run from hanging forever). */
export const CLI_TIME_BUDGET_MS = 6 * 60 * 60 * 1000;

const NOTHING_SENT = 'Nothing was sent to the cloud.';
const ONLY_IAM = 'Only IAM was asked for the project id; nothing was listed or deleted.';

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressOutput;
  readonly env: EnvGetter;
  /**
   * Ctrl-C: aborted with an `InterruptError`, it stops starting new work; the report of what was done is still
   * written and the exit code is the signal's (130, 143).
   */
  readonly signal?: AbortSignal;
  /** The clock plan ages are measured with. @default Date.now */
  readonly nowMs?: () => number;
}

/** Runs one command; resolves to the exit code. Never calls `process.exit`. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const { command, problems } = readCommandLine(argv);
    if (command?.command === 'purge') return await purge(command, problems, io);
    if (command === undefined || problems.length > 0) throw cliError(problems);
    if (command.command === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    }
    if (command.command === 'version') {
      io.stdout.write(`${VERSION_LINE}\n`);
      return EXIT_OK;
    }
    return await validate(command.policyPath, io);
  } catch (error) {
    // Messages are built without secrets; URLs are cut once more here, as the logger does for errors.
    if (error instanceof ConfigError) {
      io.stderr.write(
        `task-janitor: ${redactUrlsInText(error.message)}\n${NOTHING_SENT} See task-janitor --help.\n`,
      );
      return EXIT_INVALID;
    }
    if (error instanceof InterruptError) return EXIT_CODE_OF_SIGNAL[error.signal];
    io.stderr.write(`task-janitor: ${describeError(error)}\n`);
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

async function purge(
  command: PurgeCommand,
  commandLineProblems: readonly string[],
  io: CliIo,
): Promise<number> {
  const nowMs = io.nowMs ?? Date.now;
  // Throws a ConfigError listing every problem: main reports it as "nothing was sent".
  const { prepared, savedPlan } = await checkPurgeInput(command, commandLineProblems, {
    env: io.env,
    nowMs: nowMs(),
  });
  const regionWarning = describeUnknownRegion(prepared.config.cloud, prepared.config.region);
  if (regionWarning !== undefined) io.stderr.write(`task-janitor: warning: ${regionWarning}\n`);
  // Human output on stdout; JSON logs on stderr, quiet unless TASK_JANITOR_LOG_LEVEL asks for more.
  const logLevel = io.env('TASK_JANITOR_LOG_LEVEL') ? prepared.config.logLevel : 'warn';
  const deps = createDefaultDeps({
    logLevel,
    destination: { write: (line: string) => io.stderr.write(line) },
  });
  const progress = createProgressReporter({ output: io.stderr, nowMs: () => deps.now().getTime() });

  const projectFromIam = prepared.config.projectId === undefined;
  let projectId = prepared.config.projectId;
  let listingStarted = false;
  let result: PurgeResult;
  try {
    result = await executeInvocation(prepared, {
      deps,
      remainingTimeMs: CLI_TIME_BUDGET_MS,
      onProgress: progress.onProgress,
      throwOnFullFailure: false,
      ...(io.signal ? { signal: io.signal } : {}),
      ...(savedPlan ? { savedPlan } : {}),
      onProjectResolved: (resolved) => {
        projectId = resolved;
        // Known only now when it came from IAM; a configured one was compared with the plan's before.
        const problem = savedPlan === undefined ? undefined : checkPlanProject(savedPlan, resolved);
        if (problem !== undefined) {
          throw new ConfigError([`--plan ${command.planPath ?? ''}: ${problem}`], { subject: 'plan' });
        }
        listingStarted = true;
      },
    });
  } catch (error) {
    const interrupt = error instanceof InterruptError ? error : interruptOf(io.signal);
    if (interrupt) return EXIT_CODE_OF_SIGNAL[interrupt.signal];
    const sent = listingStarted
      ? 'The run stopped early: tasks may have been listed or deleted; see the log lines.'
      : projectFromIam
        ? ONLY_IAM
        : NOTHING_SENT;
    if (error instanceof ConfigError) {
      io.stderr.write(`task-janitor: ${error.message}\n${sent}\n`);
      return EXIT_INVALID;
    }
    io.stderr.write(`task-janitor: ${describeError(error)}\n${sent}\n`);
    return EXIT_FAILED;
  } finally {
    progress.finish();
  }

  const { report, plannedDeletes } = result;
  const interrupt = interruptOf(io.signal);
  let outputFailed = false;
  // Files first: they must not depend on stdout still being open.
  if (command.reportPath !== undefined) {
    outputFailed ||= !(await writeOutputFile(command.reportPath, 'the report', formatJson(report), io));
  }
  if (command.planOutPath !== undefined) {
    if (interrupt !== undefined) {
      io.stderr.write(`task-janitor: interrupted: the listing is incomplete, so no plan was written\n`);
    } else if (projectId === undefined) {
      io.stderr.write('task-janitor: the project id is unknown, so no plan was written\n');
      outputFailed = true;
    } else {
      const plan = createSavedPlan({
        createdAt: deps.now(),
        toolVersion: TOOL_VERSION,
        account: describePlanAccount(prepared.config, projectId),
        policy: prepared.policy,
        overrides: command.overrides,
        tasks: plannedDeletes,
      });
      if (await writeOutputFile(command.planOutPath, 'the plan', formatJson(plan), io)) {
        io.stderr.write(`wrote a plan of ${plan.tasks.length} tasks to ${command.planOutPath}\n`);
      } else {
        outputFailed = true;
      }
    }
  }
  io.stdout.write(command.json ? formatJson(report) : `${renderReportTable(report)}\n`);
  if (interrupt !== undefined) return EXIT_CODE_OF_SIGNAL[interrupt.signal];
  return hasFailures(report) || outputFailed ? EXIT_FAILED : EXIT_OK;
}

function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Writes an output file after the run; a failure is reported (the run itself is over) and returns false. */
async function writeOutputFile(path: string, what: string, text: string, io: CliIo): Promise<boolean> {
  try {
    await writeFile(path, text);
    return true;
  } catch (error) {
    io.stderr.write(
      `task-janitor: could not write ${what} to ${redactUrlsInText(path)}: ${describeError(error)} (the run itself is over; its report is also in the log)\n`,
    );
    return false;
  }
}

/** An error for stderr; a URL in it keeps no userinfo, query or fragment (as the logger does for errors). */
function describeError(error: unknown): string {
  return redactUrlsInText(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

/** Exit 1 when any operation failed: a delete, or a service that could not be listed. */
export function hasFailures(report: Report): boolean {
  return report.totals.failed > 0 || report.totals.failedServices > 0;
}

/**
 * The process wrapper: real streams that a closed pipe cannot stop, real env, Ctrl-C and SIGTERM handling;
 * sets `process.exitCode`.
 */
export async function runCli(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const stdout = createSafeOutput(process.stdout);
  const stderr = createSafeOutput(process.stderr);
  const run = new AbortController();
  const onSignal = createInterruptHandler({
    nowMs: () => performance.now(),
    interrupt: (error) => run.abort(error),
    quit: (exitCode) => process.exit(exitCode),
    notify: (text) => stderr.write(text),
  });
  // Never removed: a forwarded copy of the signal that arrives after the run must not find the process without
  // a listener (Node would die of it, and tsx's fallback listener exits 130 instead of the run's code).
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.exitCode = await main(argv, {
    stdout,
    stderr,
    env: (key) => process.env[key],
    signal: run.signal,
  });
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
