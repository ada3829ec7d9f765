/**
 * The promises an outside review broke at the edges, each attacked over real HTTP against the emulator through
 * `invokePurge` (real config, client and sources): a retry after the re-check, "not found" answers that are not
 * the documented one, runs cut short, answers lost after the cloud acted, and redirects.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator, EmulatorOptions, RequestLogEntry } from '../../emulator/types';
import { AuthError, FullRunFailureError, InterruptError } from '../../lib/errors';
import { SERVICE_IDS, type ServiceId } from '../../lib/types';
import { runInvocation } from '../support/emulator-run';
import { TASK_APIS } from '../support/task-apis';

const DAY_MS = 86_400_000;

const emulators: Emulator[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const emulator of emulators.splice(0)) await emulator.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/**
 * A gateway in front of an emulator host: `answer` may answer a request itself (returns true); every other
 * request is passed through unchanged (method, path, headers, body), with the emulator's answer.
 */
async function startGateway(
  target: string,
  answer: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<{ url: string }> {
  const server = createServer((req, res) => {
    if (answer(req, res)) return;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // Headers as received, Host included: an AK/SK signature covers the host the client addressed.
      const upstream = httpRequest(
        `${target}${req.url ?? ''}`,
        { method: req.method, headers: req.headers },
        (answerIn) => {
          res.writeHead(answerIn.statusCode ?? 502, answerIn.headers);
          answerIn.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function emulatorWith(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await startEmulator({ tasks: 0, seed: 7, ...options });
  emulators.push(emulator);
  return emulator;
}

/** A finished, long-stale task of `service` named `name` (also its id, but for OMS, whose ids are digits). */
function addStale(emulator: Emulator, service: ServiceId, name: string): void {
  emulator.addTask({
    service,
    ...(service === 'oms-migration-tasks' ? {} : { id: name }),
    name,
    state: TASK_APIS[service].states.ended[0],
    ageMs: 400 * DAY_MS,
  });
}

function policyFor(...services: ServiceId[]): object {
  return {
    version: 1,
    dryRun: false,
    services: Object.fromEntries(services.map((service) => [service, { olderThan: '30d' }])),
  };
}

function ops(emulator: Emulator, ...operations: string[]): RequestLogEntry[] {
  return emulator.requestLog().filter((entry) => operations.includes(entry.operation));
}

describe('a retry after the re-check (APIs that do not refuse a running task)', () => {
  const guarded = SERVICE_IDS.filter((service) => TASK_APIS[service].deletesRunningTasks);
  it.each(
    guarded.flatMap((service) =>
      [{ serverErrorShare: 1 }, { throttleShare: 1 }].map((failure) => [service, failure] as const),
    ),
  )(
    '%s: a task its owner resumes after a failed delete is read again and kept, never deleted (%j)',
    async (service, failure) => {
      const { host, delete: del, read } = TASK_APIS[service];
      const [deleteOp, showOp] = [del.operation, read?.operation ?? 'none'];
      const emulator = await emulatorWith();
      addStale(emulator, service, 'resumed-1');
      // Every DELETE fails, and the owner resumes the task right after each failed answer.
      emulator.setFaults(
        { service: host, operation: deleteOp },
        { ...failure, resumeOnFailedDeleteShare: 1 },
      );

      const { report } = await runInvocation(emulator, { policy: policyFor(service) });

      expect(emulator.deletions()).toEqual([]);
      expect(emulator.stateChanges().filter((c) => c.cause === 'fault')).toHaveLength(1);
      // read → DELETE (failed, task resumed) → read (running: kept); no second DELETE.
      expect(ops(emulator, showOp, deleteOp).map((e) => e.operation)).toEqual([showOp, deleteOp, showOp]);
      expect(report?.services[service]).toMatchObject({
        deleted: 0,
        failed: 0,
        skipped: { inProgress: 1 },
      });
    },
  );

  it('sends each DELETE right after the read that found the task deletable', async () => {
    const emulator = await emulatorWith({ faults: [{ service: 'dis', latencyMs: 20 }] });
    for (let i = 0; i < 20; i++) addStale(emulator, 'dis-dump-tasks', `t-${i}`);

    await runInvocation(emulator, { policy: policyFor('dis-dump-tasks') });

    const log = ops(emulator, 'ShowTransferTask', 'DeleteTransferTask');
    expect(log.filter((e) => e.operation === 'DeleteTransferTask')).toHaveLength(20);
    for (const del of log.filter((e) => e.operation === 'DeleteTransferTask')) {
      const read = log.filter((e) => e.operation === 'ShowTransferTask' && e.rawPath === del.rawPath).at(-1);
      // The DELETE arrives once the read is answered, without a wait of its own (loopback, a busy machine).
      expect(del.atMs - (read?.answeredAtMs ?? Number.NaN)).toBeLessThan(250);
    }
  });
});

describe('"not found" is only the documented answer', () => {
  it.each(SERVICE_IDS)(
    '%s: a proxy answering HTML 404 to every DELETE is a failure, not "already gone"',
    async (service) => {
      const { host, delete: del } = TASK_APIS[service];
      const op = del.operation;
      const emulator = await emulatorWith();
      for (let i = 0; i < 3; i++) addStale(emulator, service, `t-${i}`);
      emulator.setFaults({ service: host, operation: op }, { proxyNotFoundShare: 1 });

      const { report, logs } = await runInvocation(emulator, { policy: policyFor(service) });

      expect(emulator.tasks(service)).toHaveLength(3);
      expect(report?.services[service]).toMatchObject({ deleted: 0, alreadyGone: 0, failed: 3 });
      expect(report?.services[service]?.failures[0]).toMatchObject({
        status: 404,
        host: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      });
      // Each such answer is logged with its payload and the host that sent it.
      const lines = logs.filter((l) => l.status === 404 && l.operation === op);
      expect(lines.every((l) => l.msg !== 'task decision')).toBe(true);
      expect(lines.length).toBeGreaterThanOrEqual(3);
      expect(lines[0]).toMatchObject({
        host: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        errorMsg: expect.stringContaining('404'),
      });
    },
  );

  it('ModelArts: "ModelArts.4700" on a 503 (the platform is being upgraded) is a failure, not "already gone"', async () => {
    const emulator = await emulatorWith();
    for (let i = 0; i < 2; i++) addStale(emulator, 'modelarts-processor-tasks', `t-${i}`);
    // A gateway in front of ModelArts: reads go through to the emulator, every DELETE gets the upgrade answer.
    const gateway = await startGateway(emulator.urls.modelarts, (req, res) => {
      if (req.method !== 'DELETE') return false;
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error_code: 'ModelArts.4700',
          error_msg: 'gateway is being stopped, platform is being upgraded',
        }),
      );
      return true;
    });

    const { report } = await runInvocation(emulator, {
      policy: policyFor('modelarts-processor-tasks'),
      env: { TASK_JANITOR_ENDPOINT_MODELARTS: gateway.url, TASK_JANITOR_MAX_ATTEMPTS: '2' },
    });

    expect(emulator.tasks('modelarts-processor-tasks')).toHaveLength(2);
    expect(report?.services['modelarts-processor-tasks']).toMatchObject({
      deleted: 0,
      alreadyGone: 0,
      failed: 2,
    });
    expect(report?.services['modelarts-processor-tasks']?.failures[0]).toMatchObject({
      status: 503,
      errorCode: 'ModelArts.4700',
    });
  });

  it('DCS: a task that vanished before its DELETE (404 DCS.4001) is confirmed gone by a listing: already gone', async () => {
    const emulator = await emulatorWith();
    addStale(emulator, 'dcs-center-tasks', 'vanishing');
    addStale(emulator, 'dcs-center-tasks', 'staying');

    const { report } = await runInvocation(emulator, {
      policy: policyFor('dcs-center-tasks'),
      onProgress: (event) => {
        if (event.phase === 'plan') emulator.removeTask('dcs-center-tasks', 'vanishing');
      },
    });

    expect(report?.services['dcs-center-tasks']).toMatchObject({ deleted: 1, alreadyGone: 1, failed: 0 });
    // The listing after the ambiguous answer is what proved it gone.
    expect(ops(emulator, 'ListCenterTasks').length).toBeGreaterThanOrEqual(2);
  });
});

describe('a run cut short accounts exactly for what the cloud did', () => {
  it('Ctrl-C while deletes are in flight: they finish and count; the unsent are skipped as interrupted', async () => {
    const emulator = await emulatorWith({
      faults: [{ service: 'oms', operation: 'DeleteMigrationTask', latencyMs: 400 }],
    });
    for (let i = 0; i < 40; i++) addStale(emulator, 'oms-migration-tasks', `t-${i}`);
    const interrupt = new AbortController();
    const interval = setInterval(() => {
      if (ops(emulator, 'DeleteMigrationTask').length >= 4) interrupt.abort(new InterruptError('SIGINT'));
    }, 2);

    const { report, thrown } = await runInvocation(emulator, {
      policy: policyFor('oms-migration-tasks'),
      env: { TASK_JANITOR_CONCURRENCY: '4' },
      signal: interrupt.signal,
    });
    clearInterval(interval);

    expect(thrown).toBeUndefined();
    const oms = report?.services['oms-migration-tasks'];
    expect(report?.stoppedBy).toBe('interrupted');
    expect(oms?.deleted).toBe(emulator.deletions().length);
    expect(oms?.deleted).toBeGreaterThanOrEqual(4);
    expect(oms).toMatchObject({ failed: 0, unknown: 0 });
    expect((oms?.deleted ?? 0) + (oms?.skipped.interrupted ?? 0)).toBe(40);
    expect(oms?.skipped.deadline).toBe(0);
  });

  it('the deadline while deletes are in flight: they finish and count; the unsent are skipped for the deadline', async () => {
    const emulator = await emulatorWith({
      faults: [{ service: 'oms', operation: 'DeleteMigrationTask', latencyMs: 300 }],
    });
    for (let i = 0; i < 40; i++) addStale(emulator, 'oms-migration-tasks', `t-${i}`);

    // A 10.5 s budget keeps a 10 s margin: the deadline is 500 ms into the run.
    const { report, thrown } = await runInvocation(emulator, {
      policy: policyFor('oms-migration-tasks'),
      env: { TASK_JANITOR_CONCURRENCY: '2' },
      remainingTimeMs: 10_500,
    });

    expect(thrown).toBeUndefined();
    const oms = report?.services['oms-migration-tasks'];
    expect(report?.stoppedBy).toBe('deadline');
    expect(oms?.deleted).toBe(emulator.deletions().length);
    expect(oms?.deleted).toBeGreaterThanOrEqual(2);
    expect(oms).toMatchObject({ failed: 0, unknown: 0 });
    expect((oms?.deleted ?? 0) + (oms?.skipped.deadline ?? 0)).toBe(40);
  });

  it.each(SERVICE_IDS)(
    '%s: a DELETE the cloud carried out whose answer was lost counts as deleted',
    async (service) => {
      const { host, delete: del } = TASK_APIS[service];
      const emulator = await emulatorWith();
      for (let i = 0; i < 3; i++) addStale(emulator, service, `t-${i}`);
      emulator.setFaults({ service: host, operation: del.operation }, { lostAnswerShare: 1 });

      const { report } = await runInvocation(emulator, { policy: policyFor(service) });

      expect(emulator.deletions()).toHaveLength(3);
      expect(report?.services[service]).toMatchObject({ deleted: 3, alreadyGone: 0, failed: 0, unknown: 0 });
    },
  );

  it('a 504 after which the backend did delete counts as deleted; one after which it did not is retried', async () => {
    const emulator = await emulatorWith();
    for (let i = 0; i < 6; i++) addStale(emulator, 'oms-migration-tasks', `t-${i}`);
    emulator.setFaults({ service: 'oms', operation: 'DeleteMigrationTask' }, { gatewayTimeoutShare: 0.5 });

    const { report } = await runInvocation(emulator, { policy: policyFor('oms-migration-tasks') });

    expect(emulator.deletions()).toHaveLength(6);
    expect(report?.services['oms-migration-tasks']).toMatchObject({ deleted: 6, alreadyGone: 0, failed: 0 });
  });
});

describe('redirects are never followed', () => {
  it.each([301, 302, 303, 307, 308] as const)(
    'a %i to DELETE: a failure naming the Location host, nothing reaches the other host, the task stays',
    async (status) => {
      const emulator = await emulatorWith();
      for (let i = 0; i < 2; i++) addStale(emulator, 'oms-migration-tasks', `t-${i}`);
      emulator.setFaults(
        { service: 'oms', operation: 'DeleteMigrationTask' },
        { redirectShare: 1, redirectStatus: status },
      );

      const { report, logs } = await runInvocation(emulator, { policy: policyFor('oms-migration-tasks') });

      expect(emulator.foreignRequests()).toEqual([]);
      expect(emulator.tasks('oms-migration-tasks')).toHaveLength(2);
      expect(report?.services['oms-migration-tasks']).toMatchObject({ deleted: 0, failed: 2 });
      // Never retried: one DELETE per task.
      expect(ops(emulator, 'DeleteMigrationTask')).toHaveLength(2);
      const lines = logs.filter((l) => l.status === status && l.operation === 'DeleteMigrationTask');
      expect(lines).toHaveLength(2);
      const foreignHost = new URL(emulator.foreignUrl).host;
      expect(lines[0]).toMatchObject({ level: 'error', locationHost: foreignHost });
      expect(JSON.stringify(logs)).not.toContain(emulator.foreignUrl);
    },
  );

  it('a redirect of the token request or a listing sends no credential anywhere else either', async () => {
    const emulator = await emulatorWith();
    addStale(emulator, 'dis-dump-tasks', 't-1');
    emulator.setFaults({ service: 'iam' }, { redirectShare: 0.5 });
    emulator.setFaults({ service: 'dis', operation: 'ListStreams' }, { redirectShare: 0.5 });

    await runInvocation(emulator, { policy: policyFor('dis-dump-tasks') });

    expect(emulator.foreignRequests()).toEqual([]);
  });
});

describe('a run in which every attempted operation failed', () => {
  it('throws FullRunFailureError carrying the typed errors (status, code, cause), after logging the report', async () => {
    const emulator = await emulatorWith();
    for (let i = 0; i < 3; i++) addStale(emulator, 'oms-migration-tasks', `t-${i}`);
    emulator.setFaults({ service: 'oms', operation: 'DeleteMigrationTask' }, { forbiddenShare: 1 });

    const { thrown, logs } = await runInvocation(emulator, { policy: policyFor('oms-migration-tasks') });

    expect(thrown).toBeInstanceOf(FullRunFailureError);
    const errors = (thrown as FullRunFailureError).errors;
    expect(errors).toHaveLength(3);
    for (const error of errors) {
      expect(error).toBeInstanceOf(AuthError);
      expect(error).toMatchObject({ status: 403, errorCode: 'APIG.0302', operation: 'DeleteMigrationTask' });
    }
    expect(logs.filter((l) => l.msg === 'purge report')).toHaveLength(1);
  });

  it('does not throw when deletes were cut short but none failed (an interrupt is not a failure)', async () => {
    const emulator = await emulatorWith({
      faults: [{ service: 'oms', operation: 'DeleteMigrationTask', latencyMs: 300 }],
    });
    for (let i = 0; i < 10; i++) addStale(emulator, 'oms-migration-tasks', `t-${i}`);
    const interrupt = new AbortController();
    const interval = setInterval(() => {
      if (ops(emulator, 'DeleteMigrationTask').length >= 1) interrupt.abort(new InterruptError('SIGTERM'));
    }, 2);

    const { thrown, report } = await runInvocation(emulator, {
      policy: policyFor('oms-migration-tasks'),
      env: { TASK_JANITOR_CONCURRENCY: '1' },
      signal: interrupt.signal,
    });
    clearInterval(interval);

    expect(thrown).toBeUndefined();
    expect(report?.services['oms-migration-tasks']).toMatchObject({ failed: 0, deleted: 1 });
  });
});

describe("ages are measured on the cloud's clock when this machine's runs ahead", () => {
  it('a local clock 60 days fast deletes no task younger than the policy allows', async () => {
    const emulator = await emulatorWith();
    const now = Date.now();
    for (const [id, ageDays] of [
      ['young-1', 1],
      ['young-2', 5],
      ['old-1', 40],
    ] as const) {
      emulator.addTask({
        service: 'oms-migration-tasks',
        id: String(191297407840000 + ageDays),
        name: id,
        state: 5,
        fields: { start_time: now - ageDays * DAY_MS, total_time: 1000 },
      });
    }

    const { report, logs } = await runInvocation(emulator, {
      policy: policyFor('oms-migration-tasks'),
      nowMs: () => Date.now() + 60 * DAY_MS,
    });

    expect(emulator.deletions().map((d) => d.name)).toEqual(['old-1']);
    expect(report?.services['oms-migration-tasks']).toMatchObject({ deleted: 1, kept: { tooYoung: 2 } });
    expect(logs.find((l) => typeof l.localAheadMs === 'number')?.localAheadMs).toBeGreaterThan(59 * DAY_MS);
  });
});

describe('credentials a gateway quotes back in an error answer', () => {
  it.each(['password', 'temporary AK/SK'] as const)(
    'with %s credentials, never reach a log line, the report or a thrown error',
    async (kind) => {
      const emulator = await emulatorWith();
      for (let i = 0; i < 2; i++) addStale(emulator, 'oms-migration-tasks', `t-${i}`);
      // A gateway that answers every DELETE with an error quoting the request's credential headers.
      const gateway = await startGateway(emulator.urls.oms, (req, res) => {
        if (req.method !== 'DELETE') return false;
        const echoed = ['x-auth-token', 'x-security-token', 'authorization']
          .map((name) => `${name}=${String(req.headers[name] ?? '')}`)
          .join('; ');
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error_code: 'APIG.0201', error_msg: `bad request: ${echoed}` }));
        return true;
      });
      const { account } = emulator;
      const credentials =
        kind === 'password'
          ? {}
          : {
              OS_USERNAME: undefined,
              OS_PASSWORD: undefined,
              OS_DOMAIN_NAME: undefined,
              HUAWEICLOUD_SDK_AK: account.tempAccessKey,
              HUAWEICLOUD_SDK_SK: account.tempSecretKey,
              HUAWEICLOUD_SDK_SECURITY_TOKEN: account.securityToken,
            };

      const { report, lines, thrown } = await runInvocation(emulator, {
        policy: policyFor('oms-migration-tasks'),
        env: { TASK_JANITOR_ENDPOINT_OMS: gateway.url, ...credentials },
      });

      expect(report?.services['oms-migration-tasks']?.failed).toBe(2);
      const sent = emulator
        .receivedAuthHeaders()
        .flatMap((h) => [
          h.xAuthToken,
          h.xSecurityToken,
          /Signature=([0-9a-f]+)/.exec(h.authorization ?? '')?.[1],
        ]);
      const secrets = [...new Set(sent.filter((v): v is string => v !== undefined && v.length > 8))];
      expect(secrets.length).toBeGreaterThan(0);
      const text = [...lines, JSON.stringify(report), String(thrown)].join('\n');
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).toContain('[REDACTED]');
    },
  );
});
