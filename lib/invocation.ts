import type { CloudClientOptions, JanitorCloudClient } from './cloud/client';
import { createCloudClientFromConfig } from './cloud/from-config';
import type { Config, LogLevel } from './config';
import type { Deps } from './deps';
import { CloudApiError, ConfigError, FullRunFailureError } from './errors';
import { enabledServices } from './policy/overrides';
import type { Policy } from './policy/types';
import { type PreparedInvocation, type PrepareInvocationOptions, prepareInvocation } from './prepare';
import { ReportRecorder } from './recorder';
import { describeUnknownRegion } from './regions';
import { type Report, type RunTarget, shouldFail } from './report';
import type { ProgressEvent, PurgeResult, RunSignals } from './run-purge';
import { CLOCK_SKEW_WARNING_MS, CLOSE_GRACE_MS, createRunStops } from './run-stops';
import type { SavedPlan, SavedPlanTask } from './saved-plan';
import { hostOf } from './sources/catalog';
import { SOURCES } from './sources/index';
import { runTargetOf } from './targets/combine';
import { resolveTargets } from './targets/resolve';
import { runTargets, type TargetClient, type TargetsResult } from './targets/run-targets';
import { orderTargets, type ResolvedTarget, rotationOf } from './targets/select';
import type { ServiceId } from './types';

export {
  type EnvGetter,
  POLICY_ENV,
  type PreparedInvocation,
  type PrepareInvocationOptions,
  prepareInvocation,
  toEnvRecord,
} from './prepare';
export {
  CLOCK_SKEW_WARNING_MS,
  CLOSE_GRACE_MS,
  INTERRUPT_IN_FLIGHT_MS,
  INTERRUPT_SETTLE_MS,
} from './run-stops';

/** Margin kept between the run's deadline and the platform's hard timeout: `max(10 s, 5 %)` of the budget. */
export const MIN_SAFETY_MARGIN_MS = 10_000;
export const SAFETY_MARGIN_SHARE = 0.05;

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
  /**
   * Called with the run's targets once they are known, before anything is listed (the CLI checks a saved plan's
   * targets here). What it throws ends the run: nothing is listed or deleted.
   */
  readonly onTargetsResolved?: (targets: readonly ResolvedTarget[]) => void;
  /** plan/apply: delete exactly these tasks, each re-checked first. */
  readonly savedPlan?: SavedPlan;
  /** plan/apply with several targets: the planned tasks of one target. @default every task of the plan */
  readonly planTasksOf?: (target: ResolvedTarget) => readonly SavedPlanTask[];
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
  /** The client's pacer: only the benchmark sets it (the AWS SDK limiter, side by side). @default the client's own */
  readonly pacing?: CloudClientOptions['pacing'];
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

/** The clients of a run: the configured region's (IAM, and the single target) and one per other target. */
interface RunClients {
  readonly home: JanitorCloudClient;
  forTarget(target: ResolvedTarget): TargetClient;
  /** Ends every client: requests still under way get `CLOSE_GRACE_MS`; then the clock-skew warning, once. */
  closeAll(): Promise<void>;
}

function createRunClients(
  deps: Deps,
  prepared: PreparedInvocation,
  options: ExecuteInvocationOptions,
): RunClients {
  const { config } = prepared;
  const overrides = options.pacing !== undefined ? { pacing: options.pacing } : {};
  const home = createCloudClientFromConfig(deps, config, overrides);
  const clients = new Map<string, JanitorCloudClient>();
  const endpointHosts = (endpoints: Config['endpoints']) => (service: ServiceId) =>
    new URL(endpoints[hostOf(service)]).host;
  return {
    home,
    forTarget(target) {
      // Without `targets`, the run's one target is the configured region's: its client is the home client.
      const single = prepared.policy.targets === undefined;
      const endpoints = single
        ? config.endpoints
        : (prepared.regionEndpoints.get(target.region) ?? config.endpoints);
      let client = single ? home : clients.get(target.projectId);
      if (!client) {
        client = createCloudClientFromConfig(
          deps,
          { ...config, region: target.region, projectId: target.projectId, endpoints },
          overrides,
        );
        clients.set(target.projectId, client);
      }
      const { serverClock } = client;
      return {
        client,
        planningNowMs: () => serverClock.planningNowMs(deps.now().getTime()),
        hostOf: endpointHosts(endpoints),
      };
    },
    async closeAll() {
      const all = [home, ...clients.values()];
      // Nothing of this run may still be in flight, queued or waiting when its report is logged.
      await Promise.all(all.map((client) => client.close({ graceMs: CLOSE_GRACE_MS })));
      const skews = all.map((client) => client.serverClock.localAheadMs()).filter((ms) => ms !== undefined);
      const localAheadMs = skews.find((ms) => Math.abs(ms) > CLOCK_SKEW_WARNING_MS);
      if (localAheadMs !== undefined) {
        deps.log.warn(
          { localAheadMs },
          "this machine's clock differs from the cloud's: ages were measured on the earlier of the two",
        );
      }
    },
  };
}

