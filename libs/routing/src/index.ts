export { FallbackPolicy } from './fallback.policy';
export { ModelNotFoundError, RoutingError, UnsupportedEndpointError } from './routing.errors';
export { TargetSelector, type EndpointRequirement } from './target.selector';
