/**
 * AWS Lambda entry point: an EventBridge schedule runs the packaged policy; a manual event
 * (`{"dryRun": false, "services": [...], "olderThan": "7d", "maxDeletesPerRun": 50}`) narrows it, alone or
 * beside the complete fields of a scheduled event (`./event.ts`). Credentials named by
 * `TASK_JANITOR_SSM_PARAMETERS` are read from SSM first (`./secrets.ts`); the report's CloudWatch metrics are
 * logged after it (`./metrics.ts`). Everything else is `lib/invocation.ts`.
 */
import { createDefaultDeps } from '../../lib/default-deps';
import { type BuildDeps, type FunctionResult, functionResultOf, invokePurge } from '../../lib/invocation';
import type { Platform } from '../../lib/platform';
import { overridesFromLambdaEvent } from './event';
import { emitMetrics } from './metrics';
import { resolveSsmSecretsForInvocation } from './secrets';

/** The part of the Lambda context the handler uses. */
export interface LambdaContextLike {
  readonly awsRequestId: string;
  readonly functionName: string;
  getRemainingTimeInMillis(): number;
}

/** Lambda as `lib/` sees it: its events and its metrics (credentials come through the settings). */
export function lambdaPlatform(context: Pick<LambdaContextLike, 'functionName'>): Platform {
  return {
    overridesOf: overridesFromLambdaEvent,
    metrics: (report, log) => emitMetrics(report, log, { functionName: context.functionName }),
  };
}

/** Builds the handler around a deps factory (tests pass one with a capturing logger). */
export function createHandler(buildDeps: BuildDeps = createDefaultDeps) {
  return async (event: unknown, context: LambdaContextLike): Promise<FunctionResult> => {
    const logBase = { requestId: context.awsRequestId };
    const env = await resolveSsmSecretsForInvocation((key) => process.env[key], { buildDeps, logBase });
    const result = await invokePurge({
      env,
      event,
      platform: lambdaPlatform(context),
      buildDeps,
      logBase,
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
    });
    return functionResultOf(result);
  };
}

export const handler = createHandler();
