/**
 * Credentials from AWS Systems Manager Parameter Store, read by the Lambda function at run time (the default in
 * `serverless.yml`): the keys never sit in the function's configuration, where anyone allowed
 * `lambda:GetFunctionConfiguration` could read them, and rotating them needs no redeploy.
 *
 * `TASK_JANITOR_SSM_PARAMETERS` maps credential variables to SecureString parameters:
 * `HUAWEICLOUD_SDK_AK=/task-janitor/prod/access-key,HUAWEICLOUD_SDK_SK=/task-janitor/prod/secret-key`.
 * Before any cloud request of the invocation, one `GetParameters` call (`WithDecryption`) reads them; the values
 * are merged into the settings getter that `lib/invocation.ts` validates as usual. Every invocation reads them
 * again: no module state, a rotated key is used by the next run, and a daily function pays one SSM call per run.
 *
 * AWS-specific, so it lives with the handler: `lib/` stays cloud-agnostic. `@aws-sdk/client-ssm` comes from the
 * Lambda runtime (external in the bundle) and is loaded only when parameters are configured.
 */
import type { GetParametersCommandOutput, SSMClient } from '@aws-sdk/client-ssm';
import { SECRET_CREDENTIAL_VARIABLES } from '../../lib/config';
import { ConfigError, JanitorError } from '../../lib/errors';
import type { BuildDeps, EnvGetter } from '../../lib/invocation';
import { redactUrlsInText } from '../../lib/redact-url';

/** The setting naming the SecureString parameter of each credential variable. */
export const SSM_PARAMETERS_ENV = 'TASK_JANITOR_SSM_PARAMETERS';

/** The variables a parameter may fill: the secret credential settings of `lib/config.ts`, nothing else. */
export const SSM_SECRET_VARIABLES = SECRET_CREDENTIAL_VARIABLES;

/** How long the whole read may take, SDK retries included. */
export const SSM_READ_TIMEOUT_MS = 10_000;

/** One credential variable and the parameter that holds its value. */
export interface SsmParameterRef {
  readonly variable: string;
  readonly parameter: string;
}

/**
 * Parses `TASK_JANITOR_SSM_PARAMETERS` (`VARIABLE=parameter-name` pairs separated by commas or whitespace).
 * @throws ConfigError listing every malformed entry, unknown or repeated variable.
 */
export function parseSsmParameters(value: string): SsmParameterRef[] {
  const problems: string[] = [];
  const refs: SsmParameterRef[] = [];
  const allowed: readonly string[] = SSM_SECRET_VARIABLES;
  for (const entry of value.split(/[\s,]+/).filter((e) => e !== '')) {
    const at = entry.indexOf('=');
    const variable = at < 0 ? '' : entry.slice(0, at);
    const parameter = at < 0 ? '' : entry.slice(at + 1);
    if (variable === '' || parameter === '') {
      problems.push(`${SSM_PARAMETERS_ENV}: expected VARIABLE=parameter-name, got "${entry}"`);
    } else if (!allowed.includes(variable)) {
      problems.push(`${SSM_PARAMETERS_ENV}: ${variable} cannot come from SSM (one of ${allowed.join(', ')})`);
    } else if (refs.some((r) => r.variable === variable)) {
      problems.push(`${SSM_PARAMETERS_ENV}: ${variable} is named twice`);
    } else {
      refs.push({ variable, parameter });
    }
  }
  if (problems.length === 0 && refs.length === 0) {
    problems.push(`${SSM_PARAMETERS_ENV}: set but names no parameter`);
  }
  if (problems.length > 0) throw new ConfigError(problems, { subject: 'environment' });
  return refs;
}

/**
 * `GetParameters` (decrypted) through `@aws-sdk/client-ssm` with the default region and credential chains (on
 * Lambda: `AWS_REGION` and the function's role). The SDK honours `AWS_ENDPOINT_URL_SSM` (`@smithy/core`
 * `getEndpointUrlConfig`, service id "SSM"), which the tests use to point it at a local peer. The bundle turns
 * the `import()` into a `require()` (serverless.yml `supported`), resolved through Lambda's NODE_PATH.
 */
async function getSecureParameters(
  names: readonly string[],
  signal: AbortSignal,
): Promise<GetParametersCommandOutput> {
  const { SSMClient, GetParametersCommand } = await import('@aws-sdk/client-ssm');
  const client: SSMClient = new SSMClient({});
  try {
    return await client.send(new GetParametersCommand({ Names: [...names], WithDecryption: true }), {
      abortSignal: signal,
    });
  } finally {
    // No pooled socket outlives the invocation.
    client.destroy();
  }
}

export interface ResolveSsmSecretsOptions {
  /** @default SSM_READ_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** Told which variables are set directly, so their parameters are not read. */
  readonly onSetDirectly?: (refs: readonly SsmParameterRef[]) => void;
}

