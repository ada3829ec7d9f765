/**
 * The first phase of every invocation: settings, policy, overrides (flags or the platform's event) and the
 * target regions are read and validated together, every problem reported in one `ConfigError`. Nothing is sent
 * anywhere (the policy file is the only thing read).
 *
 * Settings come from an env-like getter (`(key) => process.env[key]` on Lambda, `context.getUserData` on
 * FunctionGraph): `lib/` never reads `process.env` itself.
 */
import { readFile } from 'node:fs/promises';
import { type CloudName, type Config, loadConfig, readEndpoints } from './config';
import { ConfigError } from './errors';
import type { Platform } from './platform';
import { isInlinePolicy, loadPolicy } from './policy/load';
import { applyOverrides, enabledServices, parseManualEvent } from './policy/overrides';
import { regionsOf } from './policy/targets';
import type { Policy, PolicyOverrides, TargetNarrowing } from './policy/types';
import { redactUrl } from './redact-url';
import { REGIONS } from './regions';
import { descriptorOf } from './sources/catalog';

/** Reads one setting; `undefined` (or an empty string) means "not set". */
export type EnvGetter = (key: string) => string | undefined;

/** The variable that holds the policy: a path to a packaged file, or the policy itself (YAML/JSON). */
export const POLICY_ENV = 'TASK_JANITOR_POLICY';

export interface PrepareInvocationOptions {
  readonly env: EnvGetter;
  /** Narrowing overrides (CLI flags). @default {} */
  readonly overrides?: PolicyOverrides;
  /**
   * A platform event, turned into overrides by `platform.overridesOf` (wins over `overrides`); its `ConfigError`
   * is reported with every other problem.
   */
  readonly event?: unknown;
  /** Where the run happens: its event shapes, the credentials it holds, its metrics. @default none of them */
  readonly platform?: Platform;
  /** A policy path or inline text that wins over `TASK_JANITOR_POLICY` (the CLI's `--policy`). */
  readonly policySource?: string;
  /** How the report names where the policy came from, instead of the path or `inline` (a plan file's). */
  readonly policySourceLabel?: string;
  /** @default fs.readFile(path, 'utf8') */
  readonly readTextFile?: (path: string) => Promise<string>;
}

/** Everything validated: what `executeInvocation` needs besides the side effects. */
export interface PreparedInvocation {
  readonly config: Config;
  /** The effective policy (overrides applied). */
  readonly policy: Policy;
  /** Where the policy came from, for the report: its file path, `inline`, or a plan file's label. */
  readonly policySource: string;
  /** Every region the run may go to: the policy's target regions, or the configured one. */
  readonly regions: readonly string[];
  /** The endpoints of each of `regions` (their overrides validated here). */
  readonly regionEndpoints: ReadonlyMap<string, Config['endpoints']>;
  /** The operator's narrowing of the targets (CLI `--region`/`--project`, the event's `targets`/`target`). */
  readonly narrowing: TargetNarrowing | undefined;
  /** The event asked to list the targets only (`enumerateInvocation`). */
  readonly enumerate: boolean;
}

/** Collects every problem, each prefixed by where it came from. */
class Problems {
  readonly list: string[] = [];
  add(...problems: string[]): void {
    this.list.push(...problems);
  }
  /** A `ConfigError`'s problems under `subject`; anything else is a bug and is thrown. */
  collect(subject: string, error: unknown): void {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) this.list.push(`${subject}: ${problem}`);
  }
}

/**
 * Reads and validates the settings, the policy and the overrides, reporting every problem at once.
 * Sends nothing anywhere.
 * @throws ConfigError listing every problem, each prefixed by where it came from.
 */
export async function prepareInvocation(options: PrepareInvocationOptions): Promise<PreparedInvocation> {
  const env = toEnvRecord(options.env);
  const problems = new Problems();
  const config = readSettings(env, options.platform, problems);
  const overrides = readOverrides(options, problems);
  const source = options.policySource ?? env[POLICY_ENV];
  const policy = await readPolicy(source, overrides, options.readTextFile, problems);
  const narrowing = overrides?.targets;
  let regions: readonly string[] = [];
  let regionEndpoints = new Map<string, Config['endpoints']>();
  if (config !== undefined && policy !== undefined) {
    regions = policy.targets === undefined ? [config.region] : regionsOf(policy.targets);
    problems.add(...checkNarrowing(narrowing, regions, config.cloud));
    regionEndpoints = readRegionEndpoints(env, config, regions, problems);
    problems.add(...servicesOffCloud(policy, config.cloud));
  }
  if (problems.list.length > 0 || config === undefined || policy === undefined || source === undefined) {
    throw new ConfigError(problems.list);
  }
  const policySource = options.policySourceLabel ?? (isInlinePolicy(source) ? 'inline' : redactUrl(source));
  return {
    config,
    policy,
    policySource,
    regions,
    regionEndpoints,
    narrowing,
    enumerate: overrides?.enumerate === true,
  };
}

