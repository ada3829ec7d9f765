/**
 * One attempt of a call, admitted and not retried: the URL on the service's endpoint, the credentials, one HTTP
 * exchange, and its answer reported to the host (pacer, budget), the server clock, the log and the caller.
 */
import type { Deps } from '../deps';
import { AuthError, RunStoppedError } from '../errors';
import type { CloudService } from '../types';
import { type AnswerLog, secretHeaderValues } from './answer-log';
import { encodeRfc3986 } from './auth/aksk-signer';
import { ExchangeFailure, type ExchangeResult, exchange } from './exchange';
import type { Admission, HostHealth } from './host-health';
import { describeAttempt, isTokenExpired } from './retry-policy';
import type { ServerClock } from './server-clock';
import type { CloudRequest, CloudResponse } from './types';
import type { FailureNotes } from './with-retries';

/** One call as the client runs it: the caller's request, authenticated or not (IAM token minting). */
export interface Call extends CloudRequest {
  readonly authenticate: boolean;
  /** Secret values in the request's body (a password), never quoted back from an error answer. */
  readonly secrets?: readonly string[];
  /** Repeat a POST too (token minting is harmless to repeat). */
  readonly retryPost?: boolean;
}

export interface RawResponse extends CloudResponse {
  readonly headers: { get(name: string): string | null };
}

/** What an attempt needs of the credentials. */
export interface Credentials {
  /** The headers that authenticate the request; throws p-retry's `AbortError` when none can be had. */
  authorize(
    call: Call,
    request: { url: URL; headers: Record<string, string>; body: string | undefined; signal: AbortSignal },
  ): Promise<Record<string, string>>;
  /** A 401 said the token these headers carry expired: true when a fresh credential may help. */
  invalidate(sentHeaders: Readonly<Record<string, string>>): boolean;
}

export interface SendParts {
  readonly deps: Pick<Deps, 'fetch' | 'now'>;
  readonly endpoints: Readonly<Record<CloudService, string>>;
  readonly requestTimeoutMs: number;
  readonly userAgent: string;
  readonly hostFor: (service: CloudService) => HostHealth;
  readonly serverClock: ServerClock;
  readonly answers: AnswerLog;
  readonly notes: FailureNotes;
  readonly credentials: Credentials;
  /** Registers the exchange with the client, so that `close()` waits for it. */
  readonly track: <T>(promise: Promise<T>) => Promise<T>;
}

/**
 * Sends one attempt. `hard` aborts it in flight; with `deferLog` a failure's log line waits for the retry
 * decision (outside a sequence), otherwise it is written where it is read.
 */
export type SendAttempt = (
  call: Call,
  attempt: number,
  hard: AbortSignal,
  deferLog: boolean,
  admission: Admission,
) => Promise<RawResponse>;

export function createSender(parts: SendParts): SendAttempt {
  return async (call, attempt, hard, deferLog, admission) => {
    const url = urlFor(parts.endpoints, call);
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    let headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (call.authenticate) {
      headers = {
        ...headers,
        ...(await parts.credentials.authorize(call, { url, headers, body, signal: hard })),
      };
    }
    headers['user-agent'] = parts.userAgent;
    const host = parts.hostFor(call.service);
    admission.beforeSend();
    try {
      const result: ExchangeResult = await parts.track(
        exchange(parts.deps, {
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
          timeoutMs: parts.requestTimeoutMs,
          signal: hard,
          secrets: [...secretHeaderValues(headers), ...(call.secrets ?? [])],
        }),
      );
      admission.record(undefined, null);
      parts.serverClock.observe(result.headers.get('date'), parts.deps.now().getTime());
      call.onAttempt?.(describeAttempt(attempt, undefined));
      return {
        status: result.status,
        body: result.body,
        requestId: result.requestId,
        headers: result.headers,
      };
    } catch (failure) {
      throw reportFailure(parts, { call, attempt, deferLog, admission, headers }, failure);
    }
  };
}

interface FailedSend {
  readonly call: Call;
  readonly attempt: number;
  readonly deferLog: boolean;
  readonly admission: Admission;
  readonly headers: Readonly<Record<string, string>>;
}

/** Reports a failed exchange to the host, the server clock, the log and the caller; returns its error. */
function reportFailure(parts: SendParts, sent: FailedSend, failure: unknown): unknown {
  const { call, attempt } = sent;
  const { error, retryAfter, date } =
    failure instanceof ExchangeFailure ? failure : new ExchangeFailure(failure, null);
  if (!(error instanceof RunStoppedError)) sent.admission.record(error, retryAfter);
  parts.serverClock.observe(date, parts.deps.now().getTime());
  const isObject = typeof error === 'object' && error !== null;
  if (sent.deferLog && isObject) parts.answers.defer(error, call, attempt);
  else parts.answers.write(call, attempt, error);
  call.onAttempt?.(describeAttempt(attempt, error));
  if (isObject) {
    if (retryAfter !== null) parts.notes.noteRetryAfter(error, retryAfter);
    if (
      call.authenticate &&
      error instanceof AuthError &&
      isTokenExpired(error.status, error.errorCode) &&
      parts.credentials.invalidate(sent.headers)
    ) {
      parts.notes.noteRefreshableToken(error);
    }
  }
  return error;
}

/** The URL of a request: always on its service's configured endpoint (a path can never name another host). */
function urlFor(endpoints: Readonly<Record<CloudService, string>>, req: CloudRequest): URL {
  const base = new URL(endpoints[req.service]);
  const query = buildQuery(req.query);
  const url = new URL(`${endpoints[req.service]}${req.path}${query ? `?${query}` : ''}`);
  if (url.origin !== base.origin) {
    throw new TypeError(`${req.method} ${req.path}: the path would leave the ${req.service} endpoint`);
  }
  return url;
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
