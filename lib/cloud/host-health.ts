/**
 * What the client keeps per service host: its keep-alive pool and request slots, its adaptive pacer, its retry
 * budget and the breaker on that budget. The retry wiring asks a host for admission before each attempt and
 * reports every answer back; nothing here sends a request.
 */
import http from 'node:http';
import https from 'node:https';
import type { Deps } from '../deps';
import { CloudApiError, HostUnavailableError, RunStoppedError, stopReasonOf } from '../errors';
import { fireIfDue } from '../stop-due';
import { ConnectionPool } from './connection-pool';
import { AdaptivePacer, type AdaptivePacerOptions, type HostPacer, type PacerSnapshot } from './pacing';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget';
import { isServerFailure, isThrottling, MAX_RETRY_AFTER_MS, parseRetryAfterMs } from './retry-policy';
import { Semaphore } from './semaphore';

/** How many times a call the breaker refuses waits for the host's next answer before it fails. */
const BREAKER_WAIT_ROUNDS = 2;
/** A host pause never outlasts what a `Retry-After` may set. */
const MAX_HOST_PAUSE_MS = MAX_RETRY_AFTER_MS;

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
  /** See `ConnectionPool`. @default IDLE_CONNECTIONS_MS */
  readonly idleConnectionsMs?: number | undefined;
  /** `false` turns pacing off; `createPacer` puts another pacer behind the same hooks (the bench's AWS SDK limiter). */
  readonly pacing: PacingOption;
  /** `false` turns the retry budget (and its breaker) off. */
  readonly retryBudget: false | RetryBudgetOptions | undefined;
}

/** How a host is paced: off, our `AdaptivePacer` (with options), or another pacer behind the same hooks. */
export type PacingOption =
  | false
  | AdaptivePacerOptions
  | { readonly createPacer: () => HostPacer }
  | undefined;

/**
 * One admitted attempt: its connection slot and its pacer slot. A sequence sends its requests one after the
 * other in that attempt: the first uses the admitted pacer slot, each later one `follow`s at once (no wait
 * between a re-read and its DELETE). Each answer read is `record`ed (it gives one pacer slot back); `release`
 * gives back the connection slot and abandons the pacer slots no answer gave back (a request the run stopped,
 * or an admitted slot whose request was never sent).
 */
export interface Admission {
  /** Called right before each request of the attempt is sent. */
  beforeSend(): void;
  record(error: unknown, retryAfter: string | null, errorMessage?: string): void;
  release(): void;
}

/** What a wait is cut by: the soft stop (no new attempt) and the hard one. */
export interface AdmitOptions {
  readonly stopSignal: AbortSignal;
  /** `GET /v2/.../tasks`, for messages. */
  readonly what: string;
}

export function defaultCreateAgent(origin: URL, maxSockets: number): unknown {
  const options = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
  return origin.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
}

export class HostHealth {
  readonly #pool: ConnectionPool;
  /** `dcs.eu-de.otc.t-systems.com`: named in log lines and failures (never a path or query). */
  readonly host: string;
  readonly #deps: Pick<Deps, 'now' | 'sleep'>;
  readonly #options: HostHealthOptions;
  readonly #slots: Semaphore;
  readonly #pacer: HostPacer | undefined;
  readonly #budget: RetryBudget | undefined;
  /** Calls the breaker holds, woken by the host's next recorded answer. */
  #answerWaiters: Array<() => void> = [];
  /** The host's last unhealthy answer, for the message of a call the breaker does not send. */
  #lastFailure: { readonly text: string; readonly status: number | undefined } | undefined;

