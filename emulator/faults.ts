/** Validation of emulator options and fault settings, and the per-service/per-operation fault table. */
import { z } from 'zod';
import { EmulatorOptionsError } from './errors';
import { fixedWindowFields, refineFixedWindow, WindowCounter } from './fixed-window';
import { EMULATOR_OPERATIONS, type EmulatorHost, HOSTS, TASK_API_IDS } from './services/registry';
import { regionsSchema } from './topology';
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
    region: z.string().min(1).optional(),
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

const taskCount = z.number().int().min(0).max(10_000_000);
const perServiceCounts = z
  .object(Object.fromEntries(TASK_API_IDS.map((id) => [id, taskCount.optional()])))
  .strict();

const optionsSchema = z
  .object({
    seed: z.number().int().optional(),
    portBase: z.number().int().min(0).max(65530).optional(),
    tasks: taskCount.optional(),
    tasksPerService: perServiceCounts.optional(),
    regions: regionsSchema(taskCount, perServiceCounts).optional(),
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
    const { service, operation, region, ...settings } = fault;
    problems.push(...faultProblems({ service, operation, region }, settings, `faults.${i}`));
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

  /** `regions`: the emulator's regions, the only ones a target may name. */
  constructor(readonly regions: readonly string[]) {}

  set(target: FaultTarget, settings: FaultSettings): void {
    validateFault(target, settings);
    if (target.region !== undefined && !this.regions.includes(target.region)) {
      throw new EmulatorOptionsError(
        [`region: "${target.region}" is not a region of the emulator (${this.regions.join(', ')})`],
        'emulator fault settings',
      );
    }
    const key = `${target.region ?? '*'}|${target.service}/${target.operation ?? '*'}`;
    this.#byTarget.set(key, { ...settings });
    // Each region's host counts under the key and its region: all of them start again.
    for (const bucket of [...this.#buckets.keys()])
      if (bucket.split('@')[0] === key) this.#buckets.delete(bucket);
    this.windows.reset(key);
  }

  clear(): void {
    this.#byTarget.clear();
    this.#buckets.clear();
    this.windows.reset();
  }

  /**
   * Settings for one request to a host of `region` (undefined: the account-wide SMS host): `*` < service-wide <
   * service+operation, field by field, region-less targets first, then the region's own. A region-less rate limit
   * or quota counts per region: every region's host has its own.
   */
  resolve(
    region: string | undefined,
    service: EmulatorHost,
    operation: EmulatorOperation | 'Unknown',
  ): ResolvedFaults {
    const paths = ['*/*', `*/${operation}`, `${service}/*`, `${service}/${operation}`];
    const keys = [
      ...paths.map((path) => [`*|${path}`, `*|${path}@${region ?? ''}`] as const),
      ...(region === undefined
        ? []
        : paths.map((path) => [`${region}|${path}`, `${region}|${path}`] as const)),
    ];
    const out: ResolvedFaults = {};
    for (const [key, counter] of keys) {
      const settings = this.#byTarget.get(key);
      if (!settings) continue;
      Object.assign(out, settings);
      if (settings.rateLimitPerSecond !== undefined) out.rateLimitKey = counter;
      if (settings.fixedWindowLimit !== undefined) out.fixedWindowKey = counter;
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
