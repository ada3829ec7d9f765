/**
 * The report as CloudWatch metrics: Embedded Metric Format objects, one log line each, so that alarms need no
 * extra API call (AWS-specific, so it lives with the Lambda handler).
 */
import type { Logger } from '../../lib/deps';
import { computeTotals, type Report, type ServiceCounts, servicesNotListed } from '../../lib/report';
import { targetLabel } from '../../lib/targets/select';

export interface EmfOptions {
  /** @default 'TaskJanitor' */
  readonly namespace?: string;
  /** Added as a property (not a dimension) so the metrics stay per service. */
  readonly functionName?: string;
  /** Metric timestamp; defaults to the report's `finishedAt`. */
  readonly timestampMs?: number;
}

const EMF_METRICS: readonly { readonly name: string; readonly value: (c: ServiceCounts) => number }[] = [
  { name: 'Listed', value: (c) => c.listed },
  { name: 'Stale', value: (c) => c.stale },
  { name: 'Deleted', value: (c) => c.deleted },
  { name: 'WouldDelete', value: (c) => c.wouldDelete },
  { name: 'AlreadyGone', value: (c) => c.alreadyGone },
  { name: 'Failed', value: (c) => c.failed },
  { name: 'Unknown', value: (c) => c.unknown },
  { name: 'SkippedInProgress', value: (c) => c.skipped.inProgress },
  { name: 'SkippedUnknownState', value: (c) => c.skipped.unknownState },
  { name: 'SkippedUnknownAge', value: (c) => c.skipped.unknownAge },
  { name: 'SkippedCap', value: (c) => c.skipped.cap },
  { name: 'SkippedDeadline', value: (c) => c.skipped.deadline },
  { name: 'SkippedInterrupted', value: (c) => c.skipped.interrupted },
  { name: 'SkippedChanged', value: (c) => c.skipped.changed },
  { name: 'SkippedUnaddressable', value: (c) => c.skipped.unaddressable },
  { name: 'KeptTooYoung', value: (c) => c.kept.tooYoung },
];

/**
 * CloudWatch Embedded Metric Format: one object per service (dimension `Service`), plus one for the whole
 * run (`Service: "ALL"`, with `ListingFailed`) so a single alarm can watch every service. `ListingFailed` counts
 * a service that could not be listed in any target (`servicesNotListed`), not only one that failed in all. A run of several
 * targets adds one object per target and service (dimensions `Target`, `Service`; `Target` is
 * `region/project`), and one per target for all its services. Each object is meant to be written as its own
 * log line. EMF allows one value per dimension per object, hence one per service.
 */
export function toEmbeddedMetricFormat(report: Report, options: EmfOptions = {}): Record<string, unknown>[] {
  const namespace = options.namespace ?? 'TaskJanitor';
  const timestamp = options.timestampMs ?? Date.parse(report.finishedAt);
  const metricsFor = (extra: readonly string[]) => [
    ...EMF_METRICS.map((m) => ({ Name: m.name, Unit: 'Count' })),
    ...extra.map((name) => ({ Name: name, Unit: 'Count' })),
  ];
  const objectFor = (service: string, counts: ServiceCounts, listingFailed: number, target?: string) => ({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [target === undefined ? ['Service'] : ['Target', 'Service']],
          Metrics: metricsFor(['ListingFailed']),
        },
      ],
    },
    ...(target !== undefined ? { Target: target } : {}),
    Service: service,
    ...(options.functionName !== undefined ? { FunctionName: options.functionName } : {}),
    DryRun: report.dryRun,
    PolicyDigest: report.policy.digest,
    ...Object.fromEntries(EMF_METRICS.map((m) => [m.name, m.value(counts)])),
    ListingFailed: listingFailed,
  });
  const objects: Record<string, unknown>[] = [];
  // A service that could not be listed in one target of several counts, so one unreachable target fires too.
  const notListed: ReadonlySet<string> = servicesNotListed(report);
  for (const [service, entry] of Object.entries(report.services)) {
    if (entry) objects.push(objectFor(service, entry, notListed.has(service) ? 1 : 0));
  }
  const totals = computeTotals(report);
  objects.push(objectFor('ALL', totals, totals.failedServices));
  const sections = report.targets ?? [];
  if (sections.length > 1) {
    for (const section of sections) {
      const target = targetLabel(section);
      for (const [service, entry] of Object.entries(section.services)) {
        if (entry) objects.push(objectFor(service, entry, entry.error ? 1 : 0, target));
      }
      objects.push(objectFor('ALL', section.totals, section.totals.failedServices, target));
    }
  }
  return objects;
}

/** The Lambda platform's metrics sink: the report's EMF lines, after the report line itself. */
export function emitMetrics(report: Report, log: Logger, options: EmfOptions = {}): void {
  for (const line of toEmbeddedMetricFormat(report, options)) log.info(line, 'purge metrics');
}
