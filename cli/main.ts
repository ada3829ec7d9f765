/**
 * `task-janitor`: the command-line shell. Parses arguments, checks everything local (arguments, environment,
 * policy, saved plan, output paths) before any request, runs the same `lib/invocation.ts` logic as the cloud
 * functions, and presents the report. On a terminal, `purge --apply` first plans (a dry run), shows the tasks
 * and asks for the project's name, then applies exactly that plan. Exit codes: 0 done (also "aborted" at the
 * question), 1 some operation failed, 2 invalid input or configuration, 130 interrupted (SIGINT), 143 stopped
 * by SIGTERM.
 */

import { realpathSync } from 'node:fs';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { LogLevel } from '../lib/config';
import { createDefaultDeps } from '../lib/default-deps';
import { ConfigError, InterruptError } from '../lib/errors';
import { type EnvGetter, executeInvocation, type PreparedInvocation } from '../lib/invocation';
import { isInlinePolicy, loadPolicy } from '../lib/policy/load';
import { redactUrl, redactUrlsInText } from '../lib/redact-url';
import { describeUnknownRegion } from '../lib/regions';
import type { Report } from '../lib/report';
import type { PurgeResult } from '../lib/run-purge';
import {
  checkPlanProject,
  checkPlanTargetsResolved,
  createSavedPlan,
  describePlanAccount,
  describePlanTargets,
  planTasksOfTarget,
  type SavedPlan,
  type SavedPlanTask,
} from '../lib/saved-plan';
import type { ResolvedTarget } from '../lib/targets/select';
import { TOOL_VERSION } from '../lib/version';
import { cliError, type PurgeCommand, readCommandLine, USAGE, VERSION_LINE } from './args';
import { createHumanLogSink } from './log-lines';
import {
  describePolicy,
  renderApplyCommand,
  renderReportHeader,
  renderReportTable,
  renderTaskList,
} from './present';
import {
  createLiveOutput,
  createProgressReporter,
  isLiveOutput,
  type LiveOutput,
  type ProgressOutput,
  type ProgressReporter,
} from './progress';
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

/**
 * What had reached the cloud when a run failed: `--json`'s `error.sent` (`nothing`, `iam`: only IAM was asked,
 * `listings`: tasks were listed and nothing deleted, `deletes`: deletes may have been sent, the report counts
 * them), and the sentence the CLI prints on stderr.
 */
type SentSoFar = { readonly code: 'nothing' | 'iam' | 'listings' | 'deletes'; readonly sentence: string };

const NOTHING_SENT: SentSoFar = { code: 'nothing', sentence: 'Nothing was sent to the cloud.' };
const PREVIEW_ONLY: SentSoFar = {
  code: 'listings',
  sentence: 'Tasks were listed for the confirmation; nothing was deleted.',
};
const RUN_STARTED: SentSoFar = {
  code: 'deletes',
  sentence: 'The run stopped early: tasks may have been listed or deleted; see the log lines.',
};

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
  /**
   * Asks the operator on the terminal and resolves to the line typed; rejects when `signal` aborts. Absent
   * without a terminal (scripts, CI, the functions): then `--apply` asks nothing.
   */
  readonly ask?: (question: string, signal: AbortSignal | undefined) => Promise<string>;
}

/** Runs one command; resolves to the exit code. Never calls `process.exit`. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const stderr = isLiveOutput(io.stderr) ? io.stderr : createLiveOutput(io.stderr);
  const { command, problems } = readCommandLine(argv);
  const json = command?.command === 'purge' && command.json;
  try {
    if (command?.command === 'purge') return await purge(command, problems, { ...io, stderr });
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
      stderr.write(
        `task-janitor: ${redactUrlsInText(error.message)}\n${NOTHING_SENT.sentence} See task-janitor --help.\n`,
      );
      if (json) io.stdout.write(formatJson(invalidInputReport(error, command)));
      return EXIT_INVALID;
    }
    if (error instanceof InterruptError) return EXIT_CODE_OF_SIGNAL[error.signal];
    stderr.write(`task-janitor: ${describeError(error)}\n`);
    return EXIT_FAILED;
  }
}

/** What `--json` prints when the input is refused before anything was sent: the tool, the mode, the problems. */
function invalidInputReport(error: ConfigError, command: PurgeCommand | undefined): Record<string, unknown> {
  return {
    tool: { name: 'task-janitor', version: TOOL_VERSION },
    dryRun: command?.overrides.dryRun ?? true,
    error: {
      name: error.name,
      message: redactUrlsInText(error.message),
      problems: error.problems.map(redactUrlsInText),
      sent: NOTHING_SENT.code,
    },
  };
}

