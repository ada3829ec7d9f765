/**
 * One HTTP exchange: fetch with a per-request timeout, never following a redirect, and a typed result — the
 * parsed 2xx body, or a typed error. No retries, no logging, no pacing here: the retry wiring in `client.ts`
 * does those around it.
 */
import type { Deps } from '../deps';
import {
  AuthError,
  CloudApiError,
  MalformedResponseError,
  NetworkError,
  RedirectError,
  RunStoppedError,
  stopReasonOf,
  TimeoutError,
} from '../errors';
import type { CloudService } from '../types';
import { parseErrorPayload, readBodyCapped, scrubSecrets } from './error-payload';
import { describeStop } from './host-health';

export interface ExchangeRequest {
  readonly service: CloudService;
  readonly operation: string;
  readonly method: string;
  /** Path only (no host, no query): what messages and logs name. */
  readonly path: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
  readonly agent: unknown;
  readonly parse: (text: string) => unknown;
  /** Which attempt of the call this is (1 for the first). */
  readonly attempt: number;
  readonly timeoutMs: number;
  /** Aborts the request in flight: the run's hard stop (or the client being closed). */
  readonly signal: AbortSignal;
  /** Credential values this request carries: never quoted back from an error answer. */
  readonly secrets: readonly string[];
}

export interface ExchangeResult {
  readonly status: number;
  readonly body: unknown;
  readonly requestId: string | undefined;
  readonly headers: { get(name: string): string | null };
}

/** A failed exchange, with the `Retry-After` and `Date` of its answer, if it had one. */
export class ExchangeFailure {
  constructor(
    readonly error: unknown,
    readonly retryAfter: string | null,
    readonly date: string | null = null,
  ) {}
}

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

/** The host a `Location` header names, resolved against the request's URL; never the full URL. */
function locationHostOf(location: string | null, base: URL): string | undefined {
  if (location === null) return undefined;
  try {
    return new URL(location, base).host;
  } catch {
    return undefined;
  }
}

/**
 * Sends one request and reads its answer.
 * @returns the 2xx answer with its parsed body.
 * @throws ExchangeFailure wrapping a typed error: `CloudApiError`/`AuthError`/`RedirectError` for a non-2xx
 *   answer (payload parsed, body read with a size cap), `NetworkError`, `TimeoutError` (no answer in time),
 *   `RunStoppedError` (`sent: true`: aborted in flight), `MalformedResponseError` (a 2xx body that does not parse).
 */
export async function exchange(deps: Pick<Deps, 'fetch'>, req: ExchangeRequest): Promise<ExchangeResult> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(req.signal.reason);
  if (req.signal.aborted) onAbort();
  else req.signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(), req.timeoutMs);
  const classify = (error: unknown) => classifyTransportFailure(req, controller.signal, error);
  try {
    let response: FetchResponse;
    try {
      response = await deps.fetch(req.url.href, {
        method: req.method,
        headers: req.headers,
        ...(req.body === undefined ? {} : { body: req.body }),
        signal: controller.signal,
        agent: req.agent,
        redirect: 'manual',
      });
    } catch (error) {
      throw classify(error);
    }
    const requestId = response.headers.get('x-request-id') ?? undefined;
    if (response.status >= 200 && response.status < 300)
      return await readSuccess(req, response, requestId, classify);
    throw await readErrorAnswer(req, response, requestId);
  } finally {
    clearTimeout(timer);
    req.signal.removeEventListener('abort', onAbort);
  }
}

type FetchResponse = Awaited<ReturnType<Deps['fetch']>>;

/** A request that got no answer: stopped by the run, timed out (`timeout` aborted), or a transport failure. */
function classifyTransportFailure(
  req: ExchangeRequest,
  timeout: AbortSignal,
  error: unknown,
): ExchangeFailure {
  const what = `${req.method} ${req.path}`;
  // Transport failures name the service and host: an operator must know which endpoint is unreachable.
  const sentTo = `${what} to ${req.service.toUpperCase()} (${req.url.host})`;
  if (req.signal.aborted) {
    const reason = stopReasonOf(req.signal.reason);
    return new ExchangeFailure(
      new RunStoppedError(`${what}: aborted in flight: the run ${describeStop(reason)}`, {
        reason,
        sent: true,
        cause: error,
      }),
      null,
    );
  }
  if (timeout.aborted) {
    return new ExchangeFailure(
      new TimeoutError(`${sentTo}: no answer within ${req.timeoutMs} ms`, { cause: error }),
      null,
    );
  }
  if (isFetchError(error)) {
    const code = errorCodeOf(error);
    return new ExchangeFailure(
      new NetworkError(`${sentTo}: network error${code ? ` ${code}` : ''}`, { cause: error, code }),
      null,
    );
  }
  return new ExchangeFailure(error, null);
}

/** A 2xx answer: its body read and parsed. */
async function readSuccess(
  req: ExchangeRequest,
  response: FetchResponse,
  requestId: string | undefined,
  classify: (error: unknown) => ExchangeFailure,
): Promise<ExchangeResult> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw classify(error);
  }
  let parsed: unknown;
  try {
    parsed = req.parse(text);
  } catch (error) {
    throw new ExchangeFailure(
      new MalformedResponseError(
        `${req.method} ${req.path}: malformed ${response.status} body (${text.length} chars)`,
        { cause: error, method: req.method, path: req.path },
      ),
      null,
    );
  }
  return { status: response.status, body: parsed, requestId, headers: response.headers };
}

/** Any other answer: its payload read with a size cap, as the typed error it means. */
async function readErrorAnswer(
  req: ExchangeRequest,
  response: FetchResponse,
  requestId: string | undefined,
): Promise<ExchangeFailure> {
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
    errorMsg: scrubSecrets(payload.errorMsg, req.secrets),
    errorExtMsg: scrubSecrets(payload.errorExtMsg, req.secrets),
    requestId,
    attempts: req.attempt,
  };
  const error =
    response.status >= 300 && response.status < 400
      ? new RedirectError({
          ...fields,
          locationHost: locationHostOf(response.headers.get('location'), req.url),
        })
      : response.status === 401 || response.status === 403
        ? new AuthError(fields)
        : new CloudApiError(fields);
  return new ExchangeFailure(error, response.headers.get('retry-after'), response.headers.get('date'));
}
