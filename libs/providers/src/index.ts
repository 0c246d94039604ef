export * from './provider.types';
export * from './wire/sse.parser';
export { splitBaseUrl, parseJson, openAiError, errorTypeForStatus } from './wire/endpoint';
export { OpenAiAdapter, OpenAiStreamPassthrough, openAiUsage } from './adapters/openai.adapter';
export { AnthropicAdapter, anthropicUsage, toAnthropicRequest } from './adapters/anthropic.adapter';
export { AdapterRegistry } from './adapters/adapter.registry';
export * from './credentials/credential.cipher';
export * from './catalogue/provider-catalogue';
export * from './admin/provider-admin.service';