async function validate(policyPath: string, io: CliIo): Promise<number> {
  const policy = await loadPolicy(policyPath, (path) => readFile(path, 'utf8'));
  const source = isInlinePolicy(policyPath) ? 'inline' : redactUrl(policyPath);
  io.stdout.write(`${describePolicy(policy, source)}\n`);
  return EXIT_OK;
}

/** One run of the engine, as the CLI saw it. */
interface RunOutcome {
  /** The report, also of a run that then threw (the project id could not be resolved). */
  readonly report: Report | undefined;
  readonly result: PurgeResult | undefined;
  readonly error: unknown;
  readonly projectId: string | undefined;
  /** The run's targets, once known. */
  readonly targets: readonly ResolvedTarget[] | undefined;
  /** Whether listing had started (the project id was known and accepted). */
  readonly listingStarted: boolean;
}

interface RunSetup {
  readonly io: CliIo & { readonly stderr: LiveOutput };
  readonly command: PurgeCommand;
  readonly deps: ReturnType<typeof createDefaultDeps>;
  readonly progress: ProgressReporter;
}

async function runOnce(
  setup: RunSetup,
  prepared: PreparedInvocation,
  savedPlan: SavedPlan | undefined,
  planLabel: string,
): Promise<RunOutcome> {
  const { io, deps, progress } = setup;
  let projectId = prepared.config.projectId;
  let targets: readonly ResolvedTarget[] | undefined;
  let listingStarted = false;
  let report: Report | undefined;
  try {
    const result = await executeInvocation(prepared, {
      deps,
      remainingTimeMs: CLI_TIME_BUDGET_MS,
      onProgress: progress.onProgress,
      throwOnFullFailure: false,
      onReport: (written) => {
        report = written;
      },
      ...(io.signal ? { signal: io.signal } : {}),
      ...(savedPlan
        ? {
            savedPlan,
            planTasksOf: (target: ResolvedTarget) => planTasksOfTarget(savedPlan, target.projectId),
          }
        : {}),
      onTargetsResolved: (resolved) => {
        targets = resolved;
        const problems = savedPlan === undefined ? [] : checkPlanTargetsResolved(savedPlan, resolved);
        if (problems.length > 0) {
          throw new ConfigError(
            problems.map((problem) => `${planLabel}: ${problem}`),
            { subject: 'plan', sent: 'IAM was asked for the projects; nothing was listed or deleted' },
          );
        }
        if (prepared.policy.targets !== undefined) listingStarted = true;
      },
      onProjectResolved: (resolved) => {
        projectId = resolved;
        // Known only now when it came from IAM; a configured one was compared with the plan's before.
        const problem = savedPlan === undefined ? undefined : checkPlanProject(savedPlan, resolved);
        if (problem !== undefined) {
          throw new ConfigError([`${planLabel}: ${problem}`], { subject: 'plan' });
        }
        listingStarted = true;
      },
    });
    return { report: result.report, result, error: undefined, projectId, targets, listingStarted };
  } catch (error) {
    return { report, result: undefined, error, projectId, targets, listingStarted };
  } finally {
    progress.finish();
  }
}

