/**
 * The shell logic every entry point shares, written once: the Lambda and FunctionGraph handlers, the CLI and the
 * demo only translate their input into these calls, and describe their platform in one `Platform` value
 * (`lib/platform.ts`: event parsing, credentials it holds, a metrics sink).
 *
 * Two phases, so that nothing invalid ever reaches the cloud:
 * 1. `prepareInvocation`: settings, policy and overrides are read and validated together (pure apart from
 *    reading the policy file); every problem is reported in one `ConfigError`.
 * 2. `executeInvocation`: builds the client, turns the time budget into a deadline and an `AbortSignal`, runs
 *    the purge, logs the report line and its metrics, and decides whether the run failed.
 *
 * Settings come from an env-like getter (`(key) => process.env[key]` on Lambda, `context.getUserData` on
 * FunctionGraph): `lib/` never reads `process.env` itself.
 */
import { setMaxListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createCloudClientFromConfig } from './cloud/from-config';
import { type CloudName, type Config, type LogLevel, loadConfig } from './config';
import type { Deps } from './deps';
import { CloudApiError, ConfigError, FullRunFailureError, RunStoppedError } from './errors';
import type { Platform } from './platform';
import { isInlinePolicy, loadPolicy } from './policy/load';
import { applyOverrides, enabledServices, parseManualEvent } from './policy/overrides';
import type { Policy, PolicyOverrides } from './policy/types';
import { ReportRecorder } from './recorder';
import { redactUrl } from './redact-url';
import { describeUnknownRegion, REGIONS } from './regions';
import { type Report, shouldFail } from './report';
import { type ProgressEvent, type PurgeResult, type RunSignals, runPurge } from './run-purge';
import type { SavedPlan } from './saved-plan';
import { descriptorOf, hostOf } from './sources/catalog';
import { SOURCES } from './sources/index';
import type { ServiceId } from './types';

/** Reads one setting; `undefined` (or an empty string) means "not set". */
export type EnvGetter = (key: string) => string | undefined;

/** The variable that holds the policy: a path to a packaged file, or the policy itself (YAML/JSON). */
export const POLICY_ENV = 'TASK_JANITOR_POLICY';

/** Margin kept between the run's deadline and the platform's hard timeout: `max(10 s, 5 %)` of the budget. */
export const MIN_SAFETY_MARGIN_MS = 10_000;
export const SAFETY_MARGIN_SHARE = 0.05;

export interface PrepareInvocationOptions {
  readonly env: EnvGetter;
  /** Narrowing overrides (CLI flags). @default {} */
  readonly overrides?: PolicyOverrides;
  /**
   * A platform event, turned into overrides by `platform.overridesOf` (wins over `overrides`); its `ConfigError`
   * is reported with every other problem.
   */
  readonly event?: unknown;
  /** Where the run happens: its event shapes, the credentials it holds, its metrics. @default none of them */
  readonly platform?: Platform;
  /** A policy path or inline text that wins over `TASK_JANITOR_POLICY` (the CLI's `--policy`). */
  readonly policySource?: string;
  /** How the report names where the policy came from, instead of the path or `inline` (a plan file's). */
  readonly policySourceLabel?: string;
  /** @default fs.readFile(path, 'utf8') */
  readonly readTextFile?: (path: string) => Promise<string>;
}

/** Everything validated: what `executeInvocation` needs besides the side effects. */
export interface PreparedInvocation {
  readonly config: Config;
  /** The effective policy (overrides applied). */
  readonly policy: Policy;
  /** Where the policy came from, for the report: its file path, `inline`, or a plan file's label. */
  readonly policySource: string;
}

/**
 * Reads and validates the settings, the policy and the overrides, reporting every problem at once.
 * Sends nothing anywhere.
 * @throws ConfigError listing every problem, each prefixed by where it came from.
 */
