import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, type FaultSettings, type FaultTarget, startEmulator } from '../../emulator/index';
import { apiPath } from '../../lib/cloud/api-path';
import type { JanitorCloudClient } from '../../lib/cloud/client';
import { createCloudClientFromConfig } from '../../lib/cloud/from-config';
import type { CloudRequest } from '../../lib/cloud/types';
import { loadConfig } from '../../lib/config';
import { sleep } from '../../lib/default-deps';
import type { Deps } from '../../lib/deps';
import { ConfigError, RunStoppedError } from '../../lib/errors';
import { makeDeps } from '../support/deps';
import { mintToken } from '../support/iam-token';
import type { LogCapture } from '../support/log-capture';

type CredentialKind = 'password' | 'aksk' | 'aksk-temporary' | 'token';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function makeEmulator(options: Parameters<typeof startEmulator>[0] = {}): Promise<Emulator> {
  const emulator = await startEmulator({ tasks: 20, ...options });
  cleanups.push(() => emulator.close());
  return emulator;
}

/** The environment `loadConfig` reads for one credential kind against the emulator. */
function envFor(
  emulator: Emulator,
  kind: CredentialKind,
  { withProjectId = true, token }: { withProjectId?: boolean; token?: string } = {},
): Record<string, string | undefined> {
  const { account } = emulator;
  const env: Record<string, string | undefined> = {
    ...emulator.endpointEnv(),
    OS_USERNAME: undefined,
    OS_PASSWORD: undefined,
    OS_DOMAIN_NAME: undefined,
  };
  if (!withProjectId) env.TASK_JANITOR_PROJECT_ID = undefined;
  if (kind === 'password') {
    Object.assign(env, {
      OS_USERNAME: account.userName,
      OS_PASSWORD: account.password,
      OS_DOMAIN_NAME: account.domainName,
    });
  } else if (kind === 'aksk') {
    Object.assign(env, { HUAWEICLOUD_SDK_AK: account.accessKey, HUAWEICLOUD_SDK_SK: account.secretKey });
  } else if (kind === 'aksk-temporary') {
    Object.assign(env, {
      OS_ACCESS_KEY: account.tempAccessKey,
      OS_SECRET_KEY: account.tempSecretKey,
      HUAWEICLOUD_SDK_SECURITY_TOKEN: account.securityToken,
    });
  } else {
    env.TASK_JANITOR_AUTH_TOKEN = token;
  }
  return env;
}

interface Harness {
  client: JanitorCloudClient;
  log: LogCapture;
  sleeps: number[];
  deps: Deps;
}

function makeClient(
  emulator: Emulator,
  {
    kind = 'password',
    env = {},
    deps: depsOverrides = {},
    onSleep,
    ...clientOverrides
  }: {
    kind?: CredentialKind;
    env?: Record<string, string | undefined>;
    deps?: Partial<Omit<Deps, 'log'>>;
    onSleep?: (ms: number) => void;
    backoffBaseMs?: number;
    maxRetryTimeMs?: number;
    concurrencyPerHost?: number;
    requestTimeoutMs?: number;
    token?: string;
    retryBudget?: { probeIntervalMs: number };
  } = {},
): Harness {
  const { token, ...overrides } = clientOverrides;
  const sleeps: number[] = [];
  const { deps, log } = makeDeps(depsOverrides);
  const sleepingDeps: Deps = {
    ...deps,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      onSleep?.(ms);
      return deps.sleep(ms, signal);
    },
  };
  const config = loadConfig({ ...envFor(emulator, kind, token === undefined ? {} : { token }), ...env });
  const client = createCloudClientFromConfig(sleepingDeps, config, { backoffBaseMs: 5, ...overrides });
  cleanups.push(() => client.close());
  return { client, log, sleeps, deps: sleepingDeps };
}

function listCenterTasks(emulator: Emulator, extra: Partial<CloudRequest> = {}): CloudRequest {
  return {
    service: 'dcs',
    operation: 'ListCenterTasks',
    method: 'GET',
    path: apiPath`/v2/${emulator.account.projectId}/tasks`,
    query: { offset: 0, limit: 10 },
    ...extra,
  };
}

function opLog(emulator: Emulator, operation: string) {
  return emulator.requestLog().filter((entry) => entry.operation === operation);
}

