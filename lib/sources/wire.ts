/**
 * Lenient readers for the wire values the five task APIs send (counts, epoch-ms and ISO-8601 times), and
 * helpers to map an API error to a delete outcome. External data is narrowed here, never cast.
 */
import { isSafeNumber, parse as parseLossless } from 'lossless-json';
import { isAddressableSegment } from '../cloud/api-path';
import { CloudApiError, JanitorError, MalformedResponseError } from '../errors';
import type { AnswerMeaning, ApiAnswer, CloudService, SourceRequest, StateClass } from '../types';
import type { DocumentedAnswer, SourceDescriptor } from './descriptor';

/**
 * Earliest epoch ms accepted as a task's time (2010-01-01T00:00:00Z, before any of these APIs existed). An
 * epoch in seconds read as milliseconds lands in January 1970 and would make a task from yesterday look
 * decades old: such a time is unreadable, never an age.
 */
export const MIN_PLAUSIBLE_EPOCH_MS = Date.UTC(2010, 0, 1);
/** Latest epoch ms accepted as a real time (year 2200); anything later is treated as unparseable. */
const MAX_PLAUSIBLE_EPOCH_MS = Date.UTC(2200, 0, 1);

function isPlausibleEpochMs(ms: number): boolean {
  return ms >= MIN_PLAUSIBLE_EPOCH_MS && ms < MAX_PLAUSIBLE_EPOCH_MS;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Absent for the purpose of "else use the other field": undefined, null, empty string. */
export function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** A non-negative integer count sent as a number or a decimal string (DCS `task_count` is either). */
export function readCount(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** An integer sent as a number or a decimal string (`status` codes); undefined otherwise. */
export function readInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** Epoch milliseconds (13-digit Long, possibly as a string); undefined when missing, before 2010 or absurd. */
export function readEpochMs(value: unknown): number | undefined {
  const ms = readInteger(value);
  return ms !== undefined && isPlausibleEpochMs(ms) ? ms : undefined;
}

/** A non-negative duration in the unit given (number or decimal string); undefined otherwise. */
export function readDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^\d{1,15}(\.\d+)?$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** A service's integer `status` codes and the state label each stands for (OMS, ModelArts). */
export type StatusCodeTable = ReadonlyMap<number, string>;

/** A state label's class, from the API's descriptor: deletable, in progress, or (anything else) unknown. */
export function classOfState(descriptor: SourceDescriptor, state: string): StateClass {
  if (descriptor.states.deletable.includes(state)) return 'deletable';
  if (descriptor.states.inProgress.includes(state)) return 'in-progress';
  return 'unknown';
}

/** A string state (DCS, DIS) and its class; a missing or empty one is `status-<value>`, unknown. */
export function classifyStateLabel(
  descriptor: SourceDescriptor,
  state: unknown,
): { readonly state: string; readonly stateClass: StateClass } {
  if (typeof state !== 'string' || state === '') {
    return { state: `status-${state === '' ? 'empty' : String(state)}`, stateClass: 'unknown' };
  }
  return { state, stateClass: classOfState(descriptor, state) };
}

/**
 * Looks an integer `status` (number or decimal string) up in a service's table of labels; a code the table does
 * not know, or a value that is no integer, is `status-<value>` of class `unknown`.
 */
export function classifyStatusCode(
  descriptor: SourceDescriptor,
  labels: StatusCodeTable,
  status: unknown,
): { readonly state: string; readonly stateClass: StateClass } {
  const code = readInteger(status);
  const label = code === undefined ? undefined : labels.get(code);
  if (label === undefined) return { state: `status-${String(status)}`, stateClass: 'unknown' };
  return { state: label, stateClass: classOfState(descriptor, label) };
}

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-](\d{2}):?(\d{2}))$/;

/**
 * Parses a strict ISO-8601 date-time with a zone (`2020-06-17T07:38:42.503Z`, `…+00:00`) to epoch ms.
 * Anything else (no zone, a date only, impossible calendar values, `new Date`-only formats, a time before
 * 2010) is undefined.
 */
export function parseIsoUtcMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = ISO_8601.exec(value.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone, zh, zm] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const offsetHours = Number(zh);
    const offsetMins = Number(zm);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (zone?.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
  return isPlausibleEpochMs(epochMs) ? epochMs : undefined;
}

