/**
 * What the CLI prints for a person: the summary table, the tasks a run would delete, the command that applies a
 * dry run, and what a policy selects. Pure functions of their input (the report, the plan, the clock), so every
 * line is table-tested; the cloud functions print none of this.
 */
import { enabledServices } from '../lib/policy/overrides';
import { DELETABLE_STATES } from '../lib/policy/states';
import type { Policy } from '../lib/policy/types';
import {
  computeTotals,
  type Report,
  type ServiceCounts,
  type ServiceReport,
  type TargetReport,
} from '../lib/report';
import type { SavedPlanTask } from '../lib/saved-plan';
import { descriptorOf, PARENT_KEYS } from '../lib/sources/catalog';
import { targetLabel } from '../lib/targets/select';
import { SERVICE_IDS, type ServiceId } from '../lib/types';

/** Everything printed for a person fits this many columns. */
export const MAX_WIDTH = 100;
/** Tasks shown per service unless `--list` asks for all. */
export const TASKS_SHOWN_PER_SERVICE = 10;
/** Failures and unknown outcomes quoted per service under the table. */
const NOTES_PER_SERVICE = 5;

// ---------------------------------------------------------------------------------------------------------
// The summary table

/**
 * The columns, named exactly as the report's JSON fields (README "The report"), so that a header cannot be read
 * as two columns or as another counter. `skipped` and `kept` are broken down by reason under the table.
 */
const COLUMNS: readonly { readonly title: string; readonly value: (c: ServiceCounts) => number }[] = [
  { title: 'listed', value: (c) => c.listed },
  { title: 'stale', value: (c) => c.stale },
  { title: 'deleted', value: (c) => c.deleted },
  { title: 'wouldDelete', value: (c) => c.wouldDelete },
  { title: 'alreadyGone', value: (c) => c.alreadyGone },
  { title: 'failed', value: (c) => c.failed },
  { title: 'unknown', value: (c) => c.unknown },
  { title: 'skipped', value: (c) => sumOf(c.skipped) },
  { title: 'kept', value: (c) => sumOf(c.kept) },
];

