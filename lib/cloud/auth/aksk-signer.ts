/**
 * SDK-HMAC-SHA256 request signing (docs/api/auth.md, with the verified test vector), as Huawei Cloud / OTC API gateways verify it.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Secret } from '../secret';
import type { AuthProvider, AuthRequest } from './types';

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** RFC 3986 encoding: only `A-Z a-z 0-9 - . _ ~` stay as they are; UTF-8 bytes as upper-case `%XX`. */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decodeLenient(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Canonical URI: each `/`-separated segment percent-decoded then RFC 3986-encoded (so a path that is
 * already encoded, as `apiPath` builds it, is encoded exactly once), with a trailing `/`.
 */
export function canonicalUri(pathname: string): string {
  const uri = pathname
    .split('/')
    .map((segment) => encodeRfc3986(decodeLenient(segment)))
    .join('/');
  return uri.endsWith('/') ? uri : `${uri}/`;
}

/** Canonical query: pairs decoded, re-encoded, sorted by key then value (code-unit order), joined with `&`. */
export function canonicalQueryString(search: string): string {
  const raw = search.startsWith('?') ? search.slice(1) : search;
  if (raw === '') return '';
  const pairs = raw
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const key = eq === -1 ? part : part.slice(0, eq);
      const value = eq === -1 ? '' : part.slice(eq + 1);
      return [encodeRfc3986(decodeLenient(key)), encodeRfc3986(decodeLenient(value))] as const;
    });
  pairs.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** `X-Sdk-Date` format: `YYYYMMDDTHHmmssZ` (UTC). */
export function formatSdkDate(date: Date): string {
  return `${date.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface SignInput {
  method: string;
  /** The exact URL sent (path and query as on the wire). */
  url: URL;
  /** Headers sent and signed besides `host` and `X-Sdk-Date` (content-type, X-Project-Id, X-Security-Token). */
  headers: Readonly<Record<string, string>>;
  /** The exact body bytes sent; undefined for no body. */
  body: string | undefined;
  accessKey: string;
  secretKey: string;
  /** Signing time (becomes X-Sdk-Date). */
  date: Date;
}

export interface SignResult {
  /** Headers to add to the request: `X-Sdk-Date` and `Authorization`. */
  headers: Record<string, string>;
  canonicalRequest: string;
  signedHeaders: string;
}

/** Signs one request; every header passed in (and `host`, `x-sdk-date`) is signed. */
export function signRequest(input: SignInput): SignResult {
  const sdkDate = formatSdkDate(input.date);
  const toSign = new Map<string, string>();
  for (const [name, value] of Object.entries(input.headers)) toSign.set(name.toLowerCase(), value);
  toSign.set('host', input.url.host);
  toSign.set('x-sdk-date', sdkDate);
  const names = [...toSign.keys()].sort();
  const canonicalHeaders = names.map((name) => `${name}:${toSign.get(name) ?? ''}\n`).join('');
  const signedHeaders = names.join(';');
  const payloadHash =
    input.body === undefined ? EMPTY_BODY_SHA256 : sha256Hex(Buffer.from(input.body, 'utf8'));
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalUri(input.url.pathname),
    canonicalQueryString(input.url.search),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const stringToSign = `${SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', input.secretKey).update(stringToSign).digest('hex');
  return {
    headers: {
      'X-Sdk-Date': sdkDate,
      Authorization: `${SIGNING_ALGORITHM} Access=${input.accessKey}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    },
    canonicalRequest,
    signedHeaders,
  };
}

export interface AkskAuthOptions {
  accessKey: string;
  secretKey: Secret;
  /** Temporary AK/SK: sent (and signed) as X-Security-Token. */
  securityToken?: Secret | undefined;
  /** The signing clock (deps.now). */
  now: () => Date;
}

/**
 * AK/SK auth: signs every request. `X-Project-Id` goes to project-level services only; IAM calls are
 * signed without it (X-Domain-Id is not known from AK/SK alone).
 */
export function createAkskAuth(options: AkskAuthOptions): AuthProvider {
  return {
    kind: 'aksk',
    async authorize(request: AuthRequest): Promise<Record<string, string>> {
      const headers: Record<string, string> = { ...request.headers };
      if (request.projectId !== undefined && request.service !== 'iam')
        headers['X-Project-Id'] = request.projectId;
      if (options.securityToken) headers['X-Security-Token'] = options.securityToken.reveal();
      const signed = signRequest({
        method: request.method,
        url: request.url,
        headers,
        body: request.body,
        accessKey: options.accessKey,
        secretKey: options.secretKey.reveal(),
        date: options.now(),
      });
      return { ...headers, ...signed.headers };
    },
  };
}
