import type { CloudService } from '../../types';

/** What an auth provider sees of a request about to be sent. */
export interface AuthRequest {
  readonly service: CloudService;
  readonly method: string;
  /** The exact URL that will be sent. */
  readonly url: URL;
  /** Headers already set (content-type); AK/SK signs them. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact body that will be sent. */
  readonly body: string | undefined;
  /** The project id, when known (AK/SK sends it as X-Project-Id to project-level services). */
  readonly projectId: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** An unauthenticated IAM answer (token minting needs the `X-Subject-Token` header). */
export interface IamResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers: { get(name: string): string | null };
}

/** What the client lends a provider: a way to call IAM through the single retry layer, unauthenticated. */
export interface AuthContext {
  sendIam(request: {
    operation: string;
    method: 'GET' | 'POST';
    path: string;
    query?: Readonly<Record<string, string>>;
    body?: unknown;
    signal?: AbortSignal | undefined;
    /** Secret values in the body (the password): never quoted back from an error answer. */
    secrets?: readonly string[];
  }): Promise<IamResponse>;
}

export interface AuthProvider {
  readonly kind: 'aksk' | 'password' | 'token';
  /** Headers that authenticate this request (Authorization + X-Sdk-Date, or X-Auth-Token). */
  authorize(request: AuthRequest, context: AuthContext): Promise<Record<string, string>>;
  /**
   * A 401 said the token sent in `sentHeaders` expired. Drops it if it is still the cached one (so 32
   * callers holding the same stale token cause one refresh). True when a fresh credential may help.
   */
  invalidate?(sentHeaders: Readonly<Record<string, string>>): boolean;
  /**
   * Makes sure the next `authorize` calls need no request (a minted token stays valid for a while), so that a
   * sequence of requests can go out back to back.
   */
  warm?(context: AuthContext, signal?: AbortSignal): Promise<void>;
  /** The project id this provider learns by itself (a password token scoped by project name). */
  resolveProjectId?(context: AuthContext, signal?: AbortSignal): Promise<string | undefined>;
}
