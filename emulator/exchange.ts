/** One request on its way through the pipeline, and what the pipeline's stages share. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccountState, HostBinding } from './account-state';
import type { Answer } from './answers';
import type { AuthDeps } from './auth';
import type { FaultTable, ResolvedFaults } from './faults';
import type { Records } from './records';
import type { Rng } from './rng';
import type { MatchedRoute } from './routing';
import type { EmulatorHost, EmulatorOperation } from './services/registry';
import type { RequestLogEntry } from './types';

/** What one listener serves: a host of a region, or (region undefined) the account-wide SMS host. */
export interface HostSlot {
  readonly host: EmulatorHost;
  readonly region: string | undefined;
}

export interface PipelineDeps {
  /** The hosts, projects and task stores. */
  readonly state: AccountState;
  readonly faults: FaultTable;
  /** Every fault draw, in arrival order. */
  readonly faultRng: Rng;
  readonly records: Records;
  readonly auth: AuthDeps;
  /** The foreign listener's base URL (where injected redirects point). */
  foreignUrl(): string;
  later(ms: number, fn: () => void): void;
  isClosing(): boolean;
}

export interface Exchange {
  readonly name: EmulatorHost;
  /** The listener's region; undefined on the account-wide SMS host. */
  readonly region: string | undefined;
  readonly host: HostBinding;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly body: Buffer;
  /** The raw request target (path and query, still percent-encoded). */
  readonly rawTarget: string;
  readonly query: URLSearchParams;
  /** Undefined when no operation of the host matches. */
  readonly route: MatchedRoute<EmulatorOperation> | undefined;
  readonly requestId: string;
  readonly faults: ResolvedFaults;
  /** The request's log entry, filled in as the request proceeds. */
  readonly entry: RequestLogEntry;
}

/** Writes an answer (after any malformed-body and latency faults); `fault` names an injected answer. */
export type Send = (answer: Answer, fault?: RequestLogEntry['fault']) => void;
