/**
 * The cloud client: authentication, per-host admission (slots, pacing, breaker: `host-health.ts`), one HTTP
 * exchange per attempt (`exchange.ts`), and the retry wiring around one pure decision (`decideRetry` in
 * `retry-policy.ts`, looped by p-retry v7). Every 4xx/5xx answer and every transport failure is logged once, where
 * it is read.
 *
 * Retries: this is the layer that repeats HTTP requests. Two callers re-run a whole call after it gave up, each
 * at most once per item and bounded: the executor's later pass for a delete that failed retryably
 * (`lib/execute.ts`), and the pager's deferred calls for a listing page (`lib/sources/paging.ts`). Neither
 * multiplies this layer's attempts against a host that is down: its breaker refuses them without sending.
 */
import pRetry, { AbortError } from 'p-retry';
import type { Deps } from '../deps';
import {
  AuthError,
  CloudApiError,
  HostUnavailableError,
  JanitorError,
  NetworkError,
  RedirectError,
  RunStoppedError,
  stopReasonOf,
  TimeoutError,
} from '../errors';
import type { CloudService } from '../types';
import { encodeRfc3986 } from './auth/aksk-signer';
import type { AuthContext, AuthProvider, IamResponse } from './auth/types';
import { ExchangeFailure, type ExchangeResult, exchange } from './exchange';
import { type Admission, defaultCreateAgent, describeStop, HostHealth, type HostStats } from './host-health';
import type { AdaptivePacerOptions, HostPacer } from './pacing';
import { createProjectIdLookup } from './project-id';
import type { RetryBudgetOptions } from './retry-budget';
import { decideRetry, describeAttempt, isRetryable, isThrottling, isTokenExpired } from './retry-policy';
import { ServerClock } from './server-clock';
import type { CloudClient, CloudRequest, CloudResponse, SequenceOptions, SequenceSend } from './types';

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

/** One call as the client runs it: the caller's request, authenticated or not (IAM token minting). */
interface Call extends CloudRequest {
  readonly authenticate: boolean;
  /** Secret values in the request's body (a password), never quoted back from an error answer. */
  readonly secrets?: readonly string[];
  /** Repeat a POST too (token minting is harmless to repeat). */
  readonly retryPost?: boolean;
}

interface RawResponse extends CloudResponse {
  readonly headers: { get(name: string): string | null };
}

/** What a log line names of a call. */
interface LoggedCall {
  readonly service: CloudService;
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly retryPost?: boolean;
  readonly isExpectedError?: CloudRequest['isExpectedError'];
  readonly onAttempt?: CloudRequest['onAttempt'];
}

/** The per-call retry bookkeeping `decideRetry` reads. */
interface RetryTally {
  counted: number;
  throttled: number;
  firstFailureAtMs: number | undefined;
  tokenRefreshed: boolean;
}

/** The credential values a request's headers carry: the tokens, and the AK/SK signature. */
function secretHeaderValues(headers: Readonly<Record<string, string>>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (key === 'x-auth-token' || key === 'x-security-token') secrets.push(value);
    if (key === 'authorization') {
      secrets.push(value);
      const signature = /Signature=([0-9a-fA-F]+)/.exec(value)?.[1];
      if (signature) secrets.push(signature);
    }
  }
  return secrets;
}

function buildQuery(query: CloudRequest['query']): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    parts.push(`${encodeRfc3986(key)}=${encodeRfc3986(String(value))}`);
  }
  return parts.join('&');
}

function defaultParse(text: string): unknown {
  return text.trim() === '' ? undefined : JSON.parse(text);
}

