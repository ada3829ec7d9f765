/**
 * The client's credentials: the auth provider, the IAM calls it makes through the client's own retry layer
 * (token minting, the project lookup), and the project id an AK/SK signature carries.
 */
import type { CloudService } from '../types';
import type { AuthContext, AuthProvider, IamResponse } from './auth/types';
import { createProjectIdLookup, type ProjectIdSignals } from './project-id';
import type { Call, Credentials, RawResponse } from './send-attempt';
import { abortCall } from './with-retries';

export interface ClientAuthParts {
  readonly auth: AuthProvider;
  /** Region id: the IAM project name the project id is resolved from. */
  readonly region: string;
  readonly projectId: string | undefined;
  /** Runs a call through the client's retry layer. */
  readonly runCall: (call: Call) => Promise<RawResponse>;
  /** Registers a promise with the client, so that `close()` waits for it. */
  readonly track: <T>(promise: Promise<T>) => Promise<T>;
}

export interface ClientAuth extends Credentials {
  /**
   * Makes the credentials of `service` ready, so that the requests of a sequence need no token mint between
   * them; a failure ends the call (p-retry's `AbortError`).
   */
  warm(service: CloudService, signal: AbortSignal): Promise<void>;
  /** The project id: the configured one, or resolved once through IAM (single flight). */
  resolveProjectId(signals: ProjectIdSignals): Promise<string>;
}

export function createClientAuth(parts: ClientAuthParts): ClientAuth {
  const { auth } = parts;
  const authContext: AuthContext = {
    async sendIam(request): Promise<IamResponse> {
      // Tracked: a token mint every caller gave up on still ends before the client closes.
      return parts.track(
        parts.runCall({
          service: 'iam',
          operation: request.operation,
          method: request.method,
          path: request.path,
          ...(request.query ? { query: request.query } : {}),
          ...(request.body === undefined ? {} : { body: request.body }),
          ...(request.signal ? { signal: request.signal } : {}),
          ...(request.secrets ? { secrets: request.secrets } : {}),
          authenticate: false,
          retryPost: true,
        }),
      );
    },
  };
  const projectIds = createProjectIdLookup({
    configured: parts.projectId,
    region: parts.region,
    auth,
    authContext,
    listProjects: (region, { signal, stopSignal }) =>
      parts.runCall({
        service: 'iam',
        operation: 'ListProjects',
        method: 'GET',
        path: '/v3/projects',
        query: { name: region },
        ...(signal ? { signal } : {}),
        ...(stopSignal ? { stopSignal } : {}),
        authenticate: true,
      }),
  });
  // AK/SK sends the project id as X-Project-Id to project-level services: it must be known before signing.
  const needsProjectId = (service: CloudService) => auth.kind === 'aksk' && service !== 'iam';

  return {
    async authorize(call, { url, headers, body, signal }) {
      try {
        const projectId = needsProjectId(call.service)
          ? await projectIds.resolve({ signal })
          : projectIds.known();
        const request = { service: call.service, method: call.method, url, headers, body, projectId, signal };
        return await auth.authorize(request, authContext);
      } catch (error) {
        // Credentials that cannot be had are permanent for this call; their own requests already retried.
        throw abortCall(error);
      }
    },
    invalidate: (sentHeaders) => auth.invalidate?.(sentHeaders) ?? false,
    async warm(service, signal) {
      try {
        if (needsProjectId(service)) await projectIds.resolve({ signal });
        await auth.warm?.(authContext, signal);
      } catch (error) {
        throw abortCall(error);
      }
    },
    resolveProjectId: (signals) => projectIds.resolve(signals),
  };
}
