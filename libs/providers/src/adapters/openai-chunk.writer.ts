import { sseData, SSE_DONE } from '../wire/sse.parser';
import type { TokenUsage } from '@tollgate/pricing';
import { StreamContext } from '../provider.types';

/** OpenAI usage object from a TokenUsage (what translated responses report to OpenAI-format clients). */
export function openAiUsageObject(counts: Required<TokenUsage>) {
  return {
    prompt_tokens: counts.input_tokens,
    completion_tokens: counts.output_tokens,
    total_tokens: counts.input_tokens + counts.output_tokens,
    prompt_tokens_details: { cached_tokens: counts.cached_input_tokens },
    completion_tokens_details: { reasoning_tokens: counts.reasoning_tokens },
  };
}

/** Writes OpenAI chat.completion.chunk events for translated streams (Gemini, Bedrock). */
export class OpenAiChunkWriter {
  model = '';
  id: string;
  private roleSent = false;
  private toolIndex = 0;

  constructor(private readonly context: StreamContext) {
    this.id = `chatcmpl-${context.requestId}`;
  }

  chunk(delta: Record<string, unknown>, finishReason: string | null = null, index = 0): string {
    let out = '';
    if (!this.roleSent) {
      this.roleSent = true;
      out += this.raw({ role: 'assistant', content: '' }, null, index);
    }
    return out + this.raw(delta, finishReason, index);
  }

  text(text: string): string {
    return text ? this.chunk({ content: text }) : '';
  }

  /** A whole tool call in one chunk (Gemini sends complete calls). */
  toolCall(id: string, name: string, args: string): string {
    return this.chunk({ tool_calls: [{ index: this.toolIndex++, id, type: 'function', function: { name, arguments: args } }] });
  }

  /** Opens a tool call whose arguments stream in later (Bedrock); returns its index and the chunk to send. */
  startTool(id: string, name: string): { index: number; chunk: string } {
    const index = this.toolIndex++;
    return { index, chunk: this.chunk({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] }) };
  }

  toolArguments(index: number, partial: string): string {
    return this.chunk({ tool_calls: [{ index, function: { arguments: partial } }] });
  }

  finish(finishReason: string, usage: Required<TokenUsage> | null): string {
    let out = this.chunk({}, finishReason);
    if (this.context.clientWantsUsage && usage) {
      out += sseData({ id: this.id, object: 'chat.completion.chunk', created: this.context.created, model: this.model, choices: [], usage: openAiUsageObject(usage) });
    }
    return out + SSE_DONE;
  }

  private raw(delta: Record<string, unknown>, finishReason: string | null, index: number): string {
    return sseData({ id: this.id, object: 'chat.completion.chunk', created: this.context.created, model: this.model, choices: [{ index, delta, logprobs: null, finish_reason: finishReason }] });
  }
}
