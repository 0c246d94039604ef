import { ValidationError } from '@tollgate/core';
import { emptyTokenUsage, type TokenUsage } from '@tollgate/pricing';
import { SseParser } from '../wire/sse.parser';
import { errorTypeForStatus, openAiError, parseJson, splitBaseUrl } from '../wire/endpoint';
import {
  ChatCallOptions,
  ChatCompletionRequest,
  ChatMessage,
  OpenAiErrorBody,
  ProviderAdapter,
  ProviderTarget,
  StreamContext,
  StreamTranslator,
  TranslatedResponse,
  UpstreamRequest,
} from '../provider.types';
import { OpenAiChunkWriter, openAiUsageObject } from './openai-chunk.writer';

interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
}

/**
 * Gemini usageMetadata → TokenUsage. promptTokenCount already includes cached content; thoughts are reported apart
 * from candidates, so output = candidates + thoughts (reasoning = thoughts); tool-use prompt tokens are input.
 */
export function geminiUsage(usage: GeminiUsage | null | undefined): Required<TokenUsage> | null {
  if (!usage || typeof usage !== 'object') return null;
  const counts = emptyTokenUsage();
  counts.input_tokens = (usage.promptTokenCount ?? 0) + (usage.toolUsePromptTokenCount ?? 0);
  counts.cached_input_tokens = usage.cachedContentTokenCount ?? 0;
  counts.reasoning_tokens = usage.thoughtsTokenCount ?? 0;
  counts.output_tokens = (usage.candidatesTokenCount ?? 0) + counts.reasoning_tokens;
  return counts;
}

type GeminiPart =
  | { text: string; thought?: boolean }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: { name: string; args: unknown } }
  | { functionResponse: { name: string; response: unknown } };

const FINISH: Record<string, string> = { STOP: 'stop', MAX_TOKENS: 'length', SAFETY: 'content_filter', RECITATION: 'content_filter', BLOCKLIST: 'content_filter', PROHIBITED_CONTENT: 'content_filter', SPII: 'content_filter' };

