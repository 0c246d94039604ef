import { SSE_DONE, SseParser, sseData } from '../wire/sse.parser';
import { parseJson } from '../wire/endpoint';
import { StreamContext, StreamTranslator } from '../provider.types';
import type { TokenUsage } from '@tollgate/pricing';
import { AnthropicUsage } from './anthropic-messages.types';
import { anthropicUsage, STOP_REASONS } from './anthropic-response.translator';
import { openAiUsageObject } from './openai-chunk.writer';

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

/** What both Anthropic stream readers share: the SSE parser, the usage read on the way, the text produced. */
abstract class AnthropicStreamReader {
  protected readonly parser = new SseParser();
  protected readonly acc = new AnthropicUsageAccumulator();
  protected text = '';

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
}

/** Forwards an Anthropic SSE stream unchanged (`/v1/messages`), reading usage on the way. */
export class AnthropicNativeStreamObserver extends AnthropicStreamReader implements StreamTranslator {
  push(chunk: Buffer): Buffer {
    this.observe(this.parser.push(chunk));
    return chunk;
  }
  end(): string {
    this.observe(this.parser.end());
    return '';
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
export class AnthropicToOpenAiStream extends AnthropicStreamReader implements StreamTranslator {
  private readonly toolIndexByBlock = new Map<number, number>();
  private id: string;
  private model = '';
  private finishReason: string | null = null;
  private sentDone = false;

  constructor(private readonly context: StreamContext) {
    super();
    this.id = `chatcmpl-${context.requestId}`;
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
