import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { ValidationError } from '@tollgate/core';
import { emptyTokenUsage, type TokenUsage } from '@tollgate/pricing';
import { EventStreamDecoder } from '../wire/event-stream.decoder';
import { errorTypeForStatus, openAiError, parseJson } from '../wire/endpoint';
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

interface BedrockUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** Bedrock Converse usage → TokenUsage; like Anthropic, inputTokens excludes cache reads and writes. */
export function bedrockUsage(usage: BedrockUsage | null | undefined): Required<TokenUsage> | null {
  if (!usage || typeof usage !== 'object') return null;
  const counts = emptyTokenUsage();
  counts.cached_input_tokens = usage.cacheReadInputTokens ?? 0;
  counts.cache_write_tokens = usage.cacheWriteInputTokens ?? 0;
  counts.input_tokens = (usage.inputTokens ?? 0) + counts.cached_input_tokens + counts.cache_write_tokens;
  counts.output_tokens = usage.outputTokens ?? 0;
  return counts;
}

type Block =
  | { text: string }
  | { image: { format: string; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { toolResult: { toolUseId: string; content: { text: string }[] } };

const STOP: Record<string, string> = { end_turn: 'stop', stop_sequence: 'stop', max_tokens: 'length', tool_use: 'tool_calls', guardrail_intervened: 'content_filter', content_filtered: 'content_filter' };

function blocks(content: ChatMessage['content'], field: string): Block[] {
  if (content == null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  return content.map((part, i): Block => {
    if (part.type === 'text') return { text: String((part as { text: string }).text) };
    if (part.type === 'image_url') {
      const data = /^data:image\/([a-z]+);base64,(.*)$/s.exec((part as { image_url: { url: string } }).image_url.url);
      if (!data) throw ValidationError.field(`${field}[${i}].image_url.url`, 'Bedrock takes images as base64 data URLs only');
      return { image: { format: data[1] === 'jpg' ? 'jpeg' : data[1], source: { bytes: data[2] } } };
    }
    throw ValidationError.field(`${field}[${i}].type`, `content part '${part.type}' is not supported by Bedrock Converse`);
  });
}

/** OpenAI chat request → Bedrock Converse body. */
export function toConverseRequest(body: ChatCompletionRequest): Record<string, unknown> {
  if ((body.n ?? 1) > 1) throw ValidationError.field('n', 'Bedrock Converse returns one choice; n must be 1');
  const system: { text: string }[] = [];
  const messages: { role: 'user' | 'assistant'; content: Block[] }[] = [];
  const push = (role: 'user' | 'assistant', content: Block[]) => {
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(...content);
    else messages.push({ role, content });
  };
  body.messages.forEach((m, i) => {
    const field = `messages[${i}].content`;
    if (m.role === 'system' || m.role === 'developer') system.push({ text: typeof m.content === 'string' ? m.content : blocks(m.content, field).map((b) => ('text' in b ? b.text : '')).join('') });
    else if (m.role === 'user') push('user', blocks(m.content, field));
    else if (m.role === 'assistant') {
      const content = blocks(m.content, field);
      for (const call of m.tool_calls ?? []) {
        let input: unknown = {};
        try {
          input = call.function.arguments ? JSON.parse(call.function.arguments) : {};
        } catch {
          throw ValidationError.field(`messages[${i}].tool_calls`, 'function.arguments is not valid JSON');
        }
        content.push({ toolUse: { toolUseId: call.id, name: call.function.name, input } });
      }
      push('assistant', content);
    } else if (m.role === 'tool') {
      const text = typeof m.content === 'string' ? m.content : (m.content ?? []).map((c) => (c.type === 'text' ? String((c as { text: string }).text) : '')).join('');
      push('user', [{ toolResult: { toolUseId: m.tool_call_id ?? '', content: [{ text }] } }]);
    } else throw ValidationError.field(`messages[${i}].role`, `role '${m.role}' is not supported by Bedrock Converse`);
  });
  const out: Record<string, unknown> = { messages };
  if (system.length) out.system = system;
  const inference: Record<string, unknown> = {};
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (max != null) inference.maxTokens = max;
  if (body.temperature != null) inference.temperature = body.temperature;
  if (body.top_p != null) inference.topP = body.top_p;
  if (body.stop != null) inference.stopSequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  if (Object.keys(inference).length) out.inferenceConfig = inference;
  if (body.tools?.length) {
    const toolConfig: Record<string, unknown> = {
      tools: body.tools.map((t) => ({ toolSpec: { name: t.function.name, description: t.function.description, inputSchema: { json: t.function.parameters ?? { type: 'object', properties: {} } } } })),
    };
    const choice = body.tool_choice;
    if (choice === 'required') toolConfig.toolChoice = { any: {} };
    else if (choice && typeof choice === 'object') toolConfig.toolChoice = { tool: { name: choice.function.name } };
    else if (choice !== 'none') toolConfig.toolChoice = { auto: {} };
    if (choice !== 'none') out.toolConfig = toolConfig;
  }
  return out;
}

/**
 * AWS Bedrock Converse / ConverseStream, signed with SigV4 (the AWS SDK's own signer). The stream is AWS's binary
 * event stream, decoded frame by frame and translated to OpenAI chunks.
 */
export class BedrockAdapter implements ProviderAdapter {
  readonly kinds = ['bedrock'] as const;
  private readonly signers = new Map<string, SignatureV4>();

  async chatRequest(target: ProviderTarget, body: ChatCompletionRequest, options: ChatCallOptions): Promise<UpstreamRequest> {
    const region = target.settings.region ?? target.region;
    if (!region) throw ValidationError.field('model_deployments.region', 'Bedrock deployments need a region');
    const { accessKeyId, secretAccessKey, sessionToken } = target.credentials;
    if (!accessKeyId || !secretAccessKey) throw ValidationError.field('providers.credentials', 'Bedrock needs accessKeyId and secretAccessKey');
    const url = new URL(target.baseUrl || `https://bedrock-runtime.${region}.amazonaws.com`);
    const path = `${url.pathname.replace(/\/+$/, '')}/model/${encodeURIComponent(target.upstreamModel)}/${options.stream ? 'converse-stream' : 'converse'}`;
    const payload = JSON.stringify(toConverseRequest(body));
    const key = `${region}|${accessKeyId}|${sessionToken ?? ''}`;
    let signer = this.signers.get(key);
    if (!signer) {
      signer = new SignatureV4({ service: 'bedrock', region, sha256: Sha256, credentials: { accessKeyId, secretAccessKey, sessionToken } });
      this.signers.set(key, signer);
    }
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path,
      headers: { host: url.host, 'content-type': 'application/json', accept: options.stream ? 'application/vnd.amazon.eventstream' : 'application/json' },
      body: payload,
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) if (name !== 'host') headers[name] = String(value);
    return { origin: url.origin, path, headers, body: payload };
  }

  chatResponse(target: ProviderTarget, upstreamBody: Buffer, context: StreamContext): TranslatedResponse {
    const parsed = parseJson(upstreamBody) as { output?: { message?: { content?: Block[] } }; stopReason?: string; usage?: BedrockUsage } | undefined;
    if (!parsed?.output) return { usage: null, body: upstreamBody.toString('utf8') };
    const usage = bedrockUsage(parsed.usage);
    let text = '';
    const toolCalls: unknown[] = [];
    for (const block of parsed.output.message?.content ?? []) {
      if ('text' in block) text += block.text;
      else if ('toolUse' in block) toolCalls.push({ id: block.toolUse.toolUseId, type: 'function', function: { name: block.toolUse.name, arguments: JSON.stringify(block.toolUse.input ?? {}) } });
    }
    const message: Record<string, unknown> = { role: 'assistant', content: text === '' && toolCalls.length ? null : text, refusal: null };
    if (toolCalls.length) message.tool_calls = toolCalls;
    const response = {
      id: `chatcmpl-${context.requestId}`,
      object: 'chat.completion',
      created: context.created,
      model: target.upstreamModel,
      choices: [{ index: 0, message, logprobs: null, finish_reason: STOP[parsed.stopReason ?? ''] ?? 'stop' }],
      usage: usage ? openAiUsageObject(usage) : undefined,
    };
    return { body: JSON.stringify(response), usage, outputText: text };
  }

  chatStream(target: ProviderTarget, context: StreamContext): StreamTranslator {
    return new ConverseStreamTranslator(target, context);
  }

  errorBody(status: number, upstreamBody: Buffer): OpenAiErrorBody {
    const parsed = parseJson(upstreamBody) as { message?: string; Message?: string } | undefined;
    return openAiError(parsed?.message ?? parsed?.Message ?? (upstreamBody.toString('utf8').slice(0, 500) || `upstream returned ${status}`), errorTypeForStatus(status));
  }
}

class ConverseStreamTranslator implements StreamTranslator {
  private readonly decoder = new EventStreamDecoder();
  private readonly writer: OpenAiChunkWriter;
  private readonly toolIndexByBlock = new Map<number, number>();
  private finishReason = 'stop';
  private stopped = false;
  usage: Required<TokenUsage> | null = null;
  outputText = '';
  completed = false;
  streamError: string | null = null;

  constructor(target: ProviderTarget, context: StreamContext) {
    this.writer = new OpenAiChunkWriter(context);
    this.writer.model = target.upstreamModel;
  }

  push(chunk: Buffer): string {
    let out = '';
    for (const message of this.decoder.push(chunk)) {
      const type = message.headers[':message-type'];
      const event = String(message.headers[':event-type'] ?? message.headers[':exception-type'] ?? '');
      const data = parseJson(message.payload) as Record<string, any> | undefined;
      if (type !== 'event') {
        this.streamError = event || 'exception';
        continue;
      }
      switch (event) {
        case 'contentBlockStart': {
          const tool = data?.start?.toolUse;
          if (tool) {
            const started = this.writer.startTool(tool.toolUseId, tool.name);
            this.toolIndexByBlock.set(data!.contentBlockIndex, started.index);
            out += started.chunk;
          }
          break;
        }
        case 'contentBlockDelta': {
          const delta = data?.delta;
          if (typeof delta?.text === 'string') {
            this.outputText += delta.text;
            out += this.writer.text(delta.text);
          } else if (delta?.toolUse) {
            out += this.writer.toolArguments(this.toolIndexByBlock.get(data!.contentBlockIndex) ?? 0, delta.toolUse.input ?? '');
          }
          break;
        }
        case 'messageStop':
          this.finishReason = STOP[data?.stopReason ?? ''] ?? 'stop';
          this.stopped = true;
          break;
        case 'metadata':
          this.usage = bedrockUsage(data?.usage);
          break;
        default:
          break;
      }
    }
    return out;
  }

  end(): string {
    if (!this.stopped) return '';
    this.completed = true;
    return this.writer.finish(this.finishReason, this.usage);
  }
}
