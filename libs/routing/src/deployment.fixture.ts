import type { ProviderKind, ProviderTarget } from '@tollgate/providers';

/** A deployment as the catalogue hands it to routing, for the routing specs (only identity, kind and age vary). */
export function deploymentFixture(id: string, model: string, createdAt: string, kind: ProviderKind = 'openai'): ProviderTarget {
  return {
    deploymentId: id,
    providerId: `p-${id}`,
    providerName: `provider-${id}`,
    kind,
    baseUrl: 'http://upstream/v1',
    settings: {},
    credentials: {},
    model,
    upstreamModel: model,
    providerAccount: '',
    region: '',
    gpuPool: null,
    createdAt,
  };
}
