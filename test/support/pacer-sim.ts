/**
 * A discrete-event simulation of one host for the pure pacer tests: `workers` senders loop (acquire, or wait
 * until told or until the host answers another request → send → answer after `latencyMs`) against a server
 * model, on a simulated clock. A throttled request is sent again, as the client does.
 */
import type { HostPacer, PacerAnswer } from '../../lib/cloud/pacing';

export const SIM_T0 = Date.parse('2025-01-01T00:00:00Z');

/** What the server decides for a request arriving at `nowMs`. */
export type ServerDecision = { ok: true } | ({ ok: false } & Omit<PacerAnswer, 'throttled'>);

export interface ServerModel {
  admit(nowMs: number): ServerDecision;
}

/** A token bucket (burst = rate) answering 429 with a whole-second `Retry-After`, as the emulator does. */
export function tokenBucketServer(
  limitPerSecond: number,
  { retryAfter = true, documented = false }: { retryAfter?: boolean; documented?: boolean } = {},
): ServerModel {
  let tokens = limitPerSecond;
  let lastMs = SIM_T0;
  return {
    admit(nowMs) {
      tokens = Math.min(limitPerSecond, tokens + ((nowMs - lastMs) / 1000) * limitPerSecond);
      lastMs = nowMs;
      if (tokens >= 1) {
        tokens -= 1;
        return { ok: true };
      }
      const retryAfterMs = Math.max(1, Math.ceil((1 - tokens) / limitPerSecond)) * 1000;
      return {
        ok: false,
        ...(retryAfter ? { retryAfterMs } : {}),
        errorMessage: documented
          ? `The throttling threshold has been reached: policy ip over ratelimit, limit:${limitPerSecond}, time:1 second`
          : 'The throttling threshold has been reached.',
      };
    },
  };
}

/** A fixed window of `limit` requests per `periodMs`, aligned to `phaseMs` after the simulation's start. */
export function fixedWindowServer(
  limit: number,
  periodMs: number,
  {
    retryAfter = false,
    documented = false,
    phaseMs = 0,
  }: { retryAfter?: boolean; documented?: boolean; phaseMs?: number } = {},
): ServerModel {
  let windowIndex = Number.NaN;
  let used = 0;
  const unit = periodMs % 60_000 === 0 ? `${periodMs / 60_000} minute` : `${periodMs / 1000} second`;
  return {
    admit(nowMs) {
      const index = Math.floor((nowMs - SIM_T0 - phaseMs) / periodMs);
      if (index !== windowIndex) {
        windowIndex = index;
        used = 0;
      }
      if (used < limit) {
        used += 1;
        return { ok: true };
      }
      const endMs = SIM_T0 + phaseMs + (index + 1) * periodMs;
      return {
        ok: false,
        ...(retryAfter ? { retryAfterMs: Math.ceil((endMs - nowMs) / 1000) * 1000 } : {}),
        errorMessage: documented
          ? `The throttling threshold has been reached: policy user over ratelimit, limit:${limit}, time:${unit}`
          : 'The throttling threshold has been reached.',
      };
    },
  };
}

export const unlimitedServer: ServerModel = { admit: () => ({ ok: true }) };

export interface SimResult {
  ok: number;
  throttled: number;
  /** Throttled answers among all answers. */
  throttleShare: number;
  /** When the last of `requests` was admitted (or the duration), ms from the start. */
  elapsedMs: number;
  /** Admitted requests per second over `elapsedMs`. */
  okPerSecond: number;
  /** Most requests in flight at once. */
  maxInFlight: number;
}

export function simulate(
  pacer: HostPacer,
  server: ServerModel,
  {
    workers = 16,
    latencyMs = 10,
    requests = Number.POSITIVE_INFINITY,
    durationMs = Number.POSITIVE_INFINITY,
  }: { workers?: number; latencyMs?: number; requests?: number; durationMs?: number },
): SimResult {
  type Sender = { atMs: number; inFlight?: ServerDecision };
  const senders: Sender[] = Array.from({ length: workers }, () => ({ atMs: SIM_T0 }));
  let ok = 0;
  let throttled = 0;
  let started = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let lastOkMs = SIM_T0;
  const endMs = SIM_T0 + durationMs;
  for (;;) {
    let sender: Sender | undefined;
    for (const s of senders) if (sender === undefined || s.atMs < sender.atMs) sender = s;
    if (sender === undefined || sender.atMs >= endMs || sender.atMs === Number.POSITIVE_INFINITY) break;
    const now = sender.atMs;
    const answer = sender.inFlight;
    if (answer !== undefined) {
      delete sender.inFlight;
      inFlight -= 1;
      if (answer.ok) {
        ok += 1;
        lastOkMs = now;
        pacer.onAnswer(now, { throttled: false });
      } else {
        throttled += 1;
        started -= 1; // sent again
        pacer.onAnswer(now, {
          throttled: true,
          retryAfterMs: answer.retryAfterMs,
          errorMessage: answer.errorMessage,
        });
      }
      // An answer wakes every waiting sender (the client's waiters ask again at the host's next answer).
      for (const s of senders) if (s.inFlight === undefined && s.atMs > now) s.atMs = now;
      if (ok >= requests) break;
      continue;
    }
    if (started >= requests) {
      sender.atMs = Number.POSITIVE_INFINITY;
      continue;
    }
    const waitMs = pacer.acquire(now);
    if (waitMs > 0) {
      sender.atMs = now + waitMs;
      continue;
    }
    started += 1;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    sender.inFlight = server.admit(now + latencyMs / 2);
    sender.atMs = now + latencyMs;
  }
  const elapsedMs = Number.isFinite(durationMs) ? durationMs : lastOkMs - SIM_T0;
  return {
    ok,
    throttled,
    throttleShare: throttled / Math.max(1, ok + throttled),
    elapsedMs,
    okPerSecond: (ok / Math.max(1, elapsedMs)) * 1000,
    maxInFlight,
  };
}
