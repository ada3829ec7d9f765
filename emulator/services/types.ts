/**
 * The interface every service module implements: what a host serves (its spec), its error shapes, and, per
 * emulator, its state, seeding and handlers. What all hosts share (listeners, the request pipeline, auth,
 * faults and the records) lives outside `services/` and reaches a module only through `ServiceContext`.
 */
import type { Answer } from '../answers';
import type { TokenStore } from '../auth';
import type { ResolvedFaults } from '../faults';
import type { Rng } from '../rng';
import type {
  EmulatedTask,
  EmulatorAccount,
  EmulatorDeletion,
  EmulatorStateChange,
  NewTask,
  RequestLogEntry,
  SmsSourceServer,
} from '../types';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface OperationSpec {
  /** The operation's name in the request log and in fault targets. */
  readonly name: string;
  readonly method: HttpMethod;
  /**
   * Literal segments and `{name}` placeholders, e.g. `/v2/{project_id}/tasks/{task_id}`. A placeholder
   * matches any one raw segment (decoded once); `{project_id}` is the project auth checks the caller against.
   */
  readonly path: string;
  /** Needs no credential (IAM's token request). */
  readonly anonymous?: boolean;
  /** For a delete: the task it addresses, by placeholder names (what an owner resuming a task acts on). */
  readonly deletes?: { readonly api: string; readonly id: string; readonly parent?: string };
  /** For the read of one task: the task API it reads. */
  readonly reads?: { readonly api: string };
}

type WireState = string | number;

/** A task API's wire states as the emulator models them (`ended` and `running` are never empty). */
export interface WireStates {
  /** Documented states of a task whose work is over: finished, failed or stopped. */
  readonly ended: readonly [WireState, ...WireState[]];
  /** Documented states of a task at work or about to start. */
  readonly running: readonly [WireState, ...WireState[]];
  /** The state an owner resuming a task turns it into (one of `running`). */
  readonly resumed: WireState;
  /** The other states the generator draws: undocumented ones (and DIS `DELETE`, a deleted task still listed). */
  readonly other: readonly WireState[];
}

/** SMS: the source server's states (`source_server.state`) as the emulator models them. */
export interface SourceServerStates {
  /** The states in which the server works (the delete constraint's list). */
  readonly running: readonly [string, ...string[]];
  /** Documented states in which it does not. */
  readonly idle: readonly [string, ...string[]];
  /** Absent-looking and undocumented states the generator draws. */
  readonly other: readonly string[];
}

export interface TaskApiSpec {
  /** The policy id of the task API. */
  readonly id: string;
  /** Share of `EmulatorOptions.tasks` generated for it. */
  readonly seedShare: number;
  readonly states: WireStates;
  readonly sourceServerStates?: SourceServerStates;
  /**
   * Whether the API deletes a task at work (always, or, for SMS, when its agent is disconnected): a client must
   * read the task right before each delete.
   */
  readonly deletesRunningTasks: boolean;
  /**
   * When the task ended, read from its wire fields as this module writes them (what a task's age is measured
   * from); undefined when they tell none.
   */
  endedAtMs(fields: Readonly<Record<string, unknown>>): number | undefined;
}

export interface ServiceSpec {
  /** The host's name: its URL key, its port's place and its `TASK_JANITOR_ENDPOINT_*` suffix. */
  readonly host: string;
  readonly taskApis: readonly TaskApiSpec[];
  readonly operations: readonly OperationSpec[];
  /**
   * For a host whose paths carry no project id: the caller must name the project through its credentials (a
   * project-scoped token, or `X-Project-Id` with AK/SK). Other such hosts (IAM) accept any valid credential.
   */
  readonly projectFromCredentials?: boolean;
  /** One state for the whole account (IAM's projects and tokens, SMS's tasks); else one per project. */
  readonly accountWide?: boolean;
  /** One host for the whole account (SMS); else one per region. */
  readonly global?: boolean;
}

export type OperationName<S extends ServiceSpec> = S['operations'][number]['name'];

