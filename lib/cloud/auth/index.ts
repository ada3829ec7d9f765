import type { Credentials } from '../../config';
import { createAkskAuth } from './aksk-signer';
import { createPasswordAuth } from './iam-token';
import { createStaticTokenAuth } from './static-token';
import type { AuthProvider } from './types';

export type { AuthContext, AuthProvider, AuthRequest } from './types';
export { createAkskAuth, createPasswordAuth, createStaticTokenAuth };

export interface CreateAuthProviderOptions {
  readonly region: string;
  readonly projectId: string | undefined;
  /** The signing / token-expiry clock (deps.now). */
  readonly now: () => Date;
}

/** The auth provider for the configured credential kind. */
export function createAuthProvider(
  credentials: Credentials,
  options: CreateAuthProviderOptions,
): AuthProvider {
  switch (credentials.kind) {
    case 'aksk':
      return createAkskAuth({
        accessKey: credentials.accessKey,
        secretKey: credentials.secretKey,
        securityToken: credentials.securityToken,
        now: options.now,
      });
    case 'password':
      return createPasswordAuth({
        userName: credentials.userName,
        password: credentials.password,
        domainName: credentials.domainName,
        projectId: options.projectId,
        projectName: credentials.projectName ?? options.region,
        now: options.now,
      });
    case 'token':
      return createStaticTokenAuth(credentials.token);
  }
}
