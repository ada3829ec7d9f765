/** The error answers every host gives in its own shape when a fault or the pipeline answers for it. */
import { type Answer, gatewayError, isGatewayCode } from './answers';
import type { ServiceErrors } from './services/types';

/** An error in the host's own shape, or the gateway's for an `APIG.*` code. */
export function errorAnswer(
  errors: ServiceErrors,
  status: number,
  code: string,
  message: string,
  requestId = '',
): Answer {
  if (isGatewayCode(code)) return gatewayError(status, code, message, requestId);
  return { status, body: JSON.stringify(errors.body(status, code, message)), errorCode: code };
}

/** A 500/502/503 in the host's own shape, even for the gateway-style code of 502 and 503. */
export function serverError(errors: ServiceErrors, status: number): Answer {
  const code = status === 500 ? errors.internalErrorCode : 'APIG.0201';
  const message =
    status === 500
      ? 'Internal server error.'
      : status === 502
        ? 'Backend unavailable.'
        : 'Service unavailable.';
  return { status, body: JSON.stringify(errors.body(status, code, message)), errorCode: code };
}

export function forbiddenAnswer(errors: ServiceErrors, requestId: string): Answer {
  if (errors.forbidden) return errorAnswer(errors, 403, errors.forbidden.code, errors.forbidden.message);
  return gatewayError(
    403,
    'APIG.0302',
    'The IAM user is forbidden in the currently selected region.',
    requestId,
  );
}

export function projectMismatchAnswer(errors: ServiceErrors): Answer {
  if (errors.projectMismatch)
    return errorAnswer(errors, 401, errors.projectMismatch.code, errors.projectMismatch.message);
  return gatewayError(401, 'APIG.0301', 'Incorrect IAM authentication information: project id mismatch.');
}

/**
 * 429 with `Retry-After` in whole seconds. A rate limit names itself (`limit:N, time:1 second`, as APIG does); a
 * throttling burst (`limit` undefined) names none: a client may take a named limit at its word.
 */
export function throttledAnswer(
  errors: ServiceErrors,
  limit: number | undefined,
  retryAfterS: number,
  requestId: string,
): Answer {
  const answer =
    errors.throttled?.(limit) ??
    gatewayError(
      429,
      'APIG.0308',
      limit === undefined
        ? 'The throttling threshold has been reached.'
        : `The throttling threshold has been reached: policy ip over ratelimit, limit:${limit}, time:1 second`,
      requestId,
    );
  return { ...answer, headers: { 'Retry-After': String(retryAfterS) } };
}

export function unknownOperationAnswer(): Answer {
  return gatewayError(
    404,
    'APIG.0101',
    'The API does not exist or has not been published in the environment.',
  );
}
