/**
 * The request pipeline every host shares: parse and route, log, inject faults, authenticate, carry the
 * operation out through the host's module, and write the answer. Fault draws happen in a fixed order, so a
 * seed gives the same faults for the same requests.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { injectAnswerFault, resumeAfterFailedDelete } from './answer-faults';
import type { Answer } from './answers';
import { authenticate, projectRefusal } from './auth';
import type { Exchange, HostSlot, PipelineDeps, Send } from './exchange';
import { windowSpentAnswer } from './fixed-window';
import { projectMismatchAnswer, serverError, throttledAnswer, unknownOperationAnswer } from './host-errors';
import { carriesCredentials, credentialHeaders } from './records';
import { decodeSegments } from './routing';
import type { ServiceSpec } from './services/types';
import type { RequestLogEntry } from './types';

export type RequestHandler = (
  slot: HostSlot,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
) => void;

export function createPipeline(deps: PipelineDeps): RequestHandler {
  return (slot, req, res, body) => {
    const x = openExchange(deps, slot, req, res, body);
    const send = sender(deps, x);
    if (injectTransportFault(deps, x, send)) return;
    const carry = (): Answer => carryOut(deps, x);
    if (injectAnswerFault(deps, x, send, carry)) return;
    send(carry());
  };
}

/** Routes the request and records its arrival (and any credential headers it carried). */
function openExchange(
  deps: PipelineDeps,
  slot: HostSlot,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): Exchange {
  const { host: name, region } = slot;
  const host = deps.state.hosts.get(name);
  if (!host) throw new RangeError(`no host ${name}`);
  const rawTarget = req.url ?? '/';
  const method = req.method ?? 'GET';
  const q = rawTarget.indexOf('?');
  const segments = decodeSegments(q < 0 ? rawTarget : rawTarget.slice(0, q));
  const route = segments ? host.router.match(method, segments) : undefined;
  const operation = route?.operation ?? 'Unknown';
  const entry: RequestLogEntry = {
    service: name,
    ...(region !== undefined ? { region } : {}),
    ...(route?.projectId !== undefined ? { projectId: route.projectId } : {}),
    operation,
    method,
    rawPath: rawTarget,
    status: 0,
    atMs: Date.now(),
    hasCredentialHeaders: carriesCredentials(req),
  };
  deps.records.requests.push(entry);
  const credentials = credentialHeaders(req);
  if (Object.keys(credentials).length > 0) deps.records.authHeaders.push({ operation, ...credentials });
  return {
    name,
    region,
    host,
    req,
    res,
    body,
    rawTarget,
    query: new URLSearchParams(q < 0 ? '' : rawTarget.slice(q + 1)),
    route,
    requestId: randomUUID().replace(/-/g, ''),
    faults: deps.faults.resolve(region, name, operation),
    entry,
  };
}

/** The answer's last stage: the host's reshaping, a malformed body, latency, the log entry, an owner's resume. */
function sender(deps: PipelineDeps, x: Exchange): Send {
  const { faults: fx, entry, res } = x;
  const rng = deps.faultRng;
  return (original, fault) => {
    const answer = x.host.module.errors.reshape?.(original, fx, rng) ?? original;
    let text = answer.body;
    let kind = fault;
    if (!kind && answer.status >= 200 && answer.status < 300 && text && rng.chance(fx.malformedShare ?? 0)) {
      // Alternate between a truncated body and a syntactically broken one.
      text = rng.chance(0.5)
        ? text.slice(0, Math.max(1, Math.floor(text.length / 2)))
        : `${text.slice(0, -1)},}`;
      kind = 'malformed';
    }
    const latency = (fx.latencyMs ?? 0) + (fx.latencyJitterMs ? rng.next() * fx.latencyJitterMs : 0);
    if (!kind && latency > 0) kind = 'latency';
    entry.status = answer.status;
    if (answer.errorCode) entry.errorCode = answer.errorCode;
    if (kind) entry.fault = kind;
    const resume = resumeAfterFailedDelete(deps, x, answer);
    const write = (): void => {
      if (res.destroyed || deps.isClosing()) return;
      entry.answeredAtMs = Date.now();
      const headers: Record<string, string | number> = { 'X-Request-Id': x.requestId, ...answer.headers };
      if (text !== undefined) {
        headers['Content-Type'] = answer.contentType ?? 'application/json;charset=UTF-8';
        headers['Content-Length'] = Buffer.byteLength(text);
      } else if (answer.status !== 204) headers['Content-Length'] = 0;
      res.writeHead(answer.status, headers);
      res.end(text);
      resume?.();
    };
    if (latency > 0) deps.later(latency, write);
    else write();
  };
}

