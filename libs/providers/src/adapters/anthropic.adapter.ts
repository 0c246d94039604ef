import { SSE_DONE, SseParser, sseData } from '../wire/sse.parser';
import { errorTypeForStatus, openAiError, parseJson, splitBaseUrl } from '../wire/endpoint';
import {
  ChatCallOptions,
  ChatCompletionRequest,
  ChatContentPart,
  ChatMessage,
  OpenAiErrorBody,
  ProviderAdapter,
  ProviderTarget,
  StreamContext,
  StreamTranslator,
  TranslatedResponse,
  UpstreamRequest,
} from '../provider.types';
import { openAiUsageObject } from './openai-chunk.writer';
import { ValidationError } from '@tollgate/core';
import { emptyTokenUsage, type TokenUsage } from '@tollgate/pricing';

const ANTHROPIC_BASE = 'https://api.anthropic.com';
const DEFAULT_VERSION = '2023-06-01';
/** Anthropic requires max_tokens; OpenAI clients often omit it. */
const DEFAULT_MAX_TOKENS = 4096;

interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
}

/**
 * Anthropic usage → TokenUsage. Anthropic's `input_tokens` excludes cache reads and writes, so they are added
 * back to make `input_tokens` the whole prompt (the TokenUsage convention).
 */
export function anthropicUsage(usage: AnthropicUsage | null | undefined): Required<TokenUsage> | null {
  if (!usage || typeof usage !== 'object') return null;
  const counts = emptyTokenUsage();
  counts.cached_input_tokens = usage.cache_read_input_tokens ?? 0;
  counts.cache_write_tokens = usage.cache_creation_input_tokens ?? 0;
  counts.cache_write_1h_tokens = Math.min(usage.cache_creation?.ephemeral_1h_input_tokens ?? 0, counts.cache_write_tokens);
  counts.input_tokens = (usage.input_tokens ?? 0) + counts.cached_input_tokens + counts.cache_write_tokens;
  counts.output_tokens = usage.output_tokens ?? 0;
  return counts;
}

type AnthropicBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string } }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string | AnthropicBlock[] }
  | { type: 'thinking'; thinking: string };

interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

const STOP_REASONS: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  pause_turn: 'stop',
  refusal: 'content_filter',
};

function textOf(content: ChatMessage['content']): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? String((part as { text: string }).text) : '')).join('');
}

function toBlocks(content: ChatMessage['content'], field: string): AnthropicBlock[] {
  if (content == null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content.map((part: ChatContentPart, i) => {
    if (part.type === 'text') return { type: 'text', text: String((part as { text: string }).text) };
    if (part.type === 'image_url') {
      const url = (part as { image_url: { url: string } }).image_url.url;
      const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
      if (data) return { type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } };
      return { type: 'image', source: { type: 'url', url } };
    }
    throw ValidationError.field(`${field}[${i}].type`, `content part '${part.type}' is not supported by Anthropic models`);
  });
}

/** OpenAI chat request → Anthropic Messages request body. */
export function toAnthropicRequest(body: ChatCompletionRequest, upstreamModel: string, stream: boolean): Record<string, unknown> {
  if ((body.n ?? 1) > 1) throw ValidationError.field('n', 'Anthropic models return one choice; n must be 1');
  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  const push = (role: 'user' | 'assistant', blocks: AnthropicBlock[]) => {
    const last = messages[messages.length - 1];
    // Anthropic wants alternating roles: consecutive same-role turns (tool results, split user text) merge.
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  body.messages.forEach((message, i) => {
    const field = `messages[${i}].content`;
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(textOf(message.content));
        break;
      case 'user':
        push('user', toBlocks(message.content, field));
        break;
      case 'assistant': {
        const blocks = toBlocks(message.content, field);
        for (const call of message.tool_calls ?? []) {
          blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseArguments(call.function.arguments, `messages[${i}].tool_calls`) });
        }
        push('assistant', blocks);
        break;
      }
      case 'tool':
        push('user', [{ type: 'tool_result', tool_use_id: message.tool_call_id ?? '', content: textOf(message.content) }]);
        break;
      default:
        throw ValidationError.field(`messages[${i}].role`, `role '${message.role}' is not supported by Anthropic models`);
    }
  });
  if (body.response_format?.type === 'json_object' || body.response_format?.type === 'json_schema') {
    // Anthropic has no JSON mode; the documented approach is to instruct the model.
    const schema = body.response_format.json_schema?.schema;
    system.push(schema ? `Respond only with a JSON object matching this JSON schema: ${JSON.stringify(schema)}` : 'Respond only with a valid JSON object.');
  }
  const out: Record<string, unknown> = {
    model: upstreamModel,
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
    messages,
  };
  if (system.length) out.system = system.join('\n\n');
  if (body.temperature != null) out.temperature = Math.min(body.temperature, 1);
  if (body.top_p != null) out.top_p = body.top_p;
  if (body.stop != null) out.stop_sequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  if (body.user) out.metadata = { user_id: body.user };
  if (body.tools?.length) {
    out.tools = body.tools.map((tool) => ({
      name: tool.function.name,
      description: tool.function.description,
      input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
    }));
    const choice = body.tool_choice;
    if (choice === 'required') out.tool_choice = { type: 'any' };
    else if (choice === 'none') out.tool_choice = { type: 'none' };
    else if (choice && typeof choice === 'object') out.tool_choice = { type: 'tool', name: choice.function.name };
    if (body.parallel_tool_calls === false && out.tool_choice === undefined) out.tool_choice = { type: 'auto', disable_parallel_tool_use: true };
  }
  if (stream) out.stream = true;
  return out;
}

