import type { ServerResponse } from 'node:http';
import type { Attribution } from '@tollgate/gateway';
import type { ProviderTarget, StreamContext, StreamTranslator, TranslatedResponse, UpstreamRequest, VirtualKeyRecord } from '@tollgate/providers';
import type { EndpointRequirement } from '@tollgate/routing';
import type { AttemptSummary } from '@tollgate/telemetry';
import type { ProxyContext } from './proxy.context';
import type { ClientDeparture } from './upstream.call';

export type Endpoint = 'chat' | 'embeddings' | 'messages' | 'responses';

/**
 * What differs between endpoints; the pipeline does the rest (auth, attribution, routing, attempts, telemetry).
 * It is routing's EndpointRequirement too: `supports` filters the model's candidates.
 */
export interface Operation extends EndpointRequirement {
  endpoint: Endpoint;
  stream: boolean;
  /** Which deployments can serve it (e.g. /v1/messages needs an Anthropic deployment). */
  supports(target: ProviderTarget): boolean;
  build(target: ProviderTarget): Promise<UpstreamRequest> | UpstreamRequest;
  /** Complete response → client body (undefined = forward upstream bytes) and usage. */
  complete(target: ProviderTarget, body: Buffer, context: StreamContext): TranslatedResponse;
  streamer(target: ProviderTarget, context: StreamContext): StreamTranslator;
  /** Upstream error → client error body, in the endpoint's format. */
  errorBody(target: ProviderTarget, status: number, body: Buffer): string;
  /** Prompt tokens by tokenizer, when the provider reports no usage. */
  estimatePromptTokens(): Promise<number>;
  clientWantsUsage: boolean;
}

/** Who asked for what: settled before routing, so even a refused request is recorded against its key and model. */
export interface RequestScope {
  requestId: string;
  startedAt: number;
  startedWall: number;
  key: VirtualKeyRecord;
  attribution: Attribution;
  requestedModel: string;
}

/**
 * One client request being answered: what every attempt, the answer and the telemetry row need. Allocated once per
 * request, and passed instead of its parts.
 */
export interface Exchange {
  ctx: ProxyContext;
  res: ServerResponse;
  op: Operation;
  scope: RequestScope;
  /** Every upstream attempt so far, for the telemetry event. */
  attempts: AttemptSummary[];
  /** Aborts the upstream call in flight when the client leaves. */
  departure: ClientDeparture;
  /** Handed to the adapters translating the answer. */
  streamContext: StreamContext;
}
