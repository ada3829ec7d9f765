/**
 * The project id a run works in: the configured one, or resolved once through IAM (single flight). Password
 * credentials learn it from their project-scoped token; other kinds ask IAM for the project named after the
 * region.
 */
import { MalformedResponseError, ProjectNotFoundError } from '../errors';
import type { AuthContext, AuthProvider } from './auth/types';
import type { CloudResponse } from './types';

export interface ProjectIdLookupOptions {
  readonly configured: string | undefined;
  readonly region: string;
  readonly auth: AuthProvider;
  readonly authContext: AuthContext;
  /** `GET /v3/projects?name=<region>` through the retry layer, authenticated. */
  readonly listProjects: (region: string, signals: ProjectIdSignals) => Promise<CloudResponse>;
}

/** A lookup's signals: `signal` aborts its requests in flight, `stopSignal` ends its waits (no new request). */
export interface ProjectIdSignals {
  readonly signal?: AbortSignal | undefined;
  readonly stopSignal?: AbortSignal | undefined;
}

export interface ProjectIdLookup {
  /** The project id once known (after the first successful `resolve`). */
  readonly known: () => string | undefined;
  resolve(signals?: ProjectIdSignals): Promise<string>;
}

function fieldOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
}

export function createProjectIdLookup(options: ProjectIdLookupOptions): ProjectIdLookup {
  let known = options.configured;
  let pending: Promise<string> | undefined =
    options.configured === undefined ? undefined : Promise.resolve(options.configured);

  async function resolveOnce(signals: ProjectIdSignals): Promise<string> {
    // A token mint is shared: a caller that stops gives up waiting for it, the mint itself goes on.
    const fromAuth = await options.auth.resolveProjectId?.(
      options.authContext,
      signals.stopSignal ?? signals.signal,
    );
    if (fromAuth !== undefined) return fromAuth;
    const response = await options.listProjects(options.region, signals);
    const projects = fieldOf(response.body, 'projects');
    if (!Array.isArray(projects)) {
      throw new MalformedResponseError('GET /v3/projects: answer has no projects array', {
        method: 'GET',
        path: '/v3/projects',
      });
    }
    const id = projects
      .filter((p: unknown) => fieldOf(p, 'name') === options.region)
      .map((p: unknown) => fieldOf(p, 'id'))
      .find((value): value is string => typeof value === 'string');
    if (id === undefined) throw new ProjectNotFoundError(options.region);
    return id;
  }

  return {
    known: () => known,
    resolve(signals = {}) {
      if (!pending) {
        const attempt = resolveOnce(signals).then((id) => {
          known = id;
          return id;
        });
        pending = attempt;
        // A failed lookup is forgotten so the next caller asks again; the rejection is handled here too, so a
        // lookup every caller gave up on (a run stopped during start-up) never surfaces as unhandled.
        attempt.catch(() => {
          if (pending === attempt) pending = undefined;
        });
      }
      return pending;
    },
  };
}
