/**
 * The account's state: every host module started once per project (its own tasks, seeded from its own stream),
 * or once for the account (IAM, SMS), and the lookups the pipeline and the programmatic API make in it.
 */
import { ACCOUNT } from './account';
import { TokenStore } from './auth';
import type { Records } from './records';
import { createRng } from './rng';
import { Router } from './routing';
import { HEX, randomString, uuidFrom } from './services/kit';
import {
  type AnyServiceModule,
  type EmulatorHost,
  type EmulatorOperation,
  SERVICE_MODULES,
  splitCounts,
} from './services/registry';
import type { Handler, ListedProject, ServiceContext, TaskStore } from './services/types';
import { projectSeed, type SeededProject, type Topology } from './topology';
import type { EmulatorOptions, EmulatorProject } from './types';

/** Handlers by operation name. */
export type Handlers = ReadonlyMap<string, Handler>;

/** A host as the pipeline serves it: its module, its router and, per project, the handlers of its state. */
export interface HostBinding {
  readonly module: AnyServiceModule;
  readonly router: Router<EmulatorOperation>;
  /** The handlers for a project (by id); an account-wide host has one set whatever the project. */
  handlersFor(projectId: string | undefined): Handlers | undefined;
}

export interface AccountState {
  readonly hosts: ReadonlyMap<EmulatorHost, HostBinding>;
  /** The account's projects by id. */
  readonly projects: ReadonlyMap<string, EmulatorProject>;
  readonly tokens: TokenStore;
  /** A task API's store in a project (an account-wide API's whatever the project); undefined for none. */
  storeOf(api: string, projectId: string | undefined): TaskStore | undefined;
}

/** What every project's context shares. */
interface Shared {
  readonly options: EmulatorOptions;
  readonly records: Records;
  readonly tokens: TokenStore;
  readonly listed: readonly ListedProject[];
  later(ms: number, fn: () => void): void;
}

/** A context drawing from `seed`; `place` tags what it records (the account's own context records none). */
function createContext(shared: Shared, seed: number, project: SeededProject, place: boolean): ServiceContext {
  const { options, records } = shared;
  const rng = createRng(seed);
  let hexCounter = 0;
  const tag = place ? { region: project.region, projectId: project.id } : {};
  return {
    account: { ...ACCOUNT, region: project.region, projectId: project.id, projectName: project.name },
    projects: shared.listed,
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
    tokens: shared.tokens,
    tokenTtlMs: (options.tokenTtlSeconds ?? 86_400) * 1000,
    omsPauseDelayMs: options.omsPauseDelayMs ?? 100,
    later: shared.later,
    recordDeletion: (d) => records.recordDeletion({ ...d, ...tag }),
    recordChange: (c) => records.recordChange({ ...c, ...tag }),
    deletionCount: () => records.deletions.length,
  };
}

interface Started {
  readonly handlers: Map<EmulatorHost, Handlers>;
  readonly stores: Map<string, TaskStore>;
  readonly seeders: Array<() => void>;
}

/** Starts `modules` on `ctx`; each seeder generates its counts at the account's clock of the start. */
function startOn(
  modules: readonly AnyServiceModule[],
  ctx: ServiceContext,
  counts: Readonly<Record<string, number>>,
  seededAtMs: number,
): Started {
  const started: Started = { handlers: new Map(), stores: new Map(), seeders: [] };
  for (const module of modules) {
    const runtime = module.start(ctx);
    started.handlers.set(module.spec.host, new Map<string, Handler>(Object.entries(runtime.handlers)));
    for (const store of runtime.stores) started.stores.set(store.api, store);
    started.seeders.push(() => runtime.seed(counts, seededAtMs));
  }
  return started;
}

const isAccountWide = (module: AnyServiceModule): boolean =>
  'accountWide' in module.spec && module.spec.accountWide === true;

/**
 * Starts and seeds every module, in registry order: the first project's modules and the account-wide ones on one
 * context, exactly as an emulator of one project always did; then each further project's on its own.
 */
export function startAccount(
  options: EmulatorOptions,
  topology: Topology,
  records: Records,
  later: (ms: number, fn: () => void) => void,
): AccountState {
  const listed: ListedProject[] = [
    ...topology.projects.map(({ id, name, enabled, accessDenied }) => ({ id, name, enabled, accessDenied })),
    ...topology.otherIamProjects.map(({ id, name }) => ({ id, name, enabled: true, accessDenied: false })),
  ];
  const shared: Shared = { options, records, tokens: new TokenStore(), listed, later };
  const seed = options.seed ?? 1;
  const countsOf = (project: SeededProject) =>
    splitCounts(
      project.tasks ?? options.tasks ?? 200,
      project.tasksPerService ?? options.tasksPerService ?? {},
    );
  const [first, ...others] = topology.projects;
  if (!first) throw new RangeError('an account needs a project');
  const firstCtx = createContext(shared, seed, first, true);
  // The account-wide modules draw from the first project's streams but record no project.
  const accountCtx: ServiceContext = {
    ...firstCtx,
    recordDeletion: (d) => records.recordDeletion(d),
    recordChange: (c) => records.recordChange(c),
  };
  const seededAtMs = firstCtx.nowMs();
  const perProject = new Map<string, Started>();
  const account: Started = { handlers: new Map(), stores: new Map(), seeders: [] };
  const firstStarted: Started = { handlers: new Map(), stores: new Map(), seeders: [] };
  for (const module of SERVICE_MODULES) {
    const into = isAccountWide(module) ? account : firstStarted;
    const ctx = isAccountWide(module) ? accountCtx : firstCtx;
    const counts = isAccountWide(module)
      ? splitCounts(options.tasks ?? 200, options.tasksPerService ?? {})
      : countsOf(first);
    const one = startOn([module], ctx, counts, seededAtMs);
    for (const [host, handlers] of one.handlers) into.handlers.set(host, handlers);
    for (const [api, store] of one.stores) into.stores.set(api, store);
    // One seeding order for both: the registry's.
    firstStarted.seeders.push(...one.seeders);
  }
  perProject.set(first.id, firstStarted);
  const projectModules = SERVICE_MODULES.filter((module) => !isAccountWide(module));
  others.forEach((project, i) => {
    const ctx = createContext(shared, projectSeed(seed, i + 1, project.name), project, true);
    perProject.set(project.id, startOn(projectModules, ctx, countsOf(project), seededAtMs));
  });
  for (const started of perProject.values()) for (const seedIt of started.seeders) seedIt();
  return accountState(topology, shared.tokens, account, perProject);
}

function accountState(
  topology: Topology,
  tokens: TokenStore,
  account: Started,
  perProject: ReadonlyMap<string, Started>,
): AccountState {
  const hosts = new Map<EmulatorHost, HostBinding>();
  for (const module of SERVICE_MODULES) {
    const host = module.spec.host;
    const shared = account.handlers.get(host);
    hosts.set(host, {
      module,
      router: new Router<EmulatorOperation>(module.spec.operations),
      handlersFor: (projectId) =>
        shared ?? (projectId === undefined ? undefined : perProject.get(projectId)?.handlers.get(host)),
    });
  }
  return {
    hosts,
    projects: new Map(
      topology.projects.map(({ id, name, region, enabled, accessDenied }) => [
        id,
        { id, name, region, enabled, accessDenied },
      ]),
    ),
    tokens,
    storeOf: (api, projectId) =>
      account.stores.get(api) ??
      (projectId === undefined ? undefined : perProject.get(projectId)?.stores.get(api)),
  };
}