function parts(content: ChatMessage['content'], field: string): GeminiPart[] {
  if (content == null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  return content.map((part, i): GeminiPart => {
    if (part.type === 'text') return { text: String((part as { text: string }).text) };
    if (part.type === 'image_url') {
      const url = (part as { image_url: { url: string } }).image_url.url;
      const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
      if (data) return { inlineData: { mimeType: data[1], data: data[2] } };
      return { fileData: { mimeType: 'image/*', fileUri: url } };
    }
    throw ValidationError.field(`${field}[${i}].type`, `content part '${part.type}' is not supported by Gemini models`);
  });
}

/** OpenAI chat request → Gemini generateContent body. */
export function toGeminiRequest(body: ChatCompletionRequest): Record<string, unknown> {
  const system: string[] = [];
  const contents: { role: 'user' | 'model'; parts: GeminiPart[] }[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: 'user' | 'model', p: GeminiPart[]) => {
    const last = contents[contents.length - 1];
    if (last && last.role === role) last.parts.push(...p);
    else contents.push({ role, parts: p });
  };
  body.messages.forEach((m, i) => {
    const field = `messages[${i}].content`;
    if (m.role === 'system' || m.role === 'developer') system.push(typeof m.content === 'string' ? m.content : parts(m.content, field).map((p) => ('text' in p ? p.text : '')).join(''));
    else if (m.role === 'user') push('user', parts(m.content, field));
    else if (m.role === 'assistant') {
      const p = parts(m.content, field);
      for (const call of m.tool_calls ?? []) {
        toolNames.set(call.id, call.function.name);
        let args: unknown = {};
        try {
          args = call.function.arguments ? JSON.parse(call.function.arguments) : {};
        } catch {
          throw ValidationError.field(`messages[${i}].tool_calls`, 'function.arguments is not valid JSON');
        }
        p.push({ functionCall: { name: call.function.name, args } });
      }
      push('model', p);
    } else if (m.role === 'tool') {
      const text = typeof m.content === 'string' ? m.content : (m.content ?? []).map((c) => (c.type === 'text' ? String((c as { text: string }).text) : '')).join('');
      let response: unknown;
      try {
        response = JSON.parse(text);
        if (!response || typeof response !== 'object' || Array.isArray(response)) response = { content: response };
      } catch {
        response = { content: text };
      }
      push('user', [{ functionResponse: { name: toolNames.get(m.tool_call_id ?? '') ?? m.name ?? 'tool', response } }]);
    } else throw ValidationError.field(`messages[${i}].role`, `role '${m.role}' is not supported by Gemini models`);
  });
  const generationConfig: Record<string, unknown> = {};
  if (body.temperature != null) generationConfig.temperature = body.temperature;
  if (body.top_p != null) generationConfig.topP = body.top_p;
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (max != null) generationConfig.maxOutputTokens = max;
  if (body.stop != null) generationConfig.stopSequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  if ((body.n ?? 1) > 1) generationConfig.candidateCount = body.n;
  if (body.response_format?.type === 'json_object' || body.response_format?.type === 'json_schema') {
    generationConfig.responseMimeType = 'application/json';
    if (body.response_format.json_schema?.schema) generationConfig.responseJsonSchema = body.response_format.json_schema.schema;
  }
  const out: Record<string, unknown> = { contents };
  if (system.length) out.systemInstruction = { parts: [{ text: system.join('\n\n') }] };
  if (Object.keys(generationConfig).length) out.generationConfig = generationConfig;
  if (body.tools?.length) {
    out.tools = [{ functionDeclarations: body.tools.map((t) => ({ name: t.function.name, description: t.function.description, parameters: t.function.parameters })) }];
    const choice = body.tool_choice;
    if (choice === 'required') out.toolConfig = { functionCallingConfig: { mode: 'ANY' } };
    else if (choice === 'none') out.toolConfig = { functionCallingConfig: { mode: 'NONE' } };
    else if (choice && typeof choice === 'object') out.toolConfig = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }
  return out;
}

interface GeminiResponse {
  candidates?: { content?: { parts?: GeminiPart[] }; finishReason?: string; index?: number }[];
  usageMetadata?: GeminiUsage;
  modelVersion?: string;
  responseId?: string;
}

/** Google Gemini on AI Studio (`x-goog-api-key`) and on Vertex AI (OAuth bearer, project/location path). */
export class GeminiAdapter implements ProviderAdapter {
  readonly kinds = ['gemini', 'vertex'] as const;

  chatRequest(target: ProviderTarget, body: ChatCompletionRequest, options: ChatCallOptions): UpstreamRequest {
    const method = options.stream ? 'streamGenerateContent' : 'generateContent';
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    let base: string;
    let path: string;
    const model = encodeURIComponent(target.upstreamModel);
    if (target.kind === 'vertex') {
      const location = target.settings.location ?? target.region ?? 'us-central1';
      if (!target.settings.project) throw ValidationError.field('providers.settings.project', 'Vertex AI providers need a project');
      base = target.baseUrl || `https://${location === 'global' ? '' : `${location}-`}aiplatform.googleapis.com`;
      path = `/v1/projects/${encodeURIComponent(target.settings.project)}/locations/${encodeURIComponent(location)}/publishers/google/models/${model}:${method}`;
      if (target.credentials.bearerToken) headers.authorization = `Bearer ${target.credentials.bearerToken}`;
    } else {
      base = target.baseUrl || 'https://generativelanguage.googleapis.com';
      path = `/v1beta/models/${model}:${method}`;
      if (target.credentials.apiKey) headers['x-goog-api-key'] = target.credentials.apiKey;
    }
    const { origin, prefix } = splitBaseUrl(base);
    return { origin, path: `${prefix}${path}${options.stream ? '?alt=sse' : ''}`, headers, body: JSON.stringify(toGeminiRequest(body)) };
  }

  chatResponse(target: ProviderTarget, upstreamBody: Buffer, context: StreamContext): TranslatedResponse {
    const parsed = parseJson(upstreamBody) as GeminiResponse | undefined;
    if (!parsed) return { usage: null, body: upstreamBody.toString('utf8') };
    const usage = geminiUsage(parsed.usageMetadata);
    let allText = '';
    const choices = (parsed.candidates ?? []).map((candidate, i) => {
      let text = '';
      const toolCalls: unknown[] = [];
      for (const part of candidate.content?.parts ?? []) {
        if ('text' in part && !part.thought) text += part.text;
        else if ('functionCall' in part) toolCalls.push({ id: `call_${context.requestId.slice(0, 8)}_${i}_${toolCalls.length}`, type: 'function', function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) } });
      }
      allText += text;
      const message: Record<string, unknown> = { role: 'assistant', content: text === '' && toolCalls.length ? null : text, refusal: null };
      if (toolCalls.length) message.tool_calls = toolCalls;
      return { index: candidate.index ?? i, message, logprobs: null, finish_reason: toolCalls.length ? 'tool_calls' : (FINISH[candidate.finishReason ?? 'STOP'] ?? 'stop') };
    });
    const model = parsed.modelVersion ?? target.upstreamModel;
    const response = { id: `chatcmpl-${parsed.responseId ?? context.requestId}`, object: 'chat.completion', created: context.created, model, choices, usage: usage ? openAiUsageObject(usage) : undefined };
    return { body: JSON.stringify(response), usage, servedModel: parsed.modelVersion, outputText: allText };
  }

  chatStream(target: ProviderTarget, context: StreamContext): StreamTranslator {
    return new GeminiToOpenAiStream(target, context);
  }

  errorBody(status: number, upstreamBody: Buffer): OpenAiErrorBody {
    const parsed = parseJson(upstreamBody) as { error?: { message?: string; status?: string } } | { error?: { message?: string; status?: string } }[] | undefined;
    const error = Array.isArray(parsed) ? parsed[0]?.error : parsed?.error;
    return openAiError(error?.message ?? (upstreamBody.toString('utf8').slice(0, 500) || `upstream returned ${status}`), errorTypeForStatus(status), error?.status ?? null);
  }
}