export async function prepareInvocation(options: PrepareInvocationOptions): Promise<PreparedInvocation> {
  const env = toEnvRecord(options.env);
  const problems: string[] = [];
  const collect = (subject: string, error: unknown): void => {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) problems.push(`${subject}: ${problem}`);
  };

  let config: Config | undefined;
  try {
    const credentials = options.platform?.credentials;
    const platformCredentials = credentials?.provide();
    config = loadConfig(env, {
      ...(platformCredentials ? { platformCredentials } : {}),
      ...(credentials ? { noCredentialsHint: credentials.hint } : {}),
    });
  } catch (error) {
    collect('environment', error);
  }

  let overrides: PolicyOverrides | undefined = options.overrides ?? {};
  if ('event' in options) {
    try {
      overrides = (options.platform?.overridesOf ?? parseManualEvent)(options.event);
    } catch (error) {
      overrides = undefined;
      collect('event', error);
    }
  }

  let policy: Policy | undefined;
  const source = options.policySource ?? env[POLICY_ENV];
  if (source === undefined || source.trim() === '') {
    problems.push(`policy: no policy given: set ${POLICY_ENV} to a policy file path or inline YAML/JSON`);
  } else {
    const read = options.readTextFile ?? ((path: string) => readFile(path, 'utf8'));
    let loaded: Policy | undefined;
    try {
      loaded = await loadPolicy(source, read);
    } catch (error) {
      collect('policy', error);
    }
    if (loaded !== undefined && overrides !== undefined) {
      try {
        policy = applyOverrides(loaded, overrides);
      } catch (error) {
        collect('overrides', error);
      }
    }
  }

  if (config !== undefined && policy !== undefined) problems.push(...servicesOffCloud(policy, config.cloud));
  if (problems.length > 0 || config === undefined || policy === undefined || source === undefined) {
    throw new ConfigError(problems);
  }
  const policySource = options.policySourceLabel ?? (isInlinePolicy(source) ? 'inline' : redactUrl(source));
  return { config, policy, policySource };
}

/** An enabled service its cloud does not offer (OMS, SMS and the DCS task center on OTC): refused, not tried. */
function servicesOffCloud(policy: Policy, cloud: CloudName): string[] {
  return enabledServices(policy)
    .filter((service) => !descriptorOf(service).clouds.includes(cloud))
    .map(
      (service) =>
        `policy: services.${service}: ${descriptorOf(service).title}: not offered on ${REGIONS[cloud].label} (TASK_JANITOR_CLOUD=${cloud}); remove the service or set enabled: false`,
    );
}

export interface ExecuteInvocationOptions {
  readonly deps: Deps;
  /** Time this run may take (Lambda: `context.getRemainingTimeInMillis()`); a safety margin is kept from it. */
  readonly remainingTimeMs: number;
  /**
   * External cancellation (the CLI aborts it with an `InterruptError` on Ctrl-C); the deadline aborts too. A run
   * it stops before the project id is known returns its report (nothing listed) instead of throwing.
   */
  readonly signal?: AbortSignal;
  /**
   * Called with the project id once it is known, before anything is listed (the CLI checks a saved plan's
   * project here when it was resolved through IAM). What it throws ends the run: nothing is listed or deleted.
   */
  readonly onProjectResolved?: (projectId: string) => void;
  /** plan/apply: delete exactly these tasks, each re-checked first. */
  readonly savedPlan?: SavedPlan;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Receives the final report after its log line (`Platform.metrics`). */
  readonly metrics?: (report: Report, log: Deps['log']) => void;
  /**
   * Throw `FullRunFailureError` when every attempted operation failed (the cloud functions: so that the
   * platform's error metric means something). @default true
   */
  readonly throwOnFullFailure?: boolean;
  /**
   * Called with the report once it is logged, also when the run then throws (the project id could not be
   * resolved): the CLI prints it with the error.
   */
  readonly onReport?: (report: Report) => void;
}

/**
 * The deadline (epoch ms) for a run that may take `remainingTimeMs`: the budget minus
 * `max(MIN_SAFETY_MARGIN_MS, SAFETY_MARGIN_SHARE × budget)`, so the report is logged before the platform
 * stops the function.
 */
export function computeDeadlineAtMs(nowMs: number, remainingTimeMs: number): number {
  const marginMs = Math.max(MIN_SAFETY_MARGIN_MS, Math.round(remainingTimeMs * SAFETY_MARGIN_SHARE));
  return nowMs + Math.max(0, remainingTimeMs - marginMs);
}

/** After an operator's interrupt: how long requests in flight may take to finish, then the reads that settle them. */
export const INTERRUPT_IN_FLIGHT_MS = 10_000;
export const INTERRUPT_SETTLE_MS = 5_000;
/** When the report is due, requests still under way get this long to end on their own before they are cut. */
export const CLOSE_GRACE_MS = 1_000;
/** A clock this far off the cloud's is worth a warning (ages are measured on the earlier one either way). */
export const CLOCK_SKEW_WARNING_MS = 60_000;

/**
 * The run's three stops on one clock. At the deadline (or on an interrupt) no new work starts; requests in
 * flight may finish until `abort` (a third of the safety margin later, or `INTERRUPT_IN_FLIGHT_MS` after an
 * interrupt); reads that settle deletes of unknown outcome end at `resolve` (another third, or
 * `INTERRUPT_SETTLE_MS`). The last third of the margin is left for the report.
 */
