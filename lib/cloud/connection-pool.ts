/**
 * A host's keep-alive pool, renewed after the host has been idle. Servers close idle keep-alive connections
 * (Node's default after 5 s; gateways vary), and a request written on a connection the server has just closed
 * is reset (ECONNRESET): a failure that may have acted, counted against the host's retry budget. When the
 * client's event loop is busy at that moment (planning thousands of tasks after a listing), it has not yet
 * seen the server's close, and a whole window of deletes goes out on dead connections at once. So the next
 * request after an idle spell gets a fresh pool; the time is measured at the send, so a blocked loop counts.
 */

/**
 * A host with nothing on the wire for this long gets new connections for its next request: a second below
 * Node's default keep-alive timeout (5 s), as agentkeepalive's free-socket timeout is, so that a busy host
 * keeps its connections (`npm run bench` B1 counts them) and an idle one never writes on a closed one.
 */
export const IDLE_CONNECTIONS_MS = 4_000;

export class ConnectionPool {
  readonly #create: () => unknown;
  readonly #idleMs: number;
  #agent: unknown;
  /** Requests sent and not yet answered (or given up). */
  #onWire = 0;
  /** When a request last went out or was answered; undefined before the first. */
  #lastActivityMs: number | undefined;

  constructor(create: () => unknown, idleMs = IDLE_CONNECTIONS_MS) {
    this.#create = create;
    this.#idleMs = idleMs;
    this.#agent = create();
  }

  /** The agent the next request goes through. */
  get agent(): unknown {
    return this.#agent;
  }

  /** A request is about to be sent: after an idle spell, its connections are new ones. */
  sending(nowMs: number): void {
    const idle =
      this.#onWire === 0 &&
      this.#lastActivityMs !== undefined &&
      nowMs - this.#lastActivityMs >= this.#idleMs;
    if (idle) {
      // Nothing is in flight, so destroying the old pool cuts no request.
      destroyAgent(this.#agent);
      this.#agent = this.#create();
    }
    this.#onWire += 1;
    this.#lastActivityMs = nowMs;
  }

  /** A request was answered, failed or was abandoned. */
  settled(nowMs: number): void {
    this.#onWire = Math.max(0, this.#onWire - 1);
    this.#lastActivityMs = nowMs;
  }

  destroy(): void {
    destroyAgent(this.#agent);
  }
}

function destroyAgent(agent: unknown): void {
  if (
    typeof agent === 'object' &&
    agent !== null &&
    'destroy' in agent &&
    typeof agent.destroy === 'function'
  ) {
    agent.destroy();
  }
}
