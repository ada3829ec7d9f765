/**
 * Command-line parsing for `task-janitor`: strict (unknown flags and stray arguments are errors), pure, and
 * complete (every problem is reported at once, as a `ConfigError`), so that a bad command line never sends a
 * request.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../lib/errors';
import { checkDuration } from '../lib/policy/duration';
import type { PolicyOverrides, TargetNarrowing } from '../lib/policy/types';
import { redactUrlsInText } from '../lib/redact-url';
import { REGION_ID_PATTERN } from '../lib/regions';
import { isServiceId, SERVICE_IDS, type ServiceId } from '../lib/types';
import { TOOL_VERSION } from '../lib/version';

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
  /** `--plan-max-age`: a plan older than this is refused. @default 24 h */
  readonly planMaxAgeMs: number;
  /** `--list`: show every task a dry run would delete, not only the oldest per service. */
  readonly list: boolean;
  /** `--yes`: apply on a terminal without asking for the confirmation. */
  readonly yes: boolean;
  /** `--log-format`; undefined: `text` when stderr is a terminal, else `json`. */
  readonly logFormat: LogFormat | undefined;
}

export const LOG_FORMATS = ['text', 'json'] as const;
/** `text`: one short line per event worth attention, counters on the progress bar; `json`: the raw log lines. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A plan older than this is refused unless `--plan-max-age` says otherwise. */
export const DEFAULT_PLAN_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export interface ValidateCommand {
  readonly command: 'validate';
  readonly policyPath: string;
}

export interface HelpCommand {
  readonly command: 'help';
}

export interface VersionCommand {
  readonly command: 'version';
}

export type CliCommand = PurgeCommand | ValidateCommand | HelpCommand | VersionCommand;

/** What `--version` prints. */
export const VERSION_LINE = `task-janitor ${TOOL_VERSION}`;

export const USAGE = `${VERSION_LINE}

Usage:
  task-janitor purge [options]      list stale tasks and delete them (dry run unless --apply)
  task-janitor validate FILE        check a policy file and summarise what it would touch
  task-janitor --help
  task-janitor --version

purge options:
  --policy FILE        policy file (YAML or JSON); default: $TASK_JANITOR_POLICY (a path or inline YAML/JSON)
  --apply              really delete (otherwise a dry run, whatever the policy's dryRun says)
  --service ID         only this service (repeatable); narrows the policy, never widens it
                       ids: ${SERVICE_IDS.join(', ')}
  --region REGION      only this region of the policy's targets (repeatable); never adds one
  --project PROJECT    only this project, by id or name (repeatable); never adds one
  --older-than DUR     age for every selected service, e.g. 7d, 36h, P30D
  --max-deletes N      lower the policy's maxDeletesPerRun (never raises it)
  --json               print the report as JSON on stdout instead of the summary table (one object, also
                       when the run fails: then with its "error")
  --report FILE        also write the JSON report to FILE
  --plan-out FILE      dry run that writes the exact list of tasks it would delete to FILE, bound to this
                       account (cloud, region, project, endpoint hosts) and selection (policy and flags)
  --plan FILE          with --apply: delete exactly the tasks in FILE, each re-checked first; runs the
                       plan's selection (flags need not be repeated; a flag or policy that differs is refused)
                       and only against the account and targets the plan was made for (--region and
                       --project are refused with it)
  --plan-max-age DUR   refuse a plan older than this (default 24h)
  --list               show every task the run would delete (default: the 10 oldest per service)
  --yes, -y            with --apply on a terminal: delete without asking for the confirmation
  --log-format FMT     text (short lines above the progress bar; the default when stderr is a terminal)
                       or json (one JSON object per line; the default otherwise)

A dry run lists the oldest tasks it would delete per service and ends with the command that applies it.
On a terminal, --apply first lists and plans as a dry run, shows the tasks, and asks you to type the
project (or region) name; anything else aborts with nothing deleted. The plan you saw is then applied,
each task re-checked first. Without a terminal (scripts, CI) or with --yes there is no question.

Every check (flags, environment, policy, plan file, output paths) runs before the first request.
Ctrl-C (or SIGTERM) stops starting new work, writes the report of what was done and exits 130 (143 for
SIGTERM); a second Ctrl-C at least a second later quits at once.

Exit codes: 0 done (including nothing to do, a dry run, and an aborted confirmation), 1 some operation
failed, 2 invalid input or configuration (the message says whether anything was sent: nothing, or only IAM
to resolve the project id), 130 interrupted by Ctrl-C (SIGINT), 143 stopped by SIGTERM, 129 the
terminal closed (SIGHUP); each writes the report of what was done.
Cloud settings come from the environment (TASK_JANITOR_REGION, credentials, ...): see README.md.`;

