import { Agent } from 'undici';
import { ProxyMetrics, TelemetrySpool, TokenEstimator } from '@tollgate/gateway';
import { PricingService } from '@tollgate/pricing';
import { AdapterRegistry, ProviderCatalogue } from '@tollgate/providers';
import { FallbackPolicy, TargetSelector } from '@tollgate/routing';

/** Everything a request handler needs; built once per proxy by the starter. */
export interface ProxyContext {
  catalogue: ProviderCatalogue;
  /** Which deployments a request is tried on, in order (routing's table, following the catalogue). */
  routes: TargetSelector;
  /** Which failed attempts move on to the next deployment. */
  fallback: FallbackPolicy;
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
