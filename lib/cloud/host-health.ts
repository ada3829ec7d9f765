/**
 * What the client keeps per service host: its keep-alive pool and request slots, its adaptive pacer, its retry
 * budget and the breaker on that budget. The retry wiring asks a host for admission before each attempt and
 * reports every answer back; nothing here sends a request.
 */
import http from 'node:http';
import https from 'node:https';
import type { Deps } from '../deps';
import { CloudApiError, HostUnavailableError, RunStoppedError, stopReasonOf } from '../errors';
import { AdaptivePacer, type AdaptivePacerOptions, type PacerSnapshot } from './pacing';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget';
import { isServerFailure, isThrottling, parseRetryAfterMs } from './retry-policy';
import { Semaphore } from './semaphore';

/** How many times a call the breaker refuses waits for the host's next answer before it fails. */
const BREAKER_WAIT_ROUNDS = 2;
/** A host pause never outlasts this: an AK/SK signature made before the wait must stay within the gateway's 15-minute skew. */
const MAX_HOST_PAUSE_MS = 300_000;

export interface HostStats {
  readonly pacing: PacerSnapshot | undefined;
  readonly retryBudgetTokens: number | undefined;
}

export interface HostHealthOptions {
  /** The host, for messages (`dcs`). */
  readonly name: string;
  readonly origin: URL;
  /** Concurrent requests, and keep-alive sockets. */
  readonly concurrency: number;
  readonly createAgent: (origin: URL, maxSockets: number) => unknown;
  /** `false` turns pacing off. */
  readonly pacing: false | AdaptivePacerOptions | undefined;
  /** `false` turns the retry budget (and its breaker) off. */
  readonly retryBudget: false | RetryBudgetOptions | undefined;
  /** The longest host-wide pause a `Retry-After` may set (what one call may spend retrying). */
  readonly maxPauseMs: number;
}

/** What a wait is cut by: the soft stop (no new attempt) and the hard one. */
export interface AdmitOptions {
  readonly stopSignal: AbortSignal;
  /** Pacing tokens the admitted attempt may use (a sequence sends several requests at once). */
  readonly requests: number;
  /** `GET /v2/.../tasks`, for messages. */
  readonly what: string;
}

export function defaultCreateAgent(origin: URL, maxSockets: number): unknown {
  const options = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
  return origin.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
}

export class HostHealth {
  readonly agent: unknown;
  /** `dcs.eu-de.otc.t-systems.com`: named in log lines and failures (never a path or query). */
  readonly host: string;
  readonly #deps: Pick<Deps, 'now' | 'sleep'>;
  readonly #options: HostHealthOptions;
  readonly #slots: Semaphore;
  readonly #pacer: AdaptivePacer | undefined;
  readonly #budget: RetryBudget | undefined;
  /** Calls the breaker holds, woken by the host's next recorded answer. */
  #answerWaiters: Array<() => void> = [];
  /** The host's last unhealthy answer, for the message of a call the breaker does not send. */
  #lastFailure: { readonly text: string; readonly status: number | undefined } | undefined;

  constructor(deps: Pick<Deps, 'now' | 'sleep'>, options: HostHealthOptions) {
    this.#deps = deps;
    this.#options = options;
    this.agent = options.createAgent(options.origin, options.concurrency);
    this.host = options.origin.host;
    this.#slots = new Semaphore(options.concurrency);
    this.#pacer = options.pacing === false ? undefined : new AdaptivePacer(options.pacing);
    this.#budget = options.retryBudget === false ? undefined : new RetryBudget(options.retryBudget);
  }

