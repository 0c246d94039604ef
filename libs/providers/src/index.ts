export { AdapterRegistry } from './adapters/adapter.registry';
export { openAiUsage } from './adapters/openai.adapter';
export {
  ProviderAdminService,
  deploymentInputSchema,
  providerCredentialsSchema,
  providerInputSchema,
  virtualKeyCreateSchema,
  virtualKeyUpdateSchema,
  type KeyAttribution,
  type KeyAttributionValidator,
} from './admin/provider-admin.service';
export { SelfHostedDeploymentsService } from './admin/self-hosted-deployments.service';
export {
  CatalogueNotLoadedError,
  PostgresCatalogueSource,
  ProviderCatalogue,
  type CatalogueSnapshot,
  type CatalogueSource,
  type VirtualKeyRecord,
} from './catalogue/provider-catalogue';
export {
  type ChatCompletionRequest,
  type ProviderKind,
  type ProviderTarget,
  type StreamContext,
  type StreamTranslator,
  type TranslatedResponse,
  type UpstreamRequest,
} from './provider.types';
export { parseJson } from './wire/endpoint';
export { encodeEventStreamMessage } from './wire/event-stream.decoder';
export { SseParser } from './wire/sse.parser';
