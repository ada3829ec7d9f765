import type { Config } from '../config';
import type { Deps } from '../deps';
import { createAuthProvider } from './auth';
import { type CloudClientOptions, createCloudClient, type JanitorCloudClient } from './client';

/** The client a run uses, built from a validated `Config` (auth, endpoints, limits). */
export function createCloudClientFromConfig(
  deps: Deps,
  config: Config,
  overrides: Partial<Omit<CloudClientOptions, 'endpoints' | 'region'>> = {},
): JanitorCloudClient {
  const auth = createAuthProvider(config.credentials, {
    region: config.region,
    projectId: config.projectId,
    now: deps.now,
  });
  return createCloudClient(deps, {
    endpoints: config.endpoints,
    region: config.region,
    projectId: config.projectId,
    auth,
    requestTimeoutMs: config.requestTimeoutMs,
    maxAttempts: config.maxAttempts,
    maxRetryTimeMs: config.maxRetryTimeMs,
    concurrencyPerHost: config.concurrencyPerHost,
    ...overrides,
  });
}