  /**
   * Waits until an attempt may be sent: the breaker admits it, a slot is free, and the pacer grants `requests`
   * sends. Resolves with the slot's release function.
   * @throws HostUnavailableError when the breaker keeps refusing (the host is down); nothing was sent.
   * @throws RunStoppedError (`sent: false`) when the run stops during a wait.
   */
  async admit(options: AdmitOptions): Promise<() => void> {
    await this.#passBreaker(options);
    let release: () => void;
    try {
      release = await this.#slots.acquire(options.stopSignal);
    } catch (error) {
      throw this.#stopped(options, 'waiting for a connection slot', error);
    }
    try {
      for (let granted = 0; granted < options.requests; granted++) await this.#waitForPacing(options);
      return release;
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Feeds one attempt's outcome (undefined: a 2xx) to the pacer, the budget and the breaker's waiters. */
  record(error: unknown, retryAfter: string | null): void {
    const nowMs = this.#deps.now().getTime();
    const throttled = isThrottling(error);
    const retryAfterMs = parseRetryAfterMs(retryAfter, nowMs);
    this.#pacer?.onAnswer(nowMs, {
      throttled,
      retryAfterMs:
        retryAfterMs === undefined
          ? undefined
          : Math.min(retryAfterMs, this.#options.maxPauseMs, MAX_HOST_PAUSE_MS),
    });
    // Throttles are neutral for the budget and the breaker: the pacer handles them.
    if (!throttled) {
      if (isServerFailure(error)) {
        this.#budget?.recordFailure();
        this.#lastFailure = describeFailure(error);
      } else this.#budget?.recordSuccess();
    }
    const waiting = this.#answerWaiters;
    this.#answerWaiters = [];
    for (const wake of waiting) wake();
  }

  /** Whether the host's budget allows retrying a real failure now. */
  allowsRetry(): boolean {
    return this.#budget?.allowsRetry() ?? true;
  }

  stats(): HostStats {
    return { pacing: this.#pacer?.snapshot(), retryBudgetTokens: this.#budget?.tokens };
  }

  /**
   * The breaker: a host whose budget is empty gets one probe per interval. A call it refuses waits for the
   * host's next answer (the probe's) or one interval, at most twice: when the probe is answered the host is back
   * and the call goes through, so a short outage fails nothing; while the host stays down the call fails fast
   * without being sent, and the run moves on.
   */
  async #passBreaker(options: AdmitOptions): Promise<void> {
    const budget = this.#budget;
    if (!budget) return;
    for (let round = 0; ; round++) {
      if (budget.admitsAttempt(this.#deps.now().getTime())) return;
      if (round === BREAKER_WAIT_ROUNDS) break;
      await this.#waitForAnswer(options, budget.probeIntervalMs);
    }
    const last = this.#lastFailure;
    throw new HostUnavailableError(
      `${options.what}: not sent: ${this.#options.name} failed every recent call (last: ${last?.text ?? 'unknown'}); one probe per ${budget.probeIntervalMs} ms until it answers`,
      { code: 'EHOSTDOWN', lastStatus: last?.status },
    );
  }

  /** Resolves at the host's next recorded answer or after `ms`. */
  async #waitForAnswer(options: AdmitOptions, ms: number): Promise<void> {
    const timer = new AbortController();
    const onStop = () => timer.abort();
    options.stopSignal.addEventListener('abort', onStop, { once: true });
    const answered = new Promise<void>((resolve) => this.#answerWaiters.push(resolve));
    try {
      await Promise.race([answered, this.#deps.sleep(ms, timer.signal).catch(() => undefined)]);
    } finally {
      timer.abort(); // clears the sleep's timer when the answer came first
      options.stopSignal.removeEventListener('abort', onStop);
    }
    if (options.stopSignal.aborted) {
      throw this.#stopped(options, 'while the host was down', options.stopSignal.reason);
    }
  }

  /** Waits for one pacing slot (and any host-wide `Retry-After` pause). */
  async #waitForPacing(options: AdmitOptions): Promise<void> {
    const pacer = this.#pacer;
    if (!pacer) return;
    for (;;) {
      const waitMs = pacer.acquire(this.#deps.now().getTime());
      if (waitMs === 0) return;
      try {
        await this.#deps.sleep(waitMs, options.stopSignal);
      } catch (error) {
        throw this.#stopped(options, 'while pacing', error);
      }
    }
  }

  #stopped(options: AdmitOptions, when: string, cause: unknown): RunStoppedError {
    const reason = stopReasonOf(options.stopSignal.reason);
    return new RunStoppedError(`${options.what}: not sent: the run ${describeStop(reason)} ${when}`, {
      reason,
      sent: false,
      cause,
    });
  }
}

/** `reached its deadline`, `was interrupted`. */
export function describeStop(reason: 'deadline' | 'interrupted'): string {
  return reason === 'deadline' ? 'reached its deadline' : 'was interrupted';
}

function describeFailure(error: unknown): { text: string; status: number | undefined } {
  if (error instanceof CloudApiError) {
    return { text: `${error.status}${error.errorCode ? ` ${error.errorCode}` : ''}`, status: error.status };
  }
  return { text: error instanceof Error ? error.name : String(error), status: undefined };
}
