/**
 * Password tokens from the emulator's IAM, for tests that hand a token over (the `token` credential kind) or
 * call a service endpoint by hand.
 */
import type { Emulator } from '../../emulator/types';

export interface PasswordLogin {
  readonly userName: string | undefined;
  readonly password: string | undefined;
  readonly domainName: string | undefined;
}

/** `POST /v3/auth/tokens` with a password identity, scoped to a project by id or by name (the region). */
export function requestPasswordToken(
  iamUrl: string | undefined,
  login: PasswordLogin,
  project: { readonly id: string } | { readonly name: string | undefined },
): Promise<Response> {
  return fetch(`${iamUrl}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: { name: login.userName, password: login.password, domain: { name: login.domainName } },
          },
        },
        scope: { project },
      },
    }),
  });
}

/** A token minted straight from the emulator's IAM for its account's project; throws when none is given. */
export async function mintToken(emulator: Emulator): Promise<string> {
  const { account } = emulator;
  const response = await requestPasswordToken(emulator.urls.iam, account, { id: account.projectId });
  await response.text();
  const token = response.headers.get('x-subject-token');
  if (!token) throw new Error(`the emulator minted no token: ${response.status}`);
  return token;
}
