/** What the emulator received and did, kept for the tests: requests, credentials, deletions, state changes. */
import type { IncomingMessage } from 'node:http';
import type {
  EmulatorDeletion,
  EmulatorStateChange,
  ForeignRequest,
  ReceivedAuthHeaders,
  RequestLogEntry,
} from './types';

const CREDENTIAL_HEADERS = ['authorization', 'x-auth-token', 'x-security-token'] as const;

export function carriesCredentials(req: IncomingMessage): boolean {
  return CREDENTIAL_HEADERS.some((name) => req.headers[name] !== undefined);
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The credential headers a request carried, by their field names in the records. */
export function credentialHeaders(req: IncomingMessage): {
  authorization?: string;
  xAuthToken?: string;
  xSecurityToken?: string;
} {
  const authorization = header(req, 'authorization');
  const xAuthToken = header(req, 'x-auth-token');
  const xSecurityToken = header(req, 'x-security-token');
  return {
    ...(authorization !== undefined ? { authorization } : {}),
    ...(xAuthToken !== undefined ? { xAuthToken } : {}),
    ...(xSecurityToken !== undefined ? { xSecurityToken } : {}),
  };
}

export class Records {
  readonly requests: RequestLogEntry[] = [];
  readonly authHeaders: ReceivedAuthHeaders[] = [];
  readonly deletions: EmulatorDeletion[] = [];
  readonly changes: EmulatorStateChange[] = [];
  readonly foreign: ForeignRequest[] = [];

  readonly #nowMs: () => number;

  /** `nowMs` is the account's clock: deletions carry it; everything else carries the wall clock. */
  constructor(nowMs: () => number) {
    this.#nowMs = nowMs;
  }

  recordDeletion(d: Omit<EmulatorDeletion, 'atMs'>): void {
    const deletion: EmulatorDeletion = {
      service: d.service,
      id: d.id,
      name: d.name,
      state: d.state,
      atMs: this.#nowMs(),
    };
    if (d.sourceServer !== undefined) deletion.sourceServer = d.sourceServer;
    if (d.region !== undefined) deletion.region = d.region;
    if (d.projectId !== undefined) deletion.projectId = d.projectId;
    this.deletions.push(deletion);
  }

  recordChange(c: Omit<EmulatorStateChange, 'atMs'>): void {
    const change: EmulatorStateChange = {
      service: c.service,
      id: c.id,
      from: c.from,
      to: c.to,
      cause: c.cause,
      atMs: Date.now(),
    };
    if (c.parentId !== undefined) change.parentId = c.parentId;
    if (c.fault !== undefined) change.fault = c.fault;
    if (c.sourceServer !== undefined) change.sourceServer = c.sourceServer;
    if (c.region !== undefined) change.region = c.region;
    if (c.projectId !== undefined) change.projectId = c.projectId;
    this.changes.push(change);
  }

  clearRequests(): void {
    this.requests.length = 0;
    this.authHeaders.length = 0;
  }
}