/** The run's targets in the order they start (rotated by the run's day when the policy names targets). */
async function resolveRunTargets(
  prepared: PreparedInvocation,
  home: JanitorCloudClient,
  signals: RunSignals,
  nowMs: number,
): Promise<readonly ResolvedTarget[]> {
  const targets = await resolveTargets({
    config: prepared.config,
    policy: prepared.policy,
    narrowing: prepared.narrowing,
    home,
    signal: signals.abort,
    stopSignal: signals.stop,
  });
  return prepared.policy.targets === undefined ? targets : orderTargets(targets, rotationOf(nowMs));
}

function warnUnknownRegions(deps: Deps, cloud: Config['cloud'], regions: readonly string[]): void {
  for (const region of regions) {
    const warning = describeUnknownRegion(cloud, region);
    if (warning !== undefined) deps.log.warn({ cloud, region }, warning);
  }
}

/**
 * Runs a prepared invocation: builds the clients, finds the targets, purges them under the run's stops, waits
 * until nothing of the run is in flight, then logs the report line (and hands it to the platform's metrics);
 * throws `FullRunFailureError` when every attempted operation failed.
 */
export async function executeInvocation(
  prepared: PreparedInvocation,
  options: ExecuteInvocationOptions,
): Promise<PurgeResult> {
  const { deps } = options;
  const { config, policy } = prepared;
  warnUnknownRegions(deps, config.cloud, prepared.regions);
  const nowMs = deps.now().getTime();
  const deadlineAtMs = computeDeadlineAtMs(nowMs, options.remainingTimeMs);
  const stops = createRunStops({
    nowMs,
    deadlineAtMs,
    marginMs: Math.max(0, nowMs + options.remainingTimeMs - deadlineAtMs),
    interrupt: options.signal,
  });
  const { signals } = stops;
  const clients = createRunClients(deps, prepared, options);
  let result: TargetsResult | undefined;
  let failedReport: Report | undefined;
  let startError: unknown;
  let finalReport: Report | undefined;
  try {
    try {
      const targets = await resolveRunTargets(prepared, clients.home, signals, nowMs);
      options.onTargetsResolved?.(targets);
      const only = targets.length === 1 ? targets[0] : undefined;
      if (only !== undefined && policy.targets === undefined) options.onProjectResolved?.(only.projectId);
      result = await runTargets(deps, {
        policy,
        policySource: prepared.policySource,
        targets,
        clientFor: (target) => clients.forTarget(target),
        sources: SOURCES,
        signals,
        deadlineAtMs,
        startedAt: new Date(nowMs),
        concurrency: config.targetConcurrency,
        // As many deletes per service as the client sends per host: the executor must not be the narrower pool.
        deleteConcurrency: config.concurrencyPerHost,
        labelled: policy.targets !== undefined,
        ...(options.savedPlan ? { savedPlan: options.savedPlan } : {}),
        ...(options.planTasksOf ? { planTasksOf: options.planTasksOf } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    } catch (error) {
      // No run goes unaccounted for: the report (every service failed, nothing listed) and its metrics are
      // logged before the error propagates, so a ListingFailed alarm fires for an IAM outage too.
      startError = error;
      failedReport = reportOfNoStart(deps, prepared, nowMs, error);
    }
  } finally {
    stops.dispose();
    await clients.closeAll();
    const report = result?.report ?? failedReport ?? reportOfNoStart(deps, prepared, nowMs, undefined);
    finalReport = report;
    deps.log.info({ report }, 'purge report');
    options.metrics?.(report, deps.log);
    options.onReport?.(report);
  }
  if (startError !== undefined) {
    // Stopped by its caller, not failed: like any interrupted run, it ends with its report.
    if (options.signal?.aborted && finalReport) return { report: finalReport, plannedDeletes: [] };
    throw startError;
  }
  if (result === undefined) throw new TypeError('the purge ended without a result');
  if ((options.throwOnFullFailure ?? true) && shouldFail(result.report)) {
    throw new FullRunFailureError(
      `every attempted operation failed (${result.errors.length} errors)`,
      result.errors,
    );
  }
  return { report: result.report, plannedDeletes: result.plannedDeletes };
}

/**
 * Enumerate mode (a fan-out's first step): the targets this invocation would purge, found through IAM where
 * the policy names `targets`, and nothing else: no task is listed or deleted, no report is written.
 */
export async function enumerateInvocation(
  prepared: PreparedInvocation,
  options: Pick<ExecuteInvocationOptions, 'deps' | 'remainingTimeMs' | 'signal' | 'pacing'>,
): Promise<readonly RunTarget[]> {
  const { deps } = options;
  const nowMs = deps.now().getTime();
  const deadlineAtMs = computeDeadlineAtMs(nowMs, options.remainingTimeMs);
  const stops = createRunStops({
    nowMs,
    deadlineAtMs,
    marginMs: Math.max(0, nowMs + options.remainingTimeMs - deadlineAtMs),
    interrupt: options.signal,
  });
  const clients = createRunClients(deps, prepared, options);
  try {
    const targets = await resolveRunTargets(prepared, clients.home, stops.signals, nowMs);
    const listed = targets.map(runTargetOf);
    deps.log.info({ targets: listed }, 'targets');
    return listed;
  } finally {
    stops.dispose();
    await clients.closeAll();
  }
}

/** The report of a run that could not start: where it was going, and every enabled service failed for `error`. */
function reportOfNoStart(deps: Deps, prepared: PreparedInvocation, nowMs: number, error: unknown): Report {
  const { config, policy } = prepared;
  const recorder = new ReportRecorder(deps, {
    dryRun: policy.dryRun,
    startedAt: new Date(nowMs),
    policy: {
      digest: policy.digest,
      maxDeletesPerRun: policy.maxDeletesPerRun,
      source: prepared.policySource,
    },
    services: enabledServices(policy),
    target: {
      cloud: config.cloud,
      region: config.region,
      ...(config.projectId !== undefined ? { projectId: config.projectId } : {}),
    },
  });
  if (error !== undefined) recordNoProject(recorder, policy, error, policy.targets !== undefined);
  const report = recorder.finish(deps.now());
  report.targets = [];
  return report;
}

/** The report of a run that could not start: every enabled service failed to list for `error`. */
function recordNoProject(recorder: ReportRecorder, policy: Policy, error: unknown, targets: boolean): void {
  const reason = error instanceof Error ? error.message : String(error);
  const fields =
    error instanceof CloudApiError
      ? { status: error.status, ...(error.errorCode !== undefined ? { errorCode: error.errorCode } : {}) }
      : {};
  for (const service of enabledServices(policy)) {
    recorder.listingFailed(
      service,
      0,
      {
        message: `${targets ? 'the targets' : 'the project id'} could not be resolved, nothing was listed: ${reason}`,
        ...fields,
      },
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

/** What a cloud function returns: the run's report, or (enumerate mode) the targets, as the fan-out reads them. */
export type FunctionResult = Report | { readonly targets: readonly RunTarget[] };

/** The function's answer for an invocation's result. */
export function functionResultOf(result: InvocationResult): FunctionResult {
  return result.kind === 'targets' ? { targets: result.targets } : result.report;
}

/** What an invocation returns: a purge's result, or (enumerate mode) the targets it would purge. */
export type InvocationResult =
  | (PurgeResult & { readonly kind: 'purge' })
  | { readonly kind: 'targets'; readonly targets: readonly RunTarget[] };

/**
 * prepare + execute for the cloud functions: a configuration error is logged (one line listing every problem)
 * and rethrown, as is a full-run failure; the report is always logged when a run happened. An event asking to
 * enumerate gets the targets instead of a purge.
 */
export async function invokePurge(options: InvokePurgeOptions): Promise<InvocationResult> {
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
    if (prepared.enumerate) {
      const targets = await enumerateInvocation(prepared, {
        ...options,
        deps,
        remainingTimeMs: options.remainingTimeMs(),
      });
      return { kind: 'targets', targets };
    }
    const result = await executeInvocation(prepared, {
      ...options,
      ...(options.platform?.metrics ? { metrics: options.platform.metrics } : {}),
      deps,
      remainingTimeMs: options.remainingTimeMs(),
    });
    return { kind: 'purge', ...result };
  } catch (error) {
    deps.log.error({ err: error }, 'purge failed');
    throw error;
  }
}