/** Outages, resets, hangs, rate limits, throttling bursts and 5xx: true when one was injected. */
function injectTransportFault(deps: PipelineDeps, x: Exchange, send: Send): boolean {
  const { faults: fx, entry } = x;
  const rng = deps.faultRng;
  const errors = x.host.module.errors;
  if (fx.outage) {
    send(serverError(errors, 503), 'outage');
    return true;
  }
  if (rng.chance(fx.resetShare ?? 0)) {
    entry.fault = 'reset';
    x.req.socket.destroy();
    return true;
  }
  if (rng.chance(fx.hangShare ?? 0)) {
    entry.fault = 'hang';
    return true; // never answered; close() destroys the socket
  }
  if (fx.rateLimitPerSecond !== undefined && fx.rateLimitKey !== undefined) {
    const retryAfter = deps.faults.takeToken(fx.rateLimitKey, fx.rateLimitPerSecond, Date.now());
    if (retryAfter !== undefined) {
      send(throttledAnswer(errors, Math.ceil(fx.rateLimitPerSecond), retryAfter, x.requestId), 'rate-limit');
      return true;
    }
  }
  if (
    fx.fixedWindowLimit !== undefined &&
    fx.fixedWindowSeconds !== undefined &&
    fx.fixedWindowKey !== undefined
  ) {
    const { fixedWindowLimit: limit, fixedWindowSeconds: seconds } = fx;
    const endsInMs = deps.faults.windows.take(fx.fixedWindowKey, limit, seconds, Date.now());
    if (endsInMs !== undefined) {
      const answer = windowSpentAnswer(
        errors,
        { limit, seconds, endsInMs },
        {
          retryAfter: fx.fixedWindowRetryAfter === true,
          limitInMessage: fx.fixedWindowLimitInMessage === true,
          requestId: x.requestId,
        },
      );
      send(answer, 'fixed-window');
      return true;
    }
  }
  if (rng.chance(fx.throttleShare ?? 0)) {
    const limit = fx.rateLimitPerSecond === undefined ? undefined : Math.ceil(fx.rateLimitPerSecond);
    send(throttledAnswer(errors, limit, 1, x.requestId), 'throttle');
    return true;
  }
  if (rng.chance(fx.serverErrorShare ?? 0)) {
    send(serverError(errors, rng.pick([500, 502, 503])), 'server-error');
    return true;
  }
  return false;
}

const hostNeedsProject = (spec: ServiceSpec): boolean => spec.projectFromCredentials === true;

/**
 * Authenticates (unless the operation is anonymous), refuses a project this region does not hold, and carries
 * the operation out on the project's state; the backend's answer.
 */
function carryOut(deps: PipelineDeps, x: Exchange): Answer {
  const { route, entry } = x;
  if (!route) return unknownOperationAnswer();
  if (route.spec.anonymous) entry.auth = 'none';
  else {
    const auth = authenticate(
      {
        req: x.req,
        body: x.body,
        pathProjectId: route.projectId,
        projectFromCredentials: hostNeedsProject(x.host.module.spec),
        mismatch: () => projectMismatchAnswer(x.host.module.errors),
      },
      deps.auth,
    );
    entry.auth = auth.kind;
    if (auth.failure) return auth.failure;
    if (entry.projectId === undefined && auth.projectId !== undefined && hostNeedsProject(x.host.module.spec))
      entry.projectId = auth.projectId;
  }
  // The project the request acts in: its path's, or (a host without one in its paths) the credentials'.
  if (
    entry.projectId !== undefined &&
    (route.projectId !== undefined || hostNeedsProject(x.host.module.spec))
  ) {
    const region = route.projectId !== undefined ? x.region : undefined;
    const refusal = projectRefusal(deps.state.projects, region, entry.projectId, x.requestId);
    if (refusal) return refusal;
  }
  const handler = x.host.handlersFor(route.projectId)?.get(route.operation);
  if (!handler) return unknownOperationAnswer();
  return handler({ params: route.params, query: x.query, body: x.body, faults: x.faults });
}
