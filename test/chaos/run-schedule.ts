/**
 * Runs one chaos schedule against a shared emulator: resets the account, seeds its tasks and faults, runs a
 * purge through `runInvocation` (`invokePurge`: real config, real client over loopback HTTP, a pino logger kept
 * in memory) and returns everything the invariants need, read from the emulator's own records.
 */
import type {
  EmulatedTask,
  Emulator,
  EmulatorDeletion,
  EmulatorStateChange,
  ForeignRequest,
  RequestLogEntry,
} from '../../emulator/types';
import { nodeFetchLike, sleep } from '../../lib/default-deps';
import type { FetchLike } from '../../lib/deps';
import { InterruptError } from '../../lib/errors';
import type { Report } from '../../lib/report';
import { SERVICE_IDS, type ServiceId } from '../../lib/types';
import { runInvocation } from '../support/emulator-run';
import { mintToken } from '../support/iam-token';
import type { LogRecord } from '../support/log-capture';
import { TASK_APIS } from '../support/task-apis';
import {
  createRandom,
  DAY_MS,
  isWireDeletable,
  type Mutation,
  PARENT_GLOB,
  policyDocument,
  type Schedule,
  type ScheduledTask,
  stateLabel,
  wireStates,
} from './schedule';

/** The emulator's clock runs `skew.ms` ahead of the wall clock (token expiry without waiting a day). */
export interface Clock {
  skewMs: number;
}

export interface AppliedMutation {
  readonly mutation: Mutation;
  /** Wall-clock ms it was applied at; undefined when it could not be (the task was already gone). */
  readonly atMs: number | undefined;
  readonly key: string;
  readonly newState?: string | number;
}

/** One request as the client sent it and (when it did) read the answer: the client's side of the wire. */
export interface FetchRecord {
  readonly method: string;
  /** Path without the query, still percent-encoded. */
  readonly path: string;
  readonly host: string;
  /** Wall-clock ms when the client called fetch. */
  readonly calledAtMs: number;
  /** The answer's status, once the client received it (undefined: no answer reached it). */
  status?: number;
}

export interface Outcome {
  readonly schedule: Schedule;
  /** Every request the client sent, and the status of each answer it received. */
  readonly fetches: readonly FetchRecord[];
  /** Wall-clock ms when the run stopped starting work (deadline or interrupt), if it did before it ended. */
  readonly stopAtMs: number | undefined;
  readonly stateChanges: readonly EmulatorStateChange[];
  /** Requests that reached the foreign host a redirect points at (none ever should). */
  readonly foreignRequests: readonly ForeignRequest[];
  /** Requests of this run that reached the emulator after the run returned (none ever should). */
  readonly late: readonly RequestLogEntry[];
  /** Tasks in the emulator right before the run, by key. */
  readonly before: ReadonlyMap<string, EmulatedTask>;
  /** Tasks added while the run was under way (never listed by it). */
  readonly unlisted: ReadonlySet<string>;
  readonly mutations: readonly AppliedMutation[];
  readonly deletions: readonly EmulatorDeletion[];
  readonly requests: readonly RequestLogEntry[];
  readonly logs: readonly LogRecord[];
  /** The raw log text, for the secret scans. */
  readonly rawLogs: string;
  readonly report: Report | undefined;
  readonly thrown: unknown;
  readonly startMs: number;
  readonly endMs: number;
}

/** Identity of a task in the emulator (DIS names are unique per stream only). */
export function taskKey(service: ServiceId, id: string, parentId?: string): string {
  return service === 'dis-dump-tasks' ? `${service}|${parentId ?? ''}|${id}` : `${service}|${id}`;
}

/** Adds a scheduled task; the emulator writes the API's own time fields (none for an unknown age). */
function addScheduledTask(emulator: Emulator, task: ScheduledTask): EmulatedTask {
  return emulator.addTask({
    service: task.service,
    id: task.id,
    name: task.name,
    state: task.state,
    ...(task.parentId !== undefined ? { parentId: task.parentId } : {}),
    ...(task.sourceServer !== undefined ? { sourceServer: task.sourceServer } : {}),
    ageMs: task.age === 'unknown' ? null : task.ageMs,
  });
}

/** Removes every task of every service, so one emulator serves many schedules. */
export function emptyAccount(emulator: Emulator): void {
  for (const service of SERVICE_IDS) {
    for (const task of emulator.tasks(service)) emulator.removeTask(service, task.id, task.parentId);
  }
}

