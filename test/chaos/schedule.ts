/**
 * A chaos schedule: everything one randomized run does, drawn from one seed so that `CHAOS_SEED=<n>` replays
 * it (the account, the policy, the fault mix, the clock and state changes, the deadline, the client knobs).
 * Plain data: printed as JSON when a run breaks an invariant.
 */
import { createRng } from '../../emulator/rng';
import {
  EMULATOR_OPERATIONS,
  type EmulatorHost,
  type FaultSettings,
  type FaultTarget,
  type SmsSourceServer,
} from '../../emulator/types';
import { SERVICE_IDS, type ServiceId } from '../../lib/types';
import { expectedClass, TASK_APIS } from '../support/task-apis';

/** The emulator's mulberry32, as a plain function: the same seed draws the same schedule. */
export function createRandom(seed: number): () => number {
  return createRng(seed).next;
}

export const DAY_MS = 86_400_000;

/**
 * Wire states per service, as the emulator models them: ended (what the policy may select), at work, and the
 * other states it draws (undocumented ones).
 */
export function wireStates(service: ServiceId): {
  readonly deletable: readonly (string | number)[];
  readonly inProgress: readonly (string | number)[];
  readonly unknown: readonly (string | number)[];
} {
  const { ended, running, other } = TASK_APIS[service].states;
  return { deletable: ended, inProgress: running, unknown: other };
}

/** The label a policy's `states` names a deletable wire state by (ModelArts and OMS states are numbers). */
export function stateLabel(service: ServiceId, wire: string | number): string {
  if (service === 'modelarts-processor-tasks')
    return ({ 2: 'completed', 3: 'failed', 4: 'stopped' } as Record<number, string>)[Number(wire)] ?? '?';
  if (service === 'oms-migration-tasks')
    return ({ 3: 'paused', 4: 'failed', 5: 'succeeded' } as Record<number, string>)[Number(wire)] ?? '?';
  return String(wire);
}

/** Deletable by the test's own reading: an ended state (and, for SMS, an idle source server). */
export function isWireDeletable(
  service: ServiceId,
  wire: string | number,
  sourceServer?: SmsSourceServer,
): boolean {
  return expectedClass(service, wire, sourceServer) === 'deletable';
}

/** DCS instances (display name `dcs-` + first 8 chars of the id) and DIS streams the accounts use. */
export const DCS_INSTANCES = ['prod0001-0000-4000-8000-000000000001', 'test0001-0000-4000-8000-000000000002'];
export const DIS_STREAMS = ['prod-a', 'prod-ü ?#/%..', 'test-b'];
/** `instances` / `streams` globs a policy may carry, and the prefix each selects. */
export const PARENT_GLOB: Partial<Record<ServiceId, { glob: string; prefix: string }>> = {
  'dcs-background-tasks': { glob: 'dcs-prod*', prefix: 'dcs-prod' },
  'dis-dump-tasks': { glob: 'prod-*', prefix: 'prod-' },
};

export function parentName(service: ServiceId, parentId: string | undefined): string | undefined {
  if (parentId === undefined) return undefined;
  return service === 'dcs-background-tasks' ? `dcs-${parentId.slice(0, 8)}` : parentId;
}

/** Names are drawn from these; `keep-*` and `job-*` are what the policies' globs name. */
const NAME_STEMS = ['job-', 'keep-', 'tmp ', 'ü名 ', 'a/b ', 'x..%?#', 'keep-\r\n'];

export type AgeClass = 'old' | 'young' | 'unknown';

export interface ScheduledTask {
  readonly service: ServiceId;
  readonly id: string;
  readonly name: string;
  readonly parentId?: string;
  readonly state: string | number;
  /** SMS: the source server (its state and whether its agent is connected). */
  readonly sourceServer?: SmsSourceServer;
  readonly age: AgeClass;
  /** Age in ms at schedule time (old: well past olderThan; young: well inside it). */
  readonly ageMs: number;
}

export interface ServiceRule {
  readonly olderThanDays: number;
  readonly states?: readonly string[];
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  readonly parents?: boolean;
}

export type Mutation = {
  /** `plan`: right after listing, before any delete (onProgress); a number: ms after the run starts (timer). */
  readonly at: 'plan' | number;
  readonly kind: 'to-in-progress' | 'to-deletable' | 'remove' | 'add-unlisted';
  /** Index into the schedule's tasks (ignored for add-unlisted, which names its service). */
  readonly task: number;
  readonly service: ServiceId;
  /** SMS `to-in-progress`: the source server starts working (its agent as it was), not the task itself. */
  readonly sourceServer?: boolean;
};