/**
 * Reads the SecureString parameters `TASK_JANITOR_SSM_PARAMETERS` names and returns a getter that answers them
 * for their variables (and `env` for everything else). Without that setting, returns `env` and calls nothing.
 * A variable already set directly wins and its parameter is not read (`serverless invoke local`, tests).
 *
 * @throws ConfigError naming each parameter that is missing, not a SecureString, or could not be read (access
 *   denied, KMS refused, no region, no network path, timeout); never a value.
 * @throws JanitorError when SSM itself fails (a 5xx after the SDK's retries).
 */
export async function resolveSsmSecrets(
  env: EnvGetter,
  options: ResolveSsmSecretsOptions = {},
): Promise<EnvGetter> {
  const setting = env(SSM_PARAMETERS_ENV);
  if (setting === undefined || setting.trim() === '') return env;
  const refs = parseSsmParameters(setting);
  const isSet = (variable: string) => (env(variable) ?? '') !== '';
  const setDirectly = refs.filter((r) => isSet(r.variable));
  if (setDirectly.length > 0) options.onSetDirectly?.(setDirectly);
  const toRead = refs.filter((r) => !isSet(r.variable));
  if (toRead.length === 0) return env;

  const values = await readSecureStrings(toRead, options);
  return (key) => values.get(key) ?? env(key);
}

/** Variable → decrypted value for every ref: one `GetParameters` call (its limit, 10 names, exceeds the 7 variables). */
async function readSecureStrings(
  refs: readonly SsmParameterRef[],
  options: ResolveSsmSecretsOptions,
): Promise<Map<string, string>> {
  const names = [...new Set(refs.map((r) => r.parameter))];
  const forWhat = (name: string) =>
    `SSM parameter "${name}" (${refs
      .filter((r) => r.parameter === name)
      .map((r) => r.variable)
      .join(', ')})`;
  const timeoutMs = options.timeoutMs ?? SSM_READ_TIMEOUT_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let output: GetParametersCommandOutput;
  try {
    output = await getSecureParameters(names, controller.signal);
  } catch (error) {
    const what = names.map(forWhat).join(', ');
    if (controller.signal.aborted) {
      throw new ConfigError(
        [
          `${what}: no answer from SSM within ${timeoutMs} ms (does the function reach SSM: VPC endpoint or NAT?)`,
        ],
        { subject: 'environment', cause: error },
      );
    }
    const code = error instanceof Error ? error.name : 'Error';
    // An SDK message may quote the endpoint it called: cut any URL to scheme, host and path.
    const message = redactUrlsInText(error instanceof Error ? error.message : String(error));
    if (isServerFault(error)) {
      throw new JanitorError(`${what} could not be read: SSM failed with ${code}: ${message}`, {
        cause: error,
      });
    }
    throw new ConfigError([`${what} could not be read: ${code}: ${message}`], {
      subject: 'environment',
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }

  const problems: string[] = [];
  const byName = new Map<string, string>();
  for (const name of names) {
    const found = output.Parameters?.find(
      (p) => p.Name === name || p.ARN === name || `${p.Name ?? ''}${p.Selector ?? ''}` === name,
    );
    if (found === undefined || (output.InvalidParameters ?? []).includes(name)) {
      problems.push(`${forWhat(name)} does not exist in this account and region`);
    } else if (found.Type !== 'SecureString') {
      problems.push(
        `${forWhat(name)} is of type ${found.Type ?? 'unknown'}: store credentials as SecureString`,
      );
    } else if (found.Value === undefined || found.Value === '') {
      problems.push(`${forWhat(name)} has no value`);
    } else {
      byName.set(name, found.Value);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, { subject: 'environment' });
  return new Map(refs.map((r) => [r.variable, byName.get(r.parameter) ?? '']));
}

function isServerFault(error: unknown): boolean {
  return typeof error === 'object' && error !== null && '$fault' in error && error.$fault === 'server';
}

/**
 * `resolveSsmSecrets` for a handler: a failure is logged as one `error` line (a `ConfigError` like every invalid
 * input: `invalid input, nothing sent`, listing the problems) and rethrown; a variable set directly next to its parameter is
 * logged as a `warn` line naming both (never a value).
 */
export async function resolveSsmSecretsForInvocation(
  env: EnvGetter,
  options: { readonly buildDeps: BuildDeps; readonly logBase: Record<string, unknown> },
): Promise<EnvGetter> {
  const { buildDeps, logBase } = options;
  try {
    return await resolveSsmSecrets(env, {
      onSetDirectly: (refs) =>
        buildDeps({ logLevel: 'warn', logBase }).log.warn(
          { variables: refs.map((r) => r.variable), parameters: refs.map((r) => r.parameter) },
          'credentials set directly win over their SSM parameters, which are not read',
        ),
    });
  } catch (error) {
    const log = buildDeps({ logLevel: 'error', logBase }).log;
    if (error instanceof ConfigError)
      log.error({ err: error, problems: error.problems }, 'invalid input, nothing sent');
    else log.error({ err: error }, 'credentials could not be read from SSM, nothing sent');
    throw error;
  }
}
