/**
 * AWS Lambda entry point: an EventBridge schedule runs the packaged policy; a manual event
 * (`{"dryRun": false, "services": [...], "olderThan": "7d", "maxDeletesPerRun": 50}`) narrows it, alone or
 * beside the complete fields of a scheduled event (`lib/policy/platform-events.ts`).
 * All shell logic lives in `lib/invocation.ts`; credentials named by `TASK_JANITOR_SSM_PARAMETERS` are read from
 * SSM first (`handlers/aws-secrets.ts`).
 */
import { createDefaultDeps } from '../lib/default-deps';
import { type BuildDeps, invokePurge } from '../lib/invocation';
import type { Report } from '../lib/report';
import { resolveSsmSecretsForInvocation } from './aws-secrets';

/** The part of the Lambda context the handler uses. */
export interface LambdaContextLike {
  readonly awsRequestId: string;
  readonly functionName: string;
  getRemainingTimeInMillis(): number;
}

/** Builds the handler around a deps factory (tests pass one with a capturing logger). */
export function createHandler(buildDeps: BuildDeps = createDefaultDeps) {
  return async (event: unknown, context: LambdaContextLike): Promise<Report> => {
    const logBase = { requestId: context.awsRequestId };
    const env = await resolveSsmSecretsForInvocation((key) => process.env[key], { buildDeps, logBase });
    const { report } = await invokePurge({
      env,
      event,
      buildDeps,
      logBase,
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      emitMetrics: true,
      functionName: context.functionName,
    });
    return report;
  };
}

export const handler = createHandler();