describe('createCloudClient against the emulator: retries', () => {
  const target: FaultTarget = { service: 'dcs', operation: 'ListCenterTasks' };

  it.each<[string, FaultSettings, string]>([
    ['5xx', { serverErrorShare: 1 }, 'server-error'],
    ['outage 503', { outage: true }, 'outage'],
    ['connection reset', { resetShare: 1 }, 'reset'],
    ['request timeout (hang)', { hangShare: 1 }, 'hang'],
    ['malformed 2xx body on a GET', { malformedShare: 1 }, 'malformed'],
    ['429 APIG.0308 throttling', { throttleShare: 1 }, 'throttle'],
  ])('retries a %s and recovers', async (_name, fault, faultKind) => {
    const emulator = await makeEmulator({ faults: [{ ...target, ...fault }] });
    const { client, log } = makeClient(emulator, {
      requestTimeoutMs: 300,
      onSleep: () => emulator.clearFaults(),
    });

    const response = await client.request(listCenterTasks(emulator));

    expect(response.status).toBe(200);
    const calls = opLog(emulator, 'ListCenterTasks');
    expect(calls).toHaveLength(2);
    expect(calls[0]?.fault).toBe(faultKind);
    expect(calls[1]).toMatchObject({ status: 200 });
    const failures = log.records().filter((line) => line.operation === 'ListCenterTasks');
    expect(failures).toEqual([expect.objectContaining({ level: 'warn', attempt: 1, willRetry: true })]);
  });

  it.each<[string, (emulator: Emulator) => CloudRequest, number]>([
    ['a 400 (DCS invalid limit)', (emulator) => listCenterTasks(emulator, { query: { limit: 5000 } }), 400],
    [
      'a 400 (DIS stream does not exist)',
      (emulator) => ({
        service: 'dis',
        operation: 'ListTransferTasks',
        method: 'GET',
        path: apiPath`/v2/${emulator.account.projectId}/streams/${'no-such-stream'}/transfer-tasks`,
      }),
      400,
    ],
    [
      'a 404 on DELETE (DCS background task)',
      (emulator) => ({
        service: 'dcs',
        operation: 'DeleteBackgroundTask',
        method: 'DELETE',
        path: apiPath`/v2/${emulator.account.projectId}/instances/${'no-such-instance'}/tasks/${'t1'}`,
      }),
      404,
    ],
    [
      'a 401 (project id not matching the token)',
      (emulator) => listCenterTasks(emulator, { path: apiPath`/v2/${'0123456789abcdef'}/tasks` }),
      401,
    ],
  ])('fails %s at once, with one request', async (_name, build, status) => {
    const emulator = await makeEmulator();
    const { client, log, sleeps } = makeClient(emulator);
    const req = build(emulator);

    await expect(client.request(req)).rejects.toMatchObject({
      name: status === 401 ? 'AuthError' : 'CloudApiError',
      status,
      attempts: 1,
      service: req.service,
      operation: req.operation,
    });

    expect(opLog(emulator, req.operation)).toHaveLength(1);
    expect(sleeps).toEqual([]);
    const lines = log.records().filter((line) => line.operation === req.operation);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'error', status, willRetry: false, attempt: 1 }),
    ]);
  });

  it('retries a truncated token answer (minting a token is safe to repeat) and the call succeeds', async () => {
    const emulator = await makeEmulator({
      faults: [{ service: 'iam', operation: 'CreateToken', malformedShare: 1 }],
    });
    const { client } = makeClient(emulator, { onSleep: () => emulator.clearFaults() });

    const response = await client.request(listCenterTasks(emulator));

    expect(response.status).toBe(200);
    expect(opLog(emulator, 'CreateToken').map((entry) => entry.fault ?? 'none')).toEqual([
      'malformed',
      'none',
    ]);
  });

  it('fails a badly signed AK/SK request at once (a retried bad signature gets an IP blacklisted)', async () => {
    const emulator = await makeEmulator();
    const { client } = makeClient(emulator, {
      kind: 'aksk',
      env: { HUAWEICLOUD_SDK_SK: 'not-the-secret-key' },
    });

    await expect(client.request(listCenterTasks(emulator))).rejects.toMatchObject({
      name: 'AuthError',
      status: 401,
      errorCode: 'APIG.0301',
    });
    expect(emulator.requestLog()).toHaveLength(1);
  });

  it('honours Retry-After: the emulator sees the retry a second after the 429', async () => {
    const emulator = await makeEmulator({ faults: [{ ...target, throttleShare: 1 }] });
    const { client, sleeps } = makeClient(emulator, {
      backoffBaseMs: 1,
      onSleep: () => emulator.clearFaults(),
    });

    await client.request(listCenterTasks(emulator));

    const [throttled, retried] = opLog(emulator, 'ListCenterTasks');
    expect(throttled).toMatchObject({ status: 429, errorCode: 'APIG.0308' });
    expect(sleeps).toEqual([1000]);
    expect((retried?.atMs ?? 0) - (throttled?.atMs ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it('stops waiting to retry when the run stops, with a RunStoppedError: nothing more is sent', async () => {
    const emulator = await makeEmulator({ faults: [{ ...target, outage: true }] });
    const { client } = makeClient(emulator, { backoffBaseMs: 20_000, deps: { random: () => 0.99 } });
    const deadline = new AbortController();
    setTimeout(() => deadline.abort(new Error('deadline')), 200);
    const startedMs = Date.now();

    const result = client.request(listCenterTasks(emulator, { signal: deadline.signal }));

    await expect(result).rejects.toBeInstanceOf(RunStoppedError);
    await expect(result).rejects.toMatchObject({ reason: 'deadline', sent: false });
    expect(Date.now() - startedMs).toBeLessThan(2_000);
    expect(opLog(emulator, 'ListCenterTasks')).toHaveLength(1);
  });

  it('gives up at once when the next delay would overrun the retry time budget', async () => {
    const emulator = await makeEmulator({ faults: [{ ...target, outage: true }] });
    const { client, sleeps, log } = makeClient(emulator, {
      backoffBaseMs: 20_000,
      maxRetryTimeMs: 1_000,
      deps: { random: () => 0.99 },
    });

    await expect(client.request(listCenterTasks(emulator))).rejects.toMatchObject({
      status: 503,
      attempts: 1,
    });
    expect(sleeps).toEqual([]);
    expect(log.records()).toEqual([expect.objectContaining({ level: 'error', willRetry: false })]);
  });

  it('stops after maxAttempts when a host keeps failing', async () => {
    const emulator = await makeEmulator({ faults: [{ ...target, outage: true }] });
    const { client, log } = makeClient(emulator, { env: { TASK_JANITOR_MAX_ATTEMPTS: '3' } });

    await expect(client.request(listCenterTasks(emulator))).rejects.toMatchObject({
      status: 503,
      attempts: 3,
    });
    expect(opLog(emulator, 'ListCenterTasks')).toHaveLength(3);
    expect(log.records().map((line) => [line.level, line.attempt, line.willRetry])).toEqual([
      ['warn', 1, true],
      ['warn', 2, true],
      ['error', 3, false],
    ]);
  });
});

describe('createCloudClient against the emulator: tokens', () => {
  it('refreshes an expired token once for 32 concurrent callers, with no failed call', async () => {
    let serverNowMs = Date.parse('2025-01-01T00:00:00Z');
    const clientNowMs = serverNowMs;
    const emulator = await makeEmulator({ nowMs: () => serverNowMs, tokenTtlSeconds: 3600 });
    const { client, log } = makeClient(emulator, { deps: { now: () => new Date(clientNowMs) } });
    await client.request(listCenterTasks(emulator));
    expect(opLog(emulator, 'CreateToken')).toHaveLength(1);

    // The server says the token expired while the client still trusts it (revoked, or clock skew).
    serverNowMs += 2 * 3600_000;
    const results = await Promise.allSettled(
      Array.from({ length: 32 }, () => client.request(listCenterTasks(emulator))),
    );

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(opLog(emulator, 'CreateToken')).toHaveLength(2);
    const lists = opLog(emulator, 'ListCenterTasks');
    // The calls that got a slot first carried the stale token (slow start lets few go at once); the ones queued
    // behind them are authorized when they get theirs, with the fresh token.
    const expired = lists.filter((e) => e.status === 401 && e.errorCode === 'APIG.0307');
    expect(expired.length).toBeGreaterThanOrEqual(1);
    expect(lists.filter((e) => e.status === 200)).toHaveLength(33);
    const refreshLines = log.records().filter((line) => line.tokenRefresh === true);
    expect(refreshLines).toHaveLength(expired.length);
    expect(refreshLines[0]).toMatchObject({ level: 'warn', status: 401, errorCode: 'APIG.0307' });
  });

  it('refreshes shortly before expires_at: one token request for 32 concurrent callers, no 401', async () => {
    let nowMs = Date.parse('2025-01-01T00:00:00Z');
    const emulator = await makeEmulator({ nowMs: () => nowMs, tokenTtlSeconds: 3600 });
    const { client } = makeClient(emulator, { deps: { now: () => new Date(nowMs) } });
    await client.request(listCenterTasks(emulator));

    nowMs += 3600_000 - 60_000; // inside the refresh margin, still valid on the server
    await Promise.all(Array.from({ length: 32 }, () => client.request(listCenterTasks(emulator))));
    await Promise.all(Array.from({ length: 8 }, () => client.request(listCenterTasks(emulator))));

    expect(opLog(emulator, 'CreateToken')).toHaveLength(2);
    expect(opLog(emulator, 'ListCenterTasks').every((e) => e.status === 200)).toBe(true);
  });

  it('asks a platform token getter (FunctionGraph context.getToken) again once when its token expired', async () => {
    let serverNowMs = Date.parse('2025-01-01T00:00:00Z');
    const emulator = await makeEmulator({ nowMs: () => serverNowMs, tokenTtlSeconds: 600 });
    const stale = await mintToken(emulator);
    serverNowMs += 3_600_000;
    const fresh = await mintToken(emulator);
    const handedOut: string[] = [];
    const getter = () => {
      const token = handedOut.length === 0 ? stale : fresh;
      handedOut.push(token);
      return Promise.resolve(token);
    };
    const env = envFor(emulator, 'token', { token: 'unused' });
    const withGetter = createCloudClientFromConfig(
      makeDeps().deps,
      loadConfig(
        { ...env, TASK_JANITOR_AUTH_TOKEN: undefined },
        { platformCredentials: { kind: 'token', token: getter } },
      ),
    );
    cleanups.push(() => withGetter.close());

    await expect(withGetter.request(listCenterTasks(emulator))).resolves.toMatchObject({ status: 200 });
    expect(handedOut).toEqual([stale, fresh]);
    expect(opLog(emulator, 'ListCenterTasks').map((e) => e.status)).toEqual([401, 200]);
  });

  it('never loops on a token that stays rejected: one refresh, then the AuthError', async () => {
    const emulator = await makeEmulator();
    const { client } = makeClient(emulator, { kind: 'token', token: 'MIIEnot-a-token' });

    await expect(client.request(listCenterTasks(emulator))).rejects.toMatchObject({
      name: 'AuthError',
      errorCode: 'APIG.0301',
    });
    expect(opLog(emulator, 'ListCenterTasks')).toHaveLength(1);
  });

  it('resolves the project id from the region, once, for every credential kind', async () => {
    const emulator = await makeEmulator();
    const token = await mintToken(emulator);
    for (const kind of ['password', 'aksk', 'aksk-temporary', 'token'] as const) {
      const { client } = makeClient(emulator, { kind, token, env: { TASK_JANITOR_PROJECT_ID: undefined } });
      const [a, b] = await Promise.all([client.resolveProjectId(), client.resolveProjectId()]);
      expect([kind, a, b]).toEqual([kind, emulator.account.projectId, emulator.account.projectId]);
    }
    // password: the project-name-scoped token tells the id; the others ask GET /v3/projects?name=cn-north-4.
    expect(opLog(emulator, 'ListProjects').map((e) => e.auth)).toEqual(['aksk', 'aksk', 'token']);
    expect(opLog(emulator, 'ListProjects')[0]?.rawPath).toBe(`/v3/projects?name=${emulator.account.region}`);
  });
});

describe('createCloudClient against the emulator: AK/SK', () => {
  it.each(['aksk', 'aksk-temporary'] as const)(
    '%s requests are accepted by the verifier on every host',
    async (kind) => {
      const emulator = await makeEmulator();
      const { client } = makeClient(emulator, { kind, env: { TASK_JANITOR_PROJECT_ID: undefined } });
      const projectId = await client.resolveProjectId();

      await client.request(listCenterTasks(emulator));
      await client.request({
        service: 'modelarts',
        operation: 'ListProcessorTasks',
        method: 'GET',
        path: apiPath`/v2/${projectId}/processor-tasks`,
        query: { offset: 0, limit: 5 },
      });
      await client.request({
        service: 'oms',
        operation: 'ListMigrationTasks',
        method: 'GET',
        path: apiPath`/v2/${projectId}/tasks`,
        query: { offset: 0, limit: 5 },
      });
      await client.request({
        service: 'dis',
        operation: 'ListStreams',
        method: 'GET',
        path: apiPath`/v2/${projectId}/streams`,
        query: { limit: 10, start_stream_name: 'a b/ü~*' },
      });
      // An encoded odd segment is signed as sent: the answer is "no such stream", not a signature failure.
      await expect(
        client.request({
          service: 'dis',
          operation: 'ListTransferTasks',
          method: 'GET',
          path: apiPath`/v2/${projectId}/streams/${"it's a/b ü"}/transfer-tasks`,
        }),
      ).rejects.toMatchObject({ status: 400, errorCode: 'DIS.4301' });

      const log = emulator.requestLog();
      expect(log.map((e) => [e.auth, e.status])).toEqual([
        ['aksk', 200],
        ['aksk', 200],
        ['aksk', 200],
        ['aksk', 200],
        ['aksk', 200],
        ['aksk', 400],
      ]);
    },
  );
});

describe('createCloudClient against the emulator: error payloads and logs', () => {
  it.each<
    [
      string,
      (emulator: Emulator) => CloudRequest,
      Record<string, unknown>,
      Partial<FaultTarget & FaultSettings>?,
    ]
  >([
    [
      'DCS {error_code, error_msg, error_ext_msg}',
      (emulator) => listCenterTasks(emulator, { query: { limit: 5000 } }),
      { status: 400, errorCode: '111400063', errorMsg: 'Invalid limit parameter in the request.' },
    ],
    [
      'DIS {errorCode, message}',
      (emulator) => ({
        service: 'dis',
        operation: 'ListTransferTasks',
        method: 'GET',
        path: apiPath`/v2/${emulator.account.projectId}/streams/${'nope'}/transfer-tasks`,
      }),
      { status: 400, errorCode: 'DIS.4301', errorMsg: 'The stream does not exist.' },
    ],
    [
      'ModelArts {error_code, error_msg}',
      (emulator) => ({
        service: 'modelarts',
        operation: 'DeleteProcessorTask',
        method: 'DELETE',
        path: apiPath`/v2/${emulator.account.projectId}/processor-tasks/${'nope'}`,
      }),
      { status: 400, errorCode: 'ModelArts.4700', errorMsg: 'Task does not exist.' },
    ],
  ])('%s → one log line with its fields', async (_name, build, expected, fault) => {
    const emulator = await makeEmulator(fault ? { faults: [{ service: 'dcs', ...fault }] } : {});
    const { client, log } = makeClient(emulator, { env: { TASK_JANITOR_MAX_ATTEMPTS: '1' } });
    const req = build(emulator);

    await expect(client.request(req)).rejects.toMatchObject(
      expected.status === 401 ? {} : { status: expected.status },
    );

    const lines = log.records().filter((line) => line.operation === req.operation);
    expect(lines).toHaveLength(1);
    const line: Record<string, unknown> = lines[0] ?? {};
    expect(line).toMatchObject({
      level: 'error',
      service: req.service,
      operation: req.operation,
      method: req.method,
      path: req.path,
      attempt: 1,
      willRetry: false,
      delayMs: 0,
      ...expected,
    });
    expect(line.requestId).toMatch(/^[0-9a-f]{32}$/);
    const logged = emulator.requestLog().find((e) => e.operation === req.operation);
    expect(logged?.errorCode).toBe(line.errorCode);
  });

  it('retries a throttle without using up the attempts, until the run stops; each 429 is one warn line', async () => {
    const emulator = await makeEmulator({
      faults: [{ service: 'dcs', operation: 'ListCenterTasks', throttleShare: 1 }],
    });
    // Retry-After waits are compressed a hundredfold: the throttled attempts come quickly.
    const { client, log } = makeClient(emulator, {
      env: { TASK_JANITOR_MAX_ATTEMPTS: '1' },
      deps: { sleep: (ms, signal) => sleep(Math.ceil(ms / 100), signal) },
    });
    const stop = new AbortController();
    // Stop once a few throttled attempts went out (whatever the machine's load), not at a fixed time.
    const timer = setInterval(() => {
      if (opLog(emulator, 'ListCenterTasks').length >= 4) stop.abort(new Error('deadline'));
    }, 5);
    cleanups.push(() => clearInterval(timer));

    const result = client.request({ ...listCenterTasks(emulator), stopSignal: stop.signal });

    await expect(result).rejects.toMatchObject({ name: 'RunStoppedError', reason: 'deadline', sent: false });
    await expect(result).rejects.toMatchObject({ cause: { status: 429, errorCode: 'APIG.0308' } });
    const sent = opLog(emulator, 'ListCenterTasks');
    expect(sent.length).toBeGreaterThanOrEqual(4);
    const lines = log.records().filter((line) => line.operation === 'ListCenterTasks');
    expect(lines).toHaveLength(sent.length);
    for (const line of lines) {
      expect(line).toMatchObject({
        level: 'warn',
        status: 429,
        errorCode: 'APIG.0308',
        willRetry: true,
        throttled: true,
      });
      expect(line.requestId).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it('IAM {error: {code, message, title}} → one log line; the caller sees the IAM AuthError', async () => {
    const emulator = await makeEmulator();
    const { client, log } = makeClient(emulator, { env: { OS_PASSWORD: 'wrong-password-value' } });

    await expect(client.request(listCenterTasks(emulator))).rejects.toMatchObject({
      name: 'AuthError',
      service: 'iam',
      operation: 'CreateToken',
      status: 401,
    });
    expect(log.records()).toEqual([
      expect.objectContaining({
        level: 'error',
        service: 'iam',
        operation: 'CreateToken',
        method: 'POST',
        path: '/v3/auth/tokens',
        status: 401,
        errorCode: '401',
        errorMsg: 'The username or password is wrong.',
        errorExtMsg: 'Unauthorized',
      }),
    ]);
    expect(log.lines.join('')).not.toContain('wrong-password-value');
    expect(opLog(emulator, 'ListCenterTasks')).toHaveLength(0);
  });

  it('logs no secret with any credential kind, through errors, retries and token refreshes', async () => {
    let serverNowMs = Date.now();
    const emulator = await makeEmulator({ nowMs: () => serverNowMs });
    const { account } = emulator;
    const staticToken = await mintToken(emulator);
    const secrets = new Set([
      account.password,
      account.secretKey,
      account.tempSecretKey,
      account.securityToken,
      staticToken,
    ]);
    const allLogs: string[] = [];
    const errorTexts: string[] = [];

    for (const kind of ['password', 'aksk', 'aksk-temporary', 'token'] as const) {
      const { deps: base } = makeDeps();
      const recordingFetch: Deps['fetch'] = async (url, init) => {
        const signature = /Signature=([0-9a-f]+)/.exec(init.headers.Authorization ?? '')?.[1];
        if (signature) secrets.add(signature);
        if (init.headers['X-Auth-Token']) secrets.add(init.headers['X-Auth-Token']);
        const response = await base.fetch(url, init);
        const minted = response.headers.get('x-subject-token');
        if (minted) secrets.add(minted);
        return response;
      };
      const { client, log } = makeClient(emulator, {
        kind,
        token: staticToken,
        env: { TASK_JANITOR_PROJECT_ID: undefined, TASK_JANITOR_LOG_LEVEL: 'debug' },
        deps: { fetch: recordingFetch },
      });
      emulator.setFaults({ service: 'dcs', operation: 'ListCenterTasks' }, { serverErrorShare: 0.5 });
      const projectId = await client.resolveProjectId();
      await Promise.allSettled(Array.from({ length: 6 }, () => client.request(listCenterTasks(emulator))));
      emulator.clearFaults();
      for (const req of [
        listCenterTasks(emulator, { query: { limit: 5000 } }),
        listCenterTasks(emulator, { path: apiPath`/v2/${'0000'}/tasks` }),
        {
          service: 'dis' as const,
          operation: 'ListTransferTasks',
          method: 'GET' as const,
          path: apiPath`/v2/${projectId}/streams/${'nope'}/transfer-tasks`,
        },
      ]) {
        await client.request(req).catch((error: unknown) => {
          errorTexts.push(String(error), inspect(error, { depth: 6 }), JSON.stringify(error));
        });
      }
      if (kind === 'password') {
        serverNowMs += 2 * 86_400_000; // the token expires on the server: a refresh happens
        await client.request(listCenterTasks(emulator));
        serverNowMs = Date.now();
      }
      allLogs.push(...log.lines);
    }

    expect(allLogs.length).toBeGreaterThan(8);
    // password, SK, temp SK, STS token, static token, minted tokens, and one signature per signed request
    expect(secrets.size).toBeGreaterThan(12);
    expect(allLogs.some((line) => line.includes('"tokenRefresh":true'))).toBe(true);
    const everything = allLogs.join('\n') + errorTexts.join('\n');
    for (const secret of secrets)
      expect(everything.includes(secret), `leaked ${secret.slice(0, 6)}…`).toBe(false);
    expect(everything).not.toMatch(/Authorization|X-Auth-Token|SDK-HMAC-SHA256 Access/i);
  });
});

describe('createCloudClient against the emulator: configuration and connections', () => {
  it('refuses a misconfiguration before any request, listing every problem', async () => {
    const emulator = await makeEmulator();

    const load = () =>
      loadConfig({
        ...emulator.endpointEnv(),
        TASK_JANITOR_REGION: undefined,
        HUAWEICLOUD_SDK_AK: emulator.account.accessKey,
        OS_PASSWORD: undefined,
        TASK_JANITOR_ENDPOINT_DCS: 'http://dcs.example.com',
        TASK_JANITOR_ENDPOINT_DIS: 'http//127.0.0.1:1',
      });

    expect(load).toThrow(ConfigError);
    let problems: readonly string[] = [];
    try {
      load();
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([
      expect.stringContaining('TASK_JANITOR_REGION'),
      expect.stringContaining('TASK_JANITOR_ENDPOINT_DCS'),
      expect.stringContaining('TASK_JANITOR_ENDPOINT_DIS'),
      expect.stringContaining('HUAWEICLOUD_SDK_SK'),
      expect.stringContaining('OS_PASSWORD'),
    ]);
    expect(emulator.requestLog()).toEqual([]);
  });

  it('keeps connections alive: no more than maxSockets per host over 60 concurrent calls', async () => {
    const emulator = await makeEmulator({ faults: [{ service: 'dcs', latencyMs: 20 }] });
    const { client } = makeClient(emulator, { concurrencyPerHost: 4 });

    await Promise.all(Array.from({ length: 60 }, () => client.request(listCenterTasks(emulator))));

    expect(opLog(emulator, 'ListCenterTasks')).toHaveLength(60);
    expect(emulator.connectionCount('dcs')).toBeLessThanOrEqual(4);
    expect(emulator.connectionCount('dcs')).toBeGreaterThanOrEqual(1);
  });
});

describe('createCloudClient against the emulator: pacing and the retry budget', () => {
  it('applies a Retry-After to every request to that host, not only the throttled one', async () => {
    const emulator = await makeEmulator({
      faults: [{ service: 'dcs', operation: 'ListCenterTasks', throttleShare: 1 }],
    });
    let other: Promise<unknown> | undefined;
    const { client } = makeClient(emulator, {
      onSleep: () => {
        if (other) return;
        emulator.clearFaults();
        // Sent while the host is paused: it waits for the Retry-After too.
        other = client.request({
          service: 'dcs',
          operation: 'ListInstances',
          method: 'GET',
          path: apiPath`/v2/${emulator.account.projectId}/instances`,
        });
      },
    });

    await client.request(listCenterTasks(emulator));
    await other;

    const throttled = opLog(emulator, 'ListCenterTasks')[0];
    const instances = opLog(emulator, 'ListInstances')[0];
    expect(throttled?.status).toBe(429);
    expect(instances?.status).toBe(200);
    expect((instances?.atMs ?? 0) - (throttled?.atMs ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('learns a rate limit: few 429s, no failed call, close to the limit', async () => {
    const emulator = await makeEmulator({ faults: [{ service: 'dcs', rateLimitPerSecond: 100 }] });
    const { client } = makeClient(emulator, {
      concurrencyPerHost: 16,
      env: { TASK_JANITOR_MAX_ATTEMPTS: '10' },
    });
    const startedMs = Date.now();

    const results = await Promise.allSettled(
      Array.from({ length: 300 }, () => client.request(listCenterTasks(emulator))),
    );

    const elapsedS = (Date.now() - startedMs) / 1000;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const calls = opLog(emulator, 'ListCenterTasks');
    const throttled = calls.filter((e) => e.status === 429).length;
    // Nearly all 429s are the first wave: 16 in flight when the server's burst runs out (15 of 315 seen).
    expect(throttled / calls.length).toBeLessThan(0.08);
    // 300 calls, 100 of them from the server's burst: 2 s at the limit plus one Retry-After pause (2.1 s seen).
    expect(elapsedS).toBeLessThan(4.5);
    // A host that throttled is paced at a learned rate from then on. (A client slowed by a busy machine may
    // never reach the limit; it then has nothing to learn. Under load one run ended with no rate learned.)
    if (throttled > 0) expect(client.hostStats().dcs?.pacing?.enabled).toBe(true);
  });

  it('close() ends every wait of the client: nothing is sent after it (no request outlives the run)', async () => {
    const emulator = await makeEmulator({ faults: [{ service: 'dcs', outage: true }] });
    const { client } = makeClient(emulator, { backoffBaseMs: 2_000, deps: { random: () => 0.99 } });

    const pending = client.request(listCenterTasks(emulator)).catch((error: unknown) => error);
    while (opLog(emulator, 'ListCenterTasks').length === 0) await new Promise((r) => setTimeout(r, 10));
    client.close();
    const outcome = await pending;
    await new Promise((r) => setTimeout(r, 300));

    expect(outcome).toBeInstanceOf(Error);
    expect(opLog(emulator, 'ListCenterTasks')).toHaveLength(1);
  });

  /** Fails calls one after the other until the host's retry budget is empty (the breaker is open). */
  async function drainBudget(client: JanitorCloudClient, emulator: Emulator): Promise<void> {
    for (let i = 0; i < 20; i++) await client.request(listCenterTasks(emulator)).catch(() => undefined);
  }

  it('stops retrying a host that is down, then sends it only probes and fails the other calls fast', async () => {
    const emulator = await makeEmulator({ faults: [{ service: 'dcs', outage: true }] });
    const { client, log } = makeClient(emulator, { retryBudget: { probeIntervalMs: 200 } });

    await drainBudget(client, emulator);
    // 5 attempts per call without a budget (100 requests); with it, ten failures end the retries.
    expect(opLog(emulator, 'ListCenterTasks').length).toBeLessThanOrEqual(20 + 10);
    expect(log.records().some((line) => line.retryBudgetExhausted === true)).toBe(true);
    emulator.clearRequestLog();

    const outcomes = await Promise.all(
      Array.from({ length: 30 }, () =>
        client.request(listCenterTasks(emulator)).catch((error: unknown) => error),
      ),
    );

    // Each refused call waits for the probe's answer or an interval, twice, then fails without being sent.
    expect(opLog(emulator, 'ListCenterTasks').length).toBeLessThanOrEqual(3);
    const refused = outcomes.filter((o) => o instanceof Error && o.name === 'HostUnavailableError');
    expect(refused.length).toBeGreaterThanOrEqual(27);
    expect(refused[0]).toMatchObject({ lastStatus: 503, message: expect.stringContaining('(last: 503') });
  });

  it('lets the calls the breaker held through once a probe is answered: a short outage fails nothing more', async () => {
    const emulator = await makeEmulator({ faults: [{ service: 'dcs', outage: true }] });
    const { client, log } = makeClient(emulator, { retryBudget: { probeIntervalMs: 200 } });
    await drainBudget(client, emulator);
    emulator.clearFaults();

    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, () => client.request(listCenterTasks(emulator))),
    );

    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    emulator.setFaults({ service: 'dcs', operation: 'ListCenterTasks' }, { serverErrorShare: 1 });
    for (let i = 0; i < 12; i++) await client.request(listCenterTasks(emulator)).catch(() => undefined);
    // The budget refilled as calls succeeded: retries are allowed again.
    const retried = log
      .records()
      .some(
        (line) =>
          line.willRetry === true && line.attempt === 1 && [500, 502, 503].includes(Number(line.status)),
      );
    expect(retried).toBe(true);
  });
});

describe('createCloudClient against the emulator: throttling is not failure', () => {
  it('a throttled call uses no attempt: one attempt allowed, a 1 s window of 4 requests, 10 calls all succeed', async () => {
    const emulator = await makeEmulator({
      faults: [{ service: 'dcs', fixedWindowLimit: 4, fixedWindowSeconds: 1 }],
    });
    const { client, log } = makeClient(emulator, { env: { TASK_JANITOR_MAX_ATTEMPTS: '1' } });

    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => client.request(listCenterTasks(emulator))),
    );

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const throttled = opLog(emulator, 'ListCenterTasks').filter((e) => e.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    // Each 429 is one warn line that says the call goes on; none is an error.
    const lines = log.records().filter((line) => line.operation === 'ListCenterTasks');
    expect(lines).toHaveLength(throttled.length);
    expect(lines.every((line) => line.level === 'warn' && line.willRetry === true && line.throttled)).toBe(
      true,
    );
  });

  it('throttles do not spend the retry time: a 1 s Retry-After against 100 ms of retry time', async () => {
    const emulator = await makeEmulator({
      faults: [{ service: 'dcs', operation: 'ListCenterTasks', throttleShare: 1 }],
    });
    const { client } = makeClient(emulator, {
      maxRetryTimeMs: 100,
      onSleep: () => emulator.clearFaults(),
    });

    const response = await client.request(listCenterTasks(emulator));

    expect(response.status).toBe(200);
    expect(opLog(emulator, 'ListCenterTasks').map((e) => e.status)).toEqual([429, 200]);
  });

  it('the retry budget and the breaker count server failures, not throttles', async () => {
    const emulator = await makeEmulator({
      faults: [{ service: 'dcs', fixedWindowLimit: 2, fixedWindowSeconds: 1 }],
    });
    const { client } = makeClient(emulator, { retryBudget: { probeIntervalMs: 200 } });

    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => client.request(listCenterTasks(emulator))),
    );

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(opLog(emulator, 'ListCenterTasks').filter((e) => e.status === 429).length).toBeGreaterThan(0);
    expect(client.hostStats().dcs?.retryBudgetTokens).toBe(20);
  });

  it('learns a window without Retry-After: one probe at a time while locked out, never a burst of 429s', async () => {
    const emulator = await makeEmulator({
      faults: [{ service: 'dcs', fixedWindowLimit: 10, fixedWindowSeconds: 1 }],
    });
    const { client } = makeClient(emulator, { concurrencyPerHost: 16 });

    await Promise.all(Array.from({ length: 40 }, () => client.request(listCenterTasks(emulator))));

    const calls = opLog(emulator, 'ListCenterTasks');
    const throttled = calls.filter((e) => e.status === 429);
    // The first lockout catches at most the requests in flight when the quota ran out (slow start: few), then
    // single probes; the 40 calls need four windows.
    expect(throttled.length).toBeLessThanOrEqual(16);
    expect(calls.filter((e) => e.status === 200)).toHaveLength(40);
    expect(client.hostStats().dcs?.pacing?.mode).toBe('window');
  });

  it('a DELETE still throttled when the run stops ends as not sent: a stop that did nothing', async () => {
    const emulator = await makeEmulator({ faults: [{ service: 'dcs', throttleShare: 1 }] });
    const { client } = makeClient(emulator);
    const stop = new AbortController();
    const attempts: { mayHaveActed: boolean }[] = [];
    const request = client.request(
      listCenterTasks(emulator, {
        stopSignal: stop.signal,
        method: 'DELETE',
        operation: 'DeleteCenterTask',
        path: apiPath`/v2/${emulator.account.projectId}/tasks/${'t1'}`,
        onAttempt: (record) => {
          attempts.push(record);
          // Stop once the host has throttled it (whatever the machine's load), not at a fixed time.
          stop.abort(
            new RunStoppedError('the run reached its deadline', { reason: 'deadline', sent: false }),
          );
        },
      }),
    );

    const outcome = await request.catch((error: unknown) => error);

    expect(outcome).toBeInstanceOf(RunStoppedError);
    expect(outcome).toMatchObject({ reason: 'deadline', sent: false });
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((a) => !a.mayHaveActed)).toBe(true);
  });
});
