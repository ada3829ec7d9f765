/**
 * Public, programmatic API of the local cloud emulator (`startEmulator` in `emulator/index.ts`).
 * Tests, the demo and the benchmarks drive the emulator only through this interface.
 */
import type { AnswerFaultKind, ForeignRequest, ReceivedAuthHeaders } from './record-types';
import type { EmulatorProject, EmulatorRegionOptions, ProjectPlace } from './region-types';
import type { EmulatorHost, EmulatorOperation, TaskApiId } from './services/registry';

export type { AnswerFaultKind, ForeignRequest, ReceivedAuthHeaders } from './record-types';
export type {
  EmulatorProject,
  EmulatorProjectOptions,
  EmulatorRegionOptions,
  ProjectPlace,
} from './region-types';

export type {
  EmulatorHost,
  EmulatorOperation,
  TaskApiFacts,
  TaskApiId,
  TaskOperation,
} from './services/registry';
/**
 * Operation names per host, used for fault targeting and in the request log; and each task API's facts as the
 * emulator models them (host, wire states, operations, how to read when a task ended), for building fixtures.
 */
export { EMULATOR_OPERATIONS, TASK_APIS } from './services/registry';
export type { SourceServerStates, WireStates } from './services/types';

/** Fault settings; every field optional. Shares are probabilities in [0, 1], drawn from the seeded RNG. */
export interface FaultSettings {
  /** Fixed latency added to every answer. */
  latencyMs?: number;
  /** Extra uniformly random latency in [0, jitterMs). */
  latencyJitterMs?: number;
  /** Token-bucket rate limit (requests/s, burst = rate). Above it: 429 APIG.0308 + Retry-After. */
  rateLimitPerSecond?: number;
  /** Share of answers that are 500/502/503 in the service's own error shape. */
  serverErrorShare?: number;
  /** Share of requests whose connection is reset (socket destroyed without an answer). */
  resetShare?: number;
  /** Share of requests that never answer (hang until the client gives up). */
  hangShare?: number;
  /** Share of 2xx answers whose JSON body is malformed or truncated. */
  malformedShare?: number;
  /** Every answer is 503 (an outage) while set. */
  outage?: boolean;
  /** Share of answers that are 429 APIG.0308 regardless of rate (a throttling burst). */
  throttleShare?: number;
  /**
   * Fixed-window quota: this many admitted requests per window of `fixedWindowSeconds` (windows aligned to
   * multiples of it since the epoch, as a gateway counts per calendar second or minute). Above it, 429
   * APIG.0308 (IAM: its own shape) until the window ends. Set together with `fixedWindowSeconds`.
   */
  fixedWindowLimit?: number;
  fixedWindowSeconds?: number;
  /** The window's 429 carries `Retry-After` (whole seconds until the window ends). @default false */
  fixedWindowRetryAfter?: boolean;
  /** The window's 429 names its limit in `error_msg` (`limit:600, time:1 minute`), as APIG does. @default false */
  fixedWindowLimitInMessage?: boolean;
  /**
   * A listing anomaly on list operations (for the safety tests): pages that repeat items, pages that lose
   * items, a total count that disagrees with the items, a page larger than the requested limit, or a
   * list that never ends.
   */
  pagingQuirk?: 'repeat' | 'lose' | 'count-mismatch' | 'over-limit' | 'endless';
  /**
   * Share of requests answered with a redirect (`redirectStatus`) instead of being carried out. The `Location`
   * points at the same path and query on another host (`redirectLocation`); a client must follow neither.
   */
  redirectShare?: number;
  /** Status of the injected redirects. @default 307 */
  redirectStatus?: 301 | 302 | 303 | 307 | 308;
  /**
   * Where injected redirects point: `foreign-loopback` is the emulator's foreign listener (`foreignUrl`), which
   * answers success and records what arrives (`foreignRequests()`); `absolute-external` is
   * `https://redirect-target.invalid/…`, a host no one listens on. @default 'foreign-loopback'
   */
  redirectLocation?: 'foreign-loopback' | 'absolute-external';
  /**
   * Share of requests answered by "a proxy in front of the API": 404 with an nginx-style `text/html` body and no
   * error code, without carrying the request out.
   */
  proxyNotFoundShare?: number;
  /**
   * Share of requests carried out for real (a DELETE deletes and appears in `deletions()`) whose connection is
   * then destroyed without an answer. Logged as `fault: 'lost-answer'` without `answeredAtMs`.
   */
  lostAnswerShare?: number;
  /**
   * Share of requests answered 504 `APIG.0203` "Backend timeout." in the gateway's shape. For each, a draw
   * (`gatewayTimeoutActsShare`) decides whether the backend carried the request out before the gateway gave up;
   * the request log says which (`acted`).
   */
  gatewayTimeoutShare?: number;
  /** Share of injected 504s where the backend carried the request out anyway. @default 0.5 */
  gatewayTimeoutActsShare?: number;
  /**
   * Share of DELETEs answered with an injected failure (a 4xx/5xx fault: server error, outage, throttle, rate
   * limit, proxy 404, 403, 408, a 504 that did not act) after which the owner resumes the task: right after the
   * answer is written, the task turns to its service's in-progress state (DCS `EXECUTING`, ModelArts `1`, OMS
   * `2`, DIS `RUNNING`; SMS `RUNNING` with its source server in `replicate`, the agent's connection as it
   * was). Each flip is listed in `stateChanges()` with cause `fault`.
   */
  resumeOnFailedDeleteShare?: number;
  /**
   * The DIS host's error body shape (DIS documents both): `errorCode` is `{"errorCode", "message"}`,
   * `error_code` is `{"error_code", "error_msg"}`, `mixed` draws one of the two per answer. Answers in the
   * gateway's shape (`{"error_code", "error_msg", "request_id"}`: throttling, auth, 504, 408) keep it.
   * @default 'errorCode'
   */
  disErrorShape?: 'errorCode' | 'error_code' | 'mixed';
  /**
   * Share of requests refused with 403 in the service's own shape (DCS `DCS.2003`, DIS `DIS.4116`, SMS
   * `SMS.9004`; IAM, ModelArts and OMS the gateway's `APIG.0302`), without carrying them out.
   */
  forbiddenShare?: number;
  /** Share of requests answered 408 (gateway shape, `APIG.0201` "Request timeout."), without carrying them out. */
  requestTimeoutShare?: number;
}

