import type { CloudService } from '../types';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

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
  /** Cancels waits and the request (the run's deadline). */
  readonly signal?: AbortSignal;
  /**
   * Error answers the caller handles as a normal outcome (a DELETE answered 404: already gone). They are
   * still thrown, but logged at `info` instead of `error`.
   */
  readonly isExpectedError?: (answer: { status: number; errorCode: string | undefined }) => boolean;
}

export interface CloudResponse {
  readonly status: number;
  /** The parsed body (`undefined` for an empty body). Narrow it before use: it is external data. */
  readonly body: unknown;
  readonly requestId: string | undefined;
}

export interface CloudClient {
  /** Sends a request through the single retry layer; resolves on 2xx, rejects with a typed `JanitorError` otherwise. */
  request(req: CloudRequest): Promise<CloudResponse>;
}
