import { emptyTokenUsage, type TokenUsage } from '@tollgate/pricing';
import { SseParser } from '../wire/sse.parser';
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

const OPENAI_BASE = 'https://api.openai.com/v1';

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  input_tokens?: number;
  output_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; audio_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number; audio_tokens?: number } | null;
  input_tokens_details?: { cached_tokens?: number } | null;
  output_tokens_details?: { reasoning_tokens?: number } | null;
}

/** OpenAI usage (chat, embeddings and Responses shapes) → TokenUsage. OpenAI already counts cached tokens inside prompt tokens. */
export function openAiUsage(usage: OpenAiUsage | null | undefined): Required<TokenUsage> | null {
  if (!usage || typeof usage !== 'object') return null;
  const counts = emptyTokenUsage();
  counts.input_tokens = usage.prompt_tokens ?? usage.input_tokens ?? 0;
  counts.output_tokens = usage.completion_tokens ?? usage.output_tokens ?? 0;
  counts.cached_input_tokens = usage.prompt_tokens_details?.cached_tokens ?? usage.input_tokens_details?.cached_tokens ?? 0;
  counts.audio_input_tokens = usage.prompt_tokens_details?.audio_tokens ?? 0;
  counts.reasoning_tokens = usage.completion_tokens_details?.reasoning_tokens ?? usage.output_tokens_details?.reasoning_tokens ?? 0;
  counts.audio_output_tokens = usage.completion_tokens_details?.audio_tokens ?? 0;
  return counts;
}

/**
 * OpenAI's own wire format, which Azure OpenAI and self-hosted OpenAI-compatible servers (vLLM, TGI) speak too;
 * they differ only in URL and authentication. Responses are forwarded byte for byte; only usage is read.
 */
export class OpenAiAdapter implements ProviderAdapter {
  readonly kinds = ['openai', 'azure_openai', 'openai_compatible'] as const;

  chatRequest(target: ProviderTarget, body: ChatCompletionRequest, options: ChatCallOptions): UpstreamRequest {
    const askUsage = options.stream && options.upstreamUsage && !(target.kind === 'openai_compatible' && target.settings.streamUsage === false);
    const needsUsage = askUsage && body.stream_options?.include_usage !== true;
    // Same model name and no usage to ask for: the client's bytes go upstream as they are (no re-serialisation of
    // what can be a very large prompt).
    if (options.rawBody && !needsUsage && body.model === target.upstreamModel) return this.request(target, 'chat/completions', options.rawBody);
    const upstream: Record<string, unknown> = { ...body, model: target.upstreamModel };
    if (needsUsage) upstream.stream_options = { ...(body.stream_options ?? {}), include_usage: true };
    return this.request(target, 'chat/completions', JSON.stringify(upstream));
  }

  embeddingsRequest(target: ProviderTarget, body: Record<string, unknown>): UpstreamRequest {
    return this.request(target, 'embeddings', JSON.stringify({ ...body, model: target.upstreamModel }));
  }

  /** Also used by the gateway for `/v1/responses`, which only OpenAI and Azure serve natively. */
  request(target: ProviderTarget, operation: string, body: string | Buffer): UpstreamRequest {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const { apiKey, bearerToken } = target.credentials;
    let path: string;
    if (target.kind === 'azure_openai') {
      const { origin, prefix } = splitBaseUrl(target.baseUrl);
      const version = target.settings.apiVersion ?? '2024-10-21';
      if (operation === 'responses') path = `${prefix}/openai/responses?api-version=${encodeURIComponent(version)}`;
      else path = `${prefix}/openai/deployments/${encodeURIComponent(target.upstreamModel)}/${operation}?api-version=${encodeURIComponent(version)}`;
      if (target.settings.authMode === 'bearer' || (!apiKey && bearerToken)) headers.authorization = `Bearer ${bearerToken ?? apiKey}`;
      else if (apiKey) headers['api-key'] = apiKey;
      return { origin, path, headers, body };
    }
    const { origin, prefix } = splitBaseUrl(target.baseUrl || OPENAI_BASE);
    path = `${prefix}/${operation}`;
    const token = apiKey ?? bearerToken;
    if (token) headers.authorization = `Bearer ${token}`;
    return { origin, path, headers, body };
  }

  chatResponse(_target: ProviderTarget, upstreamBody: Buffer): TranslatedResponse {
    // Hot path: the body is forwarded as is, so only the usage object (at the end) and the model are read.
    const tail = extractUsageTail(upstreamBody);
    if (tail) return tail;
    const parsed = parseJson(upstreamBody) as { model?: string; usage?: OpenAiUsage; choices?: { message?: { content?: string | null } }[] } | undefined;
    const usage = openAiUsage(parsed?.usage);
    return {
      usage,
      servedModel: parsed?.model,
      outputText: usage ? undefined : (parsed?.choices ?? []).map((c) => c.message?.content ?? '').join(''),
    };
  }