const PURGE_OPTIONS = {
  policy: { type: 'string' },
  apply: { type: 'boolean' },
  service: { type: 'string', multiple: true },
  region: { type: 'string', multiple: true },
  project: { type: 'string', multiple: true },
  'older-than': { type: 'string' },
  'max-deletes': { type: 'string' },
  json: { type: 'boolean' },
  report: { type: 'string' },
  'plan-out': { type: 'string' },
  plan: { type: 'string' },
  'plan-max-age': { type: 'string' },
  list: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A command line read as far as it goes, with every problem found: purge reports them with its own checks. */
export interface ReadCommandLine {
  /** Undefined for an unknown command. A purge command is filled in from every valid flag. */
  readonly command: CliCommand | undefined;
  readonly problems: readonly string[];
}

/**
 * Parses `argv` (without `node` and the script path).
 * @throws ConfigError listing every problem with the command line.
 */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const { command, problems } = readCommandLine(argv);
  if (command === undefined || problems.length > 0) throw cliError(problems);
  return command;
}

/** Like `parseCliArgs`, without throwing: the command as far as it could be read, and every problem. */
export function readCommandLine(argv: readonly string[]): ReadCommandLine {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    return { command: { command: 'help' }, problems: [] };
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    const problems = rest.map((arg) => `unexpected argument "${arg}"`);
    return { command: { command: 'version' }, problems };
  }
  if (command === 'purge') return parsePurgeArgs(rest);
  if (command === 'validate') return parseValidateArgs(rest);
  return {
    command: undefined,
    problems: [`unknown command "${command}" (expected purge, validate, --help or --version)`],
  };
}

function parsePurgeArgs(args: readonly string[]): ReadCommandLine {
  const { values: raw, positionals, problems } = parseStrict(args, PURGE_OPTIONS);
  if (raw.help === true) return { command: { command: 'help' }, problems: [] };
  const serviceValues = raw.service;
  const listOf = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
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
    'plan-max-age': stringOf(raw['plan-max-age']),
    'log-format': stringOf(raw['log-format']),
  };
  for (const extra of positionals) problems.push(`unexpected argument "${extra}"`);
  const targets = readTargetFlags(listOf(raw.region), listOf(raw.project), problems);

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
  const olderThanText = values['older-than'];
  let olderThan: string | undefined;
  if (olderThanText !== undefined) {
    const duration = checkDuration(olderThanText);
    if (duration.ok) olderThan = olderThanText;
    else problems.push(`--older-than: ${duration.message}`);
  }
  const apply = values.apply;
  if (values['plan-out'] !== undefined && apply) {
    problems.push('--plan-out writes a plan from a dry run: it cannot be combined with --apply');
  }
  if (values['plan-out'] !== undefined && values.plan !== undefined) {
    problems.push('--plan and --plan-out cannot be combined');
  }
  let planMaxAgeMs = DEFAULT_PLAN_MAX_AGE_MS;
  const planMaxAge = values['plan-max-age'];
  if (planMaxAge !== undefined) {
    const duration = checkDuration(planMaxAge);
    if (values.plan === undefined) problems.push('--plan-max-age only applies to --plan FILE');
    if (duration.ok) planMaxAgeMs = duration.ms;
    else problems.push(`--plan-max-age: ${duration.message}`);
  }
  const logFormatText = values['log-format'];
  const logFormat = LOG_FORMATS.find((format) => format === logFormatText);
  if (logFormatText !== undefined && logFormat === undefined) {
    problems.push(`--log-format: expected ${LOG_FORMATS.join(' or ')}, got "${logFormatText}"`);
  }
  if (raw.yes === true && !apply) problems.push('--yes confirms deleting: it needs --apply');
  for (const key of ['policy', 'report', 'plan-out', 'plan'] as const) {
    if (values[key] === '') problems.push(`--${key}: expected a file path, got ""`);
  }
  const nonEmpty = (text: string | undefined): string | undefined => (text === '' ? undefined : text);

  return {
    command: {
      command: 'purge',
      policyPath: nonEmpty(values.policy),
      overrides: {
        dryRun: !apply,
        ...(services.length > 0 ? { services } : {}),
        ...(olderThan !== undefined ? { olderThan } : {}),
        ...(maxDeletesPerRun !== undefined ? { maxDeletesPerRun } : {}),
        ...(targets !== undefined ? { targets } : {}),
      },
      json: values.json,
      reportPath: nonEmpty(values.report),
      planOutPath: nonEmpty(values['plan-out']),
      planPath: nonEmpty(values.plan),
      planMaxAgeMs,
      list: raw.list === true,
      yes: raw.yes === true,
      logFormat,
    },
    problems,
  };
}

