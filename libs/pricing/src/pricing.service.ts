import { Logger, UnavailableError } from '@tollgate/core';
import { PriceCatalog } from './catalog/price-catalog';
import { PricingEngine } from './engine/pricing.engine';
import type { PriceOptions, PriceQuote } from './engine/price-quote';
import type { TokenUsage } from './engine/token-usage';
import { priceRequest, type RequestPrice, type RequestToPrice } from './engine/price-request';
import type { PriceOverride } from './overrides/price-override';

/** Where overrides come from (PostgreSQL in production: PriceOverrideRepository). */
export interface PriceOverrideSource {
  /** Every override, past ones included: historical requests are priced by the overrides of their time. */
  listAll(): Promise<PriceOverride[]>;
}

export interface PricingServiceOptions {
  catalog?: PriceCatalog;
  /** How old the in-memory override snapshot may get before `priceRequest()` / `price()` reload it, and the auto-refresh period. */
  refreshIntervalMs?: number;
  now?: () => number;
}

/**
 * Prices requests from the bundled catalog and the overrides. Overrides are held in memory as an immutable snapshot:
 * `priceRequestSync` (the proxy's hot path) never touches the database; `priceRequest` and `price` reload the
 * snapshot first when it is older than `refreshIntervalMs` or was invalidated (writes through PriceOverrideService
 * invalidate it at once; other processes pick a change up within one refresh interval).
 */
export class PricingService {
  private readonly logger = new Logger('pricing');
  readonly catalog: PriceCatalog;
  private engine?: PricingEngine;
  private loadedAt = 0;
  private stale = true;
  private loading?: Promise<PricingEngine>;
  private timer?: NodeJS.Timeout;
  private readonly refreshIntervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: PriceOverrideSource,
    options: PricingServiceOptions = {},
  ) {
    this.catalog = options.catalog ?? new PriceCatalog();
    this.refreshIntervalMs = options.refreshIntervalMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * A recorded request's price (see `priceRequest`) with an up-to-date override snapshot (reloads it when stale):
   * the quote, or the unpriced result. Throws ValidationError for inconsistent counts, UnavailableError when the
   * overrides cannot be loaded.
   */
  async priceRequest(request: RequestToPrice): Promise<RequestPrice> {
    return priceRequest(await this.current(), request);
  }

  /**
   * The same from the current snapshot without I/O (the proxy's hot path). Requires one completed `refresh()` (or
   * `start()`); throws UnavailableError before that rather than silently ignoring overrides.
   */
  priceRequestSync(request: RequestToPrice): RequestPrice {
    if (!this.engine) throw new UnavailableError('price overrides not loaded yet: await PricingService.start() first');
    return priceRequest(this.engine, request);
  }

  /**
   * A quote for any (provider, model names, usage) — `GET /v1/prices/quote`, where nothing pricing it is an answer
   * (UnknownPriceError, a 404) rather than a cost of 0. Recorded requests are priced with `priceRequest`.
   */
  async price(provider: string, model: string | readonly string[], usage: TokenUsage, at: Date, opts?: PriceOptions): Promise<PriceQuote> {
    return (await this.current()).price(provider, model, usage, at, opts);
  }

  /** Reloads the override snapshot (concurrent callers share one load). */
  async refresh(): Promise<PricingEngine> {
    if (!this.loading) {
      const startedAt = this.now();
      this.stale = false;
      this.loading = this.source
        .listAll()
        .then((overrides) => {
          this.engine = new PricingEngine(this.catalog, overrides);
          this.loadedAt = startedAt;
          return this.engine;
        })
        .catch((error: unknown) => {
          this.stale = true;
          throw error instanceof UnavailableError ? error : new UnavailableError('could not load price overrides', error);
        })
        .finally(() => {
          this.loading = undefined;
        });
    }
    return this.loading;
  }

  /** Marks the snapshot stale: the next `price()` reloads. */
  invalidate(): void {
    this.stale = true;
  }

  /** Loads the snapshot, then refreshes it in the background every refreshIntervalMs (failures are logged, the last snapshot kept). */
  async start(): Promise<void> {
    await this.refresh();
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.logger.error('price override refresh failed; keeping the previous snapshot', { error }));
    }, this.refreshIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** When the current snapshot was loaded (epoch ms; 0 = never). */
  get snapshotLoadedAt(): number {
    return this.loadedAt;
  }

  private current(): PricingEngine | Promise<PricingEngine> {
    return this.engine && !this.isStale() ? this.engine : this.refresh();
  }

  private isStale(): boolean {
    return this.stale || this.now() - this.loadedAt >= this.refreshIntervalMs;
  }
}

/** A fixed set of overrides (tests, tools, processes without PostgreSQL). */
export class StaticPriceOverrideSource implements PriceOverrideSource {
  constructor(private readonly overrides: PriceOverride[] = []) {}
  async listAll(): Promise<PriceOverride[]> {
    return this.overrides;
  }
}

/**
 * Overrides handed over by whoever receives them (a separate proxy gets them with each catalogue from the api);
 * a PricingService refresh reads the latest set. Before the first set there is nothing to price with.
 */
export class PushedPriceOverrideSource implements PriceOverrideSource {
  private latest?: PriceOverride[];

  replace(overrides: PriceOverride[]): void {
    this.latest = overrides;
  }

  async listAll(): Promise<PriceOverride[]> {
    if (!this.latest) throw new UnavailableError('price overrides not received yet');
    return this.latest;
  }
}
