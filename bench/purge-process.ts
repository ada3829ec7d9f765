/**
 * One purge in its own process, for the benchmark: the shells' code path (`prepareInvocation` +
 * `executeInvocation`, real node-fetch, real pino logging to /dev/null), so its peak RSS and CPU time are the
 * purge's alone. Forked by `bench/run.ts` with a `PurgeJob` as JSON in argv[2]; reports over IPC.
 */
import pino from 'pino';
import type { LogLevel } from '../lib/config';
import { createDefaultDeps, nodeFetchLike } from '../lib/default-deps';
import type { FetchLike } from '../lib/deps';
import { executeInvocation, prepareInvocation } from '../lib/invocation';
import type { Report } from '../lib/report';
import { AwsSdkPacer } from './aws-sdk-pacer';

export interface PurgeJob {
  /** The emulator's endpoint env plus any TASK_JANITOR_* setting. */
  env: Record<string, string>;
  /** Inline policy (YAML/JSON). */
  policy: string;
  remainingTimeMs: number;
  /** One request at a time over the whole process (the baseline client): a global gate around fetch. */
  serialize?: boolean;
  /** @default 'info' */
  logLevel?: LogLevel;
  /** Whose pacer drives the client: ours, or the AWS SDK's adaptive rate limiter. @default 'ours' */
  pacer?: 'ours' | 'aws';
}

/** Retry/failure log lines of the client, per cloud host and per second since the run started. */
export interface RetryTimeline {
  retries: Record<string, Record<string, number>>;
  givenUp: Record<string, Record<string, number>>;
  /** Lines logging a 5xx answer, per host: every one the client read, retried or not (a guarded delete's
   * read and DELETE log their answers where they are read, without a retry decision). */
  serverErrorsLogged: Record<string, number>;
}

export interface PurgeOutcome {
  report: Report;
  startedAtMs: number;
  /** When the plan was ready (listing over), epoch ms. */
  plannedAtMs: number | undefined;
  finishedAtMs: number;
  deletesPlanned: number;
  maxRssKb: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  logLines: number;
  reportLogged: boolean;
  timeline: RetryTimeline;
}

export type PurgeMessage =
  | { type: 'plan'; atMs: number; deletes: number }
  | { type: 'done'; outcome: PurgeOutcome }
  | { type: 'error'; message: string };

function serialized(fetch: FetchLike): FetchLike {
  let tail: Promise<unknown> = Promise.resolve();
  return (url, init) => {
    const run = tail.then(() => fetch(url, init));
    // The body of these small answers arrives with the headers; the next request starts after it.
    tail = run.then(
      (response) => response,
      () => undefined,
    );
    return run;
  };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as PurgeJob;
  // Resolves once the message is written: a disconnect right after a large send() would drop it.
  const send = (message: PurgeMessage): Promise<void> =>
    new Promise((resolve) => {
      if (!process.send) resolve();
      else process.send(message, undefined, {}, () => resolve());
    });
  // BENCH_PURGE_LOG=FILE keeps the purge's log lines (for reading a failure); else they are discarded.
  const sink = pino.destination({ dest: process.env.BENCH_PURGE_LOG ?? '/dev/null', sync: true });
  const startedAtMs = Date.now();
  const timeline: RetryTimeline = { retries: {}, givenUp: {}, serverErrorsLogged: {} };
  let logLines = 0;
  let reportLogged = false;
  const destination = {
    write(line: string): void {
      logLines += 1;
      if (/"status":5\d\d/.test(line) && line.includes('answered 5')) {
        const { service } = JSON.parse(line) as { service?: string };
        const host = service ?? 'unknown';
        timeline.serverErrorsLogged[host] = (timeline.serverErrorsLogged[host] ?? 0) + 1;
      }
      if (line.includes('"willRetry":')) {
        const parsed = JSON.parse(line) as { service?: string; willRetry?: boolean };
        const table = parsed.willRetry ? timeline.retries : timeline.givenUp;
        const host = parsed.service ?? 'unknown';
        const second = String(Math.floor((Date.now() - startedAtMs) / 1000));
        const row = table[host] ?? {};
        row[second] = (row[second] ?? 0) + 1;
        table[host] = row;
      } else if (line.includes('"msg":"purge report"')) reportLogged = true;
      sink.write(line);
    },
  };
  const env: Record<string, string> = { TASK_JANITOR_LOG_LEVEL: job.logLevel ?? 'info', ...job.env };
  const prepared = await prepareInvocation({ env: (key) => env[key], policySource: job.policy });
  const base = createDefaultDeps({ logLevel: prepared.config.logLevel, destination });
  const deps = job.serialize ? { ...base, fetch: serialized(nodeFetchLike) } : base;
  let plannedAtMs: number | undefined;
  let deletesPlanned = 0;
  const result = await executeInvocation(prepared, {
    deps,
    remainingTimeMs: job.remainingTimeMs,
    ...(job.pacer === 'aws' ? { pacing: { createPacer: () => new AwsSdkPacer() } } : {}),
    throwOnFullFailure: false,
    onProgress: (event) => {
      if (event.phase === 'plan') {
        plannedAtMs = Date.now();
        deletesPlanned = event.deletes;
        void send({ type: 'plan', atMs: plannedAtMs, deletes: event.deletes });
      }
    },
  });
  const finishedAtMs = Date.now();
  const usage = process.resourceUsage();
  sink.flushSync();
  await send({
    type: 'done',
    outcome: {
      report: result.report,
      startedAtMs,
      plannedAtMs,
      finishedAtMs,
      deletesPlanned,
      maxRssKb: usage.maxRSS,
      cpuUserUs: usage.userCPUTime,
      cpuSystemUs: usage.systemCPUTime,
      logLines,
      reportLogged,
      timeline,
    },
  });
  process.disconnect?.();
}

main().catch((error: unknown) => {
  process.send?.({
    type: 'error',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exitCode = 1;
  process.disconnect?.();
});
