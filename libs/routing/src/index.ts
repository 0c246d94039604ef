export { TargetSelector } from './target.selector';
export type { EndpointRequirement } from './target.selector';
export { RouteTable, compareDeployments } from './route.table';
export { FallbackPolicy } from './fallback.policy';
export type { AttemptFailure } from './fallback.policy';
export { RoutingError, ModelNotFoundError, UnsupportedEndpointError } from './routing.errors';
