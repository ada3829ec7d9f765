/**
 * Environment → `Config`, validated once at the edge. Pure: takes `env` as an argument,
 * returns a frozen object with defaults applied, and reports every problem together in one `ConfigError`.
 */
import type { TokenSource } from './cloud/auth/static-token';
import { Secret } from './cloud/secret';
import { readEndpointOverrides, readEndpoints } from './endpoints';
import { ConfigError } from './errors';
import { REGION_ID_PATTERN } from './regions';
import type { CloudService } from './types';

export {
  defaultEndpoint,
  isLoopbackHost,
  parseEndpoint,
  readEndpoints,
  regionalEndpointVariable,
} from './endpoints';

export const CLOUDS = ['huaweicloud', 'otc'] as const;
export type CloudName = (typeof CLOUDS)[number];

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Exactly one credential kind. Secret parts are `Secret`s: they never print, log or serialize. */
export type Credentials =
  | {
      readonly kind: 'aksk';
      readonly accessKey: string;
      readonly secretKey: Secret;
      /** Present for temporary AK/SK (sent as X-Security-Token). */
      readonly securityToken: Secret | undefined;
    }
  | {
      readonly kind: 'password';
      readonly userName: string;
      readonly password: Secret;
      readonly domainName: string;
      /** Project name to scope the token to when no project id is given. @default the region */
      readonly projectName: string | undefined;
    }
  | {
      readonly kind: 'token';
      /** `TASK_JANITOR_AUTH_TOKEN`, or a platform's getter (asked again when the token expires). */
      readonly token: TokenSource;
    };

export type CredentialKind = Credentials['kind'];

/**
 * Every variable that selects credentials: any one of them set means the settings name the credentials, and a
 * platform's own (a FunctionGraph agency) are not used.
 */
export const CREDENTIAL_VARIABLES = [
  'HUAWEICLOUD_SDK_AK',
  'HUAWEICLOUD_SDK_SK',
  'HUAWEICLOUD_SDK_SECURITY_TOKEN',
  'OS_ACCESS_KEY',
  'OS_SECRET_KEY',
  'OS_USERNAME',
  'OS_PASSWORD',
  'OS_DOMAIN_NAME',
  'TASK_JANITOR_AUTH_TOKEN',
] as const;
export type CredentialVariable = (typeof CREDENTIAL_VARIABLES)[number];

/** The credential variables whose values are keys, passwords or tokens (the rest are names): what a secret store may hold. */
export const SECRET_CREDENTIAL_VARIABLES: readonly CredentialVariable[] = CREDENTIAL_VARIABLES.filter(
  (name) => name !== 'OS_USERNAME' && name !== 'OS_DOMAIN_NAME',
);

export interface LoadConfigOptions {
  /**
   * Credentials the platform holds (a FunctionGraph agency's token or temporary AK/SK), used only when none of
   * `CREDENTIAL_VARIABLES` is set.
   */
  readonly platformCredentials?: Credentials;
  /** Added to the "no credentials" problem: how this platform could supply them. */
  readonly noCredentialsHint?: string;
}

export interface Config {
  readonly cloud: CloudName;
  readonly region: string;
  /** Undefined: resolved from the region through IAM at the start of a run. */
  readonly projectId: string | undefined;
  /** Base URL per service host, without a trailing slash. */
  readonly endpoints: Readonly<Record<CloudService, string>>;
  readonly credentials: Credentials;
  readonly logLevel: LogLevel;
  /** Per-request timeout. `TASK_JANITOR_REQUEST_TIMEOUT_MS`. @default 30000 */
  readonly requestTimeoutMs: number;
  /** Concurrent requests per service host (and keep-alive sockets). `TASK_JANITOR_CONCURRENCY`. @default 16 */
  readonly concurrencyPerHost: number;
  /** Targets (region and project) purged at once. `TASK_JANITOR_TARGET_CONCURRENCY`. @default 4 */
  readonly targetConcurrency: number;
  /** Attempts per call, first one included. `TASK_JANITOR_MAX_ATTEMPTS`. @default 5 */
  readonly maxAttempts: number;
  /** Total time one call may spend retrying. `TASK_JANITOR_MAX_RETRY_TIME_MS`. @default 60000 */
  readonly maxRetryTimeMs: number;
}

