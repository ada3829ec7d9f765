/**
 * Server-side verification of `SDK-HMAC-SHA256` signatures (docs/api/auth.md), written independently of the
 * client's signer: the canonical request is rebuilt from the raw request as received.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** API Gateway rejects an X-Sdk-Date more than 15 minutes away from its clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface SignedRequest {
  method: string;
  /** Raw request target: path plus optional `?query`, still percent-encoded. */
  rawTarget: string;
  /** Header values by lower-cased name (Node's `IncomingMessage.headers`). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Exact body bytes. */
  body: Uint8Array;
}

export interface ParsedAuthorization {
  accessKey: string;
  signedHeaders: string[];
  signature: string;
}

export type VerifyResult =
  | { ok: true; accessKey: string }
  | {
      ok: false;
      reason: 'malformed' | 'unknown-key' | 'bad-signature' | 'stale-date' | 'security-token';
      message: string;
    };

/** RFC 3986 encoding: only `A-Z a-z 0-9 - . _ ~` stay as they are; UTF-8 bytes as upper-case `%XX`. */
export function encodeRfc3986(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const isUnreserved =
      (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x61 && byte <= 0x7a) ||
      (byte >= 0x30 && byte <= 0x39) ||
      byte === 0x2d ||
      byte === 0x2e ||
      byte === 0x5f ||
      byte === 0x7e;
    out += isUnreserved ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Canonical URI: decode each raw segment once, re-encode it, and end with `/`. */
export function canonicalUri(rawPath: string): string {
  const joined = rawPath
    .split('/')
    .map((segment) => encodeRfc3986(decodeComponent(segment)))
    .join('/');
  return joined.endsWith('/') ? joined : `${joined}/`;
}

/** Canonical query: pairs sorted by key (code units), then by value; both RFC 3986 encoded. */
export function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  const byKey = new Map<string, string[]>();
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    const key = decodeComponent(rawKey.replace(/\+/g, ' '));
    const value = decodeComponent(rawValue.replace(/\+/g, ' '));
    const values = byKey.get(key) ?? [];
    values.push(value);
    byKey.set(key, values);
  }
  const keys = [...byKey.keys()].sort();
  const pairs: string[] = [];
  for (const key of keys) {
    for (const value of (byKey.get(key) ?? []).sort())
      pairs.push(`${encodeRfc3986(key)}=${encodeRfc3986(value)}`);
  }
  return pairs.join('&');
}

export function parseAuthorization(header: string): ParsedAuthorization | undefined {
  if (!header.startsWith(`${SIGNING_ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.slice(SIGNING_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKey = fields.get('Access');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKey || !signedHeaders || !signature) return undefined;
  return { accessKey, signedHeaders: signedHeaders.split(';'), signature };
}

function headerValue(headers: SignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Parses `YYYYMMDDTHHmmssZ` to epoch ms. */
export function parseSdkDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0);
}

/** The canonical request the signature must cover (exported for tests and diagnostics). */
export function buildCanonicalRequest(request: SignedRequest, signedHeaders: readonly string[]): string {
  const q = request.rawTarget.indexOf('?');
  const rawPath = q < 0 ? request.rawTarget : request.rawTarget.slice(0, q);
  const rawQuery = q < 0 ? '' : request.rawTarget.slice(q + 1);
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${headerValue(request.headers, name) ?? ''}\n`)
    .join('');
  const declaredHash = headerValue(request.headers, 'x-sdk-content-sha256');
  const payloadHash =
    declaredHash ??
    (request.body.length === 0 ? EMPTY_BODY_SHA256 : createHash('sha256').update(request.body).digest('hex'));
  return [
    request.method.toUpperCase(),
    canonicalUri(rawPath),
    canonicalQuery(rawQuery),
    canonicalHeaders,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

export function signatureFor(secretKey: string, sdkDate: string, canonicalRequest: string): string {
  const hashed = createHash('sha256').update(canonicalRequest).digest('hex');
  const stringToSign = `${SIGNING_ALGORITHM}\n${sdkDate}\n${hashed}`;
  return createHmac('sha256', secretKey).update(stringToSign).digest('hex');
}

export interface RegisteredKey {
  secretKey: string;
  /** Temporary keys are valid only with this X-Security-Token. */
  securityToken?: string;
}

export function verifyAkSk(
  request: SignedRequest,
  keys: ReadonlyMap<string, RegisteredKey>,
  nowMs: number,
): VerifyResult {
  const header = headerValue(request.headers, 'authorization') ?? '';
  const parsed = parseAuthorization(header);
  if (!parsed)
    return { ok: false, reason: 'malformed', message: 'Malformed SDK-HMAC-SHA256 Authorization header.' };
  const key = keys.get(parsed.accessKey);
  if (!key) return { ok: false, reason: 'unknown-key', message: 'The access key does not exist.' };
  if (
    key.securityToken !== undefined &&
    headerValue(request.headers, 'x-security-token') !== key.securityToken
  ) {
    return {
      ok: false,
      reason: 'security-token',
      message: 'A temporary access key needs its X-Security-Token.',
    };
  }
  const signed = parsed.signedHeaders.map((name) => name.toLowerCase());
  const sdkDate = headerValue(request.headers, 'x-sdk-date');
  if (!sdkDate || !signed.includes('x-sdk-date') || !signed.includes('host')) {
    return { ok: false, reason: 'malformed', message: 'X-Sdk-Date and host must be signed.' };
  }
  const dateMs = parseSdkDate(sdkDate);
  if (dateMs === undefined || Math.abs(dateMs - nowMs) > MAX_CLOCK_SKEW_MS) {
    return {
      ok: false,
      reason: 'stale-date',
      message: 'The X-Sdk-Date differs from the server time by more than 15 minutes.',
    };
  }
  const expected = signatureFor(key.secretKey, sdkDate, buildCanonicalRequest(request, signed));
  const given = Buffer.from(parsed.signature, 'utf8');
  const want = Buffer.from(expected, 'utf8');
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    return { ok: false, reason: 'bad-signature', message: 'The signature does not match.' };
  }
  return { ok: true, accessKey: parsed.accessKey };
}
