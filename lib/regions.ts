/**
 * The regions each cloud documents, with the pattern of their service endpoints: the one table the default
 * endpoints are built from and an unknown region is warned about. Never a reason to refuse a run: new regions
 * appear, and an operator may know one this table does not (the run goes on with the cloud's usual pattern).
 * Where each entry comes from, and which are not confirmed, is in README.md ("Regions and endpoints").
 */
import type { CloudName } from './config';
import type { CloudService } from './types';

/** What a region id looks like (`cn-north-4`, `eu-de`, `ap-southeast-3`): the only check a region must pass. */
export const REGION_ID_PATTERN = /^[a-z]{2,}(?:-[a-z0-9]+)+$/;

export interface CloudRegions {
  /** How people name the cloud, for messages. */
  readonly label: string;
  /** The endpoint of `{service}` in `{region}`, unless the region says otherwise. */
  readonly endpointPattern: string;
  readonly regions: readonly RegionEntry[];
}

export interface RegionEntry {
  readonly id: string;
  /** This region's pattern, where it differs from the cloud's. */
  readonly endpointPattern?: string;
  /** Hosts that follow no pattern. */
  readonly endpoints?: Partial<Readonly<Record<CloudService, string>>>;
}

const HUAWEI_CLOUD_REGION_IDS = [
  'ae-ad-1',
  'af-north-1',
  'af-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'cn-east-2',
  'cn-east-3',
  'cn-east-4',
  'cn-east-5',
  'cn-north-1',
  'cn-north-2',
  'cn-north-4',
  'cn-north-9',
  'cn-north-11',
  'cn-north-12',
  'cn-south-1',
  'cn-south-2',
  'cn-south-4',
  'cn-southwest-2',
  'cn-southwest-3',
  'eu-west-0',
  'eu-west-101',
  'la-north-2',
  'la-south-2',
  'me-east-1',
  'my-kualalumpur-1',
  'na-mexico-1',
  'ru-moscow-1',
  'ru-northwest-2',
  'sa-brazil-1',
  'sa-peru-1',
  'tr-west-1',
] as const;

export const REGIONS: Readonly<Record<CloudName, CloudRegions>> = Object.freeze({
  huaweicloud: {
    label: 'Huawei Cloud',
    endpointPattern: 'https://{service}.{region}.myhuaweicloud.com',
    regions: HUAWEI_CLOUD_REGION_IDS.map((id): RegionEntry => {
      // EU-Dublin is served from Huawei Cloud's European site; its SDK names the .eu IAM host (DCS stays .com).
      if (id === 'eu-west-101') return { id, endpoints: { iam: 'https://iam.eu-west-101.myhuaweicloud.eu' } };
      return { id };
    }),
  },
  otc: {
    label: 'Open Telekom Cloud',
    endpointPattern: 'https://{service}.{region}.otc.t-systems.com',
    regions: [
      { id: 'eu-de' },
      { id: 'eu-nl' },
      // The Swiss cloud has its own domain, and its IAM a host of its own.
      {
        id: 'eu-ch2',
        endpointPattern: 'https://{service}.{region}.sc.otc.t-systems.com',
        endpoints: { iam: 'https://iam-pub.eu-ch2.sc.otc.t-systems.com' },
      },
    ],
  },
});

function regionEntry(cloud: CloudName, region: string): RegionEntry | undefined {
  return REGIONS[cloud].regions.find((entry) => entry.id === region);
}

export function isKnownRegion(cloud: CloudName, region: string): boolean {
  return regionEntry(cloud, region) !== undefined;
}

/** The default base URL of a service host in a region; an unknown region gets the cloud's pattern. */
export function regionEndpoint(cloud: CloudName, region: string, service: CloudService): string {
  const entry = regionEntry(cloud, region);
  const fixed = entry?.endpoints?.[service];
  if (fixed !== undefined) return fixed;
  const pattern = entry?.endpointPattern ?? REGIONS[cloud].endpointPattern;
  return pattern.replace('{service}', service).replace('{region}', region);
}

/** A warning for a region the cloud does not document (naming the cloud that does, if one does); else undefined. */
export function describeUnknownRegion(cloud: CloudName, region: string): string | undefined {
  if (isKnownRegion(cloud, region)) return undefined;
  const other = (Object.keys(REGIONS) as CloudName[]).find((c) => c !== cloud && isKnownRegion(c, region));
  const hint =
    other === undefined
      ? `known regions: ${REGIONS[cloud].regions.map((r) => r.id).join(', ')}`
      : `it is a region of ${REGIONS[other].label}: set TASK_JANITOR_CLOUD=${other}`;
  return (
    `TASK_JANITOR_REGION "${region}" is not a documented ${REGIONS[cloud].label} region (${hint}); ` +
    `going on with endpoints like ${regionEndpoint(cloud, region, 'iam')}`
  );
}
