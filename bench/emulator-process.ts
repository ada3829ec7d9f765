/**
 * The emulator in its own process, for the benchmark: forked by `bench/run.ts` with `EmulatorOptions` as JSON
 * in argv[2]; answers commands over IPC. Its own CPU time is reported so a saturated emulator is visible.
 *
 * Messages in: `{ id, cmd: 'stats', sinceMs? } | { id, cmd: 'setFaults', target, settings } |
 * { id, cmd: 'clearFaults' } | { id, cmd: 'close' }`. Messages out: `{ type: 'ready', ... }` once listening,
 * then `{ id, result }` or `{ id, error }` per command.
 */
import { startEmulator } from '../emulator/index';
import {
  type EmulatorHost,
  type EmulatorOptions,
  type EmulatorProject,
  type FaultSettings,
  type FaultTarget,
  TASK_APIS,
  type TaskApiId,
} from '../emulator/types';

/** Per-host counters of the request log (optionally only requests that arrived at or after `sinceMs`). */
export interface HostStats {
  requests: number;
  byStatus: Record<string, number>;
  byFault: Record<string, number>;
  byOperation: Record<string, number>;
  /** TCP connections accepted since start. */
  connections: number;
  /** Arrival second (relative to `sinceMs`) → [2xx, 429, 5xx, reset/other]. */
  perSecond: Record<string, [number, number, number, number]>;
  firstAtMs: number | undefined;
  lastAtMs: number | undefined;
}

/** Requests of one region or project: how many, how many throttled, and when the first and last arrived. */
export interface SpanStats {
  requests: number;
  throttled: number;
  firstAtMs: number | undefined;
  lastAtMs: number | undefined;
}

export interface EmulatorStats {
  /** Per host, every region's listener of that host counted together. */
  hosts: Record<EmulatorHost, HostStats>;
  /** Per region (the account-wide SMS host under `account`). */
  regions: Record<string, SpanStats>;
  /** Per project id: the requests that named it (its path's project, or the credentials' on SMS). */
  projects: Record<string, SpanStats>;
  /** Deleted tasks per service, by the wire state they were in. */
  deletions: Record<string, Record<string, number>>;
  /** SMS: deleted tasks per service, by the state their source server was in. */
  deletionsBySourceServer: Record<string, Record<string, number>>;
  deletionCount: number;
  /** Tasks still held per service. */
  remaining: Record<string, number>;
  /** The emulator process' own CPU time (µs) and wall time since start (ms). */
  cpuUserUs: number;
  cpuSystemUs: number;
  uptimeMs: number;
  rssBytes: number;
}

export type EmulatorCommand =
  | { id: number; cmd: 'stats'; sinceMs?: number; perSecond?: boolean }
  | { id: number; cmd: 'setFaults'; target: FaultTarget; settings: FaultSettings }
  | { id: number; cmd: 'clearFaults' }
  | { id: number; cmd: 'close' };

export interface ReadyMessage {
  type: 'ready';
  urls: Record<EmulatorHost, string>;
  env: Record<string, string>;
  projects: EmulatorProject[];
  generateMs: number;
}

