/** Authentication shared by every host: IAM tokens the IAM module issued, and AK/SK signatures. */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type RegisteredKey, verifyAkSk } from './aksk-verifier';
import { type Answer, gatewayError } from './answers';
import type { EmulatorAccount, EmulatorProject } from './types';

export interface IssuedToken {
  token: string;
  issuedMs: number;
  expiresMs: number;
}

/** The tokens IAM issued: each with its expiry and its project scope (undefined: domain-scoped). */
export class TokenStore {
  readonly #tokens = new Map<string, { expiresMs: number; projectId: string | undefined }>();

  issue(projectId: string | undefined, issuedMs: number, ttlMs: number): IssuedToken {
    const token = `MIIEemulator${randomBytes(48).toString('base64url')}`;
    const expiresMs = issuedMs + ttlMs;
    this.#tokens.set(token, { expiresMs, projectId });
    return { token, issuedMs, expiresMs };
  }

  get(token: string): { expiresMs: number; projectId: string | undefined } | undefined {
    return this.#tokens.get(token);
  }
}

/** The AK/SK pairs the account registers: a permanent one, and a temporary one bound to its security token. */
export function registeredKeys(account: EmulatorAccount): Map<string, RegisteredKey> {
  return new Map<string, RegisteredKey>([
    [account.accessKey, { secretKey: account.secretKey }],
    [account.tempAccessKey, { secretKey: account.tempSecretKey, securityToken: account.securityToken }],
  ]);
}

export interface AuthOutcome {
  kind: 'token' | 'aksk' | 'none';
  failure?: Answer;
  /** The project the credentials name: the token's scope, else `X-Project-Id`, else the path's. */
  projectId?: string;
}

export interface AuthRequest {
  req: IncomingMessage;
  body: Buffer;
  /** The project id in the path, if the operation has one. */
  pathProjectId: string | undefined;
  /** The host needs the project named by the credentials (no project id in its paths). */
  projectFromCredentials: boolean;
  /** The host's 401 for a credential of another project. */
  mismatch: () => Answer;
}

export interface AuthDeps {
  /** The account's projects by id. */
  projects: ReadonlyMap<string, EmulatorProject>;
  tokens: TokenStore;
  keys: ReadonlyMap<string, RegisteredKey>;
  nowMs: () => number;
}

const refused = (kind: AuthOutcome['kind'], code: string, message: string): AuthOutcome => ({
  kind,
  failure: gatewayError(401, code, message),
});

function authenticateToken(token: string, a: AuthRequest, deps: AuthDeps): AuthOutcome {
  const issued = deps.tokens.get(token);
  if (!issued)
    return refused('token', 'APIG.0301', 'Incorrect IAM authentication information: verify token fail.');
  if (deps.nowMs() >= issued.expiresMs) return refused('token', 'APIG.0307', 'The token must be updated.');
  if (a.pathProjectId !== undefined && a.pathProjectId !== issued.projectId)
    return { kind: 'token', failure: a.mismatch() };
  if (a.projectFromCredentials && issued.projectId === undefined)
    return refused(
      'token',
      'APIG.0301',
      'Incorrect IAM authentication information: the token is not project-scoped.',
    );
  return { kind: 'token', ...(issued.projectId !== undefined ? { projectId: issued.projectId } : {}) };
}

function authenticateAkSk(a: AuthRequest, deps: AuthDeps): AuthOutcome {
  const { req } = a;
  const result = verifyAkSk(
    { method: req.method ?? 'GET', rawTarget: req.url ?? '/', headers: req.headers, body: a.body },
    deps.keys,
    deps.nowMs(),
  );
  if (!result.ok)
    return refused('aksk', 'APIG.0301', `Incorrect IAM authentication information: ${result.message}`);
  const header = req.headers['x-project-id'];
  const headerProject = typeof header === 'string' ? header : undefined;
  // The signature is the account's: the project it names must be one of the account's, the path's own.
  if (headerProject !== undefined && !deps.projects.has(headerProject))
    return { kind: 'aksk', failure: a.mismatch() };
  if (a.pathProjectId !== undefined && a.pathProjectId !== (headerProject ?? a.pathProjectId))
    return { kind: 'aksk', failure: a.mismatch() };
  if (a.pathProjectId !== undefined && !deps.projects.has(a.pathProjectId))
    return { kind: 'aksk', failure: a.mismatch() };
  if (a.projectFromCredentials && headerProject === undefined)
    return refused(
      'aksk',
      'APIG.0301',
      'Incorrect IAM authentication information: X-Project-Id is required.',
    );
  const projectId = headerProject ?? a.pathProjectId;
  return { kind: 'aksk', ...(projectId !== undefined ? { projectId } : {}) };
}

/**
 * A request for a project the host does not serve: another region's (on a region's host; `region` undefined on
 * the account-wide host), one that is disabled, or one the credentials have no permission in. No document says
 * what the gateway answers for another region's project; the emulator refuses it as the gateway refuses a user
 * without access to a region (403 `APIG.0302`), never with an answer a client could read as "not found".
 */
export function projectRefusal(
  projects: ReadonlyMap<string, EmulatorProject>,
  region: string | undefined,
  projectId: string,
  requestId: string,
): Answer | undefined {
  const project = projects.get(projectId);
  const here = project !== undefined && (region === undefined || project.region === region);
  if (here && project.enabled && !project.accessDenied) return undefined;
  return gatewayError(
    403,
    'APIG.0302',
    'The IAM user is forbidden in the currently selected region.',
    requestId,
  );
}

/** A token wins over an Authorization header; no credential at all is refused. */
export function authenticate(a: AuthRequest, deps: AuthDeps): AuthOutcome {
  const token = a.req.headers['x-auth-token'];
  if (typeof token === 'string') return authenticateToken(token, a, deps);
  if (typeof a.req.headers.authorization === 'string') return authenticateAkSk(a, deps);
  return refused('none', 'APIG.0301', 'Incorrect IAM authentication information: no credentials.');
}
