import { errorTypeForStatus, openAiError, parseJson, splitBaseUrl } from '../wire/endpoint';
import {
  ChatCallOptions,
  ChatCompletionRequest,
  OpenAiErrorBody,
  ProviderAdapter,
  ProviderTarget,
  StreamContext,
  StreamTranslator,
  TranslatedResponse,
  UpstreamRequest,
} from '../provider.types';
import { toAnthropicRequest } from './anthropic-request.translator';
import { readNativeResponse, toOpenAiChatResponse } from './anthropic-response.translator';
import { AnthropicNativeStreamObserver, AnthropicToOpenAiStream } from './anthropic-stream.translator';

const ANTHROPIC_BASE = 'https://api.anthropic.com';
const DEFAULT_VERSION = '2023-06-01';

/** Anthropic Messages → OpenAI chat; Anthropic native passthrough for `/v1/messages`. */
export class AnthropicAdapter implements ProviderAdapter {
  readonly kinds = ['anthropic'] as const;

  chatRequest(target: ProviderTarget, body: ChatCompletionRequest, options: ChatCallOptions): UpstreamRequest {
    return this.messagesRequest(target, JSON.stringify(toAnthropicRequest(body, target.upstreamModel, options.stream)));
  }

  /** The Messages endpoint with the provider's auth; the body is already in Anthropic's format. */
  messagesRequest(target: ProviderTarget, body: string | Buffer, extraHeaders: Record<string, string> = {}): UpstreamRequest {
    const { origin, prefix } = splitBaseUrl(target.baseUrl || ANTHROPIC_BASE);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'anthropic-version': target.settings.anthropicVersion ?? DEFAULT_VERSION,
      ...extraHeaders,
    };
    if (target.credentials.apiKey) headers['x-api-key'] = target.credentials.apiKey;
    else if (target.credentials.bearerToken) headers.authorization = `Bearer ${target.credentials.bearerToken}`;
    return { origin, path: `${prefix}/v1/messages`, headers, body };
  }

  chatResponse(_target: ProviderTarget, upstreamBody: Buffer, context: StreamContext): TranslatedResponse {
    return toOpenAiChatResponse(upstreamBody, context);
  }

  chatStream(_target: ProviderTarget, context: StreamContext): StreamTranslator {
    return new AnthropicToOpenAiStream(context);
  }

  /** Reads usage from a native Messages response that is forwarded unchanged. */
  nativeResponse(upstreamBody: Buffer): TranslatedResponse {
    return readNativeResponse(upstreamBody);
  }

  nativeStream(): StreamTranslator {
    return new AnthropicNativeStreamObserver();
  }

  errorBody(status: number, upstreamBody: Buffer): OpenAiErrorBody {
    const parsed = parseJson(upstreamBody) as { error?: { type?: string; message?: string } } | undefined;
    const message = parsed?.error?.message ?? (upstreamBody.toString('utf8').slice(0, 500) || `upstream returned ${status}`);
    return openAiError(message, errorTypeForStatus(status), parsed?.error?.type ?? null);
  }
}
