import { ProviderTarget } from '@tollgate/providers';

/**
 * Routing order among one model's deployments: the oldest first (created_at, then id), so a deployment added to a
 * model is its fallback, not its new primary. Both keys compare as strings: createdAt is fixed-width UTC ISO-8601
 * and ids are lowercase UUIDs, so string order is PostgreSQL's order of the timestamps and uuids.
 */
export function compareDeployments(a: ProviderTarget, b: ProviderTarget): number {
  // A snapshot from an api older than this ordering carries no createdAt, but comes already in this order (its SQL
  // sorted by created_at, id): equal here, so the stable sort keeps it as it came.
  if (a.createdAt === undefined || b.createdAt === undefined) return 0;
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  if (a.deploymentId !== b.deploymentId) return a.deploymentId < b.deploymentId ? -1 : 1;
  return 0;
}

/**
 * Which deployments may serve each requested model, in the order they are tried: built once per catalogue snapshot,
 * so a request reads its candidates with one Map lookup and never sorts. Today a model's route is all its enabled
 * deployments in `compareDeployments` order; versioned rule sets (weights, canaries, `cheapest`, explicit fallback
 * chains) are meant to be compiled into this table too, per snapshot, rather than evaluated per request.
 */
export class RouteTable {
  static readonly EMPTY = new RouteTable(new Map());

  private constructor(private readonly byModel: ReadonlyMap<string, ProviderTarget[]>) {}

  /** Groups a snapshot's deployments by model; each group in routing order (the input array is left as it is). */
  static fromDeployments(deployments: readonly ProviderTarget[]): RouteTable {
    const byModel = new Map<string, ProviderTarget[]>();
    for (const deployment of deployments) {
      const route = byModel.get(deployment.model);
      if (route) route.push(deployment);
      else byModel.set(deployment.model, [deployment]);
    }
    for (const route of byModel.values()) route.sort(compareDeployments);
    return new RouteTable(byModel);
  }

  /** The model's deployments in routing order (never mutated: callers may hand it on), or undefined for none. */
  candidates(model: string): ProviderTarget[] | undefined {
    return this.byModel.get(model);
  }
}
