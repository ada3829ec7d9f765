import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createStaticTokenAuth } from '../../lib/cloud/auth/static-token';
import { createCloudClient, type JanitorCloudClient } from '../../lib/cloud/client';
import { Secret } from '../../lib/cloud/secret';
import { makeDeps } from '../support/deps';
import { perCloudService } from '../support/task-apis';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  socket: unknown;
}

async function startServer(
  answer: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void,
): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, socket: req.socket });
    req.resume();
    req.on('end', () => answer(req, res, seen.length));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function makeClient(baseUrl: string, deps: ReturnType<typeof makeDeps>['deps']): JanitorCloudClient {
  const client = createCloudClient(deps, {
    endpoints: perCloudService(() => baseUrl),
    auth: createStaticTokenAuth(new Secret('tok-secret-123')),
    region: 'eu-de',
    projectId: 'p1',
    backoffBaseMs: 10,
    concurrencyPerHost: 4,
  });
  cleanups.push(() => client.close());
  return client;
}

describe('createCloudClient over node-fetch (wiring)', () => {
  it('retries a 503 and recovers, reusing one keep-alive connection', async () => {
    const server = await startServer((_req, res, n) => {
      if (n === 1) {
        res.writeHead(503, { 'content-type': 'application/json', 'x-request-id': 'rid-1' });
        res.end(JSON.stringify({ error_code: 'DCS.5000', error_msg: 'busy' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ tasks: [] }));
    });
    cleanups.push(server.close);
    const { deps, log } = makeDeps();
    const client = makeClient(server.url, deps);

    const response = await client.request({
      service: 'dcs',
      operation: 'ListCenterTasks',
      method: 'GET',
      path: '/v2/p1/tasks',
      query: { offset: 0, limit: 10, skip: undefined },
    });

    expect(response).toMatchObject({ status: 200, body: { tasks: [] } });
    expect(server.seen).toHaveLength(2);
    expect(server.seen[0]?.url).toBe('/v2/p1/tasks?offset=0&limit=10');
    expect(server.seen[0]?.headers['x-auth-token']).toBe('tok-secret-123');
    expect(server.seen[0]?.headers.connection).toBe('keep-alive');
    expect(server.seen[0]?.socket).toBe(server.seen[1]?.socket);
    const lines = log.records();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'warn',
      service: 'dcs',
      operation: 'ListCenterTasks',
      method: 'GET',
      path: '/v2/p1/tasks',
      status: 503,
      errorCode: 'DCS.5000',
      errorMsg: 'busy',
      requestId: 'rid-1',
      attempt: 1,
      willRetry: true,
    });
    expect(log.lines.join('')).not.toContain('tok-secret-123');
  });

  it('fails a 400 at once with one request, as a typed error', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json', 'x-request-id': 'rid-2' });
      res.end(
        JSON.stringify({ error_code: 'DCS.4070', error_msg: 'Invalid task ID format.', error_ext_msg: null }),
      );
    });
    cleanups.push(server.close);
    const { deps, log } = makeDeps();
    const client = makeClient(server.url, deps);

    const result = client.request({
      service: 'dcs',
      operation: 'DeleteCenterTask',
      method: 'DELETE',
      path: '/v2/p1/tasks/x',
    });

    await expect(result).rejects.toMatchObject({
      name: 'CloudApiError',
      status: 400,
      errorCode: 'DCS.4070',
      errorMsg: 'Invalid task ID format.',
      requestId: 'rid-2',
      attempts: 1,
      service: 'dcs',
      operation: 'DeleteCenterTask',
      method: 'DELETE',
      path: '/v2/p1/tasks/x',
    });
    expect(server.seen).toHaveLength(1);
    expect(log.records()).toEqual([
      expect.objectContaining({ level: 'error', status: 400, willRetry: false }),
    ]);
  });

  it('times out a hanging request and retries it', async () => {
    const server = await startServer((_req, res, n) => {
      if (n === 1) return; // never answers
      res.writeHead(200);
      res.end('{}');
    });
    cleanups.push(server.close);
    const { deps } = makeDeps();
    const client = createCloudClient(deps, {
      endpoints: perCloudService(() => server.url),
      auth: createStaticTokenAuth(new Secret('t')),
      region: 'eu-de',
      requestTimeoutMs: 200,
      backoffBaseMs: 10,
    });
    cleanups.push(() => client.close());

    await expect(
      client.request({ service: 'oms', operation: 'ListMigrationTasks', method: 'GET', path: '/v2/p/tasks' }),
    ).resolves.toMatchObject({ status: 200 });
    expect(server.seen).toHaveLength(2);
  });
});

describe('createCloudClient error bodies that are not JSON (wiring)', () => {
  it.each([
    ['HTML', 'text/html', '<html><body><h1>502 Bad Gateway</h1></body></html>', '502 Bad Gateway'],
    ['plain text', 'text/plain', 'upstream connect error', 'upstream connect error'],
    ['empty', 'text/plain', '', undefined],
  ])('logs one line for a 502 with a %s body', async (_name, contentType, body, errorMsg) => {
    const server = await startServer((_req, res) => {
      res.writeHead(502, { 'content-type': contentType });
      res.end(body);
    });
    cleanups.push(server.close);
    const { deps, log } = makeDeps();
    const client = createCloudClient(deps, {
      endpoints: perCloudService(() => server.url),
      auth: createStaticTokenAuth(new Secret('t')),
      region: 'eu-de',
      maxAttempts: 1,
    });
    cleanups.push(() => client.close());

    await expect(
      client.request({ service: 'dis', operation: 'ListStreams', method: 'GET', path: '/v2/p/streams' }),
    ).rejects.toMatchObject({ name: 'CloudApiError', status: 502, errorCode: undefined, errorMsg });
    const lines = log.records();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', status: 502, willRetry: false, service: 'dis' });
    expect(lines[0]?.errorMsg).toBe(errorMsg);
  });
});

describe('createCloudClient network failures (wiring)', () => {
  it('wraps a refused connection in a NetworkError, retried, with one log line per attempt', async () => {
    const server = await startServer(() => undefined);
    const url = server.url;
    await server.close(); // nothing listens there any more: ECONNREFUSED
    const { deps, log } = makeDeps();
    const client = createCloudClient(deps, {
      endpoints: perCloudService(() => url),
      auth: createStaticTokenAuth(new Secret('t')),
      region: 'eu-de',
      maxAttempts: 2,
      backoffBaseMs: 1,
    });
    cleanups.push(() => client.close());

    await expect(
      client.request({ service: 'oms', operation: 'ListMigrationTasks', method: 'GET', path: '/v2/p/tasks' }),
    ).rejects.toMatchObject({ name: 'NetworkError', code: 'ECONNREFUSED' });
    expect(log.records().map((line) => [line.level, line.code, line.attempt, line.willRetry])).toEqual([
      ['warn', 'ECONNREFUSED', 1, true],
      ['error', 'ECONNREFUSED', 2, false],
    ]);
  });

  it('does not retry a POST (not idempotent) even on a 503', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    cleanups.push(server.close);
    const { deps } = makeDeps();
    const client = makeClient(server.url, deps);

    await expect(
      client.request({
        service: 'oms',
        operation: 'StopMigrationTask',
        method: 'POST',
        path: '/v2/p/tasks/1/stop',
        body: {},
      }),
    ).rejects.toMatchObject({ status: 503, attempts: 1 });
    expect(server.seen).toHaveLength(1);
  });
});
