/** Validation of emulator options and fault settings, and the per-service/per-operation fault table. */
import { z } from 'zod';
import { EmulatorOptionsError } from './errors';
import { fixedWindowFields, refineFixedWindow, WindowCounter } from './fixed-window';
import { EMULATOR_OPERATIONS, type EmulatorHost, HOSTS, TASK_API_IDS } from './services/registry';
import type { EmulatorOperation, EmulatorOptions, FaultSettings, FaultTarget } from './types';

const share = z.number().min(0).max(1);
const nonNegative = z.number().finite().min(0);

/** Redirects, proxy 404s, lost answers, gateway timeouts, owner resumes, DIS error shapes, 403 and 408. */
const answerFaultFields = {
  redirectShare: share.optional(),
  redirectStatus: z
    .union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)])
    .optional(),
  redirectLocation: z.enum(['foreign-loopback', 'absolute-external']).optional(),
  proxyNotFoundShare: share.optional(),
  lostAnswerShare: share.optional(),
  gatewayTimeoutShare: share.optional(),
  gatewayTimeoutActsShare: share.optional(),
  resumeOnFailedDeleteShare: share.optional(),
  disErrorShape: z.enum(['errorCode', 'error_code', 'mixed']).optional(),
  forbiddenShare: share.optional(),
  requestTimeoutShare: share.optional(),
};

export const faultSettingsSchema = z
  .object({
    latencyMs: nonNegative.optional(),
    latencyJitterMs: nonNegative.optional(),
    rateLimitPerSecond: z.number().finite().positive().optional(),
    serverErrorShare: share.optional(),
    resetShare: share.optional(),
    hangShare: share.optional(),
    malformedShare: share.optional(),
    outage: z.boolean().optional(),
    throttleShare: share.optional(),
    pagingQuirk: z.enum(['repeat', 'lose', 'count-mismatch', 'over-limit', 'endless']).optional(),
    ...answerFaultFields,
    ...fixedWindowFields,
  })
  .strict()
  .superRefine(refineFixedWindow);

const allOperations = Object.values(EMULATOR_OPERATIONS).flat() as string[];

const faultTargetSchema = z
  .object({
    service: z.enum(['*', ...HOSTS]),
    operation: z.string().optional(),
  })
  .superRefine((target, ctx) => {
    if (target.operation === undefined || target.operation === '*') return;
    const valid: readonly string[] =
      target.service === '*' ? allOperations : EMULATOR_OPERATIONS[target.service];
    if (!valid.includes(target.operation)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['operation'],
        message: `unknown operation "${target.operation}" for service "${target.service}" (expected one of ${valid.join(', ')})`,
      });
    }
  });

const optionsSchema = z
  .object({
    seed: z.number().int().optional(),
    portBase: z.number().int().min(0).max(65530).optional(),
    tasks: z.number().int().min(0).max(10_000_000).optional(),
    tasksPerService: z
      .object(
        Object.fromEntries(
          TASK_API_IDS.map((id) => [id, z.number().int().min(0).max(10_000_000).optional()]),
        ),
      )
      .strict()
      .optional(),
    faults: z.array(z.object({}).passthrough()).optional(),
    tokenTtlSeconds: z.number().finite().positive().optional(),
    nowMs: z.function().optional(),
    omsPauseDelayMs: nonNegative.optional(),
  })
  .strict();

function describe(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
    return `${path || '(root)'}: ${issue.message}`;
  });
}

function faultProblems(target: unknown, settings: unknown, prefix: string): string[] {
  const targetResult = faultTargetSchema.safeParse(target);
  const settingsResult = faultSettingsSchema.safeParse(settings);
  return [
    ...(targetResult.success ? [] : describe(targetResult.error, prefix)),
    ...(settingsResult.success ? [] : describe(settingsResult.error, prefix)),
  ];
}

/** Throws an EmulatorOptionsError naming every bad field. */
export function validateFault(target: unknown, settings: unknown, prefix = ''): void {
  const problems = faultProblems(target, settings, prefix);
  if (problems.length > 0) throw new EmulatorOptionsError(problems, 'emulator fault settings');
}

/** Throws an EmulatorOptionsError naming every bad field, of the options and of every fault. */
export function validateOptions(options: EmulatorOptions): void {
  const result = optionsSchema.safeParse(options);
  const problems = result.success ? [] : describe(result.error, '');
  const faults = Array.isArray(options.faults) ? options.faults : [];
  faults.forEach((fault, i) => {
    // Not an object: the options schema has named it already.
    if (typeof fault !== 'object' || fault === null) return;
    const { service, operation, ...settings } = fault;
    problems.push(...faultProblems({ service, operation }, settings, `faults.${i}`));
  });
  if (problems.length > 0) throw new EmulatorOptionsError(problems, 'emulator options');
}

interface BucketState {
  tokens: number;
  lastMs: number;
}

export interface ResolvedFaults extends FaultSettings {
  /** Key of the target that supplied the rate limit (each target has its own token bucket). */
  rateLimitKey?: string;
  /** Key of the target that supplied the fixed-window quota (each target counts its own windows). */
  fixedWindowKey?: string;
}

export class FaultTable {
  readonly #byTarget = new Map<string, FaultSettings>();
  readonly #buckets = new Map<string, BucketState>();
  readonly windows = new WindowCounter();

  set(target: FaultTarget, settings: FaultSettings): void {
    validateFault(target, settings);
    const key = `${target.service}/${target.operation ?? '*'}`;
    this.#byTarget.set(key, { ...settings });
    this.#buckets.delete(key);
    this.windows.reset(key);
  }

  clear(): void {
    this.#byTarget.clear();
    this.#buckets.clear();
    this.windows.reset();
  }

  /** Settings for one request: `*` < service-wide < service+operation, field by field. */
  resolve(service: EmulatorHost, operation: EmulatorOperation | 'Unknown'): ResolvedFaults {
    const keys = ['*/*', `*/${operation}`, `${service}/*`, `${service}/${operation}`];
    const out: ResolvedFaults = {};
    for (const key of keys) {
      const settings = this.#byTarget.get(key);
      if (!settings) continue;
      Object.assign(out, settings);
      if (settings.rateLimitPerSecond !== undefined) out.rateLimitKey = key;
      if (settings.fixedWindowLimit !== undefined) out.fixedWindowKey = key;
    }
    return out;
  }

  /**
   * Token bucket (burst = max(1, rate)). Returns undefined when a token was taken, else the Retry-After in whole
   * seconds: the time until one token is back, rounded up, at least 1.
   */
  takeToken(key: string, ratePerSecond: number, nowMs: number): number | undefined {
    const bucket = this.#buckets.get(key) ?? { tokens: Math.max(1, ratePerSecond), lastMs: nowMs };
    bucket.tokens = Math.min(
      Math.max(1, ratePerSecond),
      bucket.tokens + ((nowMs - bucket.lastMs) / 1000) * ratePerSecond,
    );
    bucket.lastMs = nowMs;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond));
  }
}
