/**
 * IAM password tokens (docs/api/auth.md): minted with `POST /v3/auth/tokens`, project-scoped, cached until
 * shortly before `expires_at`, refreshed once for all concurrent callers (single flight).
 */
import { MalformedResponseError } from '../../errors';
import type { Secret } from '../secret';
import type { AuthContext, AuthProvider } from './types';

export interface PasswordAuthOptions {
  userName: string;
  password: Secret;
  domainName: string;
  /** Scope by id when known… */
  projectId?: string | undefined;
  /** …else by name (the project name is normally the region id). */
  projectName: string;
  now: () => Date;
  /** Refresh this long before `expires_at` (at most a tenth of the token's lifetime). @default 300000 */
  refreshMarginMs?: number;
}

/** `warm` mints ahead when the token would need a refresh within this long. */
const WARM_AHEAD_MS = 60_000;

interface CachedToken {
  readonly token: string;
  readonly refreshAtMs: number;
  readonly projectId: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Waits for `promise` but gives up when `signal` aborts (the shared work itself goes on for the others). */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** `POST /v3/auth/tokens` with the password, scoped to the project (by id, else by name). */
async function mintToken(
  context: AuthContext,
  options: PasswordAuthOptions,
  refreshMarginMs: number,
): Promise<CachedToken> {
  const issuedAtMs = options.now().getTime();
  const response = await context.sendIam({
    secrets: [options.password.reveal()],
    operation: 'CreateToken',
    method: 'POST',
    path: '/v3/auth/tokens',
    query: { nocatalog: 'true' },
    body: {
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: {
              name: options.userName,
              password: options.password.reveal(),
              domain: { name: options.domainName },
            },
          },
        },
        scope: {
          project:
            options.projectId !== undefined ? { id: options.projectId } : { name: options.projectName },
        },
      },
    },
  });
  const token = response.headers.get('x-subject-token');
  const body = response.body;
  const tokenBody = isRecord(body) && isRecord(body.token) ? body.token : undefined;
  const expiresAtMs =
    typeof tokenBody?.expires_at === 'string' ? Date.parse(tokenBody.expires_at) : Number.NaN;
  if (!token || tokenBody === undefined || Number.isNaN(expiresAtMs)) {
    throw new MalformedResponseError(
      'POST /v3/auth/tokens: answer lacks X-Subject-Token or token.expires_at',
      {
        method: 'POST',
        path: '/v3/auth/tokens',
      },
    );
  }
  const project = isRecord(tokenBody.project) ? tokenBody.project : undefined;
  const lifetimeMs = Math.max(0, expiresAtMs - issuedAtMs);
  return {
    token,
    refreshAtMs: expiresAtMs - Math.min(refreshMarginMs, lifetimeMs / 10),
    projectId: typeof project?.id === 'string' ? project.id : undefined,
  };
}

export function createPasswordAuth(options: PasswordAuthOptions): AuthProvider & {
  /** Tokens minted so far (for tests and the run summary). */
  readonly mintCount: () => number;
} {
  const refreshMarginMs = options.refreshMarginMs ?? 300_000;
  let cached: CachedToken | undefined;
  let inflight: Promise<CachedToken> | undefined;
  let mints = 0;

  async function mint(context: AuthContext): Promise<CachedToken> {
    mints += 1;
    return mintToken(context, options, refreshMarginMs);
  }

  /** The cached token when it stays usable for `aheadMs` more, else a fresh one (one mint for all callers). */
  function currentToken(
    context: AuthContext,
    signal: AbortSignal | undefined,
    aheadMs = 0,
  ): Promise<CachedToken> {
    if (cached && options.now().getTime() + aheadMs < cached.refreshAtMs) return Promise.resolve(cached);
    // A caller that has already given up (Ctrl-C during start-up) starts no mint: nothing is sent for it.
    signal?.throwIfAborted();
    if (!inflight) {
      inflight = mint(context).then(
        (fresh) => {
          cached = fresh;
          inflight = undefined;
          return fresh;
        },
        (error: unknown) => {
          inflight = undefined;
          throw error;
        },
      );
      // The shared mint outlives its waiters (each one stops waiting at its own abort), so it may reject when
      // nobody listens: every waiter gets the error through `raceSignal`; this keeps it from being unhandled.
      inflight.catch(() => undefined);
    }
    return raceSignal(inflight, signal);
  }

  return {
    kind: 'password',
    async authorize(request, context) {
      const { token } = await currentToken(context, request.signal);
      return { 'X-Auth-Token': token };
    },
    async warm(context, signal) {
      await currentToken(context, signal, WARM_AHEAD_MS);
    },
    invalidate(sentHeaders) {
      if (cached && cached.token === sentHeaders['X-Auth-Token']) cached = undefined;
      return true;
    },
    async resolveProjectId(context, signal) {
      return (await currentToken(context, signal)).projectId ?? options.projectId;
    },
    mintCount: () => mints,
  };
}
