/**
 * The projects the credentials can see: `GET /v3/projects` (IAM's KeystoneListProjects, the call the official
 * SDKs make to find a region's project), paged with `page`/`per_page`. Disabled projects are left out: nothing
 * can be listed in them.
 */
import type { CloudClient } from '../cloud/types';
import { MalformedResponseError } from '../errors';
import type { DiscoveredProject } from './select';

/** IAM's largest page. */
const PER_PAGE = 5000;
/** More pages than this is no account: the answer is taken to be wrong. */
const MAX_PAGES = 20;

export async function listProjects(
  client: CloudClient,
  signals: { readonly signal: AbortSignal; readonly stopSignal: AbortSignal },
): Promise<DiscoveredProject[]> {
  const projects: DiscoveredProject[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { body } = await client.request({
      service: 'iam',
      operation: 'ListProjects',
      method: 'GET',
      path: '/v3/projects',
      query: { page, per_page: PER_PAGE },
      signal: signals.signal,
      stopSignal: signals.stopSignal,
    });
    const items = readProjects(body);
    projects.push(...items.filter((item) => item.enabled).map(({ id, name }) => ({ id, name })));
    if (items.length < PER_PAGE) return projects;
  }
  throw new MalformedResponseError(`GET /v3/projects: more than ${MAX_PAGES} pages of ${PER_PAGE} projects`, {
    method: 'GET',
    path: '/v3/projects',
  });
}

function readProjects(body: unknown): { id: string; name: string; enabled: boolean }[] {
  const list = typeof body === 'object' && body !== null ? Reflect.get(body, 'projects') : undefined;
  if (!Array.isArray(list)) {
    throw new MalformedResponseError('GET /v3/projects: answer has no projects array', {
      method: 'GET',
      path: '/v3/projects',
    });
  }
  return list.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return [];
    const id: unknown = Reflect.get(item, 'id');
    const name: unknown = Reflect.get(item, 'name');
    const enabled: unknown = Reflect.get(item, 'enabled');
    if (typeof id !== 'string' || typeof name !== 'string' || id === '') return [];
    // A project the answer does not say is disabled is taken to be enabled (the field is optional).
    return [{ id, name, enabled: enabled !== false }];
  });
}
