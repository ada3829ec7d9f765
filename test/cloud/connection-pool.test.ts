import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createStaticTokenAuth } from '../../lib/cloud/auth/static-token';
import { createCloudClient } from '../../lib/cloud/client';
import { ConnectionPool } from '../../lib/cloud/connection-pool';
import { Secret } from '../../lib/cloud/secret';
import { makeDeps } from '../support/deps';
import { perCloudService } from '../support/task-apis';

describe('ConnectionPool', () => {
  function pool(idleMs = 1000) {
    const agents: { id: number; destroyed: boolean }[] = [];
    const connections = new ConnectionPool(() => {
      const agent = { id: agents.length, destroyed: false, destroy: () => (agent.destroyed = true) };
      agents.push(agent);
      return agent;
    }, idleMs);
    return { connections, agents };
  }

  it('keeps its agent while the host is busy, and renews it after an idle spell with nothing on the wire', () => {
    const { connections, agents } = pool();

    connections.sending(0);
    connections.settled(100);
    connections.sending(900); // idle 800 ms: kept
    expect(agents).toHaveLength(1);
    connections.settled(950);
    connections.sending(1950); // idle 1000 ms: renewed

    expect(agents.map((a) => a.destroyed)).toEqual([true, false]);
    expect(connections.agent).toBe(agents[1]);
  });

  it('never renews while a request is on the wire (that would cut it), however long it takes', () => {
    const { connections, agents } = pool();

    connections.sending(0);
    connections.sending(5000); // the first is still unanswered

    expect(agents).toHaveLength(1);
    expect(agents[0]?.destroyed).toBe(false);
  });

  it('the first request uses the first agent', () => {
    const { connections, agents } = pool();
    connections.sending(10_000);
    expect(agents).toHaveLength(1);
  });
});

// A server in another process, so that it closes its idle connections while this process is busy. Node's
// server closes an idle connection somewhat after keepAliveTimeout; its `Keep-Alive: timeout=2` hint must stay
// above 1 s, or Node's agent keeps no connection at all.
const SERVER = `
const http = require('node:http');
const server = http.createServer({ keepAliveTimeout: 2000 }, (req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"tasks":[]}'); });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServerProcess(): Promise<string> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill());
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return `http://127.0.0.1:${chunk.toString().trim()}`;
}

/** Keeps this process's event loop busy for `ms`, as planning a large listing does. */
function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

describe('a host idle past the server keep-alive', () => {
  it('gets new connections: a request never goes out on a connection the server closed while this process was busy', async () => {
    const url = await startServerProcess();
    const { deps, log } = makeDeps();
    const client = createCloudClient(deps, {
      endpoints: perCloudService(() => url),
      auth: createStaticTokenAuth(new Secret('tok')),
      region: 'eu-de',
      projectId: 'p1',
      concurrencyPerHost: 4,
      // One attempt: a reset is a failure, not a retry that hides it.
      maxAttempts: 1,
      idleConnectionsMs: 200,
      pacing: false,
      retryBudget: false,
    });
    cleanups.push(() => client.close());
    const list = () =>
      client.request({
        service: 'oms',
        operation: 'ListTasks',
        method: 'GET',
        path: '/v2/p1/tasks',
        query: { offset: 0, limit: 10, skip: undefined },
      });
    // Four connections open and idle in the pool.
    await Promise.all([list(), list(), list(), list()]);

    // The server closes them after 2 s idle or a little later; this process sees none of it until it is done.
    busy(4000);
    const answers = await Promise.allSettled([list(), list(), list(), list()]);

    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(log.lines.join('')).not.toMatch(/ECONNRESET|EPIPE/);
  }, 30_000);
});
