/** The client's hosts: one `HostHealth` per service, made on first use, with its pool, pacer and budget. */
import type { Deps } from '../deps';
import type { CloudService } from '../types';
import { defaultCreateAgent, HostHealth, type HostStats, type PacingOption } from './host-health';
import type { AdaptivePacerOptions, HostPacer } from './pacing';
import type { RetryBudgetOptions } from './retry-budget';

export interface HostRegistryOptions {
  readonly endpoints: Readonly<Record<CloudService, string>>;
  readonly concurrencyPerHost: number;
  readonly createAgent?: ((origin: URL, maxSockets: number) => unknown) | undefined;
  readonly idleConnectionsMs?: number | undefined;
  readonly pacing?:
    | false
    | AdaptivePacerOptions
    | { readonly createPacer: (service: CloudService) => HostPacer }
    | undefined;
  readonly retryBudget?: false | RetryBudgetOptions | undefined;
}

export class HostRegistry {
  readonly #deps: Pick<Deps, 'now' | 'sleep'>;
  readonly #options: HostRegistryOptions;
  readonly #hosts = new Map<CloudService, HostHealth>();

  constructor(deps: Pick<Deps, 'now' | 'sleep'>, options: HostRegistryOptions) {
    this.#deps = deps;
    this.#options = options;
  }

  readonly get = (service: CloudService): HostHealth => {
    let host = this.#hosts.get(service);
    if (!host) {
      host = new HostHealth(this.#deps, {
        name: service,
        origin: new URL(this.#options.endpoints[service]),
        concurrency: this.#options.concurrencyPerHost,
        createAgent: this.#options.createAgent ?? defaultCreateAgent,
        idleConnectionsMs: this.#options.idleConnectionsMs,
        pacing: this.#pacingFor(service),
        retryBudget: this.#options.retryBudget,
      });
      this.#hosts.set(service, host);
    }
    return host;
  };

  /** Pacing and retry-budget state per service host. */
  stats(): Partial<Record<CloudService, HostStats>> {
    const stats: Partial<Record<CloudService, HostStats>> = {};
    for (const [service, host] of this.#hosts) stats[service] = host.stats();
    return stats;
  }

  /** Closes every keep-alive pool. */
  destroyAgents(): void {
    for (const host of this.#hosts.values()) host.destroyAgent();
  }

  #pacingFor(service: CloudService): PacingOption {
    const { pacing } = this.#options;
    if (pacing !== undefined && pacing !== false && 'createPacer' in pacing) {
      return { createPacer: () => pacing.createPacer(service) };
    }
    return pacing;
  }
}
