import { ValidationError } from '@tollgate/core';
import { ChatCompletionRequest, ChatContentPart, ChatMessage } from '../provider.types';
import { AnthropicBlock, AnthropicMessage } from './anthropic-messages.types';

/** Anthropic requires max_tokens; OpenAI clients often omit it. */
const DEFAULT_MAX_TOKENS = 4096;

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
