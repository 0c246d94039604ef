import { IncomingMessage, ServerResponse } from 'node:http';
import { FakeLlmServer, ReceivedRequest } from './fake-llm-base.server';

/** Anthropic reports cache reads and writes apart from input_tokens. */
export const ANTHROPIC_USAGE = { input_tokens: 50, cache_creation_input_tokens: 30, cache_read_input_tokens: 20, output_tokens: 10 };
export const ANTHROPIC_TEXT = ['Hi', ' from', ' Claude'];

/** Anthropic's Messages API: content blocks, tool_use, and the documented SSE event sequence. */
export class FakeAnthropicServer extends FakeLlmServer {
  protected handle(request: ReceivedRequest, _req: IncomingMessage, res: ServerResponse, cutAfter?: number): void {
    if (!request.headers['x-api-key']) return this.json(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'x-api-key header is required' } });
    if (!request.headers['anthropic-version']) return this.json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version header is required' } });
    const body = request.body ?? {};
    if (typeof body.max_tokens !== 'number') return this.json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
    const tool = body.tools?.length ? body.tools[0] : undefined;
    const message = {
      id: 'msg_fake01',
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: tool ? [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 'toolu_01', name: tool.name, input: { city: 'Paris' } }] : [{ type: 'text', text: ANTHROPIC_TEXT.join('') }],
      stop_reason: tool ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: ANTHROPIC_USAGE,
    };
    if (!body.stream) return this.json(res, 200, message);
    const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const events = [
      ev('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...ANTHROPIC_USAGE, output_tokens: 1 } } }),
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ev('ping', {}),
    ];
    if (tool) {
      events.push(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Let me check.' } }));
      events.push(ev('content_block_stop', { index: 0 }));
      events.push(ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_01', name: tool.name, input: {} } }));
      events.push(ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"city": ' } }));
      events.push(ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }));
      events.push(ev('content_block_stop', { index: 1 }));
    } else {
      for (const text of ANTHROPIC_TEXT) events.push(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }));
      events.push(ev('content_block_stop', { index: 0 }));
    }
    events.push(ev('message_delta', { delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: ANTHROPIC_USAGE.output_tokens } }));
    events.push(ev('message_stop', {}));
    this.writeSse(res, events, cutAfter);
  }
}
