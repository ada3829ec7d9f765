/** The forms a leaked secret may take in text: itself, base64 (padded, unpadded, url-safe), hex, percent-encoded. */
export function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [
    ...new Set([
      secret,
      bytes.toString('base64'),
      bytes.toString('base64').replace(/=+$/, ''),
      bytes.toString('base64url'),
      bytes.toString('hex'),
      encodeURIComponent(secret),
    ]),
  ];
}

/** The secrets (in any of their forms) that occur in `text`. */
export function leakedSecrets(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((secret) => secretForms(secret).some((form) => text.includes(form)));
}

/**
 * Endpoint values whose secrets the old messages quoted verbatim: they fail to parse (a stray space, a bad port,
 * a password holding `?`), have no scheme, or carry a token in the query or fragment.
 */
export const LEAKY_ENDPOINTS: readonly {
  readonly label: string;
  readonly value: string;
  readonly secrets: readonly string[];
}[] = [
  {
    label: 'userinfo and a stray space in the host',
    value: 'https://ops-user-7f3k:Pa55-w0rd-X1@oms.exa mple.com/v2',
    secrets: ['ops-user-7f3k', 'Pa55-w0rd-X1'],
  },
  {
    label: 'userinfo and a bad port',
    value: 'https://ops-user-7f3k:Pa55-w0rd-X1@oms.example.com:99999',
    secrets: ['ops-user-7f3k', 'Pa55-w0rd-X1'],
  },
  {
    label: 'a password holding "?"',
    value: 'https://ops-user-7f3k:Pa55?w0rd-X1@oms.example.com/',
    secrets: ['ops-user-7f3k', 'Pa55?w0rd-X1', 'w0rd-X1'],
  },
  {
    label: 'userinfo without a scheme',
    value: 'ops-user-7f3k:Pa55-w0rd-X1@oms.example.com',
    secrets: ['ops-user-7f3k', 'Pa55-w0rd-X1'],
  },
  {
    label: 'a token in the query and the fragment',
    value: 'https://oms.example.com/v2?X-Auth-Token=tok-S3CRET-123#frag-S3CRET-456',
    secrets: ['tok-S3CRET-123', 'frag-S3CRET-456'],
  },
  {
    label: 'plain http to a remote host with a signature in the query',
    value: 'http://oms.example.com/?sig=sig-S3CRET-789',
    secrets: ['sig-S3CRET-789'],
  },
];
