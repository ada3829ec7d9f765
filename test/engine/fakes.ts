/**
 * Small in-memory collaborators for engine tests: a TaskSource fake (dependency injection through the
 * TaskSource interface, no module mocking) and offline deps on a test clock.
 */
import { describeAttempt } from '../../lib/cloud/retry-policy';
import type { CloudClient, CloudRequest, CloudResponse } from '../../lib/cloud/types';
import { CloudApiError } from '../../lib/errors';
import { DELETABLE_STATES } from '../../lib/policy/states';
import type { PlanAccount } from '../../lib/saved-plan';
import { descriptorOf, hostOf } from '../../lib/sources/catalog';
import type { DeleteOutcome, ServiceId, SourceContext, StateClass, Task, TaskSource } from '../../lib/types';
import { makeDeps, OFFLINE, type TestDeps } from '../support/deps';
import { perCloudService } from '../support/task-apis';

export const NOW = new Date('2025-01-01T00:00:00Z');
export const NOW_MS = NOW.getTime();
export const DAY_MS = 86_400_000;

/** The account a saved plan of these tests is bound to. */
export const PLAN_ACCOUNT: PlanAccount = {
  cloud: 'huaweicloud',
  region: 'eu-de',
  projectId: 'p-1',
  endpointHosts: perCloudService((service) => `${service}.eu-de.myhuaweicloud.com`),
};

/** Deps for the engine tests: offline (no network, no waiting), the clock at `clock.ms`, which a test may move. */
export function offlineDeps(clock = { ms: NOW_MS }): TestDeps & { readonly clock: { ms: number } } {
  return { ...makeDeps({ ...OFFLINE, now: () => new Date(clock.ms) }), clock };
}

export const unusedClient: CloudClient = {
  request: () => Promise.reject(new Error('this test never calls the client')),
  sequence: () => Promise.reject(new Error('this test never calls the client')),
};

let counter = 0;

/** A task fixture; `ageDays` sets `endedAtMs` relative to NOW; the state class follows DELETABLE_STATES. */
export function makeTask(
  overrides: Partial<Omit<Task, 'endedAtMs'>> & { ageDays?: number; endedAtMs?: number | undefined } = {},
): Task {
  counter += 1;
  const service: ServiceId = overrides.service ?? 'oms-migration-tasks';
  const state = overrides.state ?? DELETABLE_STATES[service][0] ?? 'unknown';
  const stateClass: StateClass =
    overrides.stateClass ?? (DELETABLE_STATES[service].includes(state) ? 'deletable' : 'in-progress');
  const endedAtMs =
    'endedAtMs' in overrides ? overrides.endedAtMs : NOW_MS - (overrides.ageDays ?? 100) * DAY_MS;
  return {
    service,
    id: overrides.id ?? `t${counter}`,
    name: overrides.name ?? `task-${counter}`,
    ...(overrides.parentId !== undefined ? { parentId: overrides.parentId } : {}),
    ...(overrides.parentName !== undefined ? { parentName: overrides.parentName } : {}),
    state,
    stateClass,
    endedAtMs,
  };
}

export interface FakeSourceOptions {
  readonly tasks?: readonly Task[];
  /** Thrown by `list` after yielding `failAfter` tasks. */
  readonly listError?: Error;
  readonly failAfter?: number;
  /** Per task id: the outcome, or an error to throw. Default 'deleted'. */
  readonly deleteResult?: (task: Task, call: number) => DeleteOutcome | Error | Promise<DeleteOutcome>;
  /** When given, the source reads each task before deleting it (the API does not refuse a running task). */
  readonly recheck?: (task: Task) => Task | undefined;
}

/** The codes the fake API answers with, and what they mean to the fake source. */
const FAKE_GONE = 'FAKE.GONE';
const FAKE_REFUSED = 'FAKE.REFUSED';

function fakeAnswer(request: CloudRequest, status: number, errorCode: string): CloudApiError {
  return new CloudApiError({
    service: request.service,
    operation: request.operation,
    method: request.method,
    path: request.path,
    status,
    errorCode,
    errorMsg: 'fake',
    requestId: undefined,
    attempts: 1,
  });
}

/**
 * An in-memory task API behind the TaskSource interface: the source builds `/fake/<service>/<id>` requests and
 * `client` answers them from the test's scripts, recording every call and the deletes in flight.
 */
