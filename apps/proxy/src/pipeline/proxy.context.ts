import { Agent } from 'undici';
import { ProxyMetrics, TelemetrySpool, TokenEstimator } from '@tollgate/gateway';
import { PricingService } from '@tollgate/pricing';
import { AdapterRegistry, ProviderCatalogue } from '@tollgate/providers';

/** Everything a request handler needs; built once per proxy by the starter. */
export interface ProxyContext {
  catalogue: ProviderCatalogue;
  adapters: AdapterRegistry;
  /** Keep-alive pools to every upstream origin. */
  upstream: Agent;
  spool: TelemetrySpool;
  pricing: PricingService;
  estimator: TokenEstimator;
  metrics: ProxyMetrics;
  /** Largest request body accepted. */
  maxBodyBytes: number;
}