const TASK_SERVICES = Object.keys(TASK_APIS) as TaskApiId[];

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as EmulatorOptions;
  const startedMs = Date.now();
  const cpuStart = process.cpuUsage();
  const emulator = await startEmulator(options);
  const send = (message: unknown): void => {
    process.send?.(message);
  };
  send({
    type: 'ready',
    urls: { ...emulator.urls },
    env: emulator.endpointEnv(),
    projects: [...emulator.projects],
    generateMs: Date.now() - startedMs,
  } satisfies ReadyMessage);

  const stats = (sinceMs: number, perSecond: boolean): EmulatorStats => {
    const hosts = {} as Record<EmulatorHost, HostStats>;
    for (const service of Object.keys(emulator.urls) as EmulatorHost[]) {
      hosts[service] = {
        requests: 0,
        byStatus: {},
        byFault: {},
        byOperation: {},
        connections: emulator.connectionCount(service),
        perSecond: {},
        firstAtMs: undefined,
        lastAtMs: undefined,
      };
    }
    const bump = (record: Record<string, number>, key: string): void => {
      record[key] = (record[key] ?? 0) + 1;
    };
    const regions: Record<string, SpanStats> = {};
    const projects: Record<string, SpanStats> = {};
    const span = (table: Record<string, SpanStats>, key: string, atMs: number, status: number): void => {
      const s = table[key] ?? { requests: 0, throttled: 0, firstAtMs: undefined, lastAtMs: undefined };
      s.requests += 1;
      if (status === 429) s.throttled += 1;
      s.firstAtMs ??= atMs;
      s.lastAtMs = atMs;
      table[key] = s;
    };
    for (const entry of emulator.requestLog()) {
      if (entry.atMs < sinceMs) continue;
      span(regions, entry.region ?? 'account', entry.atMs, entry.status);
      if (entry.projectId !== undefined) span(projects, entry.projectId, entry.atMs, entry.status);
      const host = hosts[entry.service];
      host.requests += 1;
      bump(host.byStatus, String(entry.status));
      if (entry.fault !== undefined) bump(host.byFault, entry.fault);
      bump(host.byOperation, entry.operation);
      host.firstAtMs ??= entry.atMs;
      host.lastAtMs = entry.atMs;
      if (perSecond) {
        const second = String(Math.floor((entry.atMs - sinceMs) / 1000));
        const row = host.perSecond[second] ?? [0, 0, 0, 0];
        const column =
          entry.status >= 200 && entry.status < 300
            ? 0
            : entry.status === 429
              ? 1
              : entry.status >= 500
                ? 2
                : 3;
        row[column] += 1;
        host.perSecond[second] = row;
      }
    }
    const deletions: Record<string, Record<string, number>> = {};
    const deletionsBySourceServer: Record<string, Record<string, number>> = {};
    let deletionCount = 0;
    for (const deletion of emulator.deletions()) {
      if (deletion.atMs < sinceMs) continue;
      const byState = deletions[deletion.service] ?? {};
      bump(byState, String(deletion.state));
      deletions[deletion.service] = byState;
      if (deletion.sourceServer) {
        const byServer = deletionsBySourceServer[deletion.service] ?? {};
        bump(byServer, deletion.sourceServer.state);
        deletionsBySourceServer[deletion.service] = byServer;
      }
      deletionCount += 1;
    }
    const remaining: Record<string, number> = {};
    for (const service of TASK_SERVICES) {
      // SMS is the account's: counted once, whatever the project.
      const places = TASK_APIS[service].host === 'sms' ? [undefined] : emulator.projects.map((p) => p.id);
      remaining[service] = places.reduce((sum, project) => sum + emulator.tasks(service, project).length, 0);
    }
    const cpu = process.cpuUsage(cpuStart);
    return {
      hosts,
      regions,
      projects,
      deletions,
      deletionsBySourceServer,
      deletionCount,
      remaining,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      uptimeMs: Date.now() - startedMs,
      rssBytes: process.memoryUsage().rss,
    };
  };

  process.on('message', (raw: unknown) => {
    const message = raw as EmulatorCommand;
    void (async () => {
      try {
        switch (message.cmd) {
          case 'stats':
            send({ id: message.id, result: stats(message.sinceMs ?? 0, message.perSecond ?? false) });
            return;
          case 'setFaults':
            emulator.setFaults(message.target, message.settings);
            send({ id: message.id, result: null });
            return;
          case 'clearFaults':
            emulator.clearFaults();
            send({ id: message.id, result: null });
            return;
          case 'close':
            await emulator.close();
            send({ id: message.id, result: null });
            process.disconnect?.();
            return;
        }
      } catch (error) {
        send({ id: message.id, error: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  // The parent went away: stop serving.
  process.on('disconnect', () => {
    void emulator.close().finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator process failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