/** The logger's lines: human lines above the bar on a terminal (`text`), or the raw JSON lines (`json`). */
function createLogDestination(
  command: PurgeCommand,
  stderr: LiveOutput,
  progress: ProgressReporter,
  envLevel: LogLevel | undefined,
): { readonly level: LogLevel; readonly write: (line: string) => void } {
  const format = command.logFormat ?? (stderr.isTTY === true ? 'text' : 'json');
  if (format === 'json') return { level: envLevel ?? 'warn', write: (line) => stderr.write(line) };
  const printLevel = envLevel ?? 'warn';
  // Re-checks are `info` lines: they are read (and counted), not printed, below the print level.
  const level: LogLevel = printLevel === 'debug' ? 'debug' : 'info';
  return {
    level,
    write: createHumanLogSink({
      print: (line) => stderr.write(`${line}\n`),
      count: (counter, n) => progress.count(counter, n),
      printLevel,
    }),
  };
}

async function purge(
  command: PurgeCommand,
  commandLineProblems: readonly string[],
  io: CliIo & { readonly stderr: LiveOutput },
): Promise<number> {
  const nowMs = io.nowMs ?? Date.now;
  // Throws a ConfigError listing every problem: main reports it as "nothing was sent".
  const { prepared, savedPlan } = await checkPurgeInput(command, commandLineProblems, {
    env: io.env,
    nowMs: nowMs(),
  });
  const { stderr } = io;
  const regionWarning = describeUnknownRegion(prepared.config.cloud, prepared.config.region);
  if (regionWarning !== undefined) stderr.write(`task-janitor: warning: ${regionWarning}\n`);
  const progress = createProgressReporter({ output: stderr, nowMs: () => Date.now() });
  const envLevel = io.env('TASK_JANITOR_LOG_LEVEL') ? prepared.config.logLevel : undefined;
  const destination = createLogDestination(command, stderr, progress, envLevel);
  const deps = createDefaultDeps({ logLevel: destination.level, destination });
  const setup: RunSetup = { io, command, deps, progress };
  // With --json, stdout carries only the report object; what is for a person goes to stderr.
  const human = command.json ? stderr : io.stdout;
  const planLabel = `--plan ${command.planPath ?? ''}`;

  // Only an apply on a terminal asks; a plan file is what was reviewed, and --yes is the answer given ahead.
  const ask = !command.overrides.dryRun && savedPlan === undefined && !command.yes ? io.ask : undefined;
  if (ask === undefined) {
    const outcome = await runOnce(setup, prepared, savedPlan, planLabel);
    return finishPurge(setup, prepared, outcome, { previewed: false });
  }

  // Plan → confirm → apply: a dry run first, then exactly its tasks, each re-checked by the engine.
  const preview = await runOnce(
    setup,
    { ...prepared, policy: { ...prepared.policy, dryRun: true } },
    undefined,
    planLabel,
  );
  const tasks = preview.result?.plannedDeletes ?? [];
  if (preview.result === undefined || interruptOf(io.signal) !== undefined || tasks.length === 0) {
    return finishPurge(setup, prepared, preview, { previewed: false });
  }
  const account = planAccountOf(prepared, preview);
  if (account === undefined) throw new TypeError('a listed run has its targets');
  human.write(`${renderReportHeader(preview.result.report)}\n\n`);
  human.write(`${renderTaskList({ tasks, nowMs: nowMs(), all: command.list, verb: 'to delete' })}\n\n`);
  human.write(`${renderReportTable(preview.result.report)}\n\n`);
  const expected = confirmationName(prepared, preview.targets);
  let answer: string;
  try {
    answer = await ask(
      `task-janitor will delete ${tasks.length} tasks in ${describeWhere(prepared, preview)}.\n` +
        `Each is checked again right before its delete. Type ${expected.what} (${expected.text}) to delete, anything else aborts: `,
      io.signal,
    );
  } catch (error) {
    const interrupt = interruptOf(io.signal);
    if (interrupt === undefined) throw error;
    stderr.write('\ninterrupted at the question: nothing was deleted\n');
    await writeReportFile(setup, preview.result.report, undefined);
    if (command.json) io.stdout.write(formatJson(preview.result.report));
    return EXIT_CODE_OF_SIGNAL[interrupt.signal];
  }
  if (answer.trim() !== expected.text) {
    // The terminal has shown what was typed; it is not repeated (it could be anything, pasted by mistake).
    human.write(`aborted: nothing was deleted (${expected.what} is ${expected.text})\n`);
    const written = await writeReportFile(setup, preview.result.report, undefined);
    if (command.json) io.stdout.write(formatJson(preview.result.report));
    return written ? EXIT_OK : EXIT_FAILED;
  }
  const plan = createSavedPlan({
    createdAt: deps.now(),
    toolVersion: TOOL_VERSION,
    account,
    policy: prepared.policy,
    overrides: command.overrides,
    tasks,
    policySource: prepared.policySource,
  });
  const applied = await runOnce(setup, prepared, plan, 'the confirmed plan');
  return finishPurge(setup, prepared, applied, { previewed: true });
}