/** A host's own error shapes; codes `APIG.*` always get the gateway's shape (`answers.ts`). */
export interface ServiceErrors {
  /** The error body in the service's own shape. */
  body(status: number, code: string, message: string): unknown;
  /** The code of the service's own 500 answer (502/503 carry the gateway's `APIG.0201`, in this shape). */
  readonly internalErrorCode: string;
  /** The injected 403; absent: the gateway's `APIG.0302`. */
  readonly forbidden?: { readonly code: string; readonly message: string };
  /** 401 for a credential of another project; absent: the gateway's `APIG.0301`. */
  readonly projectMismatch?: { readonly code: string; readonly message: string };
  /**
   * 429 above a rate limit (`limit`: the limit it names) or in a throttling burst (`limit` undefined: no limit is
   * named); absent: the gateway's `APIG.0308`.
   */
  throttled?(limit: number | undefined): Answer;
  /** Reshapes an error answer per the fault settings (DIS answers in two documented shapes). */
  reshape?(answer: Answer, faults: ResolvedFaults, rng: Rng): Answer;
}

export interface OperationRequest {
  /** Decoded path parameters by placeholder name. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: Buffer;
  readonly faults: ResolvedFaults;
}

export type Handler = (request: OperationRequest) => Answer;

export type { NewTask } from '../types';

/** One task API's tasks, as the programmatic API reaches them. */
export interface TaskStore {
  readonly api: EmulatedTask['service'];
  /** Current tasks in their public form (copies). */
  list(): EmulatedTask[];
  add(task: NewTask): EmulatedTask;
  /** False when there is no such task. */
  remove(id: string, parentId: string | undefined): boolean;
  /** Sets the task's wire state and records the change; false when there is no such task. */
  setState(id: string, state: string | number, parentId: string | undefined): boolean;
  /**
   * The owner resumes the task right after an injected failed delete addressed to it
   * (`resumeOnFailedDeleteShare`): it turns to an in-progress state, recorded with cause `fault`.
   */
  resume(id: string, parentId: string | undefined, fault: RequestLogEntry['fault']): void;
  /** SMS only: sets the source server's state and/or agent connection; false when there is no such task. */
  setSourceServer?(id: string, change: Partial<SmsSourceServer>): boolean;
}

/** A project as IAM lists it (`MOS` is in no region). */
export interface ListedProject {
  readonly id: string;
  readonly name: string;
  readonly enabled: boolean;
  /** Listed, but the credentials may not act in it: no token is minted for it. */
  readonly accessDenied: boolean;
}

/** What the shared layer gives a module. */
export interface ServiceContext {
  /** The credentials, and the region and project this context's state belongs to. */
  readonly account: Readonly<EmulatorAccount>;
  /** Every project of the account, as IAM lists them. */
  readonly projects: readonly ListedProject[];
  /** The account's clock (task ages, token expiry). */
  readonly nowMs: () => number;
  /** `EmulatorOptions.seed`, for a module that draws from a stream of its own. */
  readonly seed: number;
  /** The generator the five original task APIs share, drawn in registry order. */
  readonly rng: Rng;
  /** Ids drawn from `rng`, the hex ids with a counter shared by every module that uses them. */
  readonly ids: { hex(): string; uuid(): string };
  readonly tokens: TokenStore;
  readonly tokenTtlMs: number;
  readonly omsPauseDelayMs: number;
  /** Runs `fn` after `ms` unless the emulator closes first. */
  later(ms: number, fn: () => void): void;
  recordDeletion(deletion: Omit<EmulatorDeletion, 'atMs'>): void;
  recordChange(change: Omit<EmulatorStateChange, 'atMs'>): void;
  /** Deletions recorded so far, over every service. */
  deletionCount(): number;
}

export interface ServiceRuntime<S extends ServiceSpec> {
  readonly handlers: { readonly [N in OperationName<S>]: Handler };
  /** One store per task API of `spec.taskApis`. */
  readonly stores: readonly TaskStore[];
  /** Generates `counts[api]` tasks per task API; `seededAtMs` is the account's clock at the start. */
  seed(counts: Readonly<Record<string, number>>, seededAtMs: number): void;
}

export interface ServiceModule<S extends ServiceSpec = ServiceSpec> {
  readonly spec: S;
  readonly errors: ServiceErrors;
  /** An empty listing in this host's field names: part of what the foreign host answers a GET with. */
  readonly emptyListing?: Readonly<Record<string, unknown>>;
  start(ctx: ServiceContext): ServiceRuntime<S>;
}
