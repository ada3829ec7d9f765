/**
 * Command-line parsing for `task-janitor`: strict (unknown flags and stray arguments are errors), pure, and
 * complete (every problem is reported at once, as a `ConfigError`), so that a bad command line never sends a
 * request.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../lib/errors';
import type { PolicyOverrides } from '../lib/policy/types';
import { isServiceId, SERVICE_IDS, type ServiceId } from '../lib/types';

export interface PurgeCommand {
  readonly command: 'purge';
  /** `--policy FILE`; undefined means `TASK_JANITOR_POLICY`. */
  readonly policyPath: string | undefined;
  /** Only `--apply` turns deletion on: the flag wins over the policy's `dryRun`. */
  readonly overrides: PolicyOverrides & { readonly dryRun: boolean };
  readonly json: boolean;
  readonly reportPath: string | undefined;
  readonly planOutPath: string | undefined;
  readonly planPath: string | undefined;
}

export interface ValidateCommand {
  readonly command: 'validate';
  readonly policyPath: string;
}

export interface HelpCommand {
  readonly command: 'help';
}

export type CliCommand = PurgeCommand | ValidateCommand | HelpCommand;

export const USAGE = `Usage:
  task-janitor purge [options]      list stale tasks and delete them (dry run unless --apply)
  task-janitor validate FILE        check a policy file and summarise what it would touch
  task-janitor --help

purge options:
  --policy FILE        policy file (YAML or JSON); default: $TASK_JANITOR_POLICY (a path or inline YAML/JSON)
  --apply              really delete (otherwise a dry run, whatever the policy's dryRun says)
  --service ID         only this service (repeatable); narrows the policy, never widens it
                       ids: ${SERVICE_IDS.join(', ')}
  --older-than DUR     age for every selected service, e.g. 7d, 36h, P30D
  --max-deletes N      lower the policy's maxDeletesPerRun (never raises it)
  --json               print the report as JSON on stdout instead of the summary table
  --report FILE        also write the JSON report to FILE
  --plan-out FILE      dry run that writes the exact list of tasks it would delete to FILE
  --plan FILE          with --apply: delete exactly the tasks in FILE (each re-checked first)

Exit codes: 0 done (including nothing to do), 1 some operation failed, 2 invalid input or configuration
(nothing was sent to the cloud).
Cloud settings come from the environment (TASK_JANITOR_REGION, credentials, ...): see README.md.`;

const PURGE_OPTIONS = {
  policy: { type: 'string' },
  apply: { type: 'boolean' },
  service: { type: 'string', multiple: true },
  'older-than': { type: 'string' },
  'max-deletes': { type: 'string' },
  json: { type: 'boolean' },
  report: { type: 'string' },
  'plan-out': { type: 'string' },
  plan: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Parses `argv` (without `node` and the script path).
 * @throws ConfigError listing every problem with the command line.
 */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    return { command: 'help' };
  }
  if (command === 'purge') return parsePurgeArgs(rest);
  if (command === 'validate') return parseValidateArgs(rest);
  throw cliError([`unknown command "${command}" (expected purge, validate or --help)`]);
}

