import { DomainError } from '@tollgate/core';

/** A request routing cannot place: the proxy answers it in its own format, with `code` and the `model` parameter. */
export abstract class RoutingError extends DomainError {
  abstract readonly code: 'model_not_found' | 'unsupported_endpoint';

  constructor(
    message: string,
    readonly model: string,
  ) {
    super(message);
  }
}

/** The catalogue has no enabled deployment of the model (after a reload for it). */
export class ModelNotFoundError extends RoutingError {
  readonly kind = 'not_found' as const;
  readonly code = 'model_not_found' as const;

  constructor(model: string) {
    super(`The model '${model}' does not exist or has no enabled deployment`, model);
  }
}

/** The model has deployments, but none the endpoint can use (e.g. /v1/messages and no Anthropic deployment). */
export class UnsupportedEndpointError extends RoutingError {
  readonly kind = 'validation' as const;
  readonly code = 'unsupported_endpoint' as const;

  constructor(
    model: string,
    readonly endpoint: string,
  ) {
    super(`no deployment of '${model}' supports ${endpoint}`, model);
  }
}
