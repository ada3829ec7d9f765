import { createHash } from 'node:crypto';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalQueryString,
  canonicalUri,
  createAkskAuth,
  formatSdkDate,
  signRequest,
} from '../../lib/cloud/auth/aksk-signer';
import { Secret } from '../../lib/cloud/secret';

// The signing guide's public sample key pair (docs/api/auth.md), not a real credential.
const DOC_AK = 'QTWAOYTTINDUT2QVKYUC';
const DOC_SK = 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc';

describe('signRequest', () => {
  it('reproduces the documented test vector', () => {
    const result = signRequest({
      method: 'GET',
      url: new URL(
        'https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?marker=13551d6b-755d-4757-b956-536f674975c0&limit=2',
      ),
      headers: { 'content-type': 'application/json' },
      body: undefined,
      accessKey: DOC_AK,
      secretKey: DOC_SK,
      date: new Date('2019-11-15T03:36:55Z'),
    });
    expect(result.headers).toEqual({
      'X-Sdk-Date': '20191115T033655Z',
      Authorization:
        'SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
    });
  });

  it('encodes each path segment exactly once and ends the canonical URI with /', () => {
    expect(canonicalUri('/v1/a%20b/c%2Fd/%E2%82%AC')).toBe('/v1/a%20b/c%2Fd/%E2%82%AC/');
    expect(canonicalUri('/v1/x/')).toBe('/v1/x/');
    expect(canonicalUri('/v1/it%27s')).toBe('/v1/it%27s/');
    expect(canonicalUri("/v1/it's")).toBe('/v1/it%27s/');
  });

  it('sorts the canonical query by key then value', () => {
    expect(canonicalQueryString('?b=2&a=1&a=0&c=x%20y')).toBe('a=0&a=1&b=2&c=x%20y');
    expect(canonicalQueryString('')).toBe('');
  });

  it('hashes the exact body bytes, and the empty string without a body', () => {
    const base = {
      method: 'POST',
      url: new URL('https://iam.example.com/v3/auth/tokens'),
      headers: { 'content-type': 'application/json' },
      accessKey: 'AK',
      secretKey: 'SK',
      date: new Date('2025-01-01T00:00:00Z'),
    };
    const withBody = signRequest({ ...base, body: '{"a":"é"}' });
    expect(
      withBody.canonicalRequest.endsWith(
        // sha256 of the UTF-8 bytes of {"a":"é"}
        createHash('sha256').update(Buffer.from('{"a":"é"}', 'utf8')).digest('hex'),
      ),
    ).toBe(true);
    const empty = signRequest({ ...base, method: 'DELETE', body: undefined });
    expect(
      empty.canonicalRequest.endsWith('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'),
    ).toBe(true);
  });

  it('signs X-Project-Id and X-Security-Token, but not X-Project-Id towards IAM', async () => {
    const auth = createAkskAuth({
      accessKey: 'AK',
      secretKey: new Secret('SK'),
      securityToken: new Secret('sts-token'),
      now: () => new Date('2025-01-01T00:00:00Z'),
    });
    const context = { sendIam: () => Promise.reject(new Error('unused')) };
    const dcs = await auth.authorize(
      {
        service: 'dcs',
        method: 'GET',
        url: new URL('https://dcs.x/v2/p/tasks'),
        headers: {},
        body: undefined,
        projectId: 'p',
      },
      context,
    );
    expect(dcs['X-Project-Id']).toBe('p');
    expect(dcs['X-Security-Token']).toBe('sts-token');
    expect(dcs.Authorization).toContain('SignedHeaders=host;x-project-id;x-sdk-date;x-security-token,');
    const iam = await auth.authorize(
      {
        service: 'iam',
        method: 'GET',
        url: new URL('https://iam.x/v3/projects'),
        headers: {},
        body: undefined,
        projectId: 'p',
      },
      context,
    );
    expect(iam['X-Project-Id']).toBeUndefined();
  });
});

describe('signRequest against the official @huaweicloud/huaweicloud-sdk-core signer', () => {
  // Restricted to RFC 3986 unreserved characters in paths and queries: the SDK encodes the parsed pathname
  // without decoding it first, so an already percent-encoded segment would be encoded twice there (and its
  // wire query encoder differs from its canonical one for !'()*). For unreserved characters both agree.
  const unreserved = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
  const request = fc.record({
    method: fc.constantFrom('GET', 'DELETE', 'POST'),
    segments: fc.array(unreserved, { minLength: 1, maxLength: 5 }),
    query: fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), unreserved, { maxKeys: 4 }),
    projectId: fc.option(fc.stringMatching(/^[0-9a-f]{32}$/), { nil: undefined }),
    body: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string(), fc.integer())), {
      nil: undefined,
    }),
    port: fc.option(fc.integer({ min: 1024, max: 65535 }), { nil: undefined }),
    dateMs: fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2030-01-01T00:00:00Z') }),
    secretKey: fc.stringMatching(/^[A-Za-z0-9]{40}$/),
  });

  it('produces the same Authorization header on 300 generated requests', () => {
    fc.assert(
      fc.property(request, (r) => {
        const host = `dcs.eu-de.example.com${r.port === undefined ? '' : `:${r.port}`}`;
        const path = `/${r.segments.join('/')}`;
        const query = Object.entries(r.query)
          .map(([k, v]) => `${k}=${v}`)
          .join('&');
        const body = r.method === 'POST' && r.body !== undefined ? r.body : undefined;
        const date = new Date(Math.floor(r.dateMs / 1000) * 1000);
        const headers: Record<string, string> = {};
        if (body !== undefined) headers['content-type'] = 'application/json';
        if (r.projectId !== undefined) headers['X-Project-Id'] = r.projectId;

        const ours = signRequest({
          method: r.method,
          url: new URL(`https://${host}${path}${query ? `?${query}` : ''}`),
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          accessKey: 'AKTEST',
          secretKey: r.secretKey,
          date,
        });
        const theirs = AKSKSigner.sign(
          {
            endpoint: `https://${host}${path}`,
            method: r.method,
            headers: { ...headers, 'X-Sdk-Date': formatSdkDate(date) },
            queryParams: { ...r.query },
            data: body,
          },
          { getAk: () => 'AKTEST', getSk: () => r.secretKey } as never,
        ) as Record<string, string>;
        expect(formatSdkDate(date)).toBe(ours.headers['X-Sdk-Date']);
        expect(ours.headers.Authorization).toBe(theirs.Authorization);
      }),
      { numRuns: 300, seed: 4 },
    );
  });
});
