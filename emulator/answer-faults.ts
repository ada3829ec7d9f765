/**
 * The faults that replace or hide an answer: redirects, proxy 404s, 403s, 408s, gateway timeouts and lost
 * answers; and the owner who resumes a task after an injected failed delete.
 */
import type { Answer } from './answers';
import type { Exchange, PipelineDeps, Send } from './exchange';
import { errorAnswer, forbiddenAnswer } from './host-errors';
import type { RequestLogEntry } from './types';

/** Where injected `absolute-external` redirects point: a reserved name no one can listen on. */
const EXTERNAL_REDIRECT_ORIGIN = 'https://redirect-target.invalid';

const PROXY_NOT_FOUND_HTML =
  '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n' +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/** Injected failure answers after which the owner may resume the task (`resumeOnFailedDeleteShare`). */
const FAILED_DELETE_FAULTS: ReadonlySet<RequestLogEntry['fault']> = new Set<RequestLogEntry['fault']>([
  'server-error',
  'outage',
  'throttle',
  'rate-limit',
  'proxy-not-found',
  'gateway-timeout',
  'forbidden',
  'request-timeout',
]);

/** True when a fault was injected (answered, or the connection destroyed). */
export function injectAnswerFault(
  deps: PipelineDeps,
  x: Exchange,
  send: Send,
  carryOut: () => Answer,
): boolean {
  const { faults: fx, entry } = x;
  const rng = deps.faultRng;
  const errors = x.host.module.errors;
  if (rng.chance(fx.redirectShare ?? 0)) {
    const origin = fx.redirectLocation === 'absolute-external' ? EXTERNAL_REDIRECT_ORIGIN : deps.foreignUrl();
    const location = `${origin}${x.rawTarget}`;
    entry.location = location;
    send({ status: fx.redirectStatus ?? 307, headers: { Location: location } }, 'redirect');
    return true;
  }
  if (rng.chance(fx.proxyNotFoundShare ?? 0)) {
    const answer = {
      status: 404,
      body: PROXY_NOT_FOUND_HTML,
      contentType: 'text/html',
      headers: { Server: 'nginx' },
    };
    send(answer, 'proxy-not-found');
    return true;
  }
  if (rng.chance(fx.forbiddenShare ?? 0)) {
    send(forbiddenAnswer(errors, x.requestId), 'forbidden');
    return true;
  }
  if (rng.chance(fx.requestTimeoutShare ?? 0)) {
    send(errorAnswer(errors, 408, 'APIG.0201', 'Request timeout.', x.requestId), 'request-timeout');
    return true;
  }
  if (rng.chance(fx.gatewayTimeoutShare ?? 0)) {
    const acted = rng.chance(fx.gatewayTimeoutActsShare ?? 0.5);
    entry.acted = acted;
    if (acted) entry.backendStatus = carryOut().status;
    send(errorAnswer(errors, 504, 'APIG.0203', 'Backend timeout.', x.requestId), 'gateway-timeout');
    return true;
  }
  if (rng.chance(fx.lostAnswerShare ?? 0)) {
    entry.backendStatus = carryOut().status;
    entry.fault = 'lost-answer';
    x.req.socket.destroy();
    return true;
  }
  return false;
}

/**
 * Draws, for an injected failure answer to a delete, whether the owner resumes the task; the returned function
 * resumes it, to be called right after the answer is written.
 */
export function resumeAfterFailedDelete(
  deps: PipelineDeps,
  x: Exchange,
  answer: Answer,
): (() => void) | undefined {
  const { entry, route } = x;
  const deletes = route?.spec.deletes;
  if (!route || !deletes || answer.status < 400 || !FAILED_DELETE_FAULTS.has(entry.fault)) return undefined;
  // A 504 whose backend acted has carried the delete out (or refused it): nothing left to resume.
  if (entry.acted === true) return undefined;
  if (!deps.faultRng.chance(x.faults.resumeOnFailedDeleteShare ?? 0)) return undefined;
  const store = deps.state.storeOf(deletes.api, route.projectId);
  const id = route.params[deletes.id] ?? '';
  const parentId = deletes.parent === undefined ? undefined : (route.params[deletes.parent] ?? '');
  return () => store?.resume(id, parentId, entry.fault);
}
