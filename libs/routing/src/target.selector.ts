import { ProviderCatalogue, ProviderTarget } from '@tollgate/providers';
import { RouteTable } from './route.table';
import { ModelNotFoundError, UnsupportedEndpointError } from './routing.errors';

/** What an endpoint needs of a deployment (e.g. /v1/messages an Anthropic one); the proxy's Operation is one. */
export interface EndpointRequirement {
  /** Named in the error when no deployment qualifies. */
  readonly endpoint: string;
  supports(target: ProviderTarget): boolean;
}

/**
 * Chooses the deployments a request is tried on, in order: the route table's candidates for the requested model that
 * the endpoint supports. The table follows the catalogue, rebuilt once per snapshot. What happens between the
 * candidates (whether a failed attempt moves on to the next) is the FallbackPolicy's decision.
 */
export class TargetSelector {
  private table = RouteTable.EMPTY;

  constructor(private readonly catalogue: ProviderCatalogue) {
    catalogue.onSnapshot((snapshot) => {
      this.table = RouteTable.fromDeployments(snapshot.targets);
    });
  }

  /**
   * The candidates in the order to try them, synchronously when the model is known (the hot path: no promise); an
   * unknown model waits for one (rate-limited) catalogue reload, so a deployment just created works at once. Throws
   * ModelNotFoundError or UnsupportedEndpointError when there is nothing to try.
   */
  candidates(model: string, requirement: EndpointRequirement): ProviderTarget[] | Promise<ProviderTarget[]> {
    const route = this.table.candidates(model);
    return route ? supportedCandidates(route, model, requirement) : this.candidatesAfterReload(model, requirement);
  }

  /** The deployment tried first for the model when the endpoint takes any (listings name its provider). */
  firstChoice(model: string): ProviderTarget | undefined {
    return this.table.candidates(model)?.[0];
  }

  private async candidatesAfterReload(model: string, requirement: EndpointRequirement): Promise<ProviderTarget[]> {
    // The reload applies its snapshot (and so rebuilds the table) before it resolves.
    await this.catalogue.targetsAfterReload(model);
    return supportedCandidates(this.table.candidates(model), model, requirement);
  }
}

/**
 * The route's deployments the endpoint supports, in route order. Usually all of them: the route's own array is then
 * returned as is (no copy per request); a copy is made only from the first deployment that does not qualify.
 */
export function supportedCandidates(route: ProviderTarget[] | undefined, model: string, requirement: EndpointRequirement): ProviderTarget[] {
  if (!route || route.length === 0) throw new ModelNotFoundError(model);
  let supported: ProviderTarget[] | undefined;
  for (let i = 0; i < route.length; i++) {
    if (requirement.supports(route[i])) {
      if (supported) supported.push(route[i]);
    } else if (!supported) supported = route.slice(0, i);
  }
  supported ??= route;
  if (supported.length === 0) throw new UnsupportedEndpointError(model, requirement.endpoint);
  return supported;
}
