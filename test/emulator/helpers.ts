/** Small helpers for the emulator's own tests: everything goes over real loopback HTTP. */
import type { Emulator } from '../../emulator/types';

export async function getToken(
  emu: Emulator,
  scope: Record<string, unknown> = { project: { name: 'cn-north-4' } },
): Promise<string> {
  const res = await fetch(`${emu.urls.iam}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json;charset=utf8' },
    body: JSON.stringify(passwordBody(emu, emu.account.password, scope)),
  });
  if (res.status !== 201) throw new Error(`token: ${res.status} ${await res.text()}`);
  return res.headers.get('x-subject-token') ?? '';
}

export function passwordBody(emu: Emulator, password: string, scope: Record<string, unknown>): unknown {
  const { userName, domainName } = emu.account;
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: userName, password, domain: { name: domainName } } },
      },
      scope,
    },
  };
}

export interface CallResult {
  status: number;
  text: string;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test payloads are inspected structurally
  json: any;
}

/** Calls a service with a token; `path` is relative to `/v2/{project_id}` unless it starts with `/v`. */
export async function call(
  emu: Emulator,
  service: keyof Emulator['urls'],
  token: string,
  path: string,
  init: RequestInit = {},
): Promise<CallResult> {
  const full = path.startsWith('/v') ? path : `/v2/${emu.account.projectId}${path}`;
  const res = await fetch(`${emu.urls[service]}${full}`, {
    ...init,
    headers: { 'X-Auth-Token': token, ...(init.headers as Record<string, string> | undefined) },
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, text, headers: res.headers, json: parsed };
}
