import { describe, expect, it } from 'vitest';
import { createPasswordAuth } from '../../lib/cloud/auth/iam-token';
import type { AuthContext, AuthRequest, IamResponse } from '../../lib/cloud/auth/types';
import { Secret } from '../../lib/cloud/secret';
import { MalformedResponseError } from '../../lib/errors';

const T0 = Date.parse('2025-01-01T00:00:00Z');

function makeAnswer(token: string | null, expiresAtMs: number, projectId = 'p-1'): IamResponse {
  return {
    status: 201,
    body: {
      token: { expires_at: new Date(expiresAtMs).toISOString(), project: { id: projectId, name: 'eu-de' } },
    },
    headers: { get: (name: string) => (name.toLowerCase() === 'x-subject-token' ? token : null) },
  };
}

/** An IAM stand-in: answers each token request through `answer`, counting the calls and keeping the bodies. */
function makeIam(answer: (n: number) => Promise<IamResponse>) {
  const bodies: unknown[] = [];
  const context: AuthContext = {
    sendIam: (request) => {
      bodies.push(request.body);
      return answer(bodies.length);
    },
  };
  return { context, bodies };
}

const request: AuthRequest = {
  service: 'dcs',
  method: 'GET',
  url: new URL('https://dcs.example.com/v2/p-1/tasks'),
  headers: {},
  body: undefined,
  projectId: 'p-1',
};

function makeAuth(nowMs: () => number, projectId?: string) {
  return createPasswordAuth({
    userName: 'u',
    password: new Secret('pw'),
    domainName: 'd',
    projectId,
    projectName: 'eu-de',
    now: () => new Date(nowMs()),
  });
}

describe('createPasswordAuth', () => {
  it('mints one token for 32 concurrent callers and caches it', async () => {
    const { context, bodies } = makeIam(async (n) => makeAnswer(`tok-${n}`, T0 + 86_400_000));
    const auth = makeAuth(() => T0);

    const headers = await Promise.all(Array.from({ length: 32 }, () => auth.authorize(request, context)));
    await auth.authorize(request, context);

    expect(new Set(headers.map((h) => h['X-Auth-Token']))).toEqual(new Set(['tok-1']));
    expect(bodies).toHaveLength(1);
    expect(auth.mintCount()).toBe(1);
  });

  it('scopes by project id when known, else by project name', async () => {
    const { context, bodies } = makeIam(async (n) => makeAnswer(`tok-${n}`, T0 + 86_400_000));
    await makeAuth(() => T0, 'p-9').authorize(request, context);
    await makeAuth(() => T0).authorize(request, context);
    expect(bodies).toMatchObject([
      { auth: { scope: { project: { id: 'p-9' } } } },
      { auth: { scope: { project: { name: 'eu-de' } } } },
    ]);
  });

  it.each([
    ['a 24 h token', 86_400_000, 86_400_000 - 300_000],
    ['a 10 s token', 10_000, 9_000],
  ])('refreshes %s shortly before expires_at', async (_name, lifetimeMs, refreshAtMs) => {
    let nowMs = T0;
    const { context, bodies } = makeIam(async (n) => makeAnswer(`tok-${n}`, nowMs + lifetimeMs));
    const auth = makeAuth(() => nowMs);
    await auth.authorize(request, context);

    nowMs = T0 + refreshAtMs - 1;
    await auth.authorize(request, context);
    expect(bodies).toHaveLength(1);
    nowMs = T0 + refreshAtMs;
    expect(await auth.authorize(request, context)).toEqual({ 'X-Auth-Token': 'tok-2' });
  });

  it('invalidates only the token that was rejected', async () => {
    const { context, bodies } = makeIam(async (n) => makeAnswer(`tok-${n}`, T0 + 86_400_000));
    const auth = makeAuth(() => T0);
    await auth.authorize(request, context);

    expect(auth.invalidate?.({ 'X-Auth-Token': 'tok-1' })).toBe(true);
    expect(auth.invalidate?.({ 'X-Auth-Token': 'tok-1' })).toBe(true);
    expect(await auth.authorize(request, context)).toEqual({ 'X-Auth-Token': 'tok-2' });
    auth.invalidate?.({ 'X-Auth-Token': 'tok-1' }); // a late 401 for the old token: the new one stays
    expect(await auth.authorize(request, context)).toEqual({ 'X-Auth-Token': 'tok-2' });
    expect(bodies).toHaveLength(2);
  });

  it('shares a failed mint with every waiter, then tries again on the next call', async () => {
    const { context, bodies } = makeIam(async (n) => {
      if (n === 1) throw new Error('IAM down');
      return makeAnswer(`tok-${n}`, T0 + 86_400_000);
    });
    const auth = makeAuth(() => T0);

    const results = await Promise.allSettled([
      auth.authorize(request, context),
      auth.authorize(request, context),
    ]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await auth.authorize(request, context)).toEqual({ 'X-Auth-Token': 'tok-2' });
    expect(bodies).toHaveLength(2);
  });

  it('lets one caller give up (its deadline) while the shared mint goes on for the others', async () => {
    let release: (answer: IamResponse) => void = () => undefined;
    const { context } = makeIam(() => new Promise<IamResponse>((resolve) => (release = resolve)));
    const auth = makeAuth(() => T0);
    const controller = new AbortController();

    const impatient = auth.authorize({ ...request, signal: controller.signal }, context);
    const patient = auth.authorize(request, context);
    controller.abort(new Error('deadline'));
    release(makeAnswer('tok-1', T0 + 86_400_000));

    await expect(impatient).rejects.toThrow('deadline');
    await expect(patient).resolves.toEqual({ 'X-Auth-Token': 'tok-1' });
  });

  it('rejects an answer without X-Subject-Token or expires_at as malformed', async () => {
    const { context } = makeIam(async () => makeAnswer(null, T0 + 1000));
    await expect(makeAuth(() => T0).authorize(request, context)).rejects.toBeInstanceOf(
      MalformedResponseError,
    );
  });

  it("tells the project id from the token's scope", async () => {
    const { context } = makeIam(async () => makeAnswer('tok', T0 + 86_400_000, 'p-from-token'));
    expect(await makeAuth(() => T0).resolveProjectId?.(context)).toBe('p-from-token');
  });
});