export const CONFIG_DEFAULTS = Object.freeze({
  cloud: 'huaweicloud' as CloudName,
  logLevel: 'info' as LogLevel,
  requestTimeoutMs: 30_000,
  concurrencyPerHost: 16,
  targetConcurrency: 4,
  maxAttempts: 5,
  maxRetryTimeMs: 60_000,
});

const REGION_PATTERN = REGION_ID_PATTERN;
const PROJECT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function present(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function parsePositiveInt(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  problems: string[],
  { max }: { max: number },
): number {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    problems.push(`${name} must be an integer from 1 to ${max}, got "${raw}"`);
    return fallback;
  }
  return Number(raw);
}

/** Reads one variable, accepting an alias; both given with different values is a problem. */
function readAliased(
  env: Record<string, string | undefined>,
  name: string,
  alias: string,
  problems: string[],
): string | undefined {
  const value = present(env, name);
  const aliased = present(env, alias);
  if (value !== undefined && aliased !== undefined && value !== aliased) {
    problems.push(`${name} and ${alias} are both set to different values; set only one`);
  }
  return value ?? aliased;
}

function readCredentials(
  env: Record<string, string | undefined>,
  problems: string[],
  options: LoadConfigOptions,
): Credentials | undefined {
  const named = CREDENTIAL_VARIABLES.some((name) => present(env, name) !== undefined);
  if (!named && options.platformCredentials !== undefined) return options.platformCredentials;
  const complete: Credentials[] = [];
  const completeNames: string[] = [];

  const ak = readAliased(env, 'HUAWEICLOUD_SDK_AK', 'OS_ACCESS_KEY', problems);
  const sk = readAliased(env, 'HUAWEICLOUD_SDK_SK', 'OS_SECRET_KEY', problems);
  const securityToken = present(env, 'HUAWEICLOUD_SDK_SECURITY_TOKEN');
  if (ak !== undefined || sk !== undefined || securityToken !== undefined) {
    const missing = [
      ak === undefined ? 'HUAWEICLOUD_SDK_AK (or OS_ACCESS_KEY)' : undefined,
      sk === undefined ? 'HUAWEICLOUD_SDK_SK (or OS_SECRET_KEY)' : undefined,
    ].filter((m): m is string => m !== undefined);
    if (missing.length > 0 || ak === undefined || sk === undefined) {
      problems.push(`AK/SK credentials are incomplete: missing ${missing.join(' and ')}`);
    } else {
      complete.push({
        kind: 'aksk',
        accessKey: ak,
        secretKey: new Secret(sk),
        securityToken: securityToken === undefined ? undefined : new Secret(securityToken),
      });
      completeNames.push('AK/SK (HUAWEICLOUD_SDK_AK/SK)');
    }
  }

  const userName = present(env, 'OS_USERNAME');
  // Kept as given (spaces may be part of a password), but a password of spaces only is a slip: unset.
  const password =
    env.OS_PASSWORD === undefined || env.OS_PASSWORD.trim() === '' ? undefined : env.OS_PASSWORD;
  const domainName = present(env, 'OS_DOMAIN_NAME');
  if (userName !== undefined || password !== undefined || domainName !== undefined) {
    const missing = [
      userName === undefined ? 'OS_USERNAME' : undefined,
      password === undefined ? 'OS_PASSWORD' : undefined,
      domainName === undefined ? 'OS_DOMAIN_NAME' : undefined,
    ].filter((m): m is string => m !== undefined);
    if (userName === undefined || password === undefined || domainName === undefined) {
      problems.push(`password credentials are incomplete: missing ${missing.join(', ')}`);
    } else {
      complete.push({
        kind: 'password',
        userName,
        password: new Secret(password),
        domainName,
        projectName: present(env, 'OS_PROJECT_NAME'),
      });
      completeNames.push('password (OS_USERNAME/OS_PASSWORD/OS_DOMAIN_NAME)');
    }
  }

  const token = present(env, 'TASK_JANITOR_AUTH_TOKEN');
  if (token !== undefined) {
    complete.push({ kind: 'token', token: new Secret(token) });
    completeNames.push('token (TASK_JANITOR_AUTH_TOKEN)');
  }

  if (complete.length > 1) {
    problems.push(`several credential kinds are set (${completeNames.join(', ')}); set exactly one`);
    return undefined;
  }
  if (complete.length === 0 && !problems.some((p) => p.includes('credentials are incomplete'))) {
    problems.push(
      `no credentials: set HUAWEICLOUD_SDK_AK + HUAWEICLOUD_SDK_SK, or OS_USERNAME + OS_PASSWORD + OS_DOMAIN_NAME, or TASK_JANITOR_AUTH_TOKEN${options.noCredentialsHint ? `; ${options.noCredentialsHint}` : ''}`,
    );
  }
  return complete[0];
}

