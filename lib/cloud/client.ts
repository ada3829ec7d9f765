/**
 * The cloud client, composed of small parts: authentication (`client-auth.ts`), per-host admission (slots,
 * pacing, breaker: `host-health.ts`, `host-registry.ts`), one attempt (`send-attempt.ts`: one HTTP exchange,
 * `exchange.ts`), calls and sequences (`call-runner.ts`), and the retry loop around one pure decision
 * (`with-retries.ts`, `decideRetry` in `retry-policy.ts`). Every 4xx/5xx answer and every transport failure is
 * logged once, where it is read (`answer-log.ts`).
 *
 * Retries: this is the layer that repeats HTTP requests. Two callers re-run a whole call after it gave up, each
 * at most once per item and bounded: the executor's later pass for a delete that failed retryably
 * (`lib/execute.ts`), and the pager's deferred calls for a listing page (`lib/sources/paging.ts`). Neither
 * multiplies this layer's attempts against a host that is down: its breaker refuses them without sending.
 */
import type { Deps } from '../deps';
import type { CloudService } from '../types';
import { createAnswerLog } from './answer-log';
import type { AuthProvider } from './auth/types';
import { createCallRunner } from './call-runner';
import { createClientAuth } from './client-auth';
import { ClientLifetime } from './client-lifetime';
import type { HostStats } from './host-health';
import { HostRegistry } from './host-registry';
import type { AdaptivePacerOptions, HostPacer } from './pacing';
import type { RetryBudgetOptions } from './retry-budget';
import { createSender } from './send-attempt';
import { ServerClock } from './server-clock';
import type { CloudClient, CloudRequest, CloudResponse, SequenceOptions, SequenceSend } from './types';
import { createRetryLoop, FailureNotes, type RetryLimits } from './with-retries';

export type { HostStats } from './host-health';

export interface CloudClientOptions {
  /** Base URL per service host (no trailing slash), e.g. from `Config.endpoints`. */
  readonly endpoints: Readonly<Record<CloudService, string>>;
  readonly auth: AuthProvider;
  /** Region id: the IAM project name the project id is resolved from. */
  readonly region: string;
  /** Known project id; resolved through IAM on first need when absent. */
  readonly projectId?: string | undefined;
  /** @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Attempts per call that count (throttled attempts do not), the first included. @default 5 */
  readonly maxAttempts?: number;
  /** Time one call may spend retrying real failures, measured with `deps.now` from its first one. @default 60000 */
  readonly maxRetryTimeMs?: number;
  /** Backoff base: the first retry waits up to this. @default 200 */
  readonly backoffBaseMs?: number;
  /** Cap of one backoff delay. @default 20000 */
  readonly backoffCapMs?: number;
  /** Concurrent requests per host, and keep-alive sockets per host. @default 16 */
  readonly concurrencyPerHost?: number;
  /** Builds the keep-alive pool of one host. @default an http(s).Agent with keepAlive and maxSockets */
  readonly createAgent?: (origin: URL, maxSockets: number) => unknown;
  /** A host with nothing on the wire this long gets a new pool for its next request. @default 4000 */
  readonly idleConnectionsMs?: number;
  /** @default 'task-janitor' */
  readonly userAgent?: string;
  /**
   * Adaptive per-host pacing (slow start, a rate or a window learned from throttling answers, host-wide
   * `Retry-After`). `false` turns it off; `createPacer` puts another pacer behind the same hooks (the benchmark's
   * AWS SDK limiter). @default on, with the `AdaptivePacer` defaults and `concurrencyPerHost` as its widest window
   */
  readonly pacing?:
    | false
    | AdaptivePacerOptions
    | { readonly createPacer: (service: CloudService) => HostPacer };
  /** Per-host retry budget: no retries to a host where most attempts fail. `false` turns it off. @default on */
  readonly retryBudget?: false | RetryBudgetOptions;
}

export interface JanitorCloudClient extends CloudClient {
  /** The project id: the configured one, or resolved once through IAM (single flight). */
  resolveProjectId(signal?: AbortSignal, stopSignal?: AbortSignal): Promise<string>;
  /**
   * Ends the client: requests still in flight get up to `graceMs` to finish on their own (so that none is cut
   * while its bytes are on the wire), then everything left is aborted and the keep-alive pools are closed.
   * Resolves once nothing the client started is in flight, queued or waiting. @default graceMs 0
   */
  close(options?: { readonly graceMs?: number }): Promise<void>;
  /** Pacing and retry-budget state per service host (for the run summary and the benchmark). */
  hostStats(): Partial<Record<CloudService, HostStats>>;
  /** The cloud's clock as its answers tell it (`lib/cloud/server-clock.ts`). */
  readonly serverClock: Pick<ServerClock, 'localAheadMs' | 'planningNowMs'>;
}

export function createCloudClient(deps: Deps, options: CloudClientOptions): JanitorCloudClient {
  const hosts = new HostRegistry(deps, { ...options, concurrencyPerHost: options.concurrencyPerHost ?? 16 });
  const lifetime = new ClientLifetime(deps);
  const { track } = lifetime;
  const serverClock = new ServerClock();
  const answers = createAnswerLog(deps, (service) => hosts.get(service).host);
  const notes = new FailureNotes();
  const withRetries = createRetryLoop({
    deps,
    limits: retryLimitsOf(options),
    hostFor: hosts.get,
    notes,
    answers,
  });
  const credentials = createClientAuth({
    auth: options.auth,
    region: options.region,
    projectId: options.projectId,
    // The runner is made below: token mints and the project lookup go through the same retry layer.
    runCall: (call) => calls.run(call),
    track,
  });
  const send = createSender({
    deps,
    endpoints: options.endpoints,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    userAgent: options.userAgent ?? 'task-janitor',
    hostFor: hosts.get,
    serverClock,
    answers,
    notes,
    credentials,
    track,
  });
  const calls = createCallRunner({
    withRetries,
    send,
    hostFor: hosts.get,
    answers,
    credentials,
    signalsOf: lifetime.signalsOf,
  });

  return {
    request(req: CloudRequest): Promise<CloudResponse> {
      const call = calls.run({ ...req, authenticate: true });
      return track(call.then(({ status, body, requestId }) => ({ status, body, requestId })));
    },
    sequence<T>(spec: SequenceOptions, body: (send: SequenceSend) => Promise<T>): Promise<T> {
      return track(calls.sequence(spec, body));
    },
    resolveProjectId: (signal, stopSignal) => track(credentials.resolveProjectId({ signal, stopSignal })),
    async close(closeOptions = {}) {
      await lifetime.close(closeOptions.graceMs ?? 0);
      hosts.destroyAgents();
    },
    serverClock,
    hostStats: () => hosts.stats(),
  };
}

function retryLimitsOf(options: CloudClientOptions): RetryLimits {
  return {
    maxAttempts: options.maxAttempts ?? 5,
    maxRetryTimeMs: options.maxRetryTimeMs ?? 60_000,
    backoffBaseMs: options.backoffBaseMs ?? 200,
    backoffCapMs: options.backoffCapMs ?? 20_000,
  };
}
