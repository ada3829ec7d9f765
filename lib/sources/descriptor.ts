/**
 * What a task API is, as plain data: one descriptor per API (`lib/sources/<api>/descriptor.ts`). The catalog
 * (`catalog.ts`) derives from them everything else that is per API — the service ids, the policy schema's state
 * names and parent keys, the host list and its endpoint variables, the extra throttling codes, the answers that
 * mean "gone" or "refused" — so that no other file restates a fact of one API. Data only: a descriptor imports
 * nothing, so that anything (the retry policy, the config) can read the catalog without importing the sources.
 */

/**
 * One documented answer: an HTTP status and the error codes it comes with. A code ending in `*` matches every
 * code with that prefix (`SMS.*`: any code of the service, where none is documented for the case).
 */
export interface DocumentedAnswer {
  readonly status: number;
  readonly codes: readonly string[];
}

export interface SourceDescriptor {
  /** The public policy id (`dis-dump-tasks`). */
  readonly id: string;
  /** What the API lists, for people (`DIS dump (transfer) tasks`). */
  readonly title: string;
  /** The service host it calls (`dis`): one endpoint, `TASK_JANITOR_ENDPOINT_<HOST>`. */
  readonly host: string;
  /** The clouds that document the API. */
  readonly clouds: readonly ('huaweicloud' | 'otc')[];
  /**
   * `project`: the API lists one project's tasks (every path names the project). `account`: a global service
   * whose listing holds the account's tasks of every region.
   */
  readonly scope: 'project' | 'account';
  /**
   * The host's base URL on a cloud and region, when it is not `https://{host}.{region}.{cloud domain}` (a global
   * service answers on one host per site).
   */
  readonly defaultEndpoint?: (cloud: 'huaweicloud' | 'otc', region: string) => string;
  /** The DELETE, as documented (for the README). */
  readonly deletePath: string;
  /** How the list pages: by record offset, by page index, by a marker, or not at all. */
  readonly paging: string;
  /**
   * The task states by class, as `Task.state` labels. Only `deletable` ones may ever be deleted and named by a
   * policy's `states`; `inProgress` ones are always kept; any other state is unknown and kept.
   */
  readonly states: { readonly deletable: readonly string[]; readonly inProgress: readonly string[] };
  /** The parent the API nests tasks under, and the policy key that globs its names. */
  readonly parent?: { readonly kind: string; readonly policyKey: string };
  /** What a task's age is measured from, with its fields (the README's table). */
  readonly ageFrom: string;
  /** The same in a few words (`validate`'s summary). */
  readonly ageLabel: string;
  /**
   * True when the API refuses to delete a task in progress: its DELETE goes out without a read first. False: every
   * DELETE is sent right after a read that found the task still deletable and stale.
   */
  readonly refusesInProgress: boolean;
  /** The documented answers that mean something other than a failure, matched on status AND code. */
  readonly answers: {
    /** "The task does not exist" (to a DELETE, and to a read of one task). */
    readonly notFound: readonly DocumentedAnswer[];
    /** "The task is running": a refusal; the task is kept, never forced. */
    readonly inProgress: readonly DocumentedAnswer[];
    /**
     * Answers that may mean "no such task" or "no such URL" (where no not-found answer is documented): only a
     * listing that no longer shows the task proves it gone.
     */
    readonly ambiguousNotFound?: readonly DocumentedAnswer[];
  };
  /** "Slow down" codes of this API beyond the gateway's, retried whatever status they come with. */
  readonly throttlingCodes: readonly string[];
  /** 401 codes of this API meaning "the token expired". */
  readonly tokenExpiredCodes: readonly string[];
  /** Operation names, for logs and the emulator's request log. */
  readonly operations: { readonly list: string; readonly read?: string; readonly delete: string };
  /** The IAM actions a least-privilege role needs for it (listing, reading, deleting). */
  readonly permissions: readonly string[];
}