/** The schedule's settings on top of the emulator's environment (`undefined`: the variable is removed). */
function envFor(
  emulator: Emulator,
  schedule: Schedule,
  token: string | undefined,
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    TASK_JANITOR_REQUEST_TIMEOUT_MS: String(schedule.requestTimeoutMs),
    TASK_JANITOR_MAX_ATTEMPTS: String(schedule.maxAttempts),
    TASK_JANITOR_MAX_RETRY_TIME_MS: '1500',
    TASK_JANITOR_CONCURRENCY: String(schedule.concurrency),
    TASK_JANITOR_LOG_LEVEL: 'info',
  };
  if (schedule.credentials !== 'password') {
    env.OS_USERNAME = undefined;
    env.OS_PASSWORD = undefined;
    env.OS_DOMAIN_NAME = undefined;
  }
  if (schedule.credentials === 'aksk') {
    env.HUAWEICLOUD_SDK_AK = emulator.account.accessKey;
    env.HUAWEICLOUD_SDK_SK = emulator.account.secretKey;
  }
  if (schedule.credentials === 'token' && token !== undefined) env.TASK_JANITOR_AUTH_TOKEN = token;
  if (schedule.resolveProjectId) env.TASK_JANITOR_PROJECT_ID = undefined;
  return env;
}

/** A task the policy would select, added after the listing: it must never be deleted by this run. */
function unlistedTask(schedule: Schedule, service: ServiceId, serial: string): ScheduledTask {
  const rule = schedule.rules[service];
  const deletable = wireStates(service).deletable.filter(
    (s) => rule?.states === undefined || rule.states.includes(stateLabel(service, s)),
  );
  const state = deletable[0] ?? TASK_APIS[service].states.ended[0];
  const servers = TASK_APIS[service].sourceServerStates;
  const parentId =
    service === 'dcs-background-tasks'
      ? 'prod0001-0000-4000-8000-000000000001'
      : service === 'dis-dump-tasks'
        ? 'prod-a'
        : undefined;
  const id =
    service === 'oms-migration-tasks'
      ? String(5_000_000_000_000_000n + BigInt(serial.replace(/\D/g, '').slice(0, 12) || '1'))
      : service === 'dcs-background-tasks'
        ? `bg-added-${serial}`
        : `job-added-${serial}`;
  return {
    service,
    id,
    name: service === 'dis-dump-tasks' ? id : `job-added-${serial}`,
    ...(parentId !== undefined ? { parentId } : {}),
    state,
    ...(servers ? { sourceServer: { state: servers.idle[0], connected: true } } : {}),
    age: 'old',
    ageMs: 400 * DAY_MS,
  };
}

export interface RunScheduleOptions {
  readonly emulator: Emulator;
  readonly clock: Clock;
  readonly schedule: Schedule;
  /** Unique per schedule on this emulator (ids of added tasks). */
  readonly serial: number;
}

