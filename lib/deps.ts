/**
 * Every side effect `lib/` uses, passed in as one object. Defaults are built only in
 * `handlers/` and `cli/` (see `lib/default-deps.ts`); tests pass their own.
 */

/** The subset of node-fetch v3's `fetch` the cloud client uses. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponseLike>;

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** An http(s).Agent (keep-alive pool); node-fetch sends `Connection: close` without one. */
  agent?: unknown;
  /**
   * The client always asks for `manual`: a redirect is returned as the 3xx it is, never followed (a followed
   * redirect would carry the credential headers to another host, and a 303 turns a DELETE into a GET).
   */
  redirect?: 'manual';
}

export interface FetchResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: AsyncIterable<Uint8Array> | null;
  text(): Promise<string>;
}

/**
 * Structured logger (pino's API subset). Every line is one JSON object: `log.info({service, taskId}, 'msg')`.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
  /** Whether a line at `level` would be written (pino's); absent: assume it would. */
  isLevelEnabled?(level: 'debug' | 'info' | 'warn' | 'error'): boolean;
}

export interface Deps {
  readonly fetch: FetchLike;
  readonly now: () => Date;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1): jitter and nothing else. */
  readonly random: () => number;
  readonly log: Logger;
}
