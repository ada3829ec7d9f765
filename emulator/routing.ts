/** Matches a request's method and path against the operations of its host (`OperationSpec.path`). */
import type { OperationSpec } from './services/types';

export interface MatchedRoute<N extends string = string> {
  operation: N;
  /** Decoded path parameters by placeholder name. */
  params: Record<string, string>;
  /** The `{project_id}` segment, if the operation's path has one. */
  projectId?: string;
  spec: OperationSpec;
}

interface CompiledRoute<N extends string> {
  spec: OperationSpec & { readonly name: N };
  /** Per segment: a literal, or the placeholder's name in braces. */
  segments: string[];
}

const PLACEHOLDER = /^\{(.+)\}$/;

/** Each raw segment decoded once (`%2F` stays inside its segment); undefined for a malformed escape. */
export function decodeSegments(rawPath: string): string[] | undefined {
  try {
    return rawPath.split('/').map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

export class Router<N extends string = string> {
  readonly #routes: CompiledRoute<N>[];

  constructor(operations: ReadonlyArray<OperationSpec & { readonly name: N }>) {
    this.#routes = operations.map((spec) => ({ spec, segments: spec.path.split('/') }));
  }

  /** Undefined when no operation of the host has this method and path. */
  match(method: string, segments: readonly string[]): MatchedRoute<N> | undefined {
    for (const route of this.#routes) {
      if (route.spec.method !== method || route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      const matches = route.segments.every((pattern, i) => {
        const actual = segments[i] ?? '';
        const name = PLACEHOLDER.exec(pattern)?.[1];
        if (name === undefined) return pattern === actual;
        params[name] = actual;
        return true;
      });
      if (!matches) continue;
      const { project_id: projectId, ...rest } = params;
      return {
        operation: route.spec.name,
        params: rest,
        spec: route.spec,
        ...(projectId !== undefined ? { projectId } : {}),
      };
    }
    return undefined;
  }
}
