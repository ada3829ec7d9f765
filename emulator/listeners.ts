/**
 * The loopback listeners: one per host and region (in registry order from `portBase`, region after region, or on
 * random ports; the account-wide SMS host once), and the foreign listener, "another host" that injected
 * redirects point at.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { HostSlot } from './exchange';
import type { RequestHandler } from './pipeline';
import { carriesCredentials, credentialHeaders, header, type Records } from './records';
import type { ForeignRequest } from './types';

/** Open sockets and connection counts, so that `close()` can end every connection at once. */
export interface Connections {
  readonly sockets: Set<Socket>;
  /** Accepted connections per listener (`slotKey`). */
  readonly perHost: Map<string, number>;
}

/** A listener's key in `Connections.perHost` and in the listener map. */
export function slotKey(slot: HostSlot): string {
  return `${slot.region ?? ''}/${slot.host}`;
}

function track(server: Server, connections: Connections, key?: string): void {
  server.on('connection', (socket: Socket) => {
    if (key !== undefined) connections.perHost.set(key, (connections.perHost.get(key) ?? 0) + 1);
    connections.sockets.add(socket);
    socket.on('close', () => connections.sockets.delete(socket));
  });
}

/** Listens on 127.0.0.1 and returns the base URL. */
async function listen(server: Server, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

export interface Listener {
  server: Server;
  url: string;
}

/** A listener to start: what it serves, and its port (0: a random one). */
export interface SlotPort extends HostSlot {
  readonly port: number;
}

/** One listener per slot, keyed by `slotKey`; on a failure every listener started so far is closed again. */
export async function startHostListeners(
  slots: readonly SlotPort[],
  handle: RequestHandler,
  connections: Connections,
): Promise<Map<string, Listener>> {
  const listeners = new Map<string, Listener>();
  try {
    for (const { port, ...slot } of slots) {
      const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => handle(slot, req, res, Buffer.concat(chunks)));
      });
      const key = slotKey(slot);
      track(server, connections, key);
      listeners.set(key, { server, url: '' });
      const url = await listen(server, port);
      listeners.set(key, { server, url });
    }
  } catch (error) {
    for (const { server } of listeners.values()) server.close();
    throw error;
  }
  return listeners;
}

/** What the foreign host answers: a plausible success a naive client would take at face value. */
function answerForeign(
  req: IncomingMessage,
  res: ServerResponse,
  emptyListing: string,
  isClosing: () => boolean,
) {
  req.resume();
  req.on('end', () => {
    if (res.destroyed || isClosing()) return;
    const text = req.method === 'GET' || req.method === undefined ? emptyListing : '{}';
    res.writeHead(200, {
      'Content-Type': 'application/json;charset=UTF-8',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  });
}

/**
 * "Another host" for the client: a loopback listener on its own port. It answers every request with a
 * plausible success (a GET with an empty listing in every host's field names) and records it with its
 * credential headers.
 */
export async function startForeignListener(
  records: Records,
  emptyListing: Readonly<Record<string, unknown>>,
  connections: Connections,
  isClosing: () => boolean,
): Promise<Listener> {
  const listing = JSON.stringify(emptyListing);
  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    const record: ForeignRequest = {
      method: req.method ?? 'GET',
      rawPath: req.url ?? '/',
      atMs: Date.now(),
      hasCredentialHeaders: carriesCredentials(req),
    };
    const host = header(req, 'host');
    if (host !== undefined) record.host = host;
    Object.assign(record, credentialHeaders(req));
    records.foreign.push(record);
    answerForeign(req, res, listing, isClosing);
  });
  track(server, connections);
  return { server, url: await listen(server, 0) };
}