/** Gemini SSE (`alt=sse`: each event a partial GenerateContentResponse) → OpenAI chunks; usage from the last usageMetadata. */
class GeminiToOpenAiStream implements StreamTranslator {
  private readonly parser = new SseParser();
  private readonly writer: OpenAiChunkWriter;
  private finishReason: string | null = null;
  private sawToolCall = false;
  usage: Required<TokenUsage> | null = null;
  outputText = '';
  completed = false;
  streamError: string | null = null;
  servedModel?: string;

  constructor(target: ProviderTarget, context: StreamContext) {
    this.writer = new OpenAiChunkWriter(context);
    this.writer.model = target.upstreamModel;
  }

  push(chunk: Buffer): string {
    return this.translate(this.parser.push(chunk));
  }

  end(): string {
    let out = this.translate(this.parser.end());
    if (this.finishReason !== null) {
      this.completed = true;
      out += this.writer.finish(this.sawToolCall ? 'tool_calls' : this.finishReason, this.usage);
    }
    return out;
  }

  private translate(events: ReturnType<SseParser['push']>): string {
    let out = '';
    for (const event of events) {
      const data = parseJson(event.data) as (GeminiResponse & { error?: { status?: string } }) | undefined;
      if (!data) continue;
      if (data.error) {
        this.streamError = data.error.status ?? 'stream_error';
        continue;
      }
      if (data.modelVersion) this.servedModel = this.writer.model = data.modelVersion;
      if (data.usageMetadata) this.usage = geminiUsage(data.usageMetadata);
      const candidate = data.candidates?.[0];
      for (const part of candidate?.content?.parts ?? []) {
        if ('text' in part && !part.thought) {
          this.outputText += part.text;
          out += this.writer.text(part.text);
        } else if ('functionCall' in part) {
          this.sawToolCall = true;
          out += this.writer.toolCall(`call_${this.writer.id.slice(-8)}_${this.outputText.length}`, part.functionCall.name, JSON.stringify(part.functionCall.args ?? {}));
        }
      }
      if (candidate?.finishReason) this.finishReason = FINISH[candidate.finishReason] ?? 'stop';
    }
    return out;
  }
}