export async function runSchedule({
  emulator,
  clock,
  schedule,
  serial,
}: RunScheduleOptions): Promise<Outcome> {
  emulator.clearFaults();
  // Each run starts on the wall clock (an AK/SK signature is refused 15 minutes off the server's time).
  clock.skewMs = 0;
  emptyAccount(emulator);
  for (const task of schedule.tasks) addScheduledTask(emulator, task);
  const token = schedule.credentials === 'token' ? await mintToken(emulator) : undefined;
  const before = new Map<string, EmulatedTask>();
  for (const service of SERVICE_IDS) {
    for (const task of emulator.tasks(service)) before.set(taskKey(service, task.id, task.parentId), task);
  }
  const deletionsBefore = emulator.deletions().length;
  emulator.clearRequestLog();
  for (const { service, operation, ...settings } of schedule.faults) {
    emulator.setFaults(operation === undefined ? { service } : { service, operation }, settings);
  }

  const unlisted = new Set<string>();
  const applied: AppliedMutation[] = [];
  const apply = (mutation: Mutation, index: number): void => {
    const task = schedule.tasks[mutation.task];
    if (mutation.kind === 'add-unlisted') {
      const added = unlistedTask(schedule, mutation.service, `${serial}-${index}`);
      const key = taskKey(added.service, added.id, added.parentId);
      try {
        addScheduledTask(emulator, added);
        unlisted.add(key);
        applied.push({ mutation, atMs: Date.now(), key });
      } catch {
        applied.push({ mutation, atMs: undefined, key });
      }
      return;
    }
    if (!task) return;
    const key = taskKey(task.service, task.id, task.parentId);
    const states = wireStates(task.service);
    const servers = TASK_APIS[task.service].sourceServerStates;
    try {
      if (mutation.kind === 'remove') {
        emulator.removeTask(task.service, task.id, task.parentId);
        applied.push({ mutation, atMs: Date.now(), key });
      } else if (mutation.sourceServer && servers) {
        emulator.setSourceServer(task.id, { state: servers.running[0] });
        applied.push({ mutation, atMs: Date.now(), key });
      } else {
        const newState = mutation.kind === 'to-in-progress' ? states.inProgress[0] : states.deletable[0];
        if (newState === undefined) return;
        emulator.setTaskState(task.service, task.id, newState, task.parentId);
        applied.push({ mutation, atMs: Date.now(), key, newState });
      }
    } catch {
      applied.push({ mutation, atMs: undefined, key });
    }
  };

  const random = createRandom(schedule.seed ^ 0x5bd1e995);
  const fetches: FetchRecord[] = [];
  // The client's side of the wire: what was sent, and which answers were read (invariants 3 and 4).
  const recordingFetch: FetchLike = async (url, init) => {
    const parsed = new URL(url);
    const record: FetchRecord = {
      method: init.method,
      path: parsed.pathname,
      host: parsed.host,
      calledAtMs: Date.now(),
    };
    fetches.push(record);
    const response = await nodeFetchLike(url, init);
    record.status = response.status;
    return response;
  };
  const env = envFor(emulator, schedule, token);
  const timers: NodeJS.Timeout[] = [];
  const startMs = Date.now();
  schedule.mutations.forEach((mutation, index) => {
    if (typeof mutation.at === 'number') timers.push(setTimeout(() => apply(mutation, index), mutation.at));
  });
  if (schedule.tokenExpiryAtMs !== undefined) {
    timers.push(
      setTimeout(() => {
        clock.skewMs += 2 * DAY_MS;
      }, schedule.tokenExpiryAtMs),
    );
  }
  const interrupt = new AbortController();
  let interruptedAtMs: number | undefined;
  if (schedule.interruptAtMs !== undefined) {
    timers.push(
      setTimeout(() => {
        interruptedAtMs = Date.now();
        interrupt.abort(new InterruptError('SIGINT'));
      }, schedule.interruptAtMs),
    );
  }
  const stateChangesBefore = emulator.stateChanges().length;
  const foreignBefore = emulator.foreignRequests().length;
  const {
    thrown,
    endedAtMs: endMs,
    logs,
    lines,
  } = await runInvocation(emulator, {
    policy: policyDocument(schedule),
    env,
    fetch: recordingFetch,
    // Backoff and Retry-After waits, compressed a hundredfold: 200 schedules must fit in a minute.
    sleep: (ms, signal) => sleep(Math.min(Math.ceil(ms / 100), 20), signal),
    random,
    signal: interrupt.signal,
    remainingTimeMs: 10_000 + schedule.deadlineMs,
    // The budget runs from the moment the invariants count from: the run's start-up (policy, credentials) is
    // spent from it, as a platform's remaining time is.
    startedAtMs: startMs,
    onProgress: (event) => {
      if (event.phase !== 'plan') return;
      schedule.mutations.forEach((mutation, index) => {
        if (mutation.at === 'plan') apply(mutation, index);
      });
    },
  });
  for (const timer of timers) clearTimeout(timer);
  // Anything of this run still on its way (a straggling request, a timer) would reach the emulator now.
  await sleep(30);
  const late = emulator.requestLog().filter((entry) => entry.atMs > endMs);
  const deadlineAtMs = startMs + schedule.deadlineMs;
  const stops = [deadlineAtMs, interruptedAtMs].filter((t): t is number => t !== undefined && t < endMs);

  // The report as logged, not as returned: invariant 4 is that the run logged it.
  const reportLine = logs.find((l) => l.msg === 'purge report');
  return {
    schedule,
    fetches,
    stopAtMs: stops.length > 0 ? Math.min(...stops) : undefined,
    stateChanges: emulator.stateChanges().slice(stateChangesBefore),
    foreignRequests: emulator.foreignRequests().slice(foreignBefore),
    late,
    before,
    unlisted,
    mutations: applied,
    deletions: emulator.deletions().slice(deletionsBefore),
    requests: emulator.requestLog(),
    logs,
    rawLogs: lines.join(''),
    report: reportLine?.report as Report | undefined,
    thrown,
    startMs,
    endMs,
  };
}

/**
 * True when the schedule's policy selects this task in this wire state (the test's own reading, with its own
 * prefix matching for the few globs the schedules use). `wire` undefined: everything but the state (and, for
 * SMS, the source server).
 */
export function policySelects(
  schedule: Schedule,
  task: { service: ServiceId; name: string; parentId?: string | undefined },
  wire: Pick<EmulatedTask, 'state' | 'sourceServer'> | undefined,
  age: 'old' | 'young' | 'unknown',
): boolean {
  const rule = schedule.rules[task.service];
  if (!rule) return false;
  const parent = PARENT_GLOB[task.service];
  if (rule.parents && parent) {
    const name =
      task.service === 'dcs-background-tasks' ? `dcs-${(task.parentId ?? '').slice(0, 8)}` : task.parentId;
    if (!(name ?? '').startsWith(parent.prefix)) return false;
  }
  if (rule.include && !(task.name.startsWith('job-') || task.name.startsWith('keep-'))) return false;
  if (rule.exclude && task.name.startsWith('keep-')) return false;
  if (wire !== undefined) {
    if (!isWireDeletable(task.service, wire.state, wire.sourceServer)) return false;
    if (rule.states && !rule.states.includes(stateLabel(task.service, wire.state))) return false;
  }
  return age === 'old';
}
