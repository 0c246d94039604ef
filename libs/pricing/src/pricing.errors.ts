import { DomainError } from '@tollgate/core';

/** Neither the catalog nor an override prices this (provider, model[, tier]) at that instant. */
export class UnknownPriceError extends DomainError {
  readonly kind = 'not_found' as const;
  constructor(
    readonly provider: string,
    readonly model: string,
    readonly at: Date,
    readonly tier?: string,
  ) {
    super(
      `no price for ${provider}/${model}${tier && tier !== 'standard' ? ` (tier ${tier})` : ''} at ${at.toISOString()}: ` +
        `not in the catalog and no price override covers it`,
    );
  }
}
