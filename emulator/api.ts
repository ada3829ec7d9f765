/** The programmatic interface of a started emulator (`Emulator` in `types.ts`) over its state and listeners. */
import { ACCOUNT } from './account';
import type { AccountState } from './account-state';
import type { FaultTable } from './faults';
import { type Connections, type Listener, slotKey } from './listeners';
import type { Records } from './records';
import { type EmulatorHost, HOSTS, SERVICE_MODULES, type TaskApiId } from './services/registry';
import type { TaskStore } from './services/types';
import { findProject, regionalVariable, type Topology } from './topology';
import type { EmulatedTask, Emulator, EmulatorProject, FaultSettings, FaultTarget } from './types';

export interface ApiParts {
  readonly topology: Topology;
  readonly state: AccountState;
  readonly records: Records;
  readonly faults: FaultTable;
  readonly connections: Connections;
  /** By `slotKey`. */
  readonly listeners: ReadonlyMap<string, Listener>;
  readonly foreign: Listener;
  /** Closes every listener and connection, and cancels every timer (once). */
  close(): Promise<void>;
}

const GLOBAL_HOSTS: ReadonlySet<EmulatorHost> = new Set(
  SERVICE_MODULES.filter((m) => 'global' in m.spec && m.spec.global === true).map((m) => m.spec.host),
);

/** The listener slot of a host in a region (the account-wide host's whatever the region). */
function slotOf(host: EmulatorHost, region: string) {
  return { host, region: GLOBAL_HOSTS.has(host) ? undefined : region };
}

export function emulatorApi(p: ApiParts): Emulator {
  const { records, topology } = p;
  const projects: readonly EmulatorProject[] = topology.projects.map(
    ({ id, name, region, enabled, accessDenied }) =>
      Object.freeze({ id, name, region, enabled, accessDenied }),
  );
  const [home] = projects;
  if (!home) throw new RangeError('an account needs a project');
  const regionUrls = (region: string): Readonly<Record<EmulatorHost, string>> => {
    if (!topology.regions.includes(region)) throw new RangeError(`no region ${region} in the emulator`);
    return Object.freeze(
      Object.fromEntries(
        HOSTS.map((host) => [host, p.listeners.get(slotKey(slotOf(host, region)))?.url ?? '']),
      ) as Record<EmulatorHost, string>,
    );
  };
  const urls = regionUrls(home.region);
  const account = Object.freeze({
    ...ACCOUNT,
    region: home.region,
    projectId: home.id,
    projectName: home.name,
  });
  return {
    urls,
    account,
    projects,
    regionUrls,
    endpointEnv: () => ({
      ...Object.fromEntries(HOSTS.map((host) => [`TASK_JANITOR_ENDPOINT_${host.toUpperCase()}`, urls[host]])),
      ...(topology.explicit
        ? Object.fromEntries(
            topology.regions.flatMap((region) => {
              const own = regionUrls(region);
              return HOSTS.map((host) => [regionalVariable(host, region), own[host]]);
            }),
          )
        : {}),
      TASK_JANITOR_REGION: account.region,
      TASK_JANITOR_PROJECT_ID: account.projectId,
      OS_USERNAME: account.userName,
      OS_PASSWORD: account.password,
      OS_DOMAIN_NAME: account.domainName,
    }),
    ...taskApi(p.state, projects),
    deletions: () => records.deletions.map((d) => ({ ...d })),
    stateChanges: () => records.changes.map((c) => ({ ...c })),
    setFaults: (target: FaultTarget, settings: FaultSettings) => p.faults.set(target, settings),
    clearFaults: () => p.faults.clear(),
    requestLog: () => records.requests.map((e) => ({ ...e })),
    clearRequestLog: () => records.clearRequests(),
    receivedAuthHeaders: () => records.authHeaders.map((e) => ({ ...e })),
    connectionCount: (service, region = home.region) =>
      p.connections.perHost.get(slotKey(slotOf(service, region))) ?? 0,
    foreignUrl: p.foreign.url,
    foreignRequests: () => records.foreign.map((r) => ({ ...r })),
    close: p.close,
  };
}

type TaskApi = Pick<Emulator, 'tasks' | 'addTask' | 'setTaskState' | 'setSourceServer' | 'removeTask'>;

/** The tasks of a project (by id or name, the first by default): each carries its region and project. */
function taskApi(state: AccountState, projects: readonly EmulatorProject[]): TaskApi {
  /** The store of a task API in a project, and the place its tasks carry (none for an account-wide API). */
  const storeIn = (api: TaskApiId, ref: string | undefined) => {
    const project = findProject(projects, ref);
    const store: TaskStore | undefined = state.storeOf(api, project.id);
    if (!store) throw new RangeError(`no task API ${api}`);
    const accountWide = state.storeOf(api, undefined) !== undefined;
    const place = (task: EmulatedTask): EmulatedTask =>
      accountWide ? task : { ...task, region: project.region, projectId: project.id };
    return { store, place };
  };
  return {
    tasks: (service, project) => {
      const { store, place } = storeIn(service, project);
      return store.list().map(place);
    },
    addTask: ({ project, ...task }) => {
      const { store, place } = storeIn(task.service, project);
      return place(store.add(task));
    },
    setTaskState: (service, id, wireState, parentId, project) => {
      if (!storeIn(service, project).store.setState(id, wireState, parentId))
        throw new RangeError(`setTaskState: no ${service} task ${id}`);
    },
    setSourceServer: (id, change) => {
      if (!storeIn('sms-migration-tasks', undefined).store.setSourceServer?.(id, change))
        throw new RangeError(`setSourceServer: no sms-migration-tasks task ${id}`);
    },
    removeTask: (service, id, parentId, project) => {
      if (!storeIn(service, project).store.remove(id, parentId))
        throw new RangeError(`removeTask: no ${service} task ${id}`);
    },
  };
}
