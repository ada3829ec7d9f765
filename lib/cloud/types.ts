import type { CloudService } from '../types';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/**
 * What one attempt of a call did, as far as the client can tell. A delete counts as done only when the cloud
 * says so; these records let the engine tell "not sent", "answered: not done" and "sent, effect unknown" apart.
 */
export interface AttemptRecord {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** The request (probably) reached the server: false only when it surely did not (refused connection, breaker, a wait cut by the run's stop). */
  readonly sent: boolean;
  /** An HTTP answer was read. */
  readonly answered: boolean;
  readonly status?: number;
  /**
   * The server may have carried the request out: a 2xx, a gateway timeout (504: the backend may have acted
   * before the gateway gave up), or a request sent without an answer (reset, timeout, aborted).
   */
  readonly mayHaveActed: boolean;
}

/** One call to a cloud API. The client adds the endpoint, auth headers, retries and error logging. */
export interface CloudRequest {
  readonly service: CloudService;
  /** API operation name for logs and errors, e.g. `ListMigrationTasks`, `DeleteTransferTask`. */
  readonly operation: string;
  readonly method: HttpMethod;
  /**
   * The request path, already built with `apiPath` (every dynamic segment percent-encoded as a single
   * segment), e.g. `/v2/{project_id}/tasks/191297407830872`.
   */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  /** Parses a 2xx body. Default `JSON.parse`; an empty body parses to `undefined`. A parse failure is a retryable `MalformedResponseError`. */
  readonly parse?: (text: string) => unknown;
  /** Aborts the request in flight (and every wait): the run's hard stop. */
  readonly signal?: AbortSignal;
  /**
   * The run's soft stop (deadline, interrupt): once aborted, no further attempt is sent and waits for a slot,
   * the pacer, the breaker or a retry end with `RunStoppedError`; a request already in flight may finish.
   * @default `signal`
   */
  readonly stopSignal?: AbortSignal;
  /**
   * Error answers the caller handles as a normal outcome (a DELETE answered "not found": already gone). They are
   * still thrown, but logged at `info` instead of `error`.
   */
  readonly isExpectedError?: (answer: { status: number; errorCode: string | undefined }) => boolean;
  /** Told about every attempt once it is settled (sent or not, answered or not). */
  readonly onAttempt?: (record: AttemptRecord) => void;
}

export interface CloudResponse {
  readonly status: number;
  /** The parsed body (`undefined` for an empty body). Narrow it before use: it is external data. */
  readonly body: unknown;
  readonly requestId: string | undefined;
}

/** Sends one request of a sequence, at once: no wait of any kind, no retry (see `CloudClient.sequence`). */
export type SequenceSend = (request: CloudRequest) => Promise<CloudResponse>;

export interface SequenceOptions {
  readonly service: CloudService;
  /** For log lines: `ShowTransferTask+DeleteTransferTask`. */
  readonly operation: string;
  /** Hard stop, as `CloudRequest.signal`. */
  readonly signal?: AbortSignal;
  /** Soft stop, as `CloudRequest.stopSignal`: no new attempt of the sequence starts once it is aborted. */
  readonly stopSignal?: AbortSignal;
}

export interface CloudClient {
  /** Sends a request through the single retry layer; resolves on 2xx, rejects with a typed `JanitorError` otherwise. */
  request(req: CloudRequest): Promise<CloudResponse>;
  /**
   * Runs `body` as one retryable unit on one host: each attempt is admitted once (a host slot, the breaker, pacing
   * for `requests` requests), then `body` sends its requests through `send` with nothing in between — no
   * backoff, no pacing, no queue, no breaker hold — so that a DELETE can follow the read that found the task
   * deletable immediately. When `body` throws a retryable error, the whole unit is retried after the usual
   * wait, so a further DELETE is always preceded by a fresh read.
   */
  sequence<T>(options: SequenceOptions, body: (send: SequenceSend) => Promise<T>): Promise<T>;
}