export interface Schedule {
  readonly seed: number;
  readonly credentials: 'password' | 'aksk' | 'token';
  /** Leave TASK_JANITOR_PROJECT_ID unset: the project id is resolved through IAM. */
  readonly resolveProjectId: boolean;
  readonly dryRun: boolean;
  readonly maxDeletesPerRun: number;
  readonly rules: Partial<Record<ServiceId, ServiceRule>>;
  readonly tasks: readonly ScheduledTask[];
  readonly faults: ReadonlyArray<FaultTarget & FaultSettings>;
  /** ms after the start at which the emulator's clock jumps past every token's expiry (password/token only). */
  readonly tokenExpiryAtMs?: number;
  readonly mutations: readonly Mutation[];
  readonly deadlineMs: number;
  /** ms after the start at which the operator interrupts the run (Ctrl-C), if it does. */
  readonly interruptAtMs?: number;
  readonly requestTimeoutMs: number;
  readonly maxAttempts: number;
  readonly concurrency: number;
}

const HOSTS = Object.keys(EMULATOR_OPERATIONS) as EmulatorHost[];

/**
 * SMS: a source server mostly idle, else working or in a state that is neither, its agent connected or not (a
 * running task of a disconnected agent is one the API deletes). Undefined for the APIs without one.
 */
function drawSourceServer(service: ServiceId, random: () => number): SmsSourceServer | undefined {
  const states = TASK_APIS[service].sourceServerStates;
  if (!states) return undefined;
  const kind = random();
  const pool = kind < 0.6 ? states.idle : kind < 0.9 ? states.running : states.other;
  const state = pool[Math.floor(random() * pool.length)] ?? states.idle[0];
  return { state, connected: random() < 0.6 };
}