/**
 * The name the operator types to confirm: the project name the credentials are scoped to, else the region
 * (IAM names a region's default project after the region).
 */
export function confirmationName(
  prepared: PreparedInvocation,
  targets?: readonly ResolvedTarget[],
): { readonly what: string; readonly text: string } {
  // Several targets: their number, which the operator has just seen.
  if (prepared.policy.targets !== undefined) {
    return { what: 'the number of targets', text: String(targets?.length ?? 0) };
  }
  const { credentials, region } = prepared.config;
  const text =
    credentials.kind === 'password' && credentials.projectName !== undefined
      ? credentials.projectName
      : region;
  return { what: 'the project name', text };
}

/** `huaweicloud cn-north-4, project …`, or `3 targets of huaweicloud`. */
function describeWhere(prepared: PreparedInvocation, outcome: RunOutcome): string {
  const { cloud, region } = prepared.config;
  if (prepared.policy.targets !== undefined) return `${outcome.targets?.length ?? 0} targets of ${cloud}`;
  return `${cloud} ${region}, project ${outcome.projectId ?? 'unknown'}`;
}

/**
 * Where a plan made from `outcome` applies: its one account, or (a policy with `targets`) the cloud and each
 * target with its region's endpoint hosts. Undefined when the run never knew its targets.
 */
function planAccountOf(
  prepared: PreparedInvocation,
  outcome: RunOutcome,
): Parameters<typeof createSavedPlan>[0]['account'] | undefined {
  const { config } = prepared;
  if (prepared.policy.targets !== undefined) {
    if (outcome.targets === undefined) return undefined;
    return {
      cloud: config.cloud,
      targets: describePlanTargets(
        outcome.targets,
        (region) => prepared.regionEndpoints.get(region) ?? config.endpoints,
      ),
    };
  }
  return outcome.projectId === undefined ? undefined : describePlanAccount(config, outcome.projectId);
}

/**
 * Writes the outputs of a finished run (report file, plan file, stdout) and decides the exit code. A run that
 * failed (it threw) still writes and prints its report, with the error in it.
 */
