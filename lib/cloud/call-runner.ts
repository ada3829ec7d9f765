/**
 * A call and a sequence as the client runs them: each attempt admitted by its host (slot, breaker, pacing),
 * sent, its slot given back, the whole retried by the retry loop.
 */
import { HostUnavailableError } from '../errors';
import type { CloudService } from '../types';
import type { AnswerLog, LoggedCall } from './answer-log';
import type { ClientAuth } from './client-auth';
import type { Admission, HostHealth } from './host-health';
import { describeAttempt } from './retry-policy';
import type { Call, RawResponse, SendAttempt } from './send-attempt';
import type { SequenceOptions, SequenceSend } from './types';
import { abortCall, type CallSignals, type RetryLoop } from './with-retries';

export interface CallRunnerParts {
  readonly withRetries: RetryLoop;
  readonly send: SendAttempt;
  readonly hostFor: (service: CloudService) => HostHealth;
  readonly answers: AnswerLog;
  readonly credentials: Pick<ClientAuth, 'warm'>;
  readonly signalsOf: (req: { signal?: AbortSignal; stopSignal?: AbortSignal }) => CallSignals;
}

export interface CallRunner {
  run(call: Call): Promise<RawResponse>;
  sequence<T>(spec: SequenceOptions, body: (send: SequenceSend) => Promise<T>): Promise<T>;
}

export function createCallRunner(parts: CallRunnerParts): CallRunner {
  return {
    run: (call) => runCall(parts, call),
    sequence: (spec, body) => runSequence(parts, spec, body),
  };
}

async function runCall(parts: CallRunnerParts, call: Call): Promise<RawResponse> {
  const signals = parts.signalsOf(call);
  const repeatable = call.method === 'GET' || call.method === 'DELETE' || call.retryPost === true;
  return parts.withRetries({ ...call, repeatable }, signals, async (attempt) => {
    // A token is minted through IAM's host: made ready before the slot is taken, so that an IAM call with a
    // token (the project list) never waits for a slot it holds itself.
    if (call.authenticate) await parts.credentials.warm(call.service, signals.hard);
    const admission = await admitOrStop(parts, signals, `${call.method} ${call.path}`, call, attempt);
    try {
      return await parts.send(call, attempt, signals.hard, true, admission);
    } finally {
      admission.release();
    }
  });
}

async function runSequence<T>(
  parts: CallRunnerParts,
  spec: SequenceOptions,
  body: (send: SequenceSend) => Promise<T>,
): Promise<T> {
  const signals = parts.signalsOf(spec);
  const what = `${spec.operation}`;
  const call = { service: spec.service, operation: spec.operation, method: 'SEQUENCE', path: what };
  return parts.withRetries({ ...call, repeatable: true }, signals, async (attempt) => {
    // Credentials are made ready before the slot is taken, so that no token mint can fall between the
    // requests of the sequence.
    await parts.credentials.warm(spec.service, signals.hard);
    const admission = await admitOrStop(parts, signals, what, call, attempt);
    try {
      return await body((request) => {
        if (request.service !== spec.service) {
          throw new TypeError(`a ${spec.service} sequence cannot send to ${request.service}`);
        }
        // Inside a sequence the caller may handle an answer itself: each is logged where it is read.
        return parts.send({ ...request, authenticate: true }, attempt, signals.hard, false, admission);
      });
    } finally {
      admission.release();
    }
  });
}

/** Admission for one attempt; a refusal (breaker, stop) is reported as the attempt's outcome and ends the call. */
async function admitOrStop(
  parts: CallRunnerParts,
  signals: CallSignals,
  what: string,
  call: LoggedCall,
  attempt: number,
): Promise<Admission> {
  try {
    return await parts.hostFor(call.service).admit({ stopSignal: signals.stop, what });
  } catch (error) {
    if (error instanceof HostUnavailableError) parts.answers.write(call, attempt, error);
    call.onAttempt?.(describeAttempt(attempt, error));
    throw abortCall(error);
  }
}
