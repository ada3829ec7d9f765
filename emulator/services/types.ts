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
}

export interface TaskApiSpec {
  /** The policy id of the task API. */
  readonly id: string;
  /** Share of `EmulatorOptions.tasks` generated for it. */
  readonly seedShare: number;
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

/** A task to add through `Emulator.addTask`: whatever the caller leaves out is generated. */
export type NewTask = Partial<EmulatedTask> & { service: EmulatedTask['service'] };

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

/** What the shared layer gives a module. */
export interface ServiceContext {
  readonly account: Readonly<EmulatorAccount>;
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