async function finishPurge(
  setup: RunSetup,
  prepared: PreparedInvocation,
  outcome: RunOutcome,
  options: { readonly previewed: boolean },
): Promise<number> {
  const { io, command } = setup;
  const interrupt = outcome.error instanceof InterruptError ? outcome.error : interruptOf(io.signal);
  const failure = outcome.error !== undefined && interrupt === undefined ? outcome.error : undefined;
  const report = outcome.report;
  const sent = failure === undefined ? undefined : sentSoFar(prepared, outcome, failure, options.previewed);

  // Files first: they must not depend on stdout still being open.
  let outputFailed = report !== undefined && !(await writeReportFile(setup, report, failure, sent));
  let planWritten = false;
  const account = planAccountOf(prepared, outcome);
  if (command.planOutPath !== undefined && failure === undefined) {
    if (interrupt !== undefined) {
      io.stderr.write('task-janitor: interrupted: the listing is incomplete, so no plan was written\n');
    } else if (account === undefined || outcome.result === undefined) {
      io.stderr.write('task-janitor: the project id is unknown, so no plan was written\n');
      outputFailed = true;
    } else {
      const plan = createSavedPlan({
        createdAt: setup.deps.now(),
        toolVersion: TOOL_VERSION,
        account,
        policy: prepared.policy,
        overrides: command.overrides,
        tasks: outcome.result.plannedDeletes,
        policySource: prepared.policySource,
      });
      planWritten = await writeOutputFile(command.planOutPath, 'the plan', formatJson(plan), io);
      if (planWritten) {
        io.stderr.write(`wrote a plan of ${plan.tasks.length} tasks to ${command.planOutPath}\n`);
      } else outputFailed = true;
    }
  }

  if (command.json) {
    if (report !== undefined) io.stdout.write(formatJson(withError(report, failure, sent)));
  } else if (report !== undefined && failure === undefined) {
    const tasks = outcome.result?.plannedDeletes ?? [];
    io.stdout.write(
      `${renderRunSummary(report, tasks, {
        command,
        env: io.env,
        planWritten,
        interrupted: interrupt !== undefined,
      })}\n`,
    );
  }

  if (failure !== undefined) {
    const message = failure instanceof ConfigError ? failure.message : describeError(failure);
    io.stderr.write(`task-janitor: ${redactUrlsInText(message)}\n${sent?.sentence ?? ''}\n`);
    return failure instanceof ConfigError ? EXIT_INVALID : EXIT_FAILED;
  }
  if (interrupt !== undefined) return EXIT_CODE_OF_SIGNAL[interrupt.signal];
  if (report === undefined) return EXIT_FAILED;
  return hasFailures(report) || outputFailed ? EXIT_FAILED : EXIT_OK;
}

/** The human output of a run: where and what, the tasks of a dry run, the table, and how to apply it. */
function renderRunSummary(
  report: Report,
  tasks: readonly SavedPlanTask[],
  context: {
    readonly command: PurgeCommand;
    readonly env: EnvGetter;
    readonly planWritten: boolean;
    readonly interrupted: boolean;
  },
): string {
  const { command } = context;
  const sections = [renderReportHeader(report)];
  if (report.dryRun) {
    sections.push(renderTaskList({ tasks, nowMs: Date.now(), all: command.list, verb: 'would delete' }));
  }
  sections.push(renderReportTable(report));
  if (report.dryRun && tasks.length > 0 && !context.interrupted) {
    // A plan file records its selection and targets; otherwise the command repeats every flag that narrowed.
    const own = command.planPath === undefined;
    const apply = renderApplyCommand({
      program: context.env('npm_lifecycle_event') === 'purge' ? 'npm run purge --' : 'task-janitor',
      policyPath: own ? command.policyPath : undefined,
      services: own ? command.overrides.services : undefined,
      olderThan: own ? command.overrides.olderThan : undefined,
      maxDeletesPerRun: own ? command.overrides.maxDeletesPerRun : undefined,
      regions: own ? command.overrides.targets?.regions : undefined,
      projects: own ? command.overrides.targets?.projects : undefined,
      planPath: context.planWritten ? command.planOutPath : command.planPath,
    });
    const what = tasks.length === 1 ? 'this task' : `these ${tasks.length} tasks`;
    sections.push(`To delete ${what}${context.planWritten ? ' (exactly this plan)' : ''}: ${apply}`);
  }
  return sections.join('\n\n');
}

/** The report as `--json` and `--report` give it: with the error of a run that failed, if it did. */
/** What had reached the cloud when `failure` ended the run (see `SentSoFar`). */
function sentSoFar(
  prepared: PreparedInvocation,
  outcome: RunOutcome,
  failure: unknown,
  previewed: boolean,
): SentSoFar {
  if (outcome.listingStarted) return RUN_STARTED;
  if (previewed) return PREVIEW_ONLY;
  if (failure instanceof ConfigError && failure.sent !== undefined) {
    return { code: 'iam', sentence: `Only ${failure.sent}.` };
  }
  // A policy with targets always asks IAM for the projects; one target asks it for an id not configured.
  if (prepared.policy.targets !== undefined) {
    return { code: 'iam', sentence: 'Only IAM was asked for the projects; nothing was listed or deleted.' };
  }
  if (prepared.config.projectId === undefined) {
    return { code: 'iam', sentence: 'Only IAM was asked for the project id; nothing was listed or deleted.' };
  }
  return NOTHING_SENT;
}

