import { stringify } from 'node:querystring';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCanonicalRequest, canonicalUri, signatureFor, verifyAkSk } from '../../emulator/aksk-verifier';
import { startEmulator } from '../../emulator/index';
import { createRng } from '../../emulator/rng';
import type { Emulator } from '../../emulator/types';
import { call, getToken } from './helpers';

describe('AK/SK verifier', () => {
  const vector = {
    method: 'GET',
    rawTarget:
      '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?marker=13551d6b-755d-4757-b956-536f674975c0&limit=2',
    headers: {
      'content-type': 'application/json',
      host: 'service.region.example.com',
      'x-sdk-date': '20191115T033655Z',
      authorization:
        'SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
    },
    body: new Uint8Array(),
  };
  const sk = 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc';

  it("reproduces the signing guide's documented test vector", () => {
    const canonical = buildCanonicalRequest(vector, ['content-type', 'host', 'x-sdk-date']);
    expect(signatureFor(sk, '20191115T033655Z', canonical)).toBe(
      '7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
    );
    const keys = new Map([['QTWAOYTTINDUT2QVKYUC', { secretKey: sk }]]);
    expect(verifyAkSk(vector, keys, Date.UTC(2019, 10, 15, 3, 40))).toEqual({
      ok: true,
      accessKey: 'QTWAOYTTINDUT2QVKYUC',
    });
    expect(verifyAkSk(vector, keys, Date.UTC(2019, 10, 15, 4, 0))).toMatchObject({
      ok: false,
      reason: 'stale-date',
    });
    expect(
      verifyAkSk({ ...vector, rawTarget: `${vector.rawTarget}x` }, keys, Date.UTC(2019, 10, 15, 3, 40)),
    ).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('decodes each raw segment once, so %2F never splits a segment', () => {
    expect(canonicalUri('/v2/p/streams/a%2Fb/transfer-tasks/%E5%90%8D%20x')).toBe(
      '/v2/p/streams/a%2Fb/transfer-tasks/%E5%90%8D%20x/',
    );
    expect(canonicalUri('/v2/p/streams/a!b')).toBe('/v2/p/streams/a%21b/');
  });
});

describe('authentication over HTTP', () => {
  let emu: Emulator;
  let clock = Date.now();
  beforeAll(async () => {
    emu = await startEmulator({ seed: 11, tasks: 60, tokenTtlSeconds: 60, nowMs: () => clock });
  });
  afterAll(async () => {
    await emu.close();
  });

  it('accepts its own token and refuses unknown (APIG.0301) and expired (APIG.0307) ones', async () => {
    clock = Date.now();
    const token = await getToken(emu);
    expect((await call(emu, 'dcs', token, '/instances')).status).toBe(200);
    const unknown = await call(emu, 'dcs', 'not-a-token', '/instances');
    expect(unknown.status).toBe(401);
    expect(unknown.json.error_code).toBe('APIG.0301');
    clock += 61_000;
    const expired = await call(emu, 'dcs', token, '/instances');
    expect(expired.status).toBe(401);
    expect(expired.json).toMatchObject({ error_code: 'APIG.0307', error_msg: 'The token must be updated.' });
    const none = await fetch(`${emu.urls.oms}/v2/${emu.account.projectId}/tasks`);
    expect(none.status).toBe(401);
    clock = Date.now();
  });

  it('refuses a token used with another project id in the path', async () => {
    const token = await getToken(emu);
    const res = await call(emu, 'dcs', token, '/v2/ffffffffffffffffffffffffffffffff/instances');
    expect(res.status).toBe(401);
    expect(res.json.error_code).toBe('DCS.1004');
  });
});

describe('AK/SK over HTTP, cross-checked with the official SDK signer', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ seed: 5, tasks: 40 });
  });
  afterAll(async () => {
    await emu.close();
  });

  interface SdkRequest {
    method: string;
    url: string;
    path: string;
    query: Record<string, string | string[]>;
    data?: Record<string, unknown>;
    headers: Record<string, string>;
  }

  async function sendSigned(
    req: SdkRequest,
    creds: { ak: string; sk: string; token?: string },
    tamper?: (headers: Record<string, string>) => void,
  ): Promise<Response> {
    const headers: Record<string, string> = { 'X-Project-Id': emu.account.projectId, ...req.headers };
    if (creds.token) headers['X-Security-Token'] = creds.token;
    const credentials = new BasicCredentials().withAk(creds.ak).withSk(creds.sk);
    const signed = AKSKSigner.sign(
      {
        endpoint: `${req.url}${req.path}`,
        method: req.method,
        headers,
        queryParams: req.query,
        data: req.data,
      },
      credentials,
    ) as Record<string, string>;
    tamper?.(signed);
    const qs = stringify(req.query);
    const { host: _host, ...wire } = signed;
    return fetch(`${req.url}${req.path}${qs ? `?${qs}` : ''}`, {
      method: req.method,
      headers: wire,
      ...(req.data ? { body: JSON.stringify(req.data) } : {}),
    });
  }

  it('verifies a few hundred generated requests signed by the SDK, and refuses tampered ones', async () => {
    const rng = createRng(2024);
    // Legacy url.parse (inside the SDK signer) pre-escapes ' and friends, which the SDK then encodes twice
    // (the Node SDK encodes an already-encoded segment again; docs/api/auth.md), so generated path segments avoid them.
    const segChars = 'ABCxyz019-._~!$()*+,;=:@é';
    const qChars = "abcXYZ019-._~ !'()*é/?";
    const word = (chars: string, max: number): string => {
      let out = '';
      for (let i = rng.int(1, max); i > 0; i--) out += rng.pick([...chars]);
      return out;
    };
    const pid = emu.account.projectId;
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 240; i++) {
      const kind = rng.int(0, 3);
      // URL parsers resolve dot-segments before anything is sent; keep them out of the random paths.
      const seg = word(segChars, 12).replace(/^\.+$/, 'dots');
      const req: SdkRequest = ((): SdkRequest => {
        if (kind === 0)
          return {
            method: 'GET',
            url: emu.urls.modelarts,
            path: `/v2/${pid}/processor-tasks/${seg}`,
            query: {},
            headers: {},
          };
        if (kind === 1)
          return {
            method: 'GET',
            url: emu.urls.dis,
            path: `/v2/${pid}/streams/${seg}/transfer-tasks`,
            query: {},
            headers: {},
          };
        if (kind === 2)
          return {
            method: 'POST',
            url: emu.urls.oms,
            path: `/v2/${pid}/tasks/${rng.int(1, 1e9)}/stop`,
            query: {},
            headers: { 'content-type': 'application/json' },
            data: { note: word(qChars, 20), n: rng.int(0, 100) },
          };
        return {
          method: 'DELETE',
          url: emu.urls.dcs,
          path: `/v2/${pid}/tasks/${seg}`,
          query: {},
          headers: { 'content-type': 'application/json' },
          data: { message: word(qChars, 30) },
        };
      })();
      for (let q = rng.int(0, 4); q > 0; q--)
        req.query[word('abcdef_', 6)] = rng.chance(0.2)
          ? [word(qChars, 8), word(qChars, 8)]
          : word(qChars, 10);
      const tampered = i % 6 === 5;
      const res = await sendSigned(
        req,
        { ak: emu.account.accessKey, sk: emu.account.secretKey },
        tampered
          ? (h) => {
              h['X-Sdk-Date'] = (h['X-Sdk-Date'] ?? '').replace(/\d(?=Z$)/, (d) =>
                String((Number(d) + 1) % 10),
              );
            }
          : undefined,
      );
      await res.arrayBuffer();
      if (tampered) {
        expect(res.status, `tampered ${req.method} ${req.path}`).toBe(401);
        refused++;
      } else {
        expect(res.status, `${req.method} ${req.path} ${JSON.stringify(req.query)}`).not.toBe(401);
        accepted++;
      }
    }
    expect(accepted).toBe(200);
    expect(refused).toBe(40);
    expect(emu.requestLog().filter((e) => e.auth === 'aksk')).toHaveLength(240);
  });

  it('accepts the temporary pair only with its X-Security-Token', async () => {
    const req = {
      method: 'GET',
      url: emu.urls.oms,
      path: `/v2/${emu.account.projectId}/tasks`,
      query: { limit: '2' },
      headers: {},
    };
    const { tempAccessKey: ak, tempSecretKey: sk, securityToken } = emu.account;
    expect((await sendSigned(req, { ak, sk, token: securityToken })).status).toBe(200);
    const without = await sendSigned(req, { ak, sk });
    expect(without.status).toBe(401);
    expect(await without.json()).toMatchObject({ error_code: 'APIG.0301' });
    expect((await sendSigned(req, { ak, sk: 'wrong-secret', token: securityToken })).status).toBe(401);
  });

  it('refuses an X-Sdk-Date more than 15 minutes off, and a foreign X-Project-Id', async () => {
    const req = {
      method: 'GET',
      url: emu.urls.dis,
      path: `/v2/${emu.account.projectId}/streams`,
      query: {},
      headers: {},
    };
    const old = new Date(Date.now() - 16 * 60_000)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const stale = await sendSigned(
      { ...req, headers: { 'X-Sdk-Date': old } },
      { ak: emu.account.accessKey, sk: emu.account.secretKey },
    );
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { error_msg: string }).error_msg).toMatch(/15 minutes/);
    const foreign = await sendSigned(
      { ...req, headers: { 'X-Project-Id': 'ffffffffffffffffffffffffffffffff' } },
      { ak: emu.account.accessKey, sk: emu.account.secretKey },
    );
    expect(foreign.status).toBe(401);
  });
});
