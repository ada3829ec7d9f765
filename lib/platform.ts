/**
 * The one seam between the engine and where it runs. `lib/` knows no platform: each entry point
 * (`handlers/aws/`, `handlers/functiongraph/`, the CLI) describes its own in one `Platform` value, and
 * `lib/invocation.ts` asks it for exactly three things.
 */
import type { Credentials } from './config';
import type { Logger } from './deps';
import type { PolicyOverrides } from './policy/types';
import type { Report } from './report';

export interface Platform {
  /**
   * The platform's event → overrides (a scheduled event runs the policy; a manual event narrows it).
   * @throws ConfigError (subject `event`) naming each bad field.
   * @default the manual event only (`parseManualEvent`)
   */
  readonly overridesOf?: (event: unknown) => PolicyOverrides;
  /**
   * Credentials the platform itself holds (a FunctionGraph agency's token getter or temporary AK/SK), used
   * only when the settings name none. Asked once, while the settings are validated.
   */
  readonly credentials?: PlatformCredentials;
  /** Receives the final report, after its log line (Lambda: CloudWatch Embedded Metric Format lines). */
  readonly metrics?: (report: Report, log: Logger) => void;
}

export interface PlatformCredentials {
  /** The platform's credentials, or undefined when it has none (a function without an agency). */
  readonly provide: () => Credentials | undefined;
  /** How an operator gives the platform credentials, added to the "no credentials" problem. */
  readonly hint: string;
}