  embeddingsResponse(_target: ProviderTarget, upstreamBody: Buffer): TranslatedResponse {
    const parsed = parseJson(upstreamBody) as { model?: string; usage?: OpenAiUsage } | undefined;
    return { usage: openAiUsage(parsed?.usage), servedModel: parsed?.model };
  }

  chatStream(_target: ProviderTarget, context: StreamContext): StreamTranslator {
    return new OpenAiStreamPassthrough(context.clientWantsUsage);
  }

  errorBody(status: number, upstreamBody: Buffer): OpenAiErrorBody {
    const parsed = parseJson(upstreamBody) as { error?: Partial<OpenAiErrorBody['error']> | string; message?: string } | undefined;
    if (parsed && typeof parsed.error === 'object' && parsed.error && typeof parsed.error.message === 'string') {
      return openAiError(parsed.error.message, parsed.error.type ?? errorTypeForStatus(status), parsed.error.code ?? null, parsed.error.param ?? null);
    }
    const message = typeof parsed?.error === 'string' ? parsed.error : (parsed?.message ?? (upstreamBody.toString('utf8').slice(0, 500) || `upstream returned ${status}`));
    return openAiError(message, errorTypeForStatus(status), null);
  }
}

/**
 * Forwards an OpenAI-format SSE stream event by event, unchanged, except the usage-only chunk the gateway asked
 * for: it is read for telemetry and dropped when the client didn't ask for it. Content chunks are kept by
 * reference (not parsed) so output can be counted only if the stream ends without usage.
 */
export class OpenAiStreamPassthrough implements StreamTranslator {
  private readonly parser = new SseParser();
  private readonly contentData: string[] = [];
  usage: Required<TokenUsage> | null = null;
  completed = false;
  streamError: string | null = null;
  servedModel?: string;

  constructor(private readonly clientWantsUsage: boolean) {}

  push(chunk: Buffer): string {
    return this.forward(this.parser.push(chunk));
  }

  end(): string {
    return this.forward(this.parser.end());
  }

  get outputText(): string {
    let text = '';
    for (const data of this.contentData) {
      const parsed = parseJson(data) as { choices?: { delta?: { content?: string | null } }[] } | undefined;
      for (const choice of parsed?.choices ?? []) text += choice.delta?.content ?? '';
    }
    return text;
  }

  private forward(events: ReturnType<SseParser['push']>): string {
    let out = '';
    for (const event of events) {
      const data = event.data;
      if (data === '[DONE]') {
        this.completed = true;
        out += event.raw;
        continue;
      }
      if (this.servedModel === undefined) {
        const match = /"model"\s*:\s*"([^"]*)"/.exec(data);
        if (match) this.servedModel = match[1];
      }
      if (data.includes('"usage":{') || data.includes('"usage": {')) {
        const parsed = parseJson(data) as { choices?: unknown[]; usage?: OpenAiUsage } | undefined;
        this.usage = openAiUsage(parsed?.usage) ?? this.usage;
        if (!this.clientWantsUsage && parsed) {
          if (!parsed.choices || parsed.choices.length === 0) continue;
          // Some OpenAI-compatible servers put usage on the last content chunk: keep the content, drop the usage.
          delete parsed.usage;
          this.contentData.push(data);
          out += `data: ${JSON.stringify(parsed)}\n\n`;
          continue;
        }
      } else if (data.startsWith('{"error"') || data.includes('"error":{')) {
        const parsed = parseJson(data) as { error?: { type?: string; code?: string } } | undefined;
        if (parsed?.error) this.streamError = parsed.error.code ?? parsed.error.type ?? 'stream_error';
      } else {
        this.contentData.push(data);
      }
      out += event.raw;
    }
    return out;
  }
}

const USAGE_KEY = Buffer.from('"usage"');
const MODEL_RE = /"model"\s*:\s*"([^"\\]*)"/;

/**
 * Reads `usage` and `model` from an OpenAI response without parsing the whole body: usage is the last top-level
 * key OpenAI writes, so the last `"usage"` is located and only its object is parsed. Returns undefined (caller
 * parses everything) when usage is absent, null or not where expected.
 */
function extractUsageTail(body: Buffer): TranslatedResponse | undefined {
  const at = body.lastIndexOf(USAGE_KEY);
  if (at === -1) return undefined;
  let start = at + USAGE_KEY.length;
  while (start < body.length && (body[start] === 0x20 || body[start] === 0x3a || body[start] === 0x0a || body[start] === 0x0d || body[start] === 0x09)) start++;
  if (body[start] !== 0x7b /* { */) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) return parseUsageSlice(body, start, i + 1);
  }
  return undefined;
}

function parseUsageSlice(body: Buffer, start: number, end: number): TranslatedResponse | undefined {
  const usage = openAiUsage(parseJson(body.subarray(start, end)) as OpenAiUsage | undefined);
  if (!usage) return undefined;
  const head = body.toString('utf8', 0, Math.min(body.length, 512));
  return { usage, servedModel: MODEL_RE.exec(head)?.[1] };
}