export function createFakeSource(id: ServiceId, options: FakeSourceOptions = {}) {
  const state = {
    listCalls: 0,
    deleted: [] as string[],
    deleteCalls: [] as string[],
    recheckCalls: [] as string[],
    inFlight: 0,
    maxInFlight: 0,
    /** True while `list` is iterating: a delete during it is a bug. */
    listing: false,
    deletesWhileListing: 0,
    contexts: [] as SourceContext[],
  };
  const tasksById = new Map<string, Task>();
  const pathOf = (task: Task) => `/fake/${id}/${encodeURIComponent(task.id)}`;
  const remember = (task: Task) => {
    tasksById.set(pathOf(task), task);
    return pathOf(task);
  };
  const real = descriptorOf(id);
  const cloudService = hostOf(id);
  const source: TaskSource = {
    // The API's own facts, but answers of the fake's own: "gone" and "refused" are FAKE codes.
    descriptor: {
      ...real,
      id,
      refusesInProgress: options.recheck === undefined,
      answers: {
        notFound: [{ status: 400, codes: [FAKE_GONE] }],
        inProgress: [{ status: 400, codes: [FAKE_REFUSED] }],
      },
    },
    // The fake's own reading, as makeTask's: a deletable state label, or in progress.
    classifyWireState: (wire) => {
      const label = String(wire);
      return { state: label, stateClass: DELETABLE_STATES[id].includes(label) ? 'deletable' : 'in-progress' };
    },
    async *list(ctx) {
      state.listCalls += 1;
      state.contexts.push(ctx);
      state.listing = true;
      try {
        let yielded = 0;
        for (const task of options.tasks ?? []) {
          if (options.listError && yielded === (options.failAfter ?? 0)) throw options.listError;
          if (task.parentName !== undefined && ctx.includeParent && !ctx.includeParent(task.parentName))
            continue;
          await Promise.resolve();
          yield task;
          yielded += 1;
        }
        if (options.listError) throw options.listError;
      } finally {
        state.listing = false;
      }
    },
    deleteRequest(task) {
      return { service: cloudService, operation: 'FakeDelete', method: 'DELETE', path: remember(task) };
    },
    ...(options.recheck
      ? {
          readTask(task: Task) {
            return {
              request: {
                service: cloudService,
                operation: 'FakeShow',
                method: 'GET' as const,
                path: remember(task),
              },
              toTask: (body: unknown) => body as Task,
            };
          },
        }
      : {}),
  };

  async function answer(request: CloudRequest): Promise<CloudResponse> {
    const task = tasksById.get(request.path);
    if (!task) throw new TypeError(`the fake knows no task at ${request.path}`);
    if (request.method === 'GET') {
      state.recheckCalls.push(task.id);
      const current = options.recheck?.(task);
      if (current === undefined) throw fakeAnswer(request, 400, FAKE_GONE);
      return { status: 200, body: current, requestId: undefined };
    }
    if (state.listing) state.deletesWhileListing += 1;
    state.deleteCalls.push(task.id);
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const result = options.deleteResult
        ? await options.deleteResult(task, state.deleteCalls.filter((x) => x === task.id).length)
        : 'deleted';
      const error =
        result instanceof Error
          ? result
          : result === 'already-gone'
            ? fakeAnswer(request, 400, FAKE_GONE)
            : result === 'refused-in-progress'
              ? fakeAnswer(request, 400, FAKE_REFUSED)
              : undefined;
      request.onAttempt?.(describeAttempt(1, error));
      if (error) throw error;
      state.deleted.push(task.id);
      return { status: 204, body: undefined, requestId: undefined };
    } finally {
      state.inFlight -= 1;
    }
  }

  /** The fake cloud: one attempt per call (the real client's retries are tested against the emulator). */
  const client: CloudClient = {
    request: answer,
    sequence: (_options, body) => body(answer),
  };
  fakeClientOf.set(source, client);
  return { source, state, client };
}

const fakeClientOf = new WeakMap<TaskSource, CloudClient>();

/** One fake cloud for several fake sources: a request goes to the fake whose `/fake/<service>/` path it names. */
export function fakeCloudFor(sources: readonly TaskSource[]): CloudClient {
  const route = (path: string): CloudClient => {
    const source = sources.find((s) => path.startsWith(`/fake/${s.descriptor.id}/`));
    const client = source && fakeClientOf.get(source);
    if (!client) throw new TypeError(`no fake source answers ${path}`);
    return client;
  };
  return {
    request: (request) => route(request.path).request(request),
    sequence: (_options, body) => body((request) => route(request.path).request(request)),
  };
}