function parsePurgeArgs(args: readonly string[]): PurgeCommand | HelpCommand {
  const { values: raw, positionals, problems } = parseStrict(args, PURGE_OPTIONS);
  if (raw.help === true) return { command: 'help' };
  const serviceValues = raw.service;
  const values = {
    policy: stringOf(raw.policy),
    apply: raw.apply === true,
    service: Array.isArray(serviceValues)
      ? serviceValues.filter((v): v is string => typeof v === 'string')
      : [],
    'older-than': stringOf(raw['older-than']),
    'max-deletes': stringOf(raw['max-deletes']),
    json: raw.json === true,
    report: stringOf(raw.report),
    'plan-out': stringOf(raw['plan-out']),
    plan: stringOf(raw.plan),
  };
  for (const extra of positionals) problems.push(`unexpected argument "${extra}"`);

  const services: ServiceId[] = [];
  for (const service of values.service) {
    if (isServiceId(service)) {
      if (!services.includes(service)) services.push(service);
    } else {
      problems.push(`--service: unknown service "${service}" (expected one of ${SERVICE_IDS.join(', ')})`);
    }
  }
  const maxDeletes = values['max-deletes'];
  const maxDeletesPerRun = maxDeletes === undefined ? undefined : parseCount(maxDeletes);
  if (maxDeletes !== undefined && maxDeletesPerRun === undefined) {
    problems.push(`--max-deletes: expected a non-negative integer, got "${maxDeletes}"`);
  }
  const olderThan = values['older-than'];
  if (olderThan !== undefined && olderThan.trim() === '')
    problems.push('--older-than: expected a duration, got ""');
  const apply = values.apply;
  if (values['plan-out'] !== undefined && apply) {
    problems.push('--plan-out writes a plan from a dry run: it cannot be combined with --apply');
  }
  if (values['plan-out'] !== undefined && values.plan !== undefined) {
    problems.push('--plan and --plan-out cannot be combined');
  }
  for (const key of ['policy', 'report', 'plan-out', 'plan'] as const) {
    if (values[key] === '') problems.push(`--${key}: expected a file path, got ""`);
  }
  if (problems.length > 0) throw cliError(problems);

  return {
    command: 'purge',
    policyPath: values.policy,
    overrides: {
      dryRun: !apply,
      ...(services.length > 0 ? { services } : {}),
      ...(olderThan !== undefined ? { olderThan } : {}),
      ...(maxDeletesPerRun !== undefined ? { maxDeletesPerRun } : {}),
    },
    json: values.json,
    reportPath: values.report,
    planOutPath: values['plan-out'],
    planPath: values.plan,
  };
}

function parseValidateArgs(args: readonly string[]): ValidateCommand | HelpCommand {
  const { values, positionals, problems } = parseStrict(args, { help: { type: 'boolean', short: 'h' } });
  if (values.help === true) return { command: 'help' };
  if (problems.length > 0) throw cliError(problems);
  const [policyPath, ...extra] = positionals;
  if (policyPath === undefined || policyPath === '') throw cliError(['validate: expected a policy FILE']);
  if (extra.length > 0) throw cliError(extra.map((arg) => `unexpected argument "${arg}"`));
  return { command: 'validate', policyPath };
}

type OptionSpec = Readonly<
  Record<
    string,
    { readonly type: 'string' | 'boolean'; readonly multiple?: boolean; readonly short?: string }
  >
>;

interface ParsedFlags {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
  /** Unknown flags, missing or stray values. */
  readonly problems: string[];
}

/**
 * node:util parseArgs in non-strict token mode, checked here so that every unknown flag, missing value and
 * stray value is reported together (strict mode stops at the first).
 */
function parseStrict(args: readonly string[], options: OptionSpec): ParsedFlags {
  const { values, positionals, tokens } = parseArgs({
    args: [...args],
    options: options as NonNullable<Parameters<typeof parseArgs>[0]>['options'],
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const problems: string[] = [];
  for (const token of tokens ?? []) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (spec === undefined) problems.push(`unknown option "${token.rawName}"`);
    else if (spec.type === 'string' && token.value === undefined)
      problems.push(`${token.rawName}: expected a value`);
    else if (spec.type === 'boolean' && token.value !== undefined) {
      problems.push(`${token.rawName} takes no value, got "${token.value}"`);
    }
  }
  return { values: values as ParsedFlags['values'], positionals, problems };
}

function stringOf(value: ParsedFlags['values'][string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function parseCount(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

function cliError(problems: readonly string[], cause?: unknown): ConfigError {
  return new ConfigError(problems, { subject: 'command line', ...(cause === undefined ? {} : { cause }) });
}
