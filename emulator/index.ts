/**
 * The local cloud: one `node:http` listener per service host on 127.0.0.1, each host a module of
 * `services/` (routes, state, seeding, wire and error shapes), sharing the request pipeline (auth, faults,
 * records). See `types.ts` for the programmatic API.
 */
import { ACCOUNT } from './account';
import { registeredKeys, TokenStore } from './auth';
import type { HostBinding } from './exchange';
import { FaultTable, validateOptions } from './faults';
import { type Connections, type Listener, startForeignListener, startHostListeners } from './listeners';
import { createPipeline } from './pipeline';
import { Records } from './records';
import { createRng } from './rng';
import { Router } from './routing';
import { HEX, randomString, uuidFrom } from './services/kit';
import {
  type AnyServiceModule,
  type EmulatorHost,
  type EmulatorOperation,
  HOSTS,
  hostOf,
  SERVICE_MODULES,
  splitCounts,
  type TaskApiId,
} from './services/registry';
import type { Handler, ServiceContext, TaskStore } from './services/types';
import type { Emulator, EmulatorOptions, FaultSettings, FaultTarget } from './types';

export type * from './types';

/** Timers of delayed answers and state changes, cancelled by `close()`. */
class Lifecycle {
  readonly timers = new Set<NodeJS.Timeout>();
  closing = false;

  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
}

interface Started {
  bindings: Map<EmulatorHost, HostBinding>;
  stores: Map<string, TaskStore>;
}

/** Starts every module on the shared context and seeds the account, in registry order. */
function startModules(ctx: ServiceContext, options: EmulatorOptions): Started {
  const bindings = new Map<EmulatorHost, HostBinding>();
  const stores = new Map<string, TaskStore>();
  const seeders: Array<(counts: Readonly<Record<string, number>>, nowMs: number) => void> = [];
  for (const module of SERVICE_MODULES) {
    const runtime = module.start(ctx);
    const handlers = new Map<string, Handler>(Object.entries(runtime.handlers));
    bindings.set(module.spec.host, {
      module,
      router: new Router<EmulatorOperation>(module.spec.operations),
      handlers,
    });
    for (const store of runtime.stores) stores.set(store.api, store);
    seeders.push(runtime.seed);
  }
  const counts = splitCounts(options.tasks ?? 200, options.tasksPerService ?? {});
  const seededAtMs = ctx.nowMs();
  for (const seed of seeders) seed(counts, seededAtMs);
  return { bindings, stores };
}

function createContext(options: EmulatorOptions, records: Records, lifecycle: Lifecycle): ServiceContext {
  const seed = options.seed ?? 1;
  const rng = createRng(seed);
  let hexCounter = 0;
  return {
    account: ACCOUNT,
    nowMs: options.nowMs ?? (() => Date.now()),
    seed,
    rng,
    ids: {
      hex: () => {
        hexCounter++;
        return randomString(rng, HEX, 24) + hexCounter.toString(16).padStart(8, '0');
      },
      uuid: () => uuidFrom(rng),
    },
    tokens: new TokenStore(),
    tokenTtlMs: (options.tokenTtlSeconds ?? 86_400) * 1000,
    omsPauseDelayMs: options.omsPauseDelayMs ?? 100,
    later: (ms, fn) => lifecycle.later(ms, fn),
    recordDeletion: (d) => records.recordDeletion(d),
    recordChange: (c) => records.recordChange(c),
    deletionCount: () => records.deletions.length,
  };
}

