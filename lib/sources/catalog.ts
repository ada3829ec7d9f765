/**
 * The task APIs task-janitor knows, derived from their descriptors (data only: importing this module loads no
 * source code). Adding an API: write its folder (`descriptor.ts`, `index.ts`), list the descriptor here and the
 * source in `index.ts`; the service ids, the policy schema, the hosts and their endpoint variables, the retry
 * policy's codes and the README's generated tables follow.
 */
import { dcsBackgroundTasksDescriptor } from './dcs-background-tasks/descriptor';
import { dcsCenterTasksDescriptor } from './dcs-center-tasks/descriptor';
import type { SourceDescriptor } from './descriptor';
import { disDumpTasksDescriptor } from './dis-dump-tasks/descriptor';
import { modelArtsProcessorTasksDescriptor } from './modelarts-processor-tasks/descriptor';
import { omsMigrationTasksDescriptor } from './oms-migration-tasks/descriptor';
import { smsMigrationTasksDescriptor } from './sms-migration-tasks/descriptor';

/** Every task API, in the order the report and the README list them. */
export const DESCRIPTORS = [
  dcsCenterTasksDescriptor,
  dcsBackgroundTasksDescriptor,
  modelArtsProcessorTasksDescriptor,
  omsMigrationTasksDescriptor,
  disDumpTasksDescriptor,
  smsMigrationTasksDescriptor,
] as const satisfies readonly SourceDescriptor[];

type Descriptor = (typeof DESCRIPTORS)[number];

/** The task APIs by their public policy id. */
export type ServiceId = Descriptor['id'];
// A tuple type (not just an array): zod's `z.enum` and exhaustive tables need to know it is never empty.
export const SERVICE_IDS = DESCRIPTORS.map((d) => d.id) as unknown as readonly [ServiceId, ...ServiceId[]];

/** The cloud service hosts task-janitor talks to, one endpoint each: IAM, then every API's host. */
export type CloudService = 'iam' | Descriptor['host'];
export const CLOUD_SERVICES = ['iam', ...new Set(DESCRIPTORS.map((d) => d.host))] as unknown as readonly [
  CloudService,
  ...CloudService[],
];

const BY_ID: ReadonlyMap<string, SourceDescriptor> = new Map(DESCRIPTORS.map((d) => [d.id, d]));

/** The descriptor of a service id. */
export function descriptorOf(service: ServiceId): SourceDescriptor {
  const descriptor = BY_ID.get(service);
  if (descriptor === undefined) throw new TypeError(`no task API ${JSON.stringify(service)}`);
  return descriptor;
}

/** The host a service calls. */
export function hostOf(service: ServiceId): CloudService {
  return descriptorOf(service).host as CloudService;
}

/** The states a policy may name in `states` (the deletable ones), per service. */
export const DELETABLE_STATES: Readonly<Record<ServiceId, readonly string[]>> = Object.freeze(
  Object.fromEntries(DESCRIPTORS.map((d) => [d.id, Object.freeze([...d.states.deletable])])) as Record<
    ServiceId,
    readonly string[]
  >,
);

/** Which services accept a parent-name glob list, and under which policy key. */
export const PARENT_KEYS: Readonly<Partial<Record<ServiceId, string>>> = Object.freeze(
  Object.fromEntries(DESCRIPTORS.flatMap((d) => ('parent' in d ? [[d.id, d.parent.policyKey]] : []))),
);

/** The "slow down" codes of the task APIs (beyond the gateway's own). */
export const API_THROTTLING_CODES: readonly string[] = [
  ...new Set(DESCRIPTORS.flatMap((d) => d.throttlingCodes)),
];

/** The "token expired" 401 codes of the task APIs (beyond the gateway's and IAM's own). */
export const API_TOKEN_EXPIRED_CODES: readonly string[] = [
  ...new Set(DESCRIPTORS.flatMap((d) => d.tokenExpiredCodes)),
];

/** A global service's own base URL on a cloud and region (one host per site); undefined for a regional one. */
export function globalEndpointOf(
  cloud: 'huaweicloud' | 'otc',
  host: CloudService,
  region: string,
): string | undefined {
  for (const descriptor of DESCRIPTORS as readonly SourceDescriptor[]) {
    if (descriptor.host === host && descriptor.defaultEndpoint)
      return descriptor.defaultEndpoint(cloud, region);
  }
  return undefined;
}

/**
 * Whether a host is the account's rather than a region's: the host of an account-wide API (SMS), one for every
 * target region.
 */
export function isAccountHost(host: CloudService): boolean {
  return (DESCRIPTORS as readonly SourceDescriptor[]).some((d) => d.host === host && d.scope === 'account');
}

/** `TASK_JANITOR_ENDPOINT_<HOST>`: the variable that overrides a host's endpoint. */
export function endpointVariableOf(host: CloudService): string {
  return `TASK_JANITOR_ENDPOINT_${host.toUpperCase()}`;
}

export function isServiceId(value: unknown): value is ServiceId {
  return typeof value === 'string' && BY_ID.has(value);
}
