/**
 * The base URL of every service host: the default from the cloud's region table (`lib/regions.ts`, a global
 * service's own host), or an override (`TASK_JANITOR_ENDPOINT_<HOST>`, `…_<HOST>_<REGION>`), validated: an
 * absolute https URL (http only for loopback) without credentials, query or fragment.
 */
import type { CloudName } from './config';
import { present } from './config';
import { redactUrl } from './redact-url';
import { regionEndpoint } from './regions';
import { endpointVariableOf, globalEndpointOf, isAccountHost } from './sources/catalog';
import { CLOUD_SERVICES, type CloudService } from './types';

/**
 * The default base URL of a service host: a global service's own host, else the region table's
 * (`lib/regions.ts`).
 */
export function defaultEndpoint(cloud: CloudName, service: CloudService, region: string): string {
  return globalEndpointOf(cloud, service, region) ?? regionEndpoint(cloud, region, service);
}

/**
 * The variable that overrides one host's endpoint in one region: `TASK_JANITOR_ENDPOINT_DCS_CN_NORTH_4`. The
 * unsuffixed `TASK_JANITOR_ENDPOINT_DCS` applies to the configured region (`TASK_JANITOR_REGION`) only, but for
 * the account's own host (SMS), which it sets for every region.
 */
export function regionalEndpointVariable(service: CloudService, region: string): string {
  return `${endpointVariableOf(service)}_${region.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * The base URL of every host in `region`: its regional override, else the unsuffixed override (in the configured
 * region; for the account's host, SMS, in every region: whichever target lists it, it is the same host), else
 * the default. Problems name the variable.
 */
export function readEndpoints(
  env: Record<string, string | undefined>,
  cloud: CloudName,
  region: string,
  options: { readonly configured: boolean },
  problems: string[],
): Readonly<Record<CloudService, string>> {
  const endpoints = {} as Record<CloudService, string>;
  for (const service of CLOUD_SERVICES) {
    const names = [
      regionalEndpointVariable(service, region),
      ...(options.configured || isAccountHost(service) ? [endpointVariableOf(service)] : []),
    ];
    const name = names.find((candidate) => present(env, candidate) !== undefined);
    const raw = name === undefined ? undefined : present(env, name);
    if (name === undefined || raw === undefined) {
      endpoints[service] = defaultEndpoint(cloud, service, region);
      continue;
    }
    const parsed = parseEndpoint(name, raw);
    if ('problem' in parsed) problems.push(parsed.problem);
    else endpoints[service] = parsed.url;
  }
  return Object.freeze(endpoints);
}

/** Without a usable cloud and region, only the overrides are checked (their problems still count). */
export function readEndpointOverrides(
  env: Record<string, string | undefined>,
  problems: string[],
): Readonly<Record<CloudService, string>> {
  const endpoints = {} as Record<CloudService, string>;
  for (const service of CLOUD_SERVICES) {
    const name = endpointVariableOf(service);
    const raw = present(env, name);
    if (raw === undefined) continue;
    const parsed = parseEndpoint(name, raw);
    if ('problem' in parsed) problems.push(parsed.problem);
    else endpoints[service] = parsed.url;
  }
  return Object.freeze(endpoints);
}

/** Loopback hosts, the only ones plain `http://` is accepted for (the emulator, local tests). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  const parts = host.split('.');
  return (
    parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)
  );
}

/**
 * Validates an endpoint override; returns the normalized base URL or a problem description. A problem quotes
 * the value only through `redactUrl`: it may hold a password or a token, even when it does not parse.
 */
export function parseEndpoint(name: string, raw: string): { url: string } | { problem: string } {
  const shown = `"${redactUrl(raw)}"`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: `${name} must be an absolute URL, got ${shown}` };
  }
  if (url.username || url.password) {
    return { problem: `${name} must not contain credentials (user:password@, not shown), got ${shown}` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { problem: `${name} must use https://, got ${shown}` };
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return {
      problem: `${name} uses plain http:// for a non-loopback host (only https:// is allowed), got ${shown}`,
    };
  }
  if (url.search || url.hash) {
    return { problem: `${name} must not have a query or fragment (neither is shown), got ${shown}` };
  }
  return { url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}