/** `--region` and `--project`, each once per value: a narrowing of the policy's targets. */
function readTargetFlags(
  regions: readonly string[],
  projects: readonly string[],
  problems: string[],
): TargetNarrowing | undefined {
  for (const region of regions) {
    if (!REGION_ID_PATTERN.test(region)) {
      problems.push(`--region: expected a region id such as cn-north-4 or eu-de, got "${region}"`);
    }
  }
  for (const project of projects) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(project)) {
      problems.push(`--project: expected a project id or name, got "${project}"`);
    }
  }
  const unique = (values: readonly string[]) => [...new Set(values)];
  if (regions.length === 0 && projects.length === 0) return undefined;
  return {
    ...(regions.length > 0 ? { regions: unique(regions) } : {}),
    ...(projects.length > 0 ? { projects: unique(projects) } : {}),
  };
}

function parseValidateArgs(args: readonly string[]): ReadCommandLine {
  const { values, positionals, problems } = parseStrict(args, { help: { type: 'boolean', short: 'h' } });
  if (values.help === true) return { command: { command: 'help' }, problems: [] };
  const [policyPath, ...extra] = positionals;
  if (policyPath === undefined || policyPath === '') problems.push('validate: expected a policy FILE');
  for (const arg of extra) problems.push(`unexpected argument "${arg}"`);
  return {
    command: policyPath === undefined || policyPath === '' ? undefined : { command: 'validate', policyPath },
    problems,
  };
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
  const givenValues = new Map<string, string[]>();
  for (const token of tokens ?? []) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (spec?.type === 'string' && spec.multiple !== true) {
      const given = givenValues.get(token.name) ?? [];
      // A value may be a presigned URL: it is quoted without its query.
      given.push(
        token.value === undefined ? token.rawName : `${token.rawName} ${redactUrlsInText(token.value)}`,
      );
      givenValues.set(token.name, given);
    }
    if (spec === undefined) problems.push(`unknown option "${token.rawName}"`);
    else if (spec.type === 'string' && token.value === undefined)
      problems.push(`${token.rawName}: expected a value`);
    else if (spec.type === 'boolean' && token.value !== undefined) {
      problems.push(`${token.rawName} takes no value, got "${token.value}"`);
    }
  }
  // The last of two values would win silently: `--policy a --policy b` is two answers to one question.
  for (const [name, given] of givenValues) {
    if (given.length > 1) {
      problems.push(`--${name}: given ${given.length} times (${given.join(', ')}); give it once`);
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

export function cliError(problems: readonly string[], cause?: unknown): ConfigError {
  return new ConfigError(problems, { subject: 'command line', ...(cause === undefined ? {} : { cause }) });
}