/** The environment's settings, with the platform's own credentials where the settings name none. */
function readSettings(
  env: Record<string, string | undefined>,
  platform: Platform | undefined,
  problems: Problems,
): Config | undefined {
  try {
    const credentials = platform?.credentials;
    const platformCredentials = credentials?.provide();
    return loadConfig(env, {
      ...(platformCredentials ? { platformCredentials } : {}),
      ...(credentials ? { noCredentialsHint: credentials.hint } : {}),
    });
  } catch (error) {
    problems.collect('environment', error);
    return undefined;
  }
}

/** The overrides: the caller's (CLI flags), or the platform event's (which win). Undefined when invalid. */
function readOverrides(options: PrepareInvocationOptions, problems: Problems): PolicyOverrides | undefined {
  if (!('event' in options)) return options.overrides ?? {};
  try {
    return (options.platform?.overridesOf ?? parseManualEvent)(options.event);
  } catch (error) {
    problems.collect('event', error);
    return undefined;
  }
}

/** The effective policy: read from `source` (a path or the policy itself), the overrides applied. */
async function readPolicy(
  source: string | undefined,
  overrides: PolicyOverrides | undefined,
  readTextFile: PrepareInvocationOptions['readTextFile'],
  problems: Problems,
): Promise<Policy | undefined> {
  if (source === undefined || source.trim() === '') {
    problems.add(`policy: no policy given: set ${POLICY_ENV} to a policy file path or inline YAML/JSON`);
    return undefined;
  }
  let loaded: Policy | undefined;
  try {
    loaded = await loadPolicy(source, readTextFile ?? ((path: string) => readFile(path, 'utf8')));
  } catch (error) {
    problems.collect('policy', error);
  }
  if (loaded === undefined || overrides === undefined) return undefined;
  try {
    return applyOverrides(loaded, overrides);
  } catch (error) {
    problems.collect('overrides', error);
    return undefined;
  }
}

/** Each region's endpoints; the overrides of the regions other than the configured one are validated here. */
function readRegionEndpoints(
  env: Record<string, string | undefined>,
  config: Config,
  regions: readonly string[],
  problems: Problems,
): Map<string, Config['endpoints']> {
  const endpoints = new Map<string, Config['endpoints']>();
  const found: string[] = [];
  for (const region of regions) {
    const configured = region === config.region;
    endpoints.set(
      region,
      configured ? config.endpoints : readEndpoints(env, config.cloud, region, { configured }, found),
    );
  }
  problems.add(...found.map((problem) => `environment: ${problem}`));
  return endpoints;
}

/**
 * What can be checked of a narrowing before anything is sent: it names only regions the run may go to, and the
 * configured cloud. Projects are checked once IAM has listed them (`lib/targets/resolve.ts`).
 */
function checkNarrowing(
  narrowing: TargetNarrowing | undefined,
  regions: readonly string[],
  cloud: CloudName,
): string[] {
  if (narrowing === undefined) return [];
  const problems: string[] = [];
  const outside = (region: string) => !regions.includes(region);
  const known = regions.join(', ');
  for (const region of (narrowing.regions ?? []).filter(outside)) {
    problems.push(
      `command line: --region ${region}: not among the policy's regions (${known}); it can only narrow them`,
    );
  }
  (narrowing.selectors ?? []).forEach((selector, index) => {
    for (const region of selector.regions.filter(outside)) {
      problems.push(
        `event: targets[${index}].regions: ${region} is not among the policy's regions (${known})`,
      );
    }
  });
  const single = narrowing.single;
  if (single !== undefined && outside(single.region)) {
    problems.push(`event: target.region: ${single.region} is not among the policy's regions (${known})`);
  }
  if (single?.cloud !== undefined && single.cloud !== cloud) {
    problems.push(
      `event: target.cloud: ${single.cloud}, but this function runs on ${cloud} (TASK_JANITOR_CLOUD)`,
    );
  }
  return problems;
}

/** An enabled service its cloud does not offer (OMS, SMS and the DCS task center on OTC): refused, not tried. */
function servicesOffCloud(policy: Policy, cloud: CloudName): string[] {
  return enabledServices(policy)
    .filter((service) => !descriptorOf(service).clouds.includes(cloud))
    .map(
      (service) =>
        `policy: services.${service}: ${descriptorOf(service).title}: not offered on ${REGIONS[cloud].label} (TASK_JANITOR_CLOUD=${cloud}); remove the service or set enabled: false`,
    );
}

/**
 * `loadConfig` takes a record; the platform hands over a getter. A read-only view that asks the getter per key,
 * treating an empty string as unset (deploy tools write `""` for an optional value left out).
 */
export function toEnvRecord(env: EnvGetter): Record<string, string | undefined> {
  return new Proxy({} as Record<string, string | undefined>, {
    get: (_target, key) => {
      if (typeof key !== 'string') return undefined;
      const value = env(key);
      return value === '' ? undefined : value;
    },
  });
}
