/**
 * Error bodies in every shape the task APIs use (docs/api/errors.md), read with a size cap.
 */

/** At most this much of an error body is read; the rest is dropped with the connection. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
const MAX_FIELD_CHARS = 512;

export interface ErrorPayload {
  readonly errorCode: string | undefined;
  readonly errorMsg: string | undefined;
  readonly errorExtMsg: string | undefined;
}

const EMPTY: ErrorPayload = Object.freeze({
  errorCode: undefined,
  errorMsg: undefined,
  errorExtMsg: undefined,
});

/**
 * Reads at most `maxBytes` of a body stream, never the whole of an unbounded body. Stopping early ends the
 * iteration, which destroys the stream (and that connection).
 */
export async function readBodyCapped(
  body: AsyncIterable<Uint8Array> | null,
  maxBytes: number = MAX_ERROR_BODY_BYTES,
): Promise<{ text: string; truncated: boolean }> {
  if (body === null) return { text: '', truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    const room = maxBytes - size;
    if (chunk.byteLength >= room) {
      chunks.push(chunk.subarray(0, room));
      size += room;
      truncated = chunk.byteLength > room;
      if (truncated) break;
      continue;
    }
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  return { text: Buffer.concat(chunks, size).toString('utf8'), truncated };
}

function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : clip(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return clip(JSON.stringify(value));
  } catch {
    return undefined;
  }
}

function clip(text: string): string {
  return text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS)}…` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Plain-text summary of an HTML or text body: tags and entities dropped, whitespace collapsed. */
function summarizeText(text: string): string | undefined {
  const stripped = text
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&[a-z]+;|&#\d+;/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return stripped === '' ? undefined : clip(stripped);
}

/**
 * Parses an error body into its code, message and extra message. Shapes, first match wins:
 * `{error_code, error_msg, error_ext_msg}` (DCS, ModelArts, OMS, API gateway, with `request_id`),
 * `{errorCode, message}` (DIS), `{error: {code, message, title}}` (IAM), `{code, message}`,
 * then HTML or plain text (the message is the text), then empty.
 */
export function parseErrorPayload(text: string): ErrorPayload {
  const trimmed = text.trim();
  if (trimmed === '') return EMPTY;
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return { errorCode: undefined, errorMsg: summarizeText(trimmed), errorExtMsg: undefined };
  }
  if (!isRecord(json)) return { errorCode: undefined, errorMsg: asText(json), errorExtMsg: undefined };

  if ('error_code' in json || 'error_msg' in json) {
    return {
      errorCode: asText(json.error_code),
      errorMsg: asText(json.error_msg),
      errorExtMsg: asText(json.error_ext_msg),
    };
  }
  if ('errorCode' in json) {
    return {
      errorCode: asText(json.errorCode),
      errorMsg: asText(json.message ?? json.errorMessage),
      errorExtMsg: undefined,
    };
  }
  if (isRecord(json.error)) {
    const inner = json.error;
    return {
      errorCode: asText(inner.code ?? inner.error_code),
      errorMsg: asText(inner.message ?? inner.error_msg),
      errorExtMsg: asText(inner.title),
    };
  }
  if ('code' in json || 'message' in json) {
    return { errorCode: asText(json.code), errorMsg: asText(json.message), errorExtMsg: undefined };
  }
  return { errorCode: undefined, errorMsg: asText(json), errorExtMsg: undefined };
}

/** Secrets shorter than this are not scrubbed from text (they would match ordinary words). */
const MIN_SECRET_CHARS = 6;

/**
 * `text` with every occurrence of each secret (as sent, percent-encoded, or base64) replaced by `[REDACTED]`: an
 * error message that quotes the request's credentials (a gateway or proxy echoing headers) must not carry them
 * into a log line or the report.
 */
export function scrubSecrets(text: string | undefined, secrets: readonly string[]): string | undefined {
  if (text === undefined || secrets.length === 0) return text;
  let scrubbed = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_CHARS) continue;
    for (const form of new Set([
      secret,
      encodeURIComponent(secret),
      Buffer.from(secret).toString('base64'),
    ])) {
      scrubbed = scrubbed.split(form).join('[REDACTED]');
    }
  }
  return scrubbed;
}