/**
 * Parses a JSON body keeping integers beyond 2^53 exact: they come back as their decimal text (a string),
 * every other number as a JS number. For APIs whose ids are int64 (OMS).
 */
export function parseJsonLossless(text: string): unknown {
  if (text.trim() === '') return undefined;
  return parseLossless(text, null, (digits: string) => (isSafeNumber(digits) ? Number(digits) : digits));
}

/** A delete's 2xx body does not matter (some APIs send `{}`, `{"message": ""}`, or nothing). */
export function ignoreBody(): undefined {
  return undefined;
}

/** The status and error code of a cloud API answer, or undefined when the error is something else. */
export function apiErrorOf(error: unknown): { readonly status: number; readonly code: string } | undefined {
  if (!(error instanceof CloudApiError)) return undefined;
  return { status: error.status, code: error.errorCode ?? '' };
}

/** The status and code of an error answer; undefined when the error is no answer (a network failure, a bug). */
export function answerOf(error: unknown): ApiAnswer | undefined {
  return error instanceof CloudApiError ? { status: error.status, errorCode: error.errorCode } : undefined;
}

export type { DocumentedAnswer } from './descriptor';

/** What an error answer means for a task, by its API's documented answers (undefined: a failure). */
export function answerMeaning(descriptor: SourceDescriptor, answer: ApiAnswer): AnswerMeaning | undefined {
  const { answers } = descriptor;
  if (isAnswer(answer, answers.inProgress)) return 'refused-in-progress';
  if (isAnswer(answer, answers.notFound)) return 'gone';
  if (answers.ambiguousNotFound !== undefined && isAnswer(answer, answers.ambiguousNotFound))
    return 'ambiguous-not-found';
  return undefined;
}

/** True when `answer` is one of `documented`, matched on status AND code (a proxy's HTML 404 has no code). */
export function isAnswer(answer: ApiAnswer | undefined, documented: readonly DocumentedAnswer[]): boolean {
  if (!answer || answer.errorCode === undefined) return false;
  const code = answer.errorCode;
  const matches = (pattern: string) =>
    pattern.endsWith('*') ? code.startsWith(pattern.slice(0, -1)) : pattern === code;
  return documented.some((a) => a.status === answer.status && a.codes.some(matches));
}

/** Narrows a list body to an object or throws `MalformedResponseError` naming the operation. */
export function requireRecord(body: unknown, operation: string): Record<string, unknown> {
  if (!isRecord(body)) throw new MalformedResponseError(`${operation}: expected a JSON object body`);
  return body;
}

/** Narrows one list item to an object or throws `MalformedResponseError`. */
export function requireItemRecord(item: unknown, operation: string): Record<string, unknown> {
  if (!isRecord(item)) throw new MalformedResponseError(`${operation}: a list item is not a JSON object`);
  return item;
}

/** Reads an array field of a list body; a missing field is an empty list, any other type is malformed. */
export function readArray(
  body: Record<string, unknown>,
  field: string,
  operation: string,
): readonly unknown[] {
  const value = body[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new MalformedResponseError(`${operation}: field "${field}" is not an array`);
  return value;
}

/** Reads a required non-empty string id of a list item, or throws `MalformedResponseError`. */
export function requireString(item: Record<string, unknown>, field: string, operation: string): string {
  const value = item[field];
  if (typeof value !== 'string' || value === '') {
    throw new MalformedResponseError(`${operation}: an item has no string "${field}"`);
  }
  return value;
}

/** A display name; a missing or non-string name reads as empty. */
export function readName(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export { isAddressableSegment };

/** Throws before anything is sent when a path value cannot be addressed safely (see `isAddressableSegment`). */
export function requireAddressable(operation: string, values: Readonly<Record<string, string>>): void {
  for (const [field, value] of Object.entries(values)) {
    if (!isAddressableSegment(value)) {
      throw new JanitorError(
        `${operation}: ${field} ${JSON.stringify(value)} cannot be sent as a path segment (URL parsers resolve it as a dot-segment even when percent-encoded); nothing was sent`,
      );
    }
  }
}

/** The DELETE request of a source: no body, its 2xx body ignored. */
export function deleteRequestOf(request: {
  service: CloudService;
  operation: string;
  path: string;
}): SourceRequest {
  return { ...request, method: 'DELETE', parse: ignoreBody };
}