function withError(
  report: Report,
  failure: unknown,
  sent: SentSoFar | undefined,
): Report | (Report & { error: Record<string, unknown> }) {
  if (failure === undefined) return report;
  const name = failure instanceof Error ? failure.name : 'Error';
  const message = failure instanceof Error ? failure.message : String(failure);
  return {
    ...report,
    error: {
      name,
      message: redactUrlsInText(message),
      ...(failure instanceof ConfigError ? { problems: failure.problems.map(redactUrlsInText) } : {}),
      ...(sent !== undefined ? { sent: sent.code } : {}),
    },
  };
}

async function writeReportFile(
  setup: RunSetup,
  report: Report,
  failure: unknown,
  sent?: SentSoFar,
): Promise<boolean> {
  const path = setup.command.reportPath;
  if (path === undefined) return true;
  return writeOutputFile(path, 'the report', formatJson(withError(report, failure, sent)), setup.io);
}

function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Writes an output file after the run; a failure is reported (the run itself is over) and returns false. A
 * regular file is replaced whole (written beside it, then renamed), so a process killed while writing leaves
 * the old file or the new one, never a truncated one.
 */
async function writeOutputFile(path: string, what: string, text: string, io: CliIo): Promise<boolean> {
  try {
    const existing = await stat(path).catch(() => undefined);
    if (existing === undefined || existing.isFile()) {
      const temporary = `${path}.${process.pid}.tmp`;
      try {
        await writeFile(temporary, text);
        await rename(temporary, path);
      } catch (error) {
        await unlink(temporary).catch(() => undefined);
        throw error;
      }
    } else {
      // A device or a pipe (`--report /dev/stderr`) is written in place.
      await writeFile(path, text);
    }
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

/**
 * Exit 1 when any operation failed or its outcome is unknown: a delete that failed, a delete neither answered nor
 * settled by a later read (`unknown`: someone must look), or a service that could not be listed, in any target.
 */
export function hasFailures(report: Report): boolean {
  const { totals } = report;
  if (totals.failed > 0 || totals.unknown > 0 || totals.failedServices > 0) return true;
  return (report.targets ?? []).some((target) => target.totals.failedServices > 0);
}

/**
 * The confirmation question on a terminal: a line read from stdin (the terminal echoes it). Ctrl-C stays a
 * signal (the terminal is not switched to raw mode), so it interrupts the question like any other step.
 */
export function createTerminalQuestion(
  input: NodeJS.ReadableStream,
  output: { write(text: string): unknown },
): (question: string, signal: AbortSignal | undefined) => Promise<string> {
  return (question, signal) =>
    new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input, terminal: false });
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        outcome();
        rl.close();
        // The open stdin would keep the process alive after the run.
        if ('pause' in input && typeof input.pause === 'function') input.pause();
      };
      const onAbort = () => settle(() => reject(signal?.reason));
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      rl.once('line', (line) => settle(() => resolve(line)));
      // End of input (Ctrl-D) is no answer: nothing is deleted.
      rl.once('close', () => settle(() => resolve('')));
      output.write(question);
    });
}

/**
 * The process wrapper: real streams that a closed pipe cannot stop, real env, Ctrl-C, SIGTERM and SIGHUP handling, the
 * question on a terminal; sets `process.exitCode`.
 */
export async function runCli(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const stdout = createSafeOutput(process.stdout);
  // Every stderr line (log lines, the signal notice) goes above the progress bar.
  const stderr = createLiveOutput(createSafeOutput(process.stderr));
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
  process.on('SIGHUP', () => onSignal('SIGHUP'));
  const terminal = process.stdin.isTTY === true && process.stderr.isTTY === true;
  process.exitCode = await main(argv, {
    stdout,
    stderr,
    env: (key) => process.env[key],
    signal: run.signal,
    ...(terminal ? { ask: createTerminalQuestion(process.stdin, stderr) } : {}),
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
