import type { Secret } from '../secret';
import type { AuthProvider } from './types';

/** Where a ready token comes from: a fixed value, or a platform getter (FunctionGraph's `context.getToken()`). */
export type TokenSource = Secret | (() => string | Promise<string>);

/**
 * A token handed over from outside (`TASK_JANITOR_AUTH_TOKEN`, a FunctionGraph agency). Sent as X-Auth-Token.
 * On "token expired" a getter is asked again once; a fixed token cannot be refreshed.
 */
export function createStaticTokenAuth(source: TokenSource): AuthProvider {
  const isGetter = typeof source === 'function';
  return {
    kind: 'token',
    async authorize(): Promise<Record<string, string>> {
      const token = typeof source === 'function' ? await source() : source.reveal();
      return { 'X-Auth-Token': token };
    },
    invalidate: () => isGetter,
  };
}
