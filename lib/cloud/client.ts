/**
 * The cloud client: the ONLY retry layer of the program (node-fetch via `deps.fetch`, p-retry v7).
 * Authentication, per-request timeouts, per-host concurrency and keep-alive, typed errors, and one
 * structured log line for every 4xx/5xx answer.
 */
import http from 'node:http';
import https from 'node:https';
import pLimit, { type LimitFunction } from 'p-limit';
import pRetry, { AbortError } from 'p-retry';
import type { Deps } from '../deps';
import {
  AuthError,
  CloudApiError,
  ConfigError,
  HostUnavailableError,
  JanitorError,
  MalformedResponseError,
  NetworkError,
  TimeoutError,
} from '../errors';
import type { CloudService } from '../types';
import { encodeRfc3986 } from './auth/aksk-signer';
import type { AuthContext, AuthProvider, IamResponse } from './auth/types';
import { parseErrorPayload, readBodyCapped } from './error-payload';
import { AdaptivePacer, type AdaptivePacerOptions, type PacerSnapshot } from './pacing';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget';
import {
  computeRetryDelayMs,
  isRetryable,
  isThrottling,
  isTokenExpired,
  parseRetryAfterMs,
  RETRYABLE_STATUSES,
} from './retry-policy';
import type { CloudClient, CloudRequest, CloudResponse } from './types';

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
  /** Attempts per call, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** Total time one call may spend on retries (measured with `deps.now`). @default 60000 */
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
   * Adaptive per-host pacing (a token bucket learned from throttling answers) and host-wide `Retry-After`.
   * `false` turns it off. @default on, with the `AdaptivePacer` defaults
   */
  readonly pacing?: false | AdaptivePacerOptions;
  /** Per-host retry budget: no retries to a host where most attempts fail. `false` turns it off. @default on */
  readonly retryBudget?: false | RetryBudgetOptions;
}

export interface HostStats {
  readonly pacing: PacerSnapshot | undefined;
  readonly retryBudgetTokens: number | undefined;
}

export interface JanitorCloudClient extends CloudClient {
  /** The project id: the configured one, or resolved once through IAM (single flight). */
  resolveProjectId(signal?: AbortSignal): Promise<string>;
  /** Closes the keep-alive pools. Call once the run is over. */
  close(): void;
  /** Pacing and retry-budget state per service host (for the run summary and the benchmark). */
  hostStats(): Partial<Record<CloudService, HostStats>>;
}

/** How many times a call the breaker refuses waits for the host's next answer before it fails. */
const BREAKER_WAIT_ROUNDS = 2;

interface InternalRequest extends CloudRequest {
  /** False for token minting. */
  readonly authenticate: boolean;
  /** Retry a POST too (token minting is harmless to repeat). */
  readonly retryPost?: boolean;
}

interface RawResponse extends CloudResponse {
  readonly headers: { get(name: string): string | null };
}

interface FailureLogFields {
  attempt: number;
  willRetry: boolean;
  delayMs: number;
  tokenRefresh?: boolean;
  retryBudgetExhausted?: boolean;
}

function defaultCreateAgent(origin: URL, maxSockets: number): unknown {
  const options = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
  return origin.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
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

/** One field of a JSON object (or error), narrowed from `unknown` without a cast; undefined otherwise. */
function fieldOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
}

function errorCodeOf(error: unknown): string | undefined {
  const code = fieldOf(error, 'code');
  return typeof code === 'string' ? code : undefined;
}

/**
 * A transport failure: node-fetch's `FetchError` (system errors, premature close), or a raw socket error with
 * an errno-style code (ECONNRESET, ENOTFOUND, …) or an undici one. Anything else is a bug, not retried.
 */
function isFetchError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'FetchError') return true;
  const code = errorCodeOf(error);
  return code !== undefined && (/^E[A-Z]+$/.test(code) || code.startsWith('UND_ERR_'));
}