  constructor(deps: Pick<Deps, 'now' | 'sleep'>, options: HostHealthOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#pool = new ConnectionPool(
      () => options.createAgent(options.origin, options.concurrency),
      options.idleConnectionsMs,
    );
    this.host = options.origin.host;
    this.#slots = new Semaphore(options.concurrency);
    const { pacing } = options;
    this.#pacer =
      pacing === false
        ? undefined
        : pacing !== undefined && 'createPacer' in pacing
          ? pacing.createPacer()
          : new AdaptivePacer({ maxConcurrency: options.concurrency, ...pacing });
    this.#budget = options.retryBudget === false ? undefined : new RetryBudget(options.retryBudget);
  }

  /**
   * Waits until an attempt may be sent: the breaker admits it, a slot is free, and the pacer grants a send.
   * @throws HostUnavailableError when the breaker keeps refusing (the host is down); nothing was sent.
   * @throws RunStoppedError (`sent: false`) when the run stops during a wait.
   */
  async admit(options: AdmitOptions): Promise<Admission> {
    await this.#passBreaker(options);
    let releaseSlot: () => void;
    try {
      releaseSlot = await this.#slots.acquire(options.stopSignal);
    } catch (error) {
      throw this.#stopped(options, 'waiting for a connection slot', error);
    }
    let pacerSlots = 0;
    const abandon = () => {
      if (pacerSlots === 0) return;
      const nowMs = this.#deps.now().getTime();
      for (; pacerSlots > 0; pacerSlots--) this.#pacer?.onAbandon(nowMs);
      this.#wakeWaiters();
    };
    try {
      await this.#waitForPacing(options);
      if (this.#pacer) pacerSlots += 1;
    } catch (error) {
      releaseSlot();
      throw error;
    }
    let sends = 0;
    /** Requests of this attempt sent and not yet answered. */
    let onWire = 0;
    let released = false;
    const settle = () => {
      if (onWire === 0) return;
      onWire -= 1;
      this.#pool.settled(this.#deps.now().getTime());
    };
    return {
      beforeSend: () => {
        const nowMs = this.#deps.now().getTime();
        // No request goes out after the run's stop, also when its deadline timer has not run yet.
        fireIfDue(options.stopSignal, nowMs);
        if (options.stopSignal.aborted) {
          throw this.#stopped(options, 'before it was sent', options.stopSignal.reason);
        }
        sends += 1;
        if (sends > 1 && this.#pacer) {
          this.#pacer.follow(nowMs);
          pacerSlots += 1;
        }
        this.#pool.sending(nowMs);
        onWire += 1;
      },
      record: (error, retryAfter, errorMessage) => {
        if (pacerSlots > 0) pacerSlots -= 1;
        settle();
        this.#record(error, retryAfter, errorMessage);
      },
      release: () => {
        if (released) return;
        released = true;
        while (onWire > 0) settle();
        abandon();
        releaseSlot();
      },
    };
  }

  /** The keep-alive pool the next request goes through. */
  get agent(): unknown {
    return this.#pool.agent;
  }

  /** Closes the host's keep-alive pool. */
  destroyAgent(): void {
    this.#pool.destroy();
  }

  /** How long every request to the host waits now (a `Retry-After` pause or a window lockout); 0 without. */
  pausedForMs(): number {
    return this.#pacer?.pausedForMs(this.#deps.now().getTime()) ?? 0;
  }

  /** Whether the host is paced (a throttle then waits for its pacer rather than a backoff). */
  get paced(): boolean {
    return this.#pacer !== undefined;
  }

  /** Feeds one answer (undefined: a 2xx) to the pacer, the budget and the breaker's waiters. */
  #record(error: unknown, retryAfter: string | null, errorMessage: string | undefined): void {
    const nowMs = this.#deps.now().getTime();
    const throttled = isThrottling(error);
    const retryAfterMs = parseRetryAfterMs(retryAfter, nowMs);
    this.#pacer?.onAnswer(nowMs, {
      throttled,
      retryAfterMs: retryAfterMs === undefined ? undefined : Math.min(retryAfterMs, MAX_HOST_PAUSE_MS),
      // Where a gateway names its limit (`limit:600,time:1 minute`).
      errorMessage: errorMessage ?? (error instanceof CloudApiError ? error.errorMsg : undefined),
    });
    // Throttles are neutral for the budget and the breaker: the pacer handles them.
    if (!throttled) {
      if (isServerFailure(error)) {
        this.#budget?.recordFailure();
        this.#lastFailure = describeFailure(error);
      } else this.#budget?.recordSuccess();
    }
    this.#wakeWaiters();
  }

  #wakeWaiters(): void {
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
  async #waitForAnswer(options: AdmitOptions, ms: number, when = 'while the host was down'): Promise<void> {
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
      throw this.#stopped(options, when, options.stopSignal.reason);
    }
  }

  /**
   * Waits for one pacing slot (a host-wide pause, the rate, a free slot of the concurrency window). A waiter asks
   * again when told, or earlier when the host answers another request (a slot may be free then).
   */
  async #waitForPacing(options: AdmitOptions): Promise<void> {
    const pacer = this.#pacer;
    if (!pacer) return;
    for (;;) {
      const waitMs = pacer.acquire(this.#deps.now().getTime());
      if (waitMs === 0) return;
      await this.#waitForAnswer(options, waitMs, 'while pacing');
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
