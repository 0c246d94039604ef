import type { DeploymentSelector } from '../connectors/opencost.connector';

/**
 * What the OpenCost sync needs from the owner of model deployments (providers, which billing may not import: both
 * are layer 4). The apps bind SELF_HOSTED_DEPLOYMENTS to providers' implementation.
 */
export interface SelfHostedDeploymentSource {
  /** Enabled self-hosted deployments that have an OpenCost selector. */
  listSelfHostedDeployments(): Promise<DeploymentSelector[]>;
}

/** Nest injection token for the SelfHostedDeploymentSource. */
export const SELF_HOSTED_DEPLOYMENTS = Symbol('SELF_HOSTED_DEPLOYMENTS');
