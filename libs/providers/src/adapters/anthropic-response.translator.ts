import { emptyTokenUsage, type TokenUsage } from '@tollgate/pricing';
import { parseJson } from '../wire/endpoint';
import { StreamContext, TranslatedResponse } from '../provider.types';
import { AnthropicResponse, AnthropicUsage } from './anthropic-messages.types';
import { openAiUsageObject } from './openai-chunk.writer';

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

/** Anthropic stop_reason → OpenAI finish_reason. */
export const STOP_REASONS: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  pause_turn: 'stop',
  refusal: 'content_filter',
};

/** A Messages response → an OpenAI chat.completion (one choice; text blocks joined, tool_use blocks as tool_calls). */
export function toOpenAiChatResponse(upstreamBody: Buffer, context: StreamContext): TranslatedResponse {
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

/** Reads usage, served model and text from a native Messages response that is forwarded unchanged. */
export function readNativeResponse(upstreamBody: Buffer): TranslatedResponse {
  const parsed = parseJson(upstreamBody) as AnthropicResponse | undefined;
  const text = (parsed?.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('');
  return { usage: anthropicUsage(parsed?.usage), servedModel: parsed?.model, outputText: text };
}