export interface FaultTarget {
  /** A service host, or `*` for all. */
  service: EmulatorHost | '*';
  /** An operation of that service, or `*` for all. */
  operation?: EmulatorOperation | '*';
  /**
   * Only this region's hosts (the account-wide SMS host is in none). Without it, every region's: each region's
   * host then has its own rate limit and quota window. A region's setting wins over a region-less one, field by
   * field.
   */
  region?: string;
}

export interface EmulatorOptions {
  /** Seed for the task generator and every random fault draw. @default 1 */
  seed?: number;
  /**
   * First port; hosts listen on portBase..portBase+5 (iam, dcs, modelarts, oms, dis, sms), region `r` (from 0)
   * on portBase+6r.. (its SMS slot unused: SMS is one host for the account). 0 = random ports.
   * @default 0
   */
  portBase?: number;
  /**
   * Approximate number of generated tasks over the five original task APIs, per project (0 = empty account);
   * SMS adds a tenth of it on top, once for the account, drawn from a stream of its own, so the other APIs'
   * accounts are those of before SMS.
   * @default 200
   */
  tasks?: number;
  /** Exact generated task count per task API (per project; SMS once), overriding `tasks`' split. */
  tasksPerService?: Partial<Record<TaskApiId, number>>;
  /**
   * The account's regions, each with its own listener per host (SMS aside: one host for the account) and its
   * projects, each project with its own tasks. The first project of the first region is the default of
   * `tasks()`, `addTask()` and the rest, and draws its tasks from `seed` itself (so a one-project account is the
   * one of before, whatever its region); every other project from the seed mixed with its name.
   * @default one region, cn-north-4, with one project of that name and the fixed id of `account.projectId`
   */
  regions?: EmulatorRegionOptions[];
  /** Faults set at start. */
  faults?: Array<FaultTarget & FaultSettings>;
  /** Lifetime of issued IAM tokens. @default 86400 (24 h) */
  tokenTtlSeconds?: number;
  /** Clock for task ages and token expiry. @default () => Date.now() */
  nowMs?: () => number;
  /** How long an OMS task stays in status 7 (pausing) after a stop before it becomes 3 (paused). @default 100 */
  omsPauseDelayMs?: number;
}

