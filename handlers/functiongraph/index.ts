/**
 * FunctionGraph entry point (Huawei Cloud and Open Telekom Cloud; runtime Node.js20.15, handler
 * `index.handler`). The same purge as the Lambda handler, through the same `lib/invocation.ts`; only the
 * platform glue differs:
 * - events: the TIMER trigger event (`{"version", "time", "trigger_type": "TIMER", "trigger_name",
 *   "user_event"}`), whose `user_event` string is empty (run the policy) or holds the manual event as JSON, or
 *   with the manual keys beside the TIMER fields (not both); or a manual invocation whose body is the manual
 *   event itself (`./event.ts`);
 * - settings: `context.getUserData(KEY)` with the same names as everywhere else, `RUNTIME_PROJECT_ID` as the
 *   fallback project id, relative policy paths resolved against the code directory;
 * - credentials: explicit ones in the (encrypted) user data win; otherwise the function's agency, handed to
 *   `lib/` as the platform's credentials: the temporary AK/SK + security token, else `context.getToken()` as
 *   X-Auth-Token (asked again when it expires);
 * - deadline from `context.getRemainingTimeInMilliSeconds()`; logs as JSON lines on stdout, which LTS collects.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DestinationStream } from 'pino';
import { Secret } from '../../lib/cloud/secret';
import { CREDENTIAL_VARIABLES, type Credentials } from '../../lib/config';
import { createDefaultDeps } from '../../lib/default-deps';
import { type EnvGetter, type FunctionResult, functionResultOf, invokePurge } from '../../lib/invocation';
import type { Platform } from '../../lib/platform';
import { overridesFromFunctionGraphEvent } from './event';

/** The part of the FunctionGraph Node.js context the handler uses (FG-NODE `context.rst`). */
export interface FunctionGraphContextLike {
  getRequestID(): string;
  getRemainingTimeInMilliSeconds(): number;
  getUserData(key: string): string | undefined;
  /** IAM token of the function's agency; empty without an agency. */
  getToken(): string | undefined;
  getSecurityAccessKey(): string | undefined;
  getSecuritySecretKey(): string | undefined;
  getSecurityToken(): string | undefined;
  /** Implemented by the runtime (reads RUNTIME_PROJECT_ID) but not in the documented table. */
  getProjectID?(): string | undefined;
}

const PROJECT_ID_KEY = 'TASK_JANITOR_PROJECT_ID';

export interface FunctionGraphHandlerOptions {
  /** Where the JSON log lines go. @default stdout, which LTS collects */
  readonly logDestination?: DestinationStream;
  /** The runtime's own environment (RUNTIME_PROJECT_ID, RUNTIME_CODE_ROOT). @default process.env */
  readonly runtimeEnv?: Readonly<Record<string, string | undefined>>;
  /** Directory relative policy paths are read from. @default the bundle's directory, else RUNTIME_CODE_ROOT, else cwd */
  readonly codeRoot?: string;
}

export type FunctionGraphHandler = (
  event: unknown,
  context: FunctionGraphContextLike,
) => Promise<FunctionResult>;

/** Builds the handler; `handler` below is the one FunctionGraph calls. */
export function createHandler(options: FunctionGraphHandlerOptions = {}): FunctionGraphHandler {
  return async (event, context) => {
    const runtimeEnv = options.runtimeEnv ?? process.env;
    const codeRoot = options.codeRoot ?? defaultCodeRoot(runtimeEnv);
    const settings = functionGraphSettings(context, runtimeEnv);
    const result = await invokePurge({
      env: settings.env,
      event,
      platform: settings.platform,
      readTextFile: (file) => readFile(path.resolve(codeRoot, file), 'utf8'),
      buildDeps: (deps) =>
        createDefaultDeps({
          ...deps,
          ...(options.logDestination ? { destination: options.logDestination } : {}),
        }),
      logBase: { requestId: context.getRequestID(), credentialSource: settings.credentialSource },
      remainingTimeMs: () => context.getRemainingTimeInMilliSeconds(),
    });
    return functionResultOf(result);
  };
}