function createRunStops(options: {
  readonly nowMs: number;
  readonly deadlineAtMs: number;
  readonly marginMs: number;
  readonly interrupt: AbortSignal | undefined;
}): { readonly signals: RunSignals; readonly dispose: () => void } {
  const stop = new AbortController();
  const abort = new AbortController();
  const resolve = new AbortController();
  // Every request listens on these: many more than Node's default of 10.
  setMaxListeners(0, stop.signal, abort.signal, resolve.signal);
  const timers: NodeJS.Timeout[] = [];
  const at = (delayMs: number, fire: () => void) => timers.push(setTimeout(fire, Math.max(0, delayMs)));
  const deadlineReason = new RunStoppedError('the run reached its deadline', {
    reason: 'deadline',
    sent: false,
  });
  const shareMs = options.marginMs / 3;
  const stopNow = (reason: unknown, inFlightMs: number, settleMs: number) => {
    if (stop.signal.aborted) return;
    stop.abort(reason);
    at(inFlightMs, () => abort.abort(reason));
    at(inFlightMs + settleMs, () => resolve.abort(reason));
  };
  at(options.deadlineAtMs - options.nowMs, () => stopNow(deadlineReason, shareMs, shareMs));
  const onInterrupt = () =>
    stopNow(
      options.interrupt?.reason,
      Math.min(INTERRUPT_IN_FLIGHT_MS, shareMs),
      Math.min(INTERRUPT_SETTLE_MS, shareMs),
    );
  if (options.interrupt?.aborted) onInterrupt();
  else options.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  return {
    signals: { stop: stop.signal, abort: abort.signal, resolve: resolve.signal },
    // No timer outlives the invocation (it would fire after the next thaw).
    dispose: () => {
      for (const timer of timers) clearTimeout(timer);
      options.interrupt?.removeEventListener('abort', onInterrupt);
    },
  };
}

/**
 * Runs a prepared invocation: builds the client, runs the purge under the run's stops, waits until nothing of
 * the run is in flight, then logs the report line (and its metric form); throws `FullRunFailureError` when
 * every attempted operation failed.
 */