export function createCloudClient(deps: Deps, options: CloudClientOptions): JanitorCloudClient {
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 5;
  const maxRetryTimeMs = options.maxRetryTimeMs ?? 60_000;
  const backoffBaseMs = options.backoffBaseMs ?? 200;
  const backoffCapMs = options.backoffCapMs ?? 20_000;
  const concurrency = options.concurrencyPerHost ?? 16;
  const userAgent = options.userAgent ?? 'task-janitor';
  const { auth } = options;

  const hosts = new Map<CloudService, HostHealth>();
  const serverClock = new ServerClock();
  /** The `Retry-After` of the answer an error came from. */
  const retryAfterOf = new WeakMap<object, string>();
  /** 401 "token expired" answers whose token was dropped: one fresh token may help. */
  const refreshableTokenErrors = new WeakSet<object>();
  /** Aborted by `close()`: nothing the client started may send a request after its run has returned. */
  const lifetime = new AbortController();
  /** Every call under way (waits included), so that `close()` can wait for them. */
  const underway = new Set<Promise<unknown>>();

  function hostFor(service: CloudService): HostHealth {
    let host = hosts.get(service);
    if (!host) {
      host = new HostHealth(deps, {
        name: service,
        origin: new URL(options.endpoints[service]),
        concurrency,
        createAgent: options.createAgent ?? defaultCreateAgent,
        pacing: pacingFor(service),
        retryBudget: options.retryBudget,
      });
      hosts.set(service, host);
    }
    return host;
  }

  function pacingFor(service: CloudService) {
    const { pacing } = options;
    if (pacing !== undefined && pacing !== false && 'createPacer' in pacing) {
      return { createPacer: () => pacing.createPacer(service) };
    }
    return pacing;
  }

  /** The URL of a request: always on its service's configured endpoint (a path can never name another host). */
  function urlFor(req: CloudRequest): URL {
    const base = new URL(options.endpoints[req.service]);
    const query = buildQuery(req.query);
    const url = new URL(`${options.endpoints[req.service]}${req.path}${query ? `?${query}` : ''}`);
    if (url.origin !== base.origin) {
      throw new TypeError(`${req.method} ${req.path}: the path would leave the ${req.service} endpoint`);
    }
    return url;
  }

  function track<T>(promise: Promise<T>): Promise<T> {
    underway.add(promise);
    const done = () => underway.delete(promise);
    promise.then(done, done);
    return promise;
  }

  /** The signals of one call: the hard one (in-flight requests) and the soft one (waits, new attempts). */
  function signalsOf(req: { signal?: AbortSignal; stopSignal?: AbortSignal }): {
    hard: AbortSignal;
    stop: AbortSignal;
  } {
    const hard = req.signal ? AbortSignal.any([req.signal, lifetime.signal]) : lifetime.signal;
    const stop = req.stopSignal ? AbortSignal.any([req.stopSignal, hard]) : hard;
    return { hard, stop };
  }

  /**
   * One line for a failed attempt: the answer's payload (status, code, message, request id) or the transport
   * failure, and — when the retry layer has decided — whether and when it is retried. Expected answers (a
   * documented "not found" the caller handles) are `info`; retried ones `warn`; final ones `error`.
   */
  function logAnswer(
    call: LoggedCall,
    attempt: number,
    error: unknown,
    decision?: {
      readonly willRetry: boolean;
      readonly delayMs: number;
      readonly extra?: Record<string, unknown>;
    },
  ): void {
    const base = {
      service: call.service,
      operation: call.operation,
      method: call.method,
      path: call.path,
      host: hostFor(call.service).host,
      attempt,
      ...(decision ? { willRetry: decision.willRetry, delayMs: decision.delayMs, ...decision.extra } : {}),
    };
    const retrying =
      decision?.willRetry ?? (isRetryable(error) && (call.method !== 'POST' || call.retryPost === true));
    if (error instanceof CloudApiError) {
      const expected = call.isExpectedError?.({ status: error.status, errorCode: error.errorCode }) ?? false;
      const level = expected ? 'info' : retrying ? 'warn' : 'error';
      deps.log[level](
        {
          ...base,
          status: error.status,
          errorCode: error.errorCode,
          errorMsg: error.errorMsg,
          errorExtMsg: error.errorExtMsg,
          requestId: error.requestId,
          ...(error instanceof RedirectError ? { locationHost: error.locationHost } : {}),
        },
        error instanceof RedirectError
          ? `${call.method} ${call.path} answered ${error.status} (a redirect, not followed)`
          : `${call.method} ${call.path} answered ${error.status}`,
      );
      return;
    }
    deps.log[retrying || error instanceof RunStoppedError ? 'warn' : 'error'](
      {
        ...base,
        error: error instanceof Error ? error.name : typeof error,
        ...(error instanceof NetworkError && error.code ? { code: error.code } : {}),
        ...(error instanceof TimeoutError ? { timeout: 'request' } : {}),
      },
      error instanceof JanitorError ? error.message : `${call.method} ${call.path} failed`,
    );
  }

  /** Failed attempts whose line waits for the retry decision (the line then says what happens next). */
  const unlogged = new WeakMap<object, { readonly call: LoggedCall; readonly attempt: number }>();

  /** Authenticates, sends and reads one request (admitted, not retried); reports the answer to its host. */
  async function send(
    call: Call,
    attempt: number,
    hard: AbortSignal,
    deferLog: boolean,
    admission: Admission,
  ): Promise<RawResponse> {
    const url = urlFor(call);
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    let headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (call.authenticate) {
      try {
        headers = {
          ...headers,
          ...(await auth.authorize(
            {
              service: call.service,
              method: call.method,
              url,
              headers,
              body,
              projectId: await projectIdForSigning(call, hard),
              signal: hard,
            },
            authContext,
          )),
        };
      } catch (error) {
        // Credentials that cannot be had are permanent for this call; their own requests already retried.
        throw new AbortError(error instanceof Error ? error : new Error(String(error)));
      }
    }
    headers['user-agent'] = userAgent;
    const host = hostFor(call.service);
    admission.beforeSend();
    try {
      const result: ExchangeResult = await track(
        exchange(deps, {
          service: call.service,
          operation: call.operation,
          method: call.method,
          path: call.path,
          url,
          headers,
          body,
          agent: host.agent,
          parse: call.parse ?? defaultParse,
          attempt,
          timeoutMs: requestTimeoutMs,
          signal: hard,
          secrets: [...secretHeaderValues(headers), ...(call.secrets ?? [])],
        }),
      );
      admission.record(undefined, null);
      serverClock.observe(result.headers.get('date'), deps.now().getTime());
      call.onAttempt?.(describeAttempt(attempt, undefined));
      return {
        status: result.status,
        body: result.body,
        requestId: result.requestId,
        headers: result.headers,
      };
    } catch (failure) {
      const { error, retryAfter, date } =
        failure instanceof ExchangeFailure ? failure : new ExchangeFailure(failure, null);
      if (!(error instanceof RunStoppedError)) admission.record(error, retryAfter);
      serverClock.observe(date, deps.now().getTime());
      if (deferLog && typeof error === 'object' && error !== null) unlogged.set(error, { call, attempt });
      else logAnswer(call, attempt, error);
      call.onAttempt?.(describeAttempt(attempt, error));
      if (typeof error === 'object' && error !== null) {
        if (retryAfter !== null) retryAfterOf.set(error, retryAfter);
        if (
          call.authenticate &&
          error instanceof AuthError &&
          isTokenExpired(error.status, error.errorCode) &&
          (auth.invalidate?.(headers) ?? false)
        ) {
          refreshableTokenErrors.add(error);
        }
      }
      throw error;
    }
  }

  async function projectIdForSigning(call: Call, signal: AbortSignal): Promise<string | undefined> {
    // AK/SK sends the project id as X-Project-Id to project-level services.
    if (auth.kind === 'aksk' && call.service !== 'iam') return projectIds.resolve({ signal });
    return projectIds.known();
  }

  /**
   * p-retry around `attempt`: each failure goes through `decideRetry`; a retry waits with the injected `sleep`,
   * cut by the soft stop (then the call ends with `RunStoppedError`, nothing more sent).
   */
  async function withRetries<T>(
    call: { service: CloudService; operation: string; method: string; path: string; repeatable: boolean },
    signals: { hard: AbortSignal; stop: AbortSignal },
    attemptFn: (attempt: number) => Promise<T>,
  ): Promise<T> {
    const tally: RetryTally = {
      counted: 0,
      throttled: 0,
      firstFailureAtMs: undefined,
      tokenRefreshed: false,
    };
    let retryNext = false;
    return pRetry(
      async (attemptNumber) => {
        if (attemptNumber > 1 && signals.stop.aborted)
          throw new AbortError(stoppedBeforeRetry(call, signals));
        return attemptFn(attemptNumber);
      },
      {
        retries: Number.POSITIVE_INFINITY,
        // p-retry's own timer is off: the delay (full jitter, Retry-After) is computed and slept below.
        minTimeout: 0,
        maxTimeout: 0,
        onFailedAttempt: async ({ error, attemptNumber }) => {
          retryNext = false;
          const pending = unlogged.get(error);
          unlogged.delete(error);
          const log = (willRetry: boolean, delayMs: number, extra: Record<string, unknown> = {}) => {
            if (pending) logAnswer(pending.call, pending.attempt, error, { willRetry, delayMs, extra });
            else if (willRetry) {
              // The answer was logged when it was read (inside a sequence): only the decision is new.
              deps.log.debug(
                { ...describeCall(call), attempt: attemptNumber, willRetry, delayMs, ...extra },
                `${call.operation}: retrying in ${delayMs} ms`,
              );
            }
          };
          if (error instanceof RunStoppedError) {
            log(false, 0);
            return;
          }
          const nowMs = deps.now().getTime();
          if (refreshableTokenErrors.has(error) && !tally.tokenRefreshed) {
            // Refresh once and repeat: not a retry, never a loop.
            tally.tokenRefreshed = true;
            log(true, 0, { tokenRefresh: true });
            retryNext = true;
            return;
          }
          const throttled = isThrottling(error);
          if (throttled) tally.throttled += 1;
          else {
            tally.counted += 1;
            tally.firstFailureAtMs ??= nowMs;
          }
          const decision = decideRetry({
            error,
            repeatable: call.repeatable,
            countedAttempts: Math.max(1, tally.counted),
            maxAttempts,
            throttledAttempts: Math.max(1, tally.throttled),
            failingForMs: tally.firstFailureAtMs === undefined ? 0 : nowMs - tally.firstFailureAtMs,
            maxRetryTimeMs,
            retryAfterHeader: retryAfterOf.get(error),
            random: deps.random(),
            backoffBaseMs,
            backoffCapMs,
            nowMs,
            budgetAllowsRetry: hostFor(call.service).allowsRetry(),
            ...(hostFor(call.service).paced ? { hostPausedForMs: hostFor(call.service).pausedForMs() } : {}),
          });
          if (!decision.retry) {
            log(
              false,
              0,
              decision.reason === 'not-retryable'
                ? {}
                : {
                    gaveUp: decision.reason,
                    ...(decision.reason === 'retry-budget' ? { retryBudgetExhausted: true } : {}),
                  },
            );
            return;
          }
          log(true, decision.delayMs, decision.throttled ? { throttled: true } : {});
          if (decision.delayMs > 0) {
            try {
              await deps.sleep(decision.delayMs, signals.stop);
            } catch {
              throw stoppedBeforeRetry(call, signals, error);
            }
          }
          if (signals.stop.aborted) throw stoppedBeforeRetry(call, signals, error);
          retryNext = true;
        },
        shouldRetry: () => retryNext,
      },
    );
  }

  function stoppedBeforeRetry(
    call: { method: string; path: string },
    signals: { stop: AbortSignal },
    lastError?: unknown,
  ): RunStoppedError {
    const reason = stopReasonOf(signals.stop.reason);
    return new RunStoppedError(`${call.method} ${call.path}: not retried: the run ${describeStop(reason)}`, {
      reason,
      sent: false,
      ...(lastError !== undefined ? { cause: lastError } : {}),
    });
  }

  async function runCall(call: Call): Promise<RawResponse> {
    const signals = signalsOf(call);
    const repeatable = call.method === 'GET' || call.method === 'DELETE' || call.retryPost === true;
    return withRetries({ ...call, repeatable }, signals, async (attempt) => {
      const admission = await admitOrStop(
        call.service,
        signals,
        `${call.method} ${call.path}`,
        call,
        attempt,
      );
      try {
        return await send(call, attempt, signals.hard, true, admission);
      } finally {
        admission.release();
      }
    });
  }

  /** Admission for one attempt; a refusal (breaker, stop) is reported as the attempt's outcome and ends the call. */
  async function admitOrStop(
    service: CloudService,
    signals: { hard: AbortSignal; stop: AbortSignal },
    what: string,
    call: LoggedCall,
    attempt: number,
  ): Promise<Admission> {
    try {
      return await hostFor(service).admit({ stopSignal: signals.stop, what });
    } catch (error) {
      if (error instanceof HostUnavailableError) logAnswer(call, attempt, error);
      call.onAttempt?.(describeAttempt(attempt, error));
      throw new AbortError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  const authContext: AuthContext = {
    async sendIam(request): Promise<IamResponse> {
      // Tracked: a token mint every caller gave up on still ends before the client closes.
      return track(
        runCall({
          service: 'iam',
          operation: request.operation,
          method: request.method,
          path: request.path,
          ...(request.query ? { query: request.query } : {}),
          ...(request.body === undefined ? {} : { body: request.body }),
          ...(request.signal ? { signal: request.signal } : {}),
          ...(request.secrets ? { secrets: request.secrets } : {}),
          authenticate: false,
          retryPost: true,
        }),
      );
    },
  };

  const projectIds = createProjectIdLookup({
    configured: options.projectId,
    region: options.region,
    auth,
    authContext,
    listProjects: (region, { signal, stopSignal }) =>
      runCall({
        service: 'iam',
        operation: 'ListProjects',
        method: 'GET',
        path: '/v3/projects',
        query: { name: region },
        ...(signal ? { signal } : {}),
        ...(stopSignal ? { stopSignal } : {}),
        authenticate: true,
      }),
  });

  async function sequence<T>(spec: SequenceOptions, body: (send: SequenceSend) => Promise<T>): Promise<T> {
    const signals = signalsOf(spec);
    const what = `${spec.operation}`;
    return withRetries(
      { service: spec.service, operation: spec.operation, method: 'SEQUENCE', path: what, repeatable: true },
      signals,
      async (attempt) => {
        // Credentials are made ready before the slot is taken, so that no token mint can fall between the
        // requests of the sequence.
        await warmAuth(spec.service, signals.hard);
        const admission = await admitOrStop(
          spec.service,
          signals,
          what,
          {
            service: spec.service,
            operation: spec.operation,
            method: 'SEQUENCE',
            path: what,
          },
          attempt,
        );
        try {
          return await body((request) => {
            if (request.service !== spec.service) {
              throw new TypeError(`a ${spec.service} sequence cannot send to ${request.service}`);
            }
            // Inside a sequence the caller may handle an answer itself: each is logged where it is read.
            return send({ ...request, authenticate: true }, attempt, signals.hard, false, admission);
          });
        } finally {
          admission.release();
        }
      },
    );
  }

  async function warmAuth(service: CloudService, signal: AbortSignal): Promise<void> {
    try {
      if (auth.kind === 'aksk' && service !== 'iam') await projectIds.resolve({ signal });
      await auth.warm?.(authContext, signal);
    } catch (error) {
      throw new AbortError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  return {
    request(req: CloudRequest): Promise<CloudResponse> {
      return track(
        runCall({ ...req, authenticate: true }).then(({ status, body, requestId }) => ({
          status,
          body,
          requestId,
        })),
      );
    },
    sequence<T>(spec: SequenceOptions, body: (send: SequenceSend) => Promise<T>): Promise<T> {
      return track(sequence(spec, body));
    },
    resolveProjectId: (signal, stopSignal) => track(projectIds.resolve({ signal, stopSignal })),
    async close(closeOptions = {}) {
      const graceMs = closeOptions.graceMs ?? 0;
      if (graceMs > 0 && underway.size > 0) {
        const timer = new AbortController();
        await Promise.race([
          Promise.allSettled([...underway]),
          deps.sleep(graceMs, timer.signal).catch(() => undefined),
        ]);
        timer.abort();
      }
      lifetime.abort(new Error('the cloud client was closed'));
      await Promise.allSettled([...underway]);
      for (const host of hosts.values()) {
        const { agent } = host;
        if (
          typeof agent === 'object' &&
          agent !== null &&
          'destroy' in agent &&
          typeof agent.destroy === 'function'
        ) {
          agent.destroy();
        }
      }
    },
    serverClock,
    hostStats() {
      const stats: Partial<Record<CloudService, HostStats>> = {};
      for (const [service, host] of hosts) stats[service] = host.stats();
      return stats;
    },
  };
}

function describeCall(call: { service: CloudService; operation: string; method: string; path: string }) {
  return { service: call.service, operation: call.operation, method: call.method, path: call.path };
}