/** The emulated account and the credentials it accepts. */
export interface EmulatorAccount {
  region: string; // 'cn-north-4'
  projectId: string;
  projectName: string; // = region
  domainName: string;
  userName: string;
  password: string;
  /** A permanent AK/SK pair registered with the emulator. */
  accessKey: string;
  secretKey: string;
  /** A temporary AK/SK pair, valid only with `securityToken` in X-Security-Token. */
  tempAccessKey: string;
  tempSecretKey: string;
  securityToken: string;
}

/** An SMS task's source server: its state (`source_server.state`) and whether its agent is connected. */
export interface SmsSourceServer {
  state: string;
  connected: boolean;
}

/**
 * A task held by the emulator, in its wire form: `state` is the API's own value (DCS 'SUCCESS', ModelArts 2,
 * OMS 5, DIS 'ERROR', SMS 'MIGRATE_SUCCESS'). `id` is the path id (OMS ids as decimal strings, possibly above
 * 2^53).
 */
export interface EmulatedTask {
  service: TaskApiId;
  id: string;
  name: string;
  state: string | number;
  /** DCS instance id, or DIS stream name. */
  parentId?: string;
  /**
   * The wire fields the list operation returns for it (created_at, start_time, ...). In `addTask`, SMS also
   * reads `connected` and `source_server.state` from here (`sourceServer` wins over both).
   */
  fields: Record<string, unknown>;
  /** SMS only: the source server's state and agent connection (a delete is refused only when both say so). */
  sourceServer?: SmsSourceServer;
  /** The task's region and project (absent for SMS: its tasks are the account's). */
  region?: string;
  projectId?: string;
}

/** A task to add through `Emulator.addTask`: whatever the caller leaves out is generated. */
export type NewTask = Partial<Omit<EmulatedTask, 'region' | 'projectId'>> & {
  service: TaskApiId;
  /** The project (id or name) the task is added to; ignored by SMS. @default the first project */
  project?: string;
  /**
   * How long ago the task ended, by the emulator's clock: the module writes its own time fields (creation,
   * duration, end) so that they tell that end. `null`: no time field a client could read an age from. A time
   * field given in `fields` wins. Without either, the task was created 30 days ago and ran for a minute.
   */
  ageMs?: number | null;
};

export interface RequestLogEntry extends ProjectPlace {
  service: EmulatorHost;
  operation: EmulatorOperation | 'Unknown';
  method: string;
  /** The raw request target as received (path + query, still percent-encoded). */
  rawPath: string;
  status: number;
  /** Error code of the answer, if it was an error. */
  errorCode?: string;
  /** What the answer was: normal, or the fault injected. */
  fault?:
    | 'latency'
    | 'rate-limit'
    | 'fixed-window'
    | 'throttle'
    | 'server-error'
    | 'reset'
    | 'hang'
    | 'malformed'
    | 'outage'
    | AnswerFaultKind;
  /** Wall-clock ms when the request arrived. */
  atMs: number;
  /** Auth kind the request used. */
  auth?: 'token' | 'aksk' | 'none';
  /**
   * Wall-clock ms when the answer was written to the socket; absent when nothing was written (a hang, a
   * reset, or a client that had already gone away, e.g. after its own timeout).
   */
  answeredAtMs?: number;
  /** Whether the request carried any credential header (X-Auth-Token, X-Security-Token, Authorization). */
  hasCredentialHeaders: boolean;
  /** `gateway-timeout` only: whether the backend carried the request out before the 504. */
  acted?: boolean;
  /**
   * The status the backend's own answer had when the request was carried out but that answer never reached
   * the client (`lost-answer`, and `gateway-timeout` with `acted`). `status` is 0 for a lost answer.
   */
  backendStatus?: number;
  /** `redirect` only: the `Location` sent. */
  location?: string;
}