function sumOf(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/** Marks a service that could not be listed; its error is quoted under the table. */
const ERROR_MARK = '! ';

/** The run's title and target: what was done, where, with which policy and tool. */
export function renderReportHeader(report: Report): string {
  const stopped = report.stoppedBy === undefined ? '' : `, STOPPED EARLY (${report.stoppedBy})`;
  const mode = report.dryRun ? `DRY RUN${stopped}: nothing was deleted` : `APPLIED${stopped}`;
  const target = report.target;
  const sections = report.targets ?? [];
  const where =
    sections.length > 1
      ? describeTargets(sections)
      : target === undefined
        ? 'unknown (the run ended before it knew its project)'
        : `${target.cloud} ${target.region}, project ${target.projectId ?? 'unknown (not resolved)'}${target.projectName !== undefined && target.projectName !== target.projectId ? ` (${printable(target.projectName)})` : ''}`;
  return [
    mode,
    `  ${sections.length > 1 ? 'targets' : 'target '} ${where}`,
    `  policy  ${printable(report.policy.source ?? 'unknown source')} (digest ${report.policy.digest})`,
    `  cap     at most ${report.policy.maxDeletesPerRun} tasks per run, oldest first`,
    `  run     ${report.startedAt} → ${report.finishedAt}, ${report.tool.name} ${report.tool.version}`,
  ].join('\n');
}

/** `3 targets in 2 regions of huaweicloud: cn-north-4/a, cn-north-4/b, eu-west-101/c` (at most 5 named). */
function describeTargets(sections: readonly TargetReport[]): string {
  const regions = new Set(sections.map((t) => t.region));
  const named = sections.slice(0, 5).map((t) => printable(targetLabel(t)));
  const more = sections.length > 5 ? `, … and ${sections.length - 5} more` : '';
  return `${sections.length} targets in ${regions.size} region${regions.size === 1 ? '' : 's'} of ${sections[0]?.cloud ?? '?'}: ${named.join(', ')}${more}`;
}

/** One row per service; with several targets, one block of rows per target under its name. */
function tableRows(
  report: Report,
  columns: typeof COLUMNS,
): { readonly rows: string[][]; readonly anyError: boolean } {
  const sections = report.targets ?? [];
  const cells = (counts: ServiceCounts) => columns.map((c) => String(c.value(counts)));
  if (sections.length <= 1) {
    const entries = Object.entries(report.services).filter(
      (entry): entry is [string, ServiceReport] => entry[1] !== undefined,
    );
    const anyError = entries.some(([, entry]) => entry.error !== undefined);
    const rows = entries.map(([service, entry]) => [
      `${entry.error ? ERROR_MARK : anyError ? '  ' : ''}${service}`,
      ...cells(entry),
    ]);
    return { rows, anyError };
  }
  const rows: string[][] = [];
  for (const target of sections) {
    const status =
      target.status === 'done' ? '' : ` (${target.status}${target.stoppedBy ? `: ${target.stoppedBy}` : ''})`;
    rows.push([printable(`${targetLabel(target)}${status}`).slice(0, MAX_WIDTH), ...columns.map(() => '')]);
    if (target.status === 'skipped') continue;
    for (const [service, entry] of Object.entries(target.services)) {
      if (entry) rows.push([`${entry.error ? '!   ' : '    '}${service}`, ...cells(entry)]);
    }
  }
  return { rows, anyError: false };
}

/** The per-service table (with totals), the breakdown of `skipped` and `kept`, and errors and failures below. */
export function renderReportTable(report: Report): string {
  const columns = COLUMNS.filter((c) => (report.dryRun ? c.title !== 'deleted' : c.title !== 'wouldDelete'));
  const entries = Object.entries(report.services).filter(
    (entry): entry is [string, ServiceReport] => entry[1] !== undefined,
  );
  const { rows, anyError } = tableRows(report, columns);
  const totals = computeTotals(report);
  const totalRow = [`${anyError ? '  ' : ''}total`, ...columns.map((c) => String(c.value(totals)))];
  const header = [`${anyError ? '  ' : ''}service`, ...columns.map((c) => c.title)];
  // A target's name row spans the table: it does not widen the first column.
  const sized = rows.filter((r) => r.slice(1).some((cell) => cell !== ''));
  const widths = header.map((h, i) =>
    Math.max(h.length, ...[...sized, totalRow].map((r) => (r[i] ?? '').length)),
  );
  // Headers are single words, so one space still separates them when two would not fit (millions of tasks).
  const gap = widths.reduce((sum, w) => sum + w + 2, -2) > MAX_WIDTH ? ' ' : '  ';
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join(gap)
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join(gap);
  const lines = [line(header), rule, ...rows.map(line), rule, line(totalRow)];

  const breakdown = (label: string, counts: Readonly<Record<string, number>>): string | undefined => {
    const parts = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${reason} ${n}`);
    return parts.length === 0 ? undefined : `${label}: ${parts.join(', ')}`;
  };
  for (const text of [breakdown('skipped', totals.skipped), breakdown('kept', totals.kept)]) {
    if (text !== undefined) lines.push(...wrapWords(text, MAX_WIDTH, '  '));
  }
  for (const [service, entry] of entries) lines.push(...serviceNotes(service, entry));
  return lines.join('\n');
}

function serviceNotes(service: string, entry: ServiceReport): string[] {
  const notes: string[] = [];
  if (entry.error) {
    notes.push(`${ERROR_MARK}${service}: not listed, nothing deleted: ${printable(entry.error.message)}`);
  }
  const quote = (list: readonly ServiceReport['failures'][number][], total: number, what: string) => {
    for (const f of list.slice(0, NOTES_PER_SERVICE)) {
      const host = f.host === undefined ? '' : ` at ${f.host}`;
      const where = f.target === undefined ? '' : ` in ${f.target}`;
      notes.push(
        printable(
          `${service}: task ${f.taskId} (${f.name})${where} ${what}${host}: ${[f.status, f.errorCode, f.errorMsg].filter((p) => p !== undefined && p !== '').join(' ')}`,
        ),
      );
    }
    if (total > NOTES_PER_SERVICE) notes.push(`${service}: … and ${total - NOTES_PER_SERVICE} more ${what}`);
  };
  quote(entry.failures, entry.failed, 'failed');
  quote(entry.unknownTasks ?? [], entry.unknown, 'outcome unknown');
  return notes;
}

/** Breaks `text` at spaces into lines of at most `width` characters; continuation lines get `indent`. */
export function wrapWords(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = `${indent}${word}`;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  if (current !== '') lines.push(current);
  return lines;
}

// ---------------------------------------------------------------------------------------------------------
// The tasks a run would delete

export interface TaskListOptions {
  readonly tasks: readonly SavedPlanTask[];
  readonly nowMs: number;
  /** Show every task (`--list`); otherwise the oldest `TASKS_SHOWN_PER_SERVICE` per service. */
  readonly all: boolean;
  /** Whether the tasks were deleted already (an applied run) or would be. */
  readonly verb: 'would delete' | 'to delete';
  /** @default MAX_WIDTH */
  readonly width?: number;
}

/** `412d`, `36h`, `5m`: how long ago a task ended, in the largest unit that keeps two digits of meaning. */
export function formatAge(ageMs: number): string {
  const minutes = Math.floor(Math.max(0, ageMs) / 60_000);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** Cuts `text` to `width` characters, ending with `…` when it was longer. */
function cutTo(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * Per service, the oldest tasks (id, name, parent, state, age) with "… and N more" and where to get the rest.
 * Ids are never cut (an operator copies them); names and parents share what is left of the width.
 */
export function renderTaskList(options: TaskListOptions): string {
  const width = options.width ?? MAX_WIDTH;
  const byService = new Map<ServiceId, SavedPlanTask[]>();
  for (const task of options.tasks) {
    const list = byService.get(task.service) ?? [];
    list.push(task);
    byService.set(task.service, list);
  }
  if (byService.size === 0) return 'No task is stale: nothing to delete.';
  const lines: string[] = [
    `${options.verb === 'would delete' ? 'Tasks this run would delete' : 'Tasks to delete'}, oldest first (${options.tasks.length} in all${options.all ? '' : `; at most ${TASKS_SHOWN_PER_SERVICE} per service shown`}):`,
  ];
  let hidden = 0;
  for (const service of SERVICE_IDS) {
    const tasks = byService.get(service);
    if (tasks === undefined) continue;
    const sorted = [...tasks].sort((a, b) => a.endedAtMs - b.endedAtMs);
    const shown = options.all ? sorted : sorted.slice(0, TASKS_SHOWN_PER_SERVICE);
    const hasParent = shown.some((t) => t.parentName !== undefined || t.parentId !== undefined);
    const cells = shown.map((t) => ({
      id: printable(t.id),
      name: t.name === '' ? '(no name)' : printable(t.name),
      parent: printable(t.parentName ?? t.parentId ?? ''),
      state: printable(t.state),
      age: formatAge(options.nowMs - t.endedAtMs),
    }));
    const idWidth = Math.max(2, ...cells.map((c) => c.id.length));
    const stateWidth = Math.max(5, ...cells.map((c) => c.state.length));
    const ageWidth = Math.max(3, ...cells.map((c) => c.age.length));
    // Two spaces of indent, two between columns; what is left goes to the name (and the parent, if any).
    const fixed = 2 + idWidth + 2 + stateWidth + 2 + ageWidth + 2 + (hasParent ? 2 : 0);
    const free = Math.max(16, width - fixed);
    const longestName = Math.max(4, ...cells.map((c) => c.name.length));
    const longestParent = hasParent ? Math.max(6, ...cells.map((c) => c.parent.length)) : 0;
    const parentWidth = hasParent ? Math.min(longestParent, Math.max(6, Math.floor(free / 3))) : 0;
    const nameWidth = Math.min(longestName, free - parentWidth);
    const row = (id: string, name: string, parent: string, state: string, age: string) =>
      [
        `  ${id.padEnd(idWidth)}`,
        cutTo(name, nameWidth).padEnd(nameWidth),
        ...(hasParent ? [cutTo(parent, parentWidth).padEnd(parentWidth)] : []),
        state.padEnd(stateWidth),
        age.padStart(ageWidth),
      ]
        .join('  ')
        .trimEnd();
    lines.push('', `${service}: ${tasks.length} ${tasks.length === 1 ? 'task' : 'tasks'}`);
    lines.push(row('id', 'name', 'parent', 'state', 'age'));
    for (const c of cells) lines.push(row(c.id, c.name, c.parent, c.state, c.age));
    const more = sorted.length - shown.length;
    if (more > 0) {
      hidden += more;
      lines.push(`  … and ${more} more`);
    }
  }
  if (hidden > 0) {
    lines.push(
      '',
      ...wrapWords(
        `${hidden} tasks not shown: --list prints them all; --plan-out FILE writes the whole list to a plan file.`,
        width,
        '',
      ),
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// The command that applies a dry run

export interface ApplyCommandOptions {
  /** How the operator runs the tool: `task-janitor`, or `npm run purge --` in the repository. */
  readonly program: 'task-janitor' | 'npm run purge --';
  readonly policyPath: string | undefined;
  readonly services: readonly ServiceId[] | undefined;
  readonly olderThan: string | undefined;
  readonly maxDeletesPerRun: number | undefined;
  /** `--region` values the dry run was narrowed to: without them the command would apply in every target. */
  readonly regions: readonly string[] | undefined;
  /** `--project` values (ids or names) the dry run was narrowed to. */
  readonly projects: readonly string[] | undefined;
  /** A plan file (`--plan-out FILE` was written, or `--plan FILE` was run dry): applying it deletes its tasks. */
  readonly planPath: string | undefined;
}

/**
 * The command line that applies what a dry run showed: its own selection (narrowing included) plus `--apply`; a
 * plan file carries its selection and targets itself.
 */
export function renderApplyCommand(options: ApplyCommandOptions): string {
  const args =
    options.planPath !== undefined
      ? ['--plan', options.planPath]
      : [
          ...(options.policyPath !== undefined ? ['--policy', options.policyPath] : []),
          ...(options.services ?? []).flatMap((s) => ['--service', s]),
          ...(options.olderThan !== undefined ? ['--older-than', options.olderThan] : []),
          ...(options.maxDeletesPerRun !== undefined
            ? ['--max-deletes', String(options.maxDeletesPerRun)]
            : []),
          ...(options.regions ?? []).flatMap((region) => ['--region', region]),
          ...(options.projects ?? []).flatMap((project) => ['--project', project]),
        ];
  const purge = options.program === 'task-janitor' ? 'task-janitor purge' : 'npm run purge --';
  return [purge, ...args.map(quoteForShell), '--apply'].join(' ');
}

/** An argument as a POSIX shell reads it back unchanged. */
export function quoteForShell(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------------------
// What a policy selects (`validate`)

/**
 * What `validate FILE` prints: per service, what the policy selects, and what the CLI and the functions do with
 * it. The CLI plans only, whatever `dryRun` says, until it is given `--apply`.
 */
export function describePolicy(policy: Policy, source: string): string {
  const lines = [`policy OK: ${printable(source)} (digest ${policy.digest})`];
  lines.push(
    ...(policy.dryRun
      ? [
          'dryRun: true: a dry run everywhere: the cloud functions and `task-janitor purge` only list and plan;',
          '  only `task-janitor purge --apply` removes the selected tasks.',
        ]
      : [
          'dryRun: false: the scheduled cloud functions remove the selected tasks;',
          '  `task-janitor purge` only lists and plans (a dry run) unless it is given --apply.',
        ]),
  );
  lines.push(`cap: at most ${policy.maxDeletesPerRun} tasks per run, oldest first (maxDeletesPerRun)`);
  const enabled = enabledServices(policy);
  lines.push(enabled.length === 0 ? 'selects nothing: no service is enabled' : 'selects:');
  for (const id of enabled) {
    const sp = policy.services[id];
    if (!sp) continue;
    const all = DELETABLE_STATES[id];
    const globs = (list: readonly string[]) => list.map((glob) => printable(glob)).join(' or ');
    lines.push(`  ${id}: older than ${sp.olderThan} (age from the ${descriptorOf(id).ageLabel})`);
    lines.push(
      sp.states === undefined || sp.states.length === all.length
        ? `    states: ${all.join(', ')} (every deletable state)`
        : `    states: ${sp.states.join(', ')} (of ${all.join(', ')})`,
    );
    const names = [
      sp.include === undefined ? 'any' : `matching ${globs(sp.include)}`,
      ...(sp.exclude === undefined ? [] : [`except ${globs(sp.exclude)}`]),
    ];
    lines.push(`    names: ${names.join(', ')}`);
    const parentWord = PARENT_KEYS[id];
    if (parentWord !== undefined) {
      lines.push(`    ${parentWord}: ${sp.parents === undefined ? 'any' : globs(sp.parents)}`);
    }
  }
  const disabled = SERVICE_IDS.filter((id) => policy.services[id] !== undefined && !enabled.includes(id));
  if (disabled.length > 0) lines.push(`disabled (enabled: false), never touched: ${disabled.join(', ')}`);
  const absent = SERVICE_IDS.filter((id) => policy.services[id] === undefined);
  if (absent.length > 0) lines.push(`not in the policy, never touched: ${absent.join(', ')}`);
  lines.push('Tasks in progress, in an unknown state or of unreadable age are always kept.');
  return lines.join('\n');
}

/**
 * Text from the cloud or a file, safe to print on a terminal: control characters (a newline in a task name, an
 * escape sequence) and bidirectional overrides are shown as `\u{…}` escapes instead of acting on the terminal.
 */
export function printable(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/g,
    (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`,
  );
}