export const handler: FunctionGraphHandler = createHandler();

/** The event parser the handler uses (`./event.ts`). */
export { overridesFromFunctionGraphEvent };

/** Where the run's credentials come from: the user data, the agency's token, its temporary AK/SK, or nowhere. */
export type CredentialSource = 'user-data' | 'agency-token' | 'agency-aksk' | 'none';

export interface FunctionGraphSettings {
  readonly env: EnvGetter;
  readonly credentialSource: CredentialSource;
  /** FunctionGraph as `lib/` sees it: its events, and its agency's credentials when the user data names none. */
  readonly platform: Platform;
}

/**
 * Settings for `prepareInvocation`: the function's user data first; the project id falls back to the
 * runtime's RUNTIME_PROJECT_ID; credentials fall back to the agency unless the user data names any.
 */
export function functionGraphSettings(
  context: FunctionGraphContextLike,
  runtimeEnv: Readonly<Record<string, string | undefined>>,
): FunctionGraphSettings {
  const userData = (key: string): string | undefined => nonEmpty(call(() => context.getUserData(key)));
  const hasExplicitCredentials = CREDENTIAL_VARIABLES.some((key) => userData(key) !== undefined);
  const agency = hasExplicitCredentials ? undefined : agencyCredentials(context);
  const env: EnvGetter = (key) => {
    const value = userData(key);
    if (value !== undefined) return value;
    if (key === PROJECT_ID_KEY) {
      return nonEmpty(runtimeEnv.RUNTIME_PROJECT_ID) ?? nonEmpty(call(() => context.getProjectID?.()));
    }
    return undefined;
  };
  return {
    env,
    credentialSource: hasExplicitCredentials ? 'user-data' : (agency?.source ?? 'none'),
    platform: {
      overridesOf: overridesFromFunctionGraphEvent,
      credentials: {
        provide: () => agency?.credentials,
        hint: 'or give the function an agency (its temporary AK/SK or token are used when the user data names no credentials)',
      },
    },
  };
}

/**
 * The agency's credentials: its temporary AK/SK with the security token when FunctionGraph hands them over, else
 * its token (a getter, asked again when the token expires). The AK/SK come first because a token is scoped to the
 * function's own project, while a signature names the project per request (`X-Project-Id`): a policy with
 * `targets` reaches every project the agency's role covers.
 */
function agencyCredentials(
  context: FunctionGraphContextLike,
): { source: 'agency-token' | 'agency-aksk'; credentials: Credentials } | undefined {
  const accessKey = nonEmpty(call(() => context.getSecurityAccessKey()));
  const secretKey = nonEmpty(call(() => context.getSecuritySecretKey()));
  const securityToken = nonEmpty(call(() => context.getSecurityToken()));
  if (accessKey !== undefined && secretKey !== undefined && securityToken !== undefined) {
    return {
      source: 'agency-aksk',
      credentials: {
        kind: 'aksk',
        accessKey,
        secretKey: new Secret(secretKey),
        securityToken: new Secret(securityToken),
      },
    };
  }
  if (nonEmpty(call(() => context.getToken())) === undefined) return undefined;
  return {
    source: 'agency-token',
    credentials: { kind: 'token', token: () => nonEmpty(call(() => context.getToken())) ?? '' },
  };
}

/** The code directory: where the bundle (and the packaged policy files) lives. */
function defaultCodeRoot(runtimeEnv: Readonly<Record<string, string | undefined>>): string {
  // `__dirname` exists in the CommonJS bundle; in an ES module (tests of the source) it does not.
  const bundleDir = typeof __dirname === 'string' ? __dirname : undefined;
  return bundleDir ?? nonEmpty(runtimeEnv.RUNTIME_CODE_ROOT) ?? process.cwd();
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** Context getters of other runtimes may throw where this one returns ''; either means "not available". */
function call<T>(getter: () => T): T | undefined {
  try {
    return getter();
  } catch {
    return undefined;
  }
}