/** One change of a task's wire state, and what caused it. */
export interface EmulatorStateChange extends ProjectPlace {
  service: TaskApiId;
  id: string;
  /** DCS instance id, or DIS stream name. */
  parentId?: string;
  from: string | number;
  to: string | number;
  /**
   * `api`: `setTaskState()`; `request`: a client request (an OMS stop: executing → pausing, and later
   * pausing → paused); `fault`: the owner resumed the task after an injected failed delete
   * (`resumeOnFailedDeleteShare`).
   */
  cause: 'api' | 'request' | 'fault';
  /** `fault` only: the fault of the failed answer to the delete. */
  fault?: RequestLogEntry['fault'];
  /** SMS only, when the source server changed (then `from` and `to` may be equal). */
  sourceServer?: { from: SmsSourceServer; to: SmsSourceServer };
  /** Wall-clock ms (`Date.now()`, like the request log, whatever `nowMs` says). */
  atMs: number;
}

export interface EmulatorDeletion extends ProjectPlace {
  service: TaskApiId;
  id: string;
  name: string;
  /** State the task was in when deleted (wire value). */
  state: string | number;
  /** SMS only: the source server when the task was deleted. */
  sourceServer?: SmsSourceServer;
  atMs: number;
}

export interface Emulator {
  /** The first region's hosts (and the account-wide SMS host). */
  readonly urls: Readonly<Record<EmulatorHost, string>>;
  /** The credentials, and the first project's region, id and name. */
  readonly account: Readonly<EmulatorAccount>;
  /** Every project, region by region, in the order of `EmulatorOptions.regions`. */
  readonly projects: readonly EmulatorProject[];
  /** One region's hosts (and the account-wide SMS host). */
  regionUrls(region: string): Readonly<Record<EmulatorHost, string>>;
  /**
   * `TASK_JANITOR_ENDPOINT_*` of the first region plus region/project and password credentials, ready for a
   * child process env; with `regions`, also every region's `TASK_JANITOR_ENDPOINT_<HOST>_<REGION>`.
   */
  endpointEnv(): Record<string, string>;

  /**
   * Current tasks of a service (copies) in `project` (id or name; SMS: the account's whatever it says).
   * @default the first project
   */
  tasks(service: TaskApiId, project?: string): EmulatedTask[];
  /** Adds a task (fields the caller leaves out are generated); returns the stored task. */
  addTask(task: NewTask): EmulatedTask;
  /** Sets a task's wire state (e.g. make it in-progress while a run is under way); for SMS the task's `state`. */
  setTaskState(
    service: TaskApiId,
    id: string,
    state: string | number,
    parentId?: string,
    project?: string,
  ): void;
  /** Sets an SMS task's source server state and/or agent connection (recorded in `stateChanges()`, cause `api`). */
  setSourceServer(id: string, change: Partial<SmsSourceServer>): void;
  /** `parentId` picks the DIS stream when two streams hold a task of the same name. */
  removeTask(service: TaskApiId, id: string, parentId?: string, project?: string): void;
  /** Every successful delete, in order. */
  deletions(): EmulatorDeletion[];
  /** Every change of a task's state, in order, with its cause. */
  stateChanges(): EmulatorStateChange[];

  setFaults(target: FaultTarget, settings: FaultSettings): void;
  clearFaults(): void;

  /** Every request, in arrival order. */
  requestLog(): RequestLogEntry[];
  /** Also clears `receivedAuthHeaders()`. */
  clearRequestLog(): void;
  /** The credential headers of every request that carried any, in arrival order. */
  receivedAuthHeaders(): ReceivedAuthHeaders[];
  /** TCP connections accepted so far by a host of `region` (default the first; SMS: its one host). */
  connectionCount(service: EmulatorHost, region?: string): number;

  /** Base URL of the foreign listener: "another host" on loopback that injected redirects point at. */
  readonly foreignUrl: string;
  /**
   * Every request the foreign listener received, in arrival order, with the credential headers it carried.
   * Not cleared by `clearRequestLog()`: a credential that ever arrived there stays visible.
   */
  foreignRequests(): ForeignRequest[];

  close(): Promise<void>;
}
