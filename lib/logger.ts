/**
 * The pino logger every part logs through (one JSON object per line). Redaction is a second line of defence:
 * the client never puts a secret into a log object in the first place.
 */
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from './config';

/** Keys whose values are never written, at the top level and up to two levels deep. */
export const REDACTED_KEYS = [
  'authorization',
  'Authorization',
  'x-auth-token',
  'X-Auth-Token',
  'x-subject-token',
  'X-Subject-Token',
  'x-security-token',
  'X-Security-Token',
  'password',
  'sk',
  'secretKey',
  'secret_key',
  'token',
  'authToken',
  'securityToken',
  'security_token',
  'signature',
  'credentials',
] as const;

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of REDACTED_KEYS) {
    const segment = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    const join = (prefix: string) =>
      segment.startsWith('[') ? `${prefix}${segment}` : `${prefix}.${segment}`;
    paths.push(segment.startsWith('[') ? segment : key, join('*'), join('*.*'));
  }
  return paths;
}

export interface CreateLoggerOptions {
  /** @default 'info' */
  level?: LogLevel | 'silent';
  /** Where lines go. @default stdout */
  destination?: DestinationStream;
  /** Fields on every line (e.g. the Lambda request id). */
  base?: Record<string, unknown>;
}

/** A pino logger with secret redaction, ISO timestamps and the level as a label (`"level":"warn"`). */
export function createLogger(options: CreateLoggerOptions = {}): PinoLogger {
  const pinoOptions = {
    level: options.level ?? 'info',
    base: options.base ?? null,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: redactPaths(), censor: '[REDACTED]' },
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}