/**
 * Validates the environment once and returns a frozen `Config`.
 *
 * @throws ConfigError listing every problem, each naming its variable. Nothing has been sent anywhere.
 * @example const config = loadConfig(process.env); // in a handler or the CLI only
 */
export function loadConfig(env: Record<string, string | undefined>, options: LoadConfigOptions = {}): Config {
  const problems: string[] = [];

  const cloudRaw = present(env, 'TASK_JANITOR_CLOUD') ?? CONFIG_DEFAULTS.cloud;
  const cloud = (CLOUDS as readonly string[]).includes(cloudRaw) ? (cloudRaw as CloudName) : undefined;
  if (cloud === undefined)
    problems.push(`TASK_JANITOR_CLOUD must be one of ${CLOUDS.join(', ')}, got "${cloudRaw}"`);

  const region = present(env, 'TASK_JANITOR_REGION');
  if (region === undefined)
    problems.push('TASK_JANITOR_REGION is required (a region id such as eu-de or cn-north-4)');
  else if (!REGION_PATTERN.test(region)) {
    problems.push(`TASK_JANITOR_REGION must be a region id such as eu-de or cn-north-4, got "${region}"`);
  }

  const projectId = present(env, 'TASK_JANITOR_PROJECT_ID');
  if (projectId !== undefined && !PROJECT_ID_PATTERN.test(projectId)) {
    problems.push(
      `TASK_JANITOR_PROJECT_ID must be a project id (letters, digits, - and _), got "${projectId}"`,
    );
  }

  const endpoints =
    cloud !== undefined && region !== undefined && REGION_PATTERN.test(region)
      ? readEndpoints(env, cloud, region, { configured: true }, problems)
      : readEndpointOverrides(env, problems);

  const credentials = readCredentials(env, problems, options);

  const logLevelRaw = present(env, 'TASK_JANITOR_LOG_LEVEL') ?? CONFIG_DEFAULTS.logLevel;
  const logLevel = (LOG_LEVELS as readonly string[]).includes(logLevelRaw)
    ? (logLevelRaw as LogLevel)
    : undefined;
  if (logLevel === undefined) {
    problems.push(`TASK_JANITOR_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevelRaw}"`);
  }

  const limits = readLimits(env, problems);

  if (problems.length > 0 || cloud === undefined || region === undefined || !credentials || !logLevel) {
    throw new ConfigError(problems);
  }
  return Object.freeze({
    cloud,
    region,
    projectId,
    endpoints,
    credentials: Object.freeze(credentials),
    logLevel,
    ...limits,
  });
}

/** The numeric limits, each an integer in its range or its default. */
const LIMITS = [
  ['requestTimeoutMs', 'TASK_JANITOR_REQUEST_TIMEOUT_MS', 900_000],
  ['concurrencyPerHost', 'TASK_JANITOR_CONCURRENCY', 256],
  ['targetConcurrency', 'TASK_JANITOR_TARGET_CONCURRENCY', 64],
  ['maxAttempts', 'TASK_JANITOR_MAX_ATTEMPTS', 20],
  ['maxRetryTimeMs', 'TASK_JANITOR_MAX_RETRY_TIME_MS', 900_000],
] as const;

type Limits = Pick<Config, (typeof LIMITS)[number][0]>;

function readLimits(env: Record<string, string | undefined>, problems: string[]): Limits {
  const limits = {} as Record<keyof Limits, number>;
  for (const [key, variable, max] of LIMITS) {
    limits[key] = parsePositiveInt(env, variable, CONFIG_DEFAULTS[key], problems, { max });
  }
  return limits;
}