export async function executeInvocation(
  prepared: PreparedInvocation,
  options: ExecuteInvocationOptions,
): Promise<PurgeResult> {
  const { deps } = options;
  const { config, policy } = prepared;
  const regionWarning = describeUnknownRegion(config.cloud, config.region);
  if (regionWarning !== undefined)
    deps.log.warn({ cloud: config.cloud, region: config.region }, regionWarning);
  const nowMs = deps.now().getTime();
  const deadlineAtMs = computeDeadlineAtMs(nowMs, options.remainingTimeMs);
  const stops = createRunStops({
    nowMs,
    deadlineAtMs,
    marginMs: Math.max(0, nowMs + options.remainingTimeMs - deadlineAtMs),
    interrupt: options.signal,
  });
  const { signals } = stops;
  const client = createCloudClientFromConfig(deps, config);
  const hosts = new Map(
    Object.entries(config.endpoints).map(([service, url]) => [service, new URL(url).host] as const),
  );
  const endpointHostOf = (service: ServiceId): string | undefined => hosts.get(hostOf(service));
  const recorder = new ReportRecorder(deps, {
    dryRun: policy.dryRun,
    startedAt: new Date(nowMs),
    policy: {
      digest: policy.digest,
      maxDeletesPerRun: policy.maxDeletesPerRun,
      source: prepared.policySource,
    },
    services: enabledServices(policy),
    hostOf: endpointHostOf,
  });
  let result: PurgeResult | undefined;
  let finalReport: Report | undefined;
  let projectError: unknown;
  // Where the run goes, also in the report of a run whose project id could not be resolved.
  recorder.target({
    cloud: config.cloud,
    region: config.region,
    ...(config.projectId !== undefined ? { projectId: config.projectId } : {}),
  });
  try {
    let projectId: string | undefined;
    try {
      projectId = await client.resolveProjectId(signals.abort, signals.stop);
    } catch (error) {
      // No run goes unaccounted for: the report (every service failed, nothing listed) and its metrics are
      // logged before the error propagates, so a ListingFailed alarm fires for an IAM outage too.
      projectError = error;
      recordNoProject(recorder, policy, error);
    }
    if (projectId !== undefined) {
      options.onProjectResolved?.(projectId);
      recorder.target({ cloud: config.cloud, region: config.region, projectId });
      result = await runPurge(deps, {
        policy,
        client,
        projectId,
        sources: SOURCES,
        deadlineAtMs,
        signals,
        recorder,
        // As many deletes per service as the client sends per host: the executor must not be the narrower pool.
        deleteConcurrency: config.concurrencyPerHost,
        planningNowMs: () => client.serverClock.planningNowMs(deps.now().getTime()),
        ...(options.savedPlan ? { savedPlan: options.savedPlan } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    }
  } finally {
    stops.dispose();
    // Nothing of this run may still be in flight, queued or waiting when its report is logged.
    await client.close({ graceMs: CLOSE_GRACE_MS });
    const localAheadMs = client.serverClock.localAheadMs();
    if (localAheadMs !== undefined && Math.abs(localAheadMs) > CLOCK_SKEW_WARNING_MS) {
      deps.log.warn(
        { localAheadMs },
        "this machine's clock differs from the cloud's: ages were measured on the earlier of the two",
      );
    }
    const report = result?.report ?? recorder.finish(deps.now());
    finalReport = report;
    deps.log.info({ report }, 'purge report');
    options.metrics?.(report, deps.log);
    options.onReport?.(report);
  }
  if (projectError !== undefined) {
    // Stopped by its caller, not failed: like any interrupted run, it ends with its report.
    if (options.signal?.aborted && finalReport) return { report: finalReport, plannedDeletes: [] };
    throw projectError;
  }
  if (result === undefined) throw new TypeError('the purge ended without a result');
  if ((options.throwOnFullFailure ?? true) && shouldFail(result.report)) {
    const errors = recorder.errors();
    throw new FullRunFailureError(`every attempted operation failed (${errors.length} errors)`, errors);
  }
  return result;
}

/** The report of a run that could not start: every enabled service failed to list for `error`. */
function recordNoProject(recorder: ReportRecorder, policy: Policy, error: unknown): void {
  const reason = error instanceof Error ? error.message : String(error);
  const fields =
    error instanceof CloudApiError
      ? { status: error.status, ...(error.errorCode !== undefined ? { errorCode: error.errorCode } : {}) }
      : {};
  for (const service of enabledServices(policy)) {
    recorder.listingFailed(
      service,
      0,
      { message: `the project id could not be resolved, nothing was listed: ${reason}`, ...fields },
      error,
    );
  }
}

/** Builds the real side effects once the log level is known (`createDefaultDeps`, or a test's own). */
export type BuildDeps = (options: { logLevel: LogLevel; logBase?: Record<string, unknown> }) => Deps;

export interface InvokePurgeOptions
  extends PrepareInvocationOptions,
    Omit<ExecuteInvocationOptions, 'deps' | 'remainingTimeMs'> {
  readonly buildDeps: BuildDeps;
  /** Fields on every log line (the platform's request id). */
  readonly logBase?: Record<string, unknown>;
  /** Read after validation, right before the run starts. */
  readonly remainingTimeMs: () => number;
}

/**
 * prepare + execute for the cloud functions: a configuration error is logged (one line listing every problem)
 * and rethrown, as is a full-run failure; the report is always logged when a run happened.
 */
export async function invokePurge(options: InvokePurgeOptions): Promise<PurgeResult> {
  const logBase = options.logBase ?? {};
  let prepared: PreparedInvocation;
  try {
    prepared = await prepareInvocation(options);
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : undefined;
    options
      .buildDeps({ logLevel: 'error', logBase })
      .log.error({ err: error, problems }, 'invalid input, nothing sent');
    throw error;
  }
  const deps = options.buildDeps({ logLevel: prepared.config.logLevel, logBase });
  try {
    return await executeInvocation(prepared, {
      ...options,
      ...(options.platform?.metrics ? { metrics: options.platform.metrics } : {}),
      deps,
      remainingTimeMs: options.remainingTimeMs(),
    });
  } catch (error) {
    deps.log.error({ err: error }, 'purge failed');
    throw error;
  }
}

/**
 * `loadConfig` takes a record; the platform hands over a getter. A read-only view that asks the getter per key,
 * treating an empty string as unset (deploy tools write `""` for an optional value left out).
 */
export function toEnvRecord(env: EnvGetter): Record<string, string | undefined> {
  return new Proxy({} as Record<string, string | undefined>, {
    get: (_target, key) => {
      if (typeof key !== 'string') return undefined;
      const value = env(key);
      return value === '' ? undefined : value;
    },
  });
}
