/**
 * The local cloud: one `node:http` listener per service host and region on 127.0.0.1 (the account-wide SMS host
 * once), each host a module of `services/` (routes, state, seeding, wire and error shapes) started once per
 * project (IAM and SMS once for the account), sharing the request pipeline (auth, faults, records). See
 * `types.ts` for the programmatic API.
 */
import { ACCOUNT } from './account';
import { startAccount } from './account-state';
import { emulatorApi } from './api';
import { registeredKeys } from './auth';
import { EmulatorOptionsError } from './errors';
import { FaultTable, validateOptions } from './faults';
import {
  type Connections,
  type Listener,
  type SlotPort,
  startForeignListener,
  startHostListeners,
} from './listeners';
import { createPipeline } from './pipeline';
import { Records } from './records';
import { createRng } from './rng';
import {
  type AnyServiceModule,
  type EmulatorHost,
  hostOf,
  SERVICE_MODULES,
  type TaskApiId,
} from './services/registry';
import { HOSTS_PER_REGION, resolveTopology, type Topology } from './topology';
import type { Emulator, EmulatorOptions } from './types';

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

/** The foreign host's answer to a GET: an empty listing in every host's field names. */
function emptyListings(): Record<string, unknown> {
  return Object.assign({}, ...SERVICE_MODULES.map((module: AnyServiceModule) => module.emptyListing ?? {}));
}

/**
 * Every listener: each region's hosts in registry order from `portBase + region × hosts`, the account-wide
 * SMS host only in the first region's slot (its place in the port order of an emulator of one region).
 */
function slotsOf(topology: Topology, portBase: number): SlotPort[] {
  return topology.regions.flatMap((region, r) =>
    SERVICE_MODULES.flatMap((module, i) => {
      const global = 'global' in module.spec && module.spec.global === true;
      if (global && r > 0) return [];
      const port = portBase === 0 ? 0 : portBase + r * HOSTS_PER_REGION + i;
      return [{ host: module.spec.host, region: global ? undefined : region, port }];
    }),
  );
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  validateOptions(options);
  const problems: string[] = [];
  const topology = resolveTopology(options, problems);
  (options.faults ?? []).forEach((fault, i) => {
    if (fault.region !== undefined && !topology.regions.includes(fault.region))
      problems.push(
        `faults.${i}.region: "${fault.region}" is not one of the regions (${topology.regions.join(', ')})`,
      );
  });
  if (problems.length > 0) throw new EmulatorOptionsError(problems, 'emulator options');
  const records = new Records(options.nowMs ?? (() => Date.now()));
  const lifecycle = new Lifecycle();
  const later = (ms: number, fn: () => void) => lifecycle.later(ms, fn);
  const state = startAccount(options, topology, records, later);
  const faults = new FaultTable(topology.regions);
  for (const { service, operation, region, ...settings } of options.faults ?? []) {
    faults.set(
      { service, ...(operation !== undefined ? { operation } : {}), ...(region ? { region } : {}) },
      settings,
    );
  }
  const connections: Connections = { sockets: new Set(), perHost: new Map() };
  let foreign: Listener | undefined;
  const nowMs = options.nowMs ?? (() => Date.now());
  const handle = createPipeline({
    state,
    faults,
    faultRng: createRng((options.seed ?? 1) ^ 0x5eed),
    records,
    auth: { projects: state.projects, tokens: state.tokens, keys: registeredKeys(ACCOUNT), nowMs },
    foreignUrl: () => foreign?.url ?? '',
    later,
    isClosing: () => lifecycle.closing,
  });
  const listeners = await startHostListeners(slotsOf(topology, options.portBase ?? 0), handle, connections);
  try {
    foreign = await startForeignListener(records, emptyListings(), connections, () => lifecycle.closing);
  } catch (error) {
    for (const { server } of listeners.values()) server.close();
    throw error;
  }
  const foreignListener = foreign;
  const close = async (): Promise<void> => {
    if (lifecycle.closing) return;
    lifecycle.closing = true;
    for (const timer of lifecycle.timers) clearTimeout(timer);
    lifecycle.timers.clear();
    const servers = [...[...listeners.values()].map((l) => l.server), foreignListener.server];
    const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const socket of connections.sockets) socket.destroy();
    await Promise.all(closed);
  };
  return emulatorApi({
    topology,
    state,
    records,
    faults,
    connections,
    listeners,
    foreign: foreignListener,
    close,
  });
}

/** The cloud host a task API lives on. */
export function cloudServiceOf(service: TaskApiId): EmulatorHost {
  return hostOf(service);
}