/** The foreign host's answer to a GET: an empty listing in every host's field names. */
function emptyListings(): Record<string, unknown> {
  return Object.assign({}, ...SERVICE_MODULES.map((module: AnyServiceModule) => module.emptyListing ?? {}));
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  validateOptions(options);
  const records = new Records(options.nowMs ?? (() => Date.now()));
  const lifecycle = new Lifecycle();
  const ctx = createContext(options, records, lifecycle);
  const { bindings, stores } = startModules(ctx, options);
  const faults = new FaultTable();
  for (const { service, operation, ...settings } of options.faults ?? []) {
    faults.set(operation === undefined ? { service } : { service, operation }, settings);
  }
  const connections: Connections = { sockets: new Set(), perHost: new Map() };
  let foreign: Listener | undefined;
  const handle = createPipeline({
    hosts: bindings,
    stores,
    faults,
    faultRng: createRng(ctx.seed ^ 0x5eed),
    records,
    auth: { account: ACCOUNT, tokens: ctx.tokens, keys: registeredKeys(ACCOUNT), nowMs: ctx.nowMs },
    foreignUrl: () => foreign?.url ?? '',
    later: (ms, fn) => lifecycle.later(ms, fn),
    isClosing: () => lifecycle.closing,
  });
  const listeners = await startHostListeners(HOSTS, options.portBase ?? 0, handle, connections);
  try {
    foreign = await startForeignListener(records, emptyListings(), connections, () => lifecycle.closing);
  } catch (error) {
    for (const { server } of listeners.values()) server.close();
    throw error;
  }
  return emulatorApi({ records, faults, stores, connections, lifecycle, listeners, foreign });
}

interface ApiParts {
  records: Records;
  faults: FaultTable;
  stores: ReadonlyMap<string, TaskStore>;
  connections: Connections;
  lifecycle: Lifecycle;
  listeners: ReadonlyMap<EmulatorHost, Listener>;
  foreign: Listener;
}

function emulatorApi(p: ApiParts): Emulator {
  const { records, lifecycle } = p;
  const urls = Object.freeze(
    Object.fromEntries(HOSTS.map((host) => [host, p.listeners.get(host)?.url ?? ''])),
  );
  const storeOf = (api: TaskApiId): TaskStore => {
    const store = p.stores.get(api);
    if (!store) throw new RangeError(`no task API ${api}`);
    return store;
  };
  return {
    urls: urls as Readonly<Record<EmulatorHost, string>>,
    account: ACCOUNT,
    endpointEnv: () => ({
      ...Object.fromEntries(
        HOSTS.map((host) => [`TASK_JANITOR_ENDPOINT_${host.toUpperCase()}`, urls[host] ?? '']),
      ),
      TASK_JANITOR_REGION: ACCOUNT.region,
      TASK_JANITOR_PROJECT_ID: ACCOUNT.projectId,
      OS_USERNAME: ACCOUNT.userName,
      OS_PASSWORD: ACCOUNT.password,
      OS_DOMAIN_NAME: ACCOUNT.domainName,
    }),
    tasks: (service) => storeOf(service).list(),
    addTask: (task) => storeOf(task.service).add(task),
    setTaskState: (service, id, wireState, parentId) => {
      if (!storeOf(service).setState(id, wireState, parentId))
        throw new RangeError(`setTaskState: no ${service} task ${id}`);
    },
    setSourceServer: (id, change) => {
      if (!storeOf('sms-migration-tasks').setSourceServer?.(id, change))
        throw new RangeError(`setSourceServer: no sms-migration-tasks task ${id}`);
    },
    removeTask: (service, id, parentId) => {
      if (!storeOf(service).remove(id, parentId))
        throw new RangeError(`removeTask: no ${service} task ${id}`);
    },
    deletions: () => records.deletions.map((d) => ({ ...d })),
    stateChanges: () => records.changes.map((c) => ({ ...c })),
    setFaults: (target: FaultTarget, settings: FaultSettings) => p.faults.set(target, settings),
    clearFaults: () => p.faults.clear(),
    requestLog: () => records.requests.map((e) => ({ ...e })),
    clearRequestLog: () => records.clearRequests(),
    receivedAuthHeaders: () => records.authHeaders.map((e) => ({ ...e })),
    connectionCount: (service) => p.connections.perHost.get(service) ?? 0,
    foreignUrl: p.foreign.url,
    foreignRequests: () => records.foreign.map((r) => ({ ...r })),
    close: async () => {
      if (lifecycle.closing) return;
      lifecycle.closing = true;
      for (const timer of lifecycle.timers) clearTimeout(timer);
      lifecycle.timers.clear();
      const servers = [...[...p.listeners.values()].map((l) => l.server), p.foreign.server];
      const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
      for (const socket of p.connections.sockets) socket.destroy();
      await Promise.all(closed);
    },
  };
}

/** The cloud host a task API lives on. */
export function cloudServiceOf(service: TaskApiId): EmulatorHost {
  return hostOf(service);
}
