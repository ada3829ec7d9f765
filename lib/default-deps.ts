/**
 * The real side effects. The only module in `lib/` that touches node-fetch, the clock and
 * `Math.random`; handlers and the CLI call it, tests build their own `Deps`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import nodeFetch from 'node-fetch';
import type { DestinationStream } from 'pino';
import type { LogLevel } from './config';
import type { Deps, FetchLike, FetchResponseLike } from './deps';
import { createLogger } from './logger';

/** node-fetch v3 adapted to `FetchLike` (its Node stream body is an async iterable of Buffers). */
export const nodeFetchLike: FetchLike = async (url, init) => {
  const response = await nodeFetch(url, {
    method: init.method,
    headers: init.headers,
    ...(init.body === undefined ? {} : { body: init.body }),
    ...(init.signal === undefined ? {} : { signal: init.signal }),
    ...(init.agent === undefined ? {} : { agent: init.agent as never }),
    // Never follow a redirect, whatever the caller passed.
    redirect: 'manual',
  });
  const adapted: FetchResponseLike = {
    status: response.status,
    headers: response.headers,
    body: response.body as AsyncIterable<Uint8Array> | null,
    text: () => response.text(),
  };
  return adapted;
};

/** Resolves after `ms`; rejects with the signal's reason when it aborts first. The timer is cleared on abort. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}

export interface CreateDefaultDepsOptions {
  /** @default 'info' */
  logLevel?: LogLevel;
  /** Log destination. @default stdout */
  destination?: DestinationStream;
  /** Fields on every log line. */
  logBase?: Record<string, unknown>;
}

export function createDefaultDeps(options: CreateDefaultDepsOptions = {}): Deps {
  return Object.freeze({
    fetch: nodeFetchLike,
    now: () => new Date(),
    sleep,
    random: Math.random,
    log: createLogger({
      level: options.logLevel ?? 'info',
      ...(options.destination ? { destination: options.destination } : {}),
      ...(options.logBase ? { base: options.logBase } : {}),
    }),
  });
}
