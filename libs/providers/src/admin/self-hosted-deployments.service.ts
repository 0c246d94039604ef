interface Queryable {
  query(sql: string, params?: unknown[]): Promise<any[]>;
}

/** Which OpenCost allocations serve a deployment (`opencost_selector` of a model deployment). */
export interface OpenCostSelector {
  cluster?: string;
  namespace?: string;
  pod?: string;
  controller?: string;
  labels?: Record<string, string>;
  matchLabels?: Record<string, string>;
}

export interface SelfHostedDeployment {
  deploymentId: string;
  model: string;
  selector: OpenCostSelector;
}

/**
 * Self-hosted deployments as other libs need them: billing's OpenCost sync matches GPU allocations to them. The
 * apps hand this to billing through billing's port, since neither lib may import the other.
 */
export class SelfHostedDeploymentsService {
  constructor(private readonly db: Queryable) {}

  /** Enabled deployments that have an OpenCost selector, oldest first. */
  async listSelfHostedDeployments(): Promise<SelfHostedDeployment[]> {
    const rows = await this.db.query(
      `SELECT id, model, opencost_selector FROM tollgate.model_deployments WHERE opencost_selector IS NOT NULL AND enabled ORDER BY created_at, id`,
    );
    return rows.map((d: { id: string; model: string; opencost_selector: OpenCostSelector }) => ({ deploymentId: d.id, model: d.model, selector: d.opencost_selector }));
  }
}
