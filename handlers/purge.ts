/**
 * AWS Lambda entry point: an EventBridge schedule runs the packaged policy; a manual event
 * (`{"dryRun": false, "services": [...], "olderThan": "7d", "maxDeletesPerRun": 50}`) narrows it.
 * All shell logic lives in `lib/invocation.ts`.
 */
import { createDefaultDeps } from '../lib/default-deps';
import { type BuildDeps, invokePurge } from '../lib/invocation';
import type { Report } from '../lib/report';

/** The part of the Lambda context the handler uses. */
export interface LambdaContextLike {
  readonly awsRequestId: string;
  readonly functionName: string;
  getRemainingTimeInMillis(): number;
}

/** Builds the handler around a deps factory (tests pass one with a capturing logger). */
export function createHandler(buildDeps: BuildDeps = createDefaultDeps) {
  return async (event: unknown, context: LambdaContextLike): Promise<Report> => {
    const { report } = await invokePurge({
      env: (key) => process.env[key],
      event,
      buildDeps,
      logBase: { requestId: context.awsRequestId },
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      emitMetrics: true,
      functionName: context.functionName,
    });
    return report;
  };
}

export const handler = createHandler();
