import { ProviderAdapter, ProviderKind } from '../provider.types';
import { AnthropicAdapter } from './anthropic.adapter';
import { OpenAiAdapter } from './openai.adapter';
import { GeminiAdapter } from './gemini.adapter';
import { BedrockAdapter } from './bedrock.adapter';

/** One adapter instance per wire format; adapters are stateless (per-request state lives in stream translators). */
export class AdapterRegistry {
  readonly openai = new OpenAiAdapter();
  readonly anthropic = new AnthropicAdapter();
  private readonly byKind = new Map<ProviderKind, ProviderAdapter>();

  constructor(extra: ProviderAdapter[] = []) {
    for (const adapter of [this.openai, this.anthropic, new GeminiAdapter(), new BedrockAdapter(), ...extra]) for (const kind of adapter.kinds) this.byKind.set(kind, adapter);
  }

  register(adapter: ProviderAdapter): void {
    for (const kind of adapter.kinds) this.byKind.set(kind, adapter);
  }

  for(kind: ProviderKind): ProviderAdapter | undefined {
    return this.byKind.get(kind);
  }
}
