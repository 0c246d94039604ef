// What a request leaves behind: exactly one telemetry event (with every attempt), its price, its usage (as the
// provider reported it, or estimated by the tokenizer) and the request counter.
import { Logger, toMoneyString } from '@tollgate/core';
import { PriceQuote, TokenUsage, UNPRICED_REF, emptyTokenUsage, isPriced } from '@tollgate/pricing';
import { ProviderTarget } from '@tollgate/providers';
import type { AttemptSummary, TelemetryEventInput } from '@tollgate/telemetry';
import { ProxyContext } from './proxy.context';
import { ProxyHttpError } from './proxy-errors';
import { Operation, RequestScope } from './proxy.operation';

const logger = new Logger('proxy');
const now = () => performance.now();

/** One upstream attempt for the telemetry event: which deployment, how it ended, and how long it took from `sentAt`. */
export function attemptOf(target: ProviderTarget, status: number, errorClass: string, sentAt: number, endedAt = now()): AttemptSummary {
  return { provider: target.kind, model: target.upstreamModel, provider_account: target.providerAccount, status, error_class: errorClass, latency_ms: Math.round(endedAt - sentAt) };
}

/** The request's price from the in-memory snapshot; null (recorded unpriced, cost 0, never dropped) when there is none. */
export function price(ctx: ProxyContext, target: ProviderTarget, servedModel: string | undefined, usage: TokenUsage, at: Date): PriceQuote | null {
  try {
    const result = ctx.pricing.priceRequestSync({ provider: target.kind, model: target.upstreamModel, servedModel, usage, at, providerAccount: target.providerAccount });
    return isPriced(result) ? result : null;
  } catch {
    // Counts the provider reported inconsistently, or no override snapshot yet: unpriced too, the request still recorded.
    return null;
  }
}

/** The counts of a request that has none (refused, failed upstream): shared, never written to. */
const NO_USAGE: Readonly<Required<TokenUsage>> = Object.freeze(emptyTokenUsage());

interface Outcome {
  target?: ProviderTarget;
  status: number;
  errorClass: string;
  usage: TokenUsage | null;
  usageSource: 'provider' | 'estimated';
  servedModel?: string;
  streamed: boolean;
  ttftMs: number | null;
  quote: PriceQuote | null;
}

export function record(ctx: ProxyContext, scope: RequestScope, outcome: Outcome, attempts: AttemptSummary[]): void {
  const target = outcome.target;
  const event: TelemetryEventInput = {
    request_id: scope.requestId,
    ts: new Date(scope.startedWall).toISOString(),
    feature: scope.attribution.feature,
    customer: scope.attribution.customer,
    team: scope.attribution.team,
    env: scope.attribution.env,
    virtual_key: scope.key.id,
    provider: target?.kind ?? 'none',
    provider_account: target?.providerAccount ?? '',
    region: target?.region ?? '',
    model: target?.upstreamModel ?? scope.requestedModel,
    requested_model: scope.requestedModel,
    attempt: Math.max(1, attempts.length),
    fallback_from: attempts.length > 1 ? `${attempts[0].provider}/${attempts[0].model}` : '',
    status: outcome.status,
    error_class: outcome.errorClass,
    // The adapter's usage object, under the event's own field names: copied in, not converted.
    ...(outcome.usage ?? NO_USAGE),
    usage_source: outcome.usageSource,
    streamed: outcome.streamed,
    ttft_ms: outcome.ttftMs,
    latency_ms: Math.round(now() - scope.startedAt),
    estimated_cost: outcome.quote ? toMoneyString(outcome.quote.cost) : '0',
    price_ref: outcome.quote?.price_ref ?? UNPRICED_REF,
    currency: outcome.quote?.currency ?? 'USD',
  };
  // A single attempt is the row itself; the list is kept when there were retries or fallbacks.
  if (attempts.length > 1) event.attempts = attempts;
  if (outcome.servedModel && target && outcome.servedModel !== target.upstreamModel) event.tags = { served_model: outcome.servedModel };
  ctx.spool.record(event);
}

/** Records a request refused before any upstream call (bad attribution, unknown model…): it still gets a row. */
export function recordRejected(ctx: ProxyContext, scope: RequestScope | undefined, error: ProxyHttpError): void {
  if (!scope) return;
  record(ctx, scope, { status: error.status, errorClass: error.errorClass, usage: null, usageSource: 'provider', streamed: false, ttftMs: null, quote: null }, []);
}

interface SettledUsage {
  usage: TokenUsage;
  source: 'provider' | 'estimated';
}

/**
 * The provider's usage as reported (synchronously, the common case), or else an estimate by the tokenizer thread.
 * The output text is only asked for when it is needed: a stream's text means parsing every content chunk again.
 */
export function settleUsage(ctx: ProxyContext, op: Operation, usage: TokenUsage | null, output: { readonly outputText?: string }): SettledUsage | Promise<SettledUsage> {
  return usage ? { usage, source: 'provider' } : estimateUsage(ctx, op, output.outputText);
}

async function estimateUsage(ctx: ProxyContext, op: Operation, outputText: string | undefined): Promise<SettledUsage> {
  const estimated = emptyTokenUsage();
  try {
    [estimated.input_tokens, estimated.output_tokens] = await Promise.all([op.estimatePromptTokens(), ctx.estimator.count(outputText ?? '')]);
  } catch (error) {
    logger.warn('token estimate failed', { error });
  }
  return { usage: estimated, source: 'estimated' };
}

/**
 * Records a request whose client left before its answer (499 `client_disconnected`, as nginx logs it): the upstream
 * was aborted and reported no usage, so the prompt is counted by the tokenizer and priced; output is unknown (0).
 */
export async function recordDeparture(ctx: ProxyContext, op: Operation, scope: RequestScope, target: ProviderTarget, attempts: AttemptSummary[], sentAt: number): Promise<void> {
  const settled = await estimateUsage(ctx, op, undefined);
  const quote = price(ctx, target, undefined, settled.usage, new Date(scope.startedWall));
  attempts.push(attemptOf(target, 499, 'client_disconnected', sentAt));
  record(ctx, scope, { target, status: 499, errorClass: 'client_disconnected', usage: settled.usage, usageSource: settled.source, streamed: op.stream, ttftMs: null, quote }, attempts);
  countRequest(ctx, op, target, 499);
}

export function countRequest(ctx: ProxyContext, op: Operation, target: ProviderTarget, status: number): void {
  ctx.metrics.countRequest(op.endpoint, target.kind, status);
}