/** Draws the schedule of `seed`. `serial` makes ids unique across schedules sharing one emulator. */
export function drawSchedule(seed: number, serial: number): Schedule {
  const random = createRandom(seed);
  const chance = (p: number) => random() < p;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

  const credentials = chance(0.65) ? 'password' : chance(0.6) ? 'aksk' : 'token';
  const enabled = SERVICE_IDS.filter(() => chance(0.6));
  if (enabled.length === 0) enabled.push(pick(SERVICE_IDS));

  const rules: Partial<Record<ServiceId, ServiceRule>> = {};
  for (const service of enabled) {
    const deletableLabels = wireStates(service).deletable.map((s) => stateLabel(service, s));
    const states = chance(0.25) ? deletableLabels.filter(() => chance(0.5)) : [];
    rules[service] = {
      olderThanDays: pick([2, 7, 30]),
      ...(states.length > 0 ? { states } : {}),
      ...(chance(0.15) ? { include: ['job-*', 'keep-*'] } : {}),
      ...(chance(0.5) ? { exclude: ['keep-*'] } : {}),
      ...(PARENT_GLOB[service] && chance(0.35) ? { parents: true } : {}),
    };
  }

  const tasks: ScheduledTask[] = [];
  let n = 0;
  for (const service of SERVICE_IDS) {
    // Disabled services get a few tasks too: they must never be touched.
    const count = int(0, rules[service] ? 7 : 2);
    const olderThanDays = rules[service]?.olderThanDays ?? 2;
    for (let i = 0; i < count; i++) {
      n += 1;
      const unique = `${serial}-${n}`;
      const stem = pick(NAME_STEMS);
      const stateKind = random();
      const states = wireStates(service);
      const state =
        stateKind < 0.6
          ? pick(states.deletable)
          : stateKind < 0.85
            ? pick(states.inProgress)
            : pick(states.unknown);
      const ageDraw = random();
      const age: AgeClass = ageDraw < 0.65 ? 'old' : ageDraw < 0.92 ? 'young' : 'unknown';
      const ageMs =
        age === 'old'
          ? (olderThanDays + int(2, 90)) * DAY_MS
          : age === 'young'
            ? int(0, (olderThanDays - 1) * 24 - 1) * 3_600_000 + int(0, 3_000_000)
            : 0;
      let id: string;
      let parentId: string | undefined;
      switch (service) {
        case 'dcs-background-tasks':
          id = `bg-${unique}`;
          parentId = pick(DCS_INSTANCES);
          break;
        case 'oms-migration-tasks': {
          // Half of the ids are above 2^53, where a double would round them onto a neighbour.
          const base = chance(0.5) ? 9_007_199_254_740_993n : 191_297_407_830_872n;
          id = String(base + BigInt(serial) * 1000n + BigInt(n) * 2n);
          break;
        }
        case 'dis-dump-tasks':
          id = `${stem}${unique}`;
          // A stream holds at most 5 dump tasks (DIS.4357): spread them, at most 3 per stream.
          parentId = DIS_STREAMS[(i + seed) % DIS_STREAMS.length];
          break;
        default: {
          // A fifth of the ids must travel as one encoded path segment.
          const prefix = service.split('-')[0] ?? 'x';
          id = chance(0.2) ? `${prefix} ${unique}/..%?#ü名` : `${prefix}${unique}`;
        }
      }
      const sourceServer = drawSourceServer(service, random);
      const name = service === 'dis-dump-tasks' ? id : `${stem}${unique}`;
      tasks.push({
        service,
        id,
        name,
        ...(parentId !== undefined ? { parentId } : {}),
        state,
        ...(sourceServer !== undefined ? { sourceServer } : {}),
        age,
        ageMs,
      });
    }
  }

  const faults: Array<FaultTarget & FaultSettings> = [];
  const faultCount = int(0, 4);
  for (let i = 0; i < faultCount; i++) {
    const target: FaultTarget = chance(0.35) ? { service: '*' } : { service: pick(HOSTS) };
    const kind = random();
    let settings: FaultSettings;
    if (kind < 0.1) settings = { latencyMs: int(0, 15), latencyJitterMs: int(1, 40) };
    else if (kind < 0.2) settings = { throttleShare: random() * 0.3 };
    else if (kind < 0.25) settings = { rateLimitPerSecond: int(20, 80) };
    else if (kind < 0.35) settings = { serverErrorShare: random() * 0.35 };
    else if (kind < 0.41) settings = { resetShare: random() * 0.15 };
    else if (kind < 0.46) settings = { hangShare: random() * 0.1 };
    else if (kind < 0.55) settings = { malformedShare: random() * 0.25 };
    else if (kind < 0.58) settings = { outage: true };
    // The owner resumes a task right after a failed delete: the retry must read it again first.
    else if (kind < 0.66)
      settings = { serverErrorShare: random() * 0.4, resumeOnFailedDeleteShare: 0.3 + random() * 0.7 };
    else if (kind < 0.71)
      settings = { redirectShare: random() * 0.3, redirectStatus: pick([301, 302, 303, 307, 308] as const) };
    else if (kind < 0.76) settings = { proxyNotFoundShare: random() * 0.3 };
    // The cloud carries a request out and the connection drops before its answer.
    else if (kind < 0.83) settings = { lostAnswerShare: random() * 0.3 };
    else if (kind < 0.88) settings = { gatewayTimeoutShare: random() * 0.3 };
    else if (kind < 0.9) settings = { forbiddenShare: random() * 0.1, disErrorShape: 'mixed' };
    else if (kind < 0.92) settings = { requestTimeoutShare: random() * 0.2, disErrorShape: 'mixed' };
    else {
      const service = pick(enabled);
      faults.push({
        service: TASK_APIS[service].host,
        pagingQuirk: pick(['repeat', 'lose', 'count-mismatch', 'over-limit', 'endless'] as const),
      });
      continue;
    }
    // An outage of everything makes a dull run: keep outages to one host, IAM now and then (a run that cannot
    // get a token or resolve its project id must still log its report).
    if (settings.outage && (target.service === '*' || (target.service === 'iam' && chance(0.7))))
      target.service = TASK_APIS[pick(enabled)].host;
    faults.push({ ...target, ...settings });
  }

  const mutations: Mutation[] = [];
  const mutationCount = tasks.length === 0 ? 0 : int(0, 4);
  for (let i = 0; i < mutationCount; i++) {
    const task = int(0, tasks.length - 1);
    const kind = pick([
      'to-in-progress',
      'to-in-progress',
      'to-deletable',
      'remove',
      'add-unlisted',
    ] as const);
    // A task added by a timer may land before the listing; only one added after it is surely unlisted.
    const at: Mutation['at'] = kind === 'add-unlisted' || chance(0.5) ? 'plan' : int(0, 400);
    const target = tasks[task];
    const viaServer = kind === 'to-in-progress' && target?.sourceServer !== undefined && chance(0.5);
    mutations.push({
      at,
      kind,
      task,
      service: target?.service ?? pick(enabled),
      ...(viaServer ? { sourceServer: true } : {}),
    });
  }

  const deadlineMs = chance(0.12) ? int(40, 400) : int(800, 3000);
  // An operator's Ctrl-C at a random point of the run, as often as a tight deadline.
  const interruptAtMs = chance(0.12) ? int(0, Math.min(deadlineMs, 300)) : undefined;
  return {
    seed,
    credentials,
    resolveProjectId: chance(0.2),
    dryRun: chance(0.25),
    maxDeletesPerRun: chance(0.15) ? int(0, 3) : 1000,
    rules,
    tasks,
    faults,
    ...(credentials !== 'aksk' && chance(0.25) ? { tokenExpiryAtMs: int(0, 300) } : {}),
    mutations,
    deadlineMs,
    ...(interruptAtMs !== undefined ? { interruptAtMs } : {}),
    requestTimeoutMs: int(150, 400),
    maxAttempts: int(2, 4),
    concurrency: int(2, 8),
  };
}

/** The policy document of a schedule (what TASK_JANITOR_POLICY carries). */
export function policyDocument(schedule: Schedule): Record<string, unknown> {
  const services: Record<string, unknown> = {};
  for (const [service, rule] of Object.entries(schedule.rules) as [ServiceId, ServiceRule][]) {
    const parentKey = service === 'dcs-background-tasks' ? 'instances' : 'streams';
    services[service] = {
      olderThan: `${rule.olderThanDays}d`,
      ...(rule.states ? { states: rule.states } : {}),
      ...(rule.include ? { include: rule.include } : {}),
      ...(rule.exclude ? { exclude: rule.exclude } : {}),
      ...(rule.parents ? { [parentKey]: [PARENT_GLOB[service]?.glob] } : {}),
    };
  }
  return {
    version: 1,
    dryRun: schedule.dryRun,
    maxDeletesPerRun: schedule.maxDeletesPerRun,
    services,
  };
}