function parseArguments(args: string, field: string): unknown {
  try {
    return args ? JSON.parse(args) : {};
  } catch {
    throw ValidationError.field(field, 'function.arguments is not valid JSON');
  }
}

interface AnthropicResponse {
  id: string;
  model: string;
  content: AnthropicBlock[];
  stop_reason: string | null;
  usage: AnthropicUsage;
}

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
    const parsed = parseJson(upstreamBody) as AnthropicResponse | undefined;
    if (!parsed || !Array.isArray(parsed.content)) return { usage: null, body: upstreamBody.toString('utf8') };
    const usage = anthropicUsage(parsed.usage);
    let text = '';
    const toolCalls: unknown[] = [];
    for (const block of parsed.content) {
      if (block.type === 'text') text += block.text;
      else if (block.type === 'tool_use') toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    }
    const message: Record<string, unknown> = { role: 'assistant', content: text === '' && toolCalls.length ? null : text, refusal: null };
    if (toolCalls.length) message.tool_calls = toolCalls;
    const response = {
      id: parsed.id ? `chatcmpl-${parsed.id}` : `chatcmpl-${context.requestId}`,
      object: 'chat.completion',
      created: context.created,
      model: parsed.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: STOP_REASONS[parsed.stop_reason ?? ''] ?? 'stop' }],
      usage: usage ? openAiUsageObject(usage) : undefined,
    };
    return { body: JSON.stringify(response), usage, servedModel: parsed.model, outputText: text };
  }

  chatStream(_target: ProviderTarget, context: StreamContext): StreamTranslator {
    return new AnthropicToOpenAiStream(context);
  }

  /** Reads usage from a native Messages response that is forwarded unchanged. */
  nativeResponse(upstreamBody: Buffer): TranslatedResponse {
    const parsed = parseJson(upstreamBody) as AnthropicResponse | undefined;
    const text = (parsed?.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('');
    return { usage: anthropicUsage(parsed?.usage), servedModel: parsed?.model, outputText: text };
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

/** Accumulates usage from Anthropic stream events (message_start carries input and cache; message_delta the output). */
class AnthropicUsageAccumulator {
  raw: AnthropicUsage | null = null;
  model?: string;
  completed = false;
  streamError: string | null = null;

  observe(event: string, data: Record<string, unknown> | undefined): void {
    if (!data) return;
    if (event === 'message_start') {
      const message = data.message as { usage?: AnthropicUsage; model?: string } | undefined;
      this.raw = { ...(message?.usage ?? {}) };
      this.model = message?.model;
    } else if (event === 'message_delta') {
      const usage = data.usage as AnthropicUsage | undefined;
      if (usage) {
        this.raw = { ...(this.raw ?? {}) };
        // Later events report cumulative counts; non-null fields replace the earlier ones.
        for (const [key, value] of Object.entries(usage)) if (value != null) (this.raw as Record<string, unknown>)[key] = value;
      }
    } else if (event === 'message_stop') {
      this.completed = true;
    } else if (event === 'error') {
      const error = data.error as { type?: string } | undefined;
      this.streamError = error?.type ?? 'stream_error';
    }
  }

  get usage(): Required<TokenUsage> | null {
    return anthropicUsage(this.raw);
  }
}

/** Forwards an Anthropic SSE stream unchanged (`/v1/messages`), reading usage on the way. */
class AnthropicNativeStreamObserver implements StreamTranslator {
  private readonly parser = new SseParser();
  private readonly acc = new AnthropicUsageAccumulator();
  private text = '';

  push(chunk: Buffer): Buffer {
    this.observe(this.parser.push(chunk));
    return chunk;
  }
  end(): string {
    this.observe(this.parser.end());
    return '';
  }
  get usage() {
    return this.acc.usage;
  }
  get completed() {
    return this.acc.completed;
  }
  get streamError() {
    return this.acc.streamError;
  }
  get servedModel() {
    return this.acc.model;
  }
  get outputText() {
    return this.text;
  }
  private observe(events: ReturnType<SseParser['push']>) {
    for (const event of events) {
      const name = event.event;
      if (name === 'content_block_delta' || name === 'ping' || name === 'content_block_stop') {
        if (name === 'content_block_delta') {
          const delta = (parseJson(event.data) as { delta?: { text?: string } } | undefined)?.delta;
          if (delta?.text) this.text += delta.text;
        }
        continue;
      }
      this.acc.observe(name, parseJson(event.data) as Record<string, unknown> | undefined);
    }
  }
}

/**
 * Anthropic stream events → OpenAI chat.completion.chunk events: text deltas become `delta.content`, tool_use
 * blocks become `delta.tool_calls` (arguments streamed from input_json_delta), message_delta's stop_reason the
 * finish_reason, and usage (when the client asked) a final chunk with empty choices, then `[DONE]`.
 */
class AnthropicToOpenAiStream implements StreamTranslator {
  private readonly parser = new SseParser();
  private readonly acc = new AnthropicUsageAccumulator();
  private readonly toolIndexByBlock = new Map<number, number>();
  private id: string;
  private model = '';
  private text = '';
  private finishReason: string | null = null;
  private sentDone = false;

  constructor(private readonly context: StreamContext) {
    this.id = `chatcmpl-${context.requestId}`;
  }

  get usage() {
    return this.acc.usage;
  }
  get completed() {
    return this.acc.completed;
  }
  get streamError() {
    return this.acc.streamError;
  }
  get servedModel() {
    return this.acc.model;
  }
  get outputText() {
    return this.text;
  }

  push(chunk: Buffer): string {
    return this.translate(this.parser.push(chunk));
  }

  end(): string {
    return this.translate(this.parser.end());
  }

  private chunk(delta: Record<string, unknown>, finishReason: string | null = null): string {
    return sseData({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.context.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    });
  }

  private translate(events: ReturnType<SseParser['push']>): string {
    let out = '';
    for (const event of events) {
      const data = parseJson(event.data) as Record<string, any> | undefined;
      const name = event.event || (data?.type as string) || '';
      this.acc.observe(name, data);
      switch (name) {
        case 'message_start':
          this.model = data?.message?.model ?? '';
          if (data?.message?.id) this.id = `chatcmpl-${data.message.id}`;
          out += this.chunk({ role: 'assistant', content: '', refusal: null });
          break;
        case 'content_block_start': {
          const block = data?.content_block;
          if (block?.type === 'tool_use') {
            const toolIndex = this.toolIndexByBlock.size;
            this.toolIndexByBlock.set(data!.index, toolIndex);
            out += this.chunk({ tool_calls: [{ index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }] });
          } else if (block?.type === 'text' && block.text) {
            this.text += block.text;
            out += this.chunk({ content: block.text });
          }
          break;
        }
        case 'content_block_delta': {
          const delta = data?.delta;
          if (delta?.type === 'text_delta') {
            this.text += delta.text;
            out += this.chunk({ content: delta.text });
          } else if (delta?.type === 'input_json_delta') {
            const toolIndex = this.toolIndexByBlock.get(data!.index) ?? 0;
            out += this.chunk({ tool_calls: [{ index: toolIndex, function: { arguments: delta.partial_json } }] });
          }
          break;
        }
        case 'message_delta':
          this.finishReason = STOP_REASONS[data?.delta?.stop_reason ?? ''] ?? 'stop';
          break;
        case 'message_stop':
          out += this.chunk({}, this.finishReason ?? 'stop');
          if (this.context.clientWantsUsage && this.acc.usage) {
            out += sseData({ id: this.id, object: 'chat.completion.chunk', created: this.context.created, model: this.model, choices: [], usage: openAiUsageObject(this.acc.usage) });
          }
          out += SSE_DONE;
          this.sentDone = true;
          break;
        case 'error':
          out += sseData({ error: { message: data?.error?.message ?? 'upstream stream error', type: data?.error?.type ?? 'api_error', param: null, code: null } });
          break;
        default:
          break;
      }
    }
    return out;
  }

  get doneSent() {
    return this.sentDone;
  }
}