export function createCloudClient(deps: Deps, options: CloudClientOptions): JanitorCloudClient {
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 5;
  const maxRetryTimeMs = options.maxRetryTimeMs ?? 60_000;
  const backoffBaseMs = options.backoffBaseMs ?? 200;
  const backoffCapMs = options.backoffCapMs ?? 20_000;
  const concurrency = options.concurrencyPerHost ?? 16;
  const createAgent = options.createAgent ?? defaultCreateAgent;
  const userAgent = options.userAgent ?? 'task-janitor';
  const auth = options.auth;

  const agents = new Map<string, unknown>();
  const limiters = new Map<string, LimitFunction>();
  const pacers = new Map<CloudService, AdaptivePacer>();
  const budgets = new Map<CloudService, RetryBudget>();
  /** Aborted by `close()`. */
  const lifetime = new AbortController();
  /** Calls the breaker holds, woken by the host's next recorded answer. */
  const answerWaiters = new Map<CloudService, Array<() => void>>();
  /** The last unhealthy answer per host, for the message of a call the breaker does not send. */
  const lastFailureOf = new Map<
    CloudService,
    { readonly text: string; readonly status: number | undefined }
  >();
  /** The `Retry-After` of the answer an error came from. */
  const retryAfterOf = new WeakMap<object, string>();
  let knownProjectId = options.projectId;
  let projectIdPromise: Promise<string> | undefined =
    options.projectId === undefined ? undefined : Promise.resolve(options.projectId);

  function poolFor(origin: URL): { agent: unknown; limit: LimitFunction } {
    const key = origin.origin;
    let agent = agents.get(key);
    if (agent === undefined) {
      agent = createAgent(origin, concurrency);
      agents.set(key, agent);
    }
    let limit = limiters.get(key);
    if (limit === undefined) {
      limit = pLimit(concurrency);
      limiters.set(key, limit);
    }
    return { agent, limit };
  }

  function pacerFor(service: CloudService): AdaptivePacer | undefined {
    if (options.pacing === false) return undefined;
    let pacer = pacers.get(service);
    if (!pacer) {
      pacer = new AdaptivePacer(options.pacing);
      pacers.set(service, pacer);
    }
    return pacer;
  }

  function budgetFor(service: CloudService): RetryBudget | undefined {
    if (options.retryBudget === false) return undefined;
    let budget = budgets.get(service);
    if (!budget) {
      budget = new RetryBudget(options.retryBudget);
      budgets.set(service, budget);
    }
    return budget;
  }

  /** Feeds one attempt's outcome to the host's pacer and retry budget. */
  function recordOutcome(service: CloudService, error: unknown, retryAfter: string | null): void {
    const nowMs = deps.now().getTime();
    const throttled = isThrottling(error);
    const retryAfterMs = parseRetryAfterMs(retryAfter, nowMs);
    // A host pause never outlasts what one call may spend retrying (a Retry-After of an hour is not waited
    // out), nor 5 minutes: an AK/SK signature made before the wait must stay within the gateway's 15-minute skew.
    pacerFor(service)?.onAnswer(nowMs, {
      throttled,
      retryAfterMs: retryAfterMs === undefined ? undefined : Math.min(retryAfterMs, maxRetryTimeMs, 300_000),
    });
    if (!throttled) {
      // Throttles are neutral for the budget: pacing handles them.
      const unhealthy =
        (error instanceof CloudApiError && RETRYABLE_STATUSES.has(error.status)) ||
        (error !== undefined && !(error instanceof CloudApiError) && isRetryable(error));
      if (unhealthy) {
        budgetFor(service)?.recordFailure();
        lastFailureOf.set(service, describeFailure(error));
      } else budgetFor(service)?.recordSuccess();
    }
    const waiting = answerWaiters.get(service);
    answerWaiters.delete(service);
    for (const wake of waiting ?? []) wake();
  }

  /**
   * The breaker: a host whose budget is empty gets one probe per interval. A call it refuses waits for the
   * host's next answer (the probe's) or one interval, at most twice: when the probe is answered the host is
   * back and the call goes through, so a short outage fails nothing; while the host stays down the call
   * fails fast without being sent, and the run moves on.
   */
  async function isAdmitted(req: InternalRequest, budget: RetryBudget): Promise<boolean> {
    for (let round = 0; ; round++) {
      if (budget.admitsAttempt(deps.now().getTime())) return true;
      if (round === BREAKER_WAIT_ROUNDS) return false;
      await waitForAnswer(req, budget.probeIntervalMs);
    }
  }

  /** Resolves at the host's next recorded answer or after `ms`; rejects at the run's deadline. */
  async function waitForAnswer(req: InternalRequest, ms: number): Promise<void> {
    const timer = new AbortController();
    const onAbort = () => timer.abort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const answered = new Promise<void>((resolve) => {
      const list = answerWaiters.get(req.service) ?? [];
      list.push(resolve);
      answerWaiters.set(req.service, list);
    });
    try {
      await Promise.race([answered, deps.sleep(ms, timer.signal).catch(() => undefined)]);
    } finally {
      timer.abort(); // clears the sleep's timer when the answer came first
      req.signal?.removeEventListener('abort', onAbort);
    }
    if (req.signal?.aborted) {
      throw new TimeoutError(`${req.method} ${req.path}: the run's deadline passed while the host was down`, {
        kind: 'deadline',
      });
    }
  }

  function describeFailure(error: unknown): { text: string; status: number | undefined } {
    if (error instanceof CloudApiError) {
      return { text: `${error.status}${error.errorCode ? ` ${error.errorCode}` : ''}`, status: error.status };
    }
    return { text: error instanceof Error ? error.name : String(error), status: undefined };
  }

  /** Waits for the host's pacing slot (and any host-wide Retry-After pause). */
  async function waitForPacing(req: InternalRequest): Promise<void> {
    const pacer = pacerFor(req.service);
    if (!pacer) return;
    for (;;) {
      const waitMs = pacer.acquire(deps.now().getTime());
      if (waitMs === 0) return;
      try {
        await deps.sleep(waitMs, req.signal);
      } catch (error) {
        throw new TimeoutError(`${req.method} ${req.path}: the run's deadline passed while pacing`, {
          kind: 'deadline',
          cause: error,
        });
      }
    }
  }

  function logFailure(req: InternalRequest, error: unknown, fields: FailureLogFields): void {
    const base = {
      service: req.service,
      operation: req.operation,
      method: req.method,
      path: req.path,
      attempt: fields.attempt,
      willRetry: fields.willRetry,
      delayMs: fields.delayMs,
      ...(fields.tokenRefresh ? { tokenRefresh: true } : {}),
      ...(fields.retryBudgetExhausted ? { retryBudgetExhausted: true } : {}),
    };
    if (error instanceof CloudApiError) {
      const expected = req.isExpectedError?.({ status: error.status, errorCode: error.errorCode }) ?? false;
      const level = fields.willRetry ? 'warn' : expected ? 'info' : 'error';
      deps.log[level](
        {
          ...base,
          status: error.status,
          errorCode: error.errorCode,
          errorMsg: error.errorMsg,
          errorExtMsg: error.errorExtMsg,
          requestId: error.requestId,
        },
        `${req.method} ${req.path} answered ${error.status}`,
      );
      return;
    }
    const kind = error instanceof TimeoutError ? error.kind : undefined;
    deps.log[fields.willRetry ? 'warn' : 'error'](
      {
        ...base,
        error: error instanceof Error ? error.name : typeof error,
        ...(error instanceof NetworkError && error.code ? { code: error.code } : {}),
        ...(kind ? { timeout: kind } : {}),
      },
      error instanceof JanitorError ? error.message : `${req.method} ${req.path} failed`,
    );
  }

  /** One HTTP exchange: fetch with a timeout, then a typed result or a typed error. */
  async function exchange(
    req: InternalRequest,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<RawResponse> {
    const { agent, limit } = poolFor(url);
    return limit(async () => {
      // Inside the slot: requests queued behind the concurrency limit must see a pause set meanwhile.
      await waitForPacing(req);
      const controller = new AbortController();
      const outer = req.signal;
      const onOuterAbort = () => controller.abort(outer?.reason);
      if (outer?.aborted) onOuterAbort();
      else outer?.addEventListener('abort', onOuterAbort, { once: true });
      const timer = setTimeout(() => controller.abort(), requestTimeoutMs);
      const classify = (error: unknown): unknown => {
        if (outer?.aborted) {
          return new TimeoutError(`${req.method} ${req.path}: aborted by the run's deadline`, {
            kind: 'deadline',
            cause: error,
          });
        }
        if (controller.signal.aborted) {
          return new TimeoutError(`${req.method} ${req.path}: no answer within ${requestTimeoutMs} ms`, {
            kind: 'request',
            cause: error,
          });
        }
        if (isFetchError(error)) {
          const code = errorCodeOf(error);
          return new NetworkError(`${req.method} ${req.path}: network error${code ? ` ${code}` : ''}`, {
            cause: error,
            code,
          });
        }
        return error;
      };
      try {
        let response: Awaited<ReturnType<Deps['fetch']>>;
        try {
          response = await deps.fetch(url.href, {
            method: req.method,
            headers,
            ...(body === undefined ? {} : { body }),
            signal: controller.signal,
            agent,
          });
        } catch (error) {
          const classified = classify(error);
          if (!(classified instanceof TimeoutError && classified.kind === 'deadline')) {
            recordOutcome(req.service, classified, null);
          }
          throw classified;
        }
        const requestId = response.headers.get('x-request-id') ?? undefined;
        if (response.status >= 200 && response.status < 300) {
          let text: string;
          try {
            text = await response.text();
          } catch (error) {
            const classified = classify(error);
            if (!(classified instanceof TimeoutError && classified.kind === 'deadline')) {
              recordOutcome(req.service, classified, null);
            }
            throw classified;
          }
          let parsed: unknown;
          try {
            parsed = (req.parse ?? defaultParse)(text);
          } catch (error) {
            const malformed = new MalformedResponseError(
              `${req.method} ${req.path}: malformed ${response.status} body (${text.length} chars)`,
              { cause: error, method: req.method, path: req.path },
            );
            recordOutcome(req.service, malformed, null);
            throw malformed;
          }
          recordOutcome(req.service, undefined, null);
          return { status: response.status, body: parsed, requestId, headers: response.headers };
        }
        let text = '';
        try {
          text = (await readBodyCapped(response.body)).text;
        } catch {
          // A broken error body still leaves the status to act on.
        }
        const payload = parseErrorPayload(text);
        const fields = {
          service: req.service,
          operation: req.operation,
          method: req.method,
          path: req.path,
          status: response.status,
          errorCode: payload.errorCode,
          errorMsg: payload.errorMsg,
          errorExtMsg: payload.errorExtMsg,
          requestId,
          attempts: 1,
        };
        const error =
          response.status === 401 || response.status === 403
            ? new AuthError(fields)
            : new CloudApiError(fields);
        const retryAfter = response.headers.get('retry-after');
        if (retryAfter !== null) retryAfterOf.set(error, retryAfter);
        recordOutcome(req.service, error, retryAfter);
        throw error;
      } finally {
        clearTimeout(timer);
        outer?.removeEventListener('abort', onOuterAbort);
      }
    });
  }

  const authContext: AuthContext = {
    async sendIam(request): Promise<IamResponse> {
      return send({
        service: 'iam',
        operation: request.operation,
        method: request.method,
        path: request.path,
        ...(request.query ? { query: request.query } : {}),
        ...(request.body === undefined ? {} : { body: request.body }),
        ...(request.signal ? { signal: request.signal } : {}),
        authenticate: false,
        retryPost: true,
      });
    },
  };

  async function send(call: InternalRequest): Promise<RawResponse> {
    // Every wait and request also ends when the client is closed: nothing the client started (a shared
    // token mint, a backoff, a breaker wait) may send a request after the run that owns it has returned.
    const req: InternalRequest = {
      ...call,
      signal: call.signal ? AbortSignal.any([call.signal, lifetime.signal]) : lifetime.signal,
    };
    const base = options.endpoints[req.service];
    const query = buildQuery(req.query);
    const url = new URL(`${base}${req.path}${query ? `?${query}` : ''}`);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const baseHeaders: Record<string, string> =
      body === undefined ? {} : { 'content-type': 'application/json' };
    const retryAllowed = req.method === 'GET' || req.method === 'DELETE' || (req.retryPost ?? false);
    const needsProjectId = req.authenticate && auth.kind === 'aksk' && req.service !== 'iam';
    const startMs = deps.now().getTime();
    let decision = false;

    const attempt = async (attemptNumber: number): Promise<RawResponse> => {
      let tokenRefreshed = false;
      for (;;) {
        let headers: Record<string, string> = { ...baseHeaders };
        try {
          if (req.authenticate) {
            const projectId = needsProjectId ? await resolveProjectId(req.signal) : knownProjectId;
            headers = {
              ...headers,
              ...(await auth.authorize(
                {
                  service: req.service,
                  method: req.method,
                  url,
                  headers,
                  body,
                  projectId,
                  signal: req.signal,
                },
                authContext,
              )),
            };
          }
        } catch (error) {
          // Credentials that cannot be had are permanent for this call; their own requests already retried.
          throw new AbortError(error instanceof Error ? error : new Error(String(error)));
        }
        headers['user-agent'] = userAgent;
        const budget = budgetFor(req.service);
        if (budget && !(await isAdmitted(req, budget))) {
          const last = lastFailureOf.get(req.service);
          const down = new HostUnavailableError(
            `${req.method} ${req.path}: not sent: ${req.service} failed every recent call (last: ${last?.text ?? 'unknown'}); one probe per ${budget.probeIntervalMs} ms until it answers`,
            { code: 'EHOSTDOWN', lastStatus: last?.status },
          );
          logFailure(req, down, { attempt: attemptNumber, willRetry: false, delayMs: 0 });
          throw new AbortError(down);
        }
        try {
          return await exchange(req, url, headers, body);
        } catch (error) {
          if (
            error instanceof AuthError &&
            req.authenticate &&
            !tokenRefreshed &&
            isTokenExpired(error.status, error.errorCode) &&
            (auth.invalidate?.(headers) ?? false)
          ) {
            // Refresh once and repeat: not a retry, never a loop.
            tokenRefreshed = true;
            logFailure(req, error, {
              attempt: attemptNumber,
              willRetry: true,
              delayMs: 0,
              tokenRefresh: true,
            });
            continue;
          }
          if (error instanceof CloudApiError) error.attempts = attemptNumber;
          if (!(retryAllowed && isRetryable(error))) {
            logFailure(req, error, { attempt: attemptNumber, willRetry: false, delayMs: 0 });
            throw new AbortError(error instanceof Error ? error : new Error(String(error)));
          }
          throw error;
        }
      }
    };

    try {
      return await pRetry(attempt, {
        retries: Math.max(0, maxAttempts - 1),
        // p-retry's own timer is off: the delay (full jitter, Retry-After) is computed and slept below.
        minTimeout: 0,
        maxTimeout: 0,
        ...(req.signal ? { signal: req.signal } : {}),
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          const nowMs = deps.now().getTime();
          let delayMs = 0;
          let willRetry = false;
          let retryBudgetExhausted = false;
          // p-retry calls this before it checks retries and shouldRetry: decide here, once.
          if (retriesLeft > 0 && isRetryable(error) && !req.signal?.aborted) {
            delayMs = computeRetryDelayMs({
              attempt: attemptNumber - 1,
              retryAfterHeader: retryAfterOf.get(error),
              random: deps.random(),
              baseMs: backoffBaseMs,
              capMs: backoffCapMs,
              nowMs,
            });
            willRetry = nowMs - startMs + delayMs <= maxRetryTimeMs;
            // Throttles are paced, not budgeted; anything else needs the host's budget.
            if (willRetry && !isThrottling(error) && !(budgetFor(req.service)?.allowsRetry() ?? true)) {
              willRetry = false;
              retryBudgetExhausted = true;
            }
          }
          decision = willRetry;
          logFailure(req, error, {
            attempt: attemptNumber,
            willRetry,
            delayMs: willRetry ? delayMs : 0,
            retryBudgetExhausted,
          });
          if (willRetry && delayMs > 0) {
            try {
              await deps.sleep(delayMs, req.signal);
            } catch (sleepError) {
              throw new TimeoutError(
                `${req.method} ${req.path}: the run's deadline passed while waiting to retry`,
                {
                  kind: 'deadline',
                  cause: req.signal?.aborted ? error : sleepError,
                },
              );
            }
          }
        },
        shouldRetry: () => decision,
      });
    } catch (error) {
      if (!(error instanceof JanitorError) && req.signal?.aborted) {
        throw new TimeoutError(`${req.method} ${req.path}: aborted by the run's deadline`, {
          kind: 'deadline',
          cause: error,
        });
      }
      throw error;
    }
  }

  async function resolveProjectIdOnce(signal: AbortSignal | undefined): Promise<string> {
    const fromAuth = await auth.resolveProjectId?.(authContext, signal);
    if (fromAuth !== undefined) return fromAuth;
    const response = await send({
      service: 'iam',
      operation: 'ListProjects',
      method: 'GET',
      path: '/v3/projects',
      query: { name: options.region },
      ...(signal ? { signal } : {}),
      authenticate: true,
    });
    const projects = fieldOf(response.body, 'projects');
    if (!Array.isArray(projects)) {
      throw new MalformedResponseError('GET /v3/projects: answer has no projects array', {
        method: 'GET',
        path: '/v3/projects',
      });
    }
    const id = projects
      .filter((p: unknown) => fieldOf(p, 'name') === options.region)
      .map((p: unknown) => fieldOf(p, 'id'))
      .find((value): value is string => typeof value === 'string');
    if (id === undefined) {
      throw new ConfigError([
        `TASK_JANITOR_PROJECT_ID: IAM has no project named "${options.region}"; set the project id explicitly`,
      ]);
    }
    return id;
  }

  function resolveProjectId(signal?: AbortSignal): Promise<string> {
    if (!projectIdPromise) {
      projectIdPromise = resolveProjectIdOnce(signal).then(
        (id) => {
          knownProjectId = id;
          return id;
        },
        (error: unknown) => {
          projectIdPromise = undefined;
          throw error;
        },
      );
    }
    return projectIdPromise;
  }

  return {
    async request(req: CloudRequest): Promise<CloudResponse> {
      const { status, body, requestId } = await send({ ...req, authenticate: true });
      return { status, body, requestId };
    },
    resolveProjectId,
    close() {
      lifetime.abort(new Error('the cloud client was closed'));
      for (const agent of agents.values()) {
        if (
          typeof agent === 'object' &&
          agent !== null &&
          'destroy' in agent &&
          typeof agent.destroy === 'function'
        ) {
          agent.destroy();
        }
      }
      agents.clear();
    },
    hostStats() {
      const stats: Partial<Record<CloudService, HostStats>> = {};
      for (const service of new Set([...pacers.keys(), ...budgets.keys()])) {
        stats[service] = {
          pacing: pacers.get(service)?.snapshot(),
          retryBudgetTokens: budgets.get(service)?.tokens,
        };
      }
      return stats;
    },
  };
}
