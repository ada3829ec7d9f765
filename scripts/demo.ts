/**
 * `npm run demo`: the main job on the embedded emulator. Starts a seeded local cloud (2,500 tasks over the five
 * original services and 250 SMS migration tasks, with throttling and 5xx faults switched on), then runs `task-janitor purge` twice through the CLI's
 * own `main` (same code path as the command): a dry run, then `--apply`. Prints both summaries, and counts the
 * in-progress OMS migration tasks the applied run kept, naming the first ten.
 */

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../cli/main';
import { startEmulator } from '../emulator/index';
import { TASK_APIS, type TaskApiId } from '../emulator/types';

const POLICY = `version: 1
dryRun: true
maxDeletesPerRun: 5000
services:
  dcs-center-tasks: { olderThan: 30d }
  dcs-background-tasks: { olderThan: 30d }
  modelarts-processor-tasks: { olderThan: 14d, states: [completed, failed, stopped] }
  oms-migration-tasks: { olderThan: 30d, exclude: ['keep-*'] }
  dis-dump-tasks: { olderThan: 30d }
  sms-migration-tasks:
    olderThan: 30d
    states: [MIGRATE_SUCCESS, MIGRATE_FAIL, SYNC_SUCCESS, SYNC_FAIL, SYNC_F_ROLLBACK_SUCCESS]
`;

interface DecisionLine {
  msg?: string;
  service?: string;
  taskId?: string;
  name?: string;
  state?: string;
  action?: string;
  reason?: string;
  willRetry?: boolean;
}

/** Joins items with ", " into lines of at most `width` characters, indented. */
function wrap(items: readonly string[], width = 110): string {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line !== '' && line.length + item.length + 2 > width) {
      lines.push(line);
      line = '';
    }
    line = line === '' ? item : `${line}, ${item}`;
  }
  if (line !== '') lines.push(line);
  return lines.map((l) => `  ${l}`).join('\n');
}

/** How many kept tasks the summary names; the rest are counted. */
export const KEPT_TASKS_SHOWN = 10;

/** The count of kept in-progress OMS tasks and the first few of them, so the summary fits a screen. */
export function describeKeptTasks(tasks: readonly string[], shown = KEPT_TASKS_SHOWN): string {
  const head = `In-progress OMS migration tasks skipped (never stopped, never deleted): ${tasks.length}`;
  if (tasks.length === 0) return `${head}\n`;
  const rest = tasks.length - shown;
  const more = rest > 0 ? `\n  … and ${rest} more` : '';
  const which = rest > 0 ? `; the first ${shown}:` : ':';
  return `${head}${which}\n${wrap(tasks.slice(0, shown))}${more}\n`;
}

async function runDemo(): Promise<number> {
  const emulator = await startEmulator({
    seed: 2024,
    tasks: 2500,
    faults: [
      { service: '*', operation: '*', throttleShare: 0.01 },
      { service: 'dcs', operation: '*', rateLimitPerSecond: 300 },
      { service: 'oms', operation: '*', serverErrorShare: 0.02 },
      { service: 'modelarts', operation: '*', serverErrorShare: 0.02 },
    ],
  });
  try {
    const env: Record<string, string> = { ...emulator.endpointEnv(), TASK_JANITOR_POLICY: POLICY };
    const out = (text: string) => process.stdout.write(text);
    const seeded = (Object.keys(TASK_APIS) as TaskApiId[]).reduce(
      (n, api) => n + emulator.tasks(api).length,
      0,
    );
    out(
      `Local cloud: ${emulator.account.region}, project ${emulator.account.projectId}, ${seeded} seeded tasks,\n`,
    );
    out('throttling (429 APIG.0308 + Retry-After) and 5xx faults on.\n\n');

    const decisions: DecisionLine[] = [];
    // JSON log lines (retried 429/5xx answers at warn; per-task decisions at info) are kept for the summary
    // below; progress lines go to the terminal.
    const stderr = {
      isTTY: process.stderr.isTTY,
      columns: process.stderr.columns,
      write: (text: string) => {
        if (text.startsWith('{')) decisions.push(JSON.parse(text) as DecisionLine);
        else process.stderr.write(text);
      },
    };
    const retriedAnswers = () => decisions.filter((d) => d.willRetry === true).length;

    out('$ task-janitor purge            # dry run\n');
    // The demo reads the JSON log lines itself, also when stderr is a terminal.
    const dryCode = await main(['purge', '--log-format', 'json'], {
      stdout: { write: out },
      stderr,
      env: (key) => env[key],
    });
    out(`exit ${dryCode}; ${retriedAnswers()} throttled or 5xx answers were retried and recovered\n\n`);
    decisions.length = 0;

    out('$ task-janitor purge --apply\n');
    const applyEnv: Record<string, string> = { ...env, TASK_JANITOR_LOG_LEVEL: 'info' };
    const applyCode = await main(['purge', '--apply', '--log-format', 'json'], {
      stdout: { write: out },
      stderr,
      env: (key) => applyEnv[key],
    });
    out(
      `exit ${applyCode}; ${retriedAnswers()} throttled or 5xx answers retried; the emulator recorded ${emulator.deletions().length} deletions\n\n`,
    );

    const keptOms = decisions.filter(
      (d) =>
        d.msg === 'task decision' &&
        d.service === 'oms-migration-tasks' &&
        /in-progress/.test(d.reason ?? ''),
    );
    out(describeKeptTasks(keptOms.map((d) => `${d.taskId} ${JSON.stringify(d.name)} (${d.state})`)));
    // Exit 1 (some delete failed after its retries) is a legitimate outcome; the demo itself succeeded.
    return dryCode === 0 && (applyCode === 0 || applyCode === 1) ? 0 : 1;
  } finally {
    await emulator.close();
  }
}

const isMain =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) process.exitCode = await runDemo();
