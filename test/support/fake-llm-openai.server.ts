import { IncomingMessage, ServerResponse } from 'node:http';
import { FakeLlmServer, ReceivedRequest } from './fake-llm-base.server';

/** Usage every chat answer reports (OpenAI counts cached tokens inside prompt_tokens). */
export const OPENAI_USAGE = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17, prompt_tokens_details: { cached_tokens: 4, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 } };
export const OPENAI_TEXT = ['Hello', ' from', ' fake', ' OpenAI'];

/**
 * OpenAI's documented wire format: chat completions (tools, JSON mode, n choices, SSE chunks with the optional
 * usage chunk), embeddings and the Responses API (with its named SSE events). `noUsage` imitates servers that
 * report no usage (TGI and friends).
 */
export class FakeOpenAiServer extends FakeLlmServer {
  noUsage = false;

  protected handle(request: ReceivedRequest, _req: IncomingMessage, res: ServerResponse, cutAfter?: number): void {
    const body = request.body ?? {};
    const auth = request.headers.authorization ?? request.headers['api-key'];
    if (!auth) return this.json(res, 401, { error: { message: 'No API key provided', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    // Azure names the deployment in the path and reports the model it runs.
    if (request.path.includes('/openai/deployments/')) body.model = 'gpt-4o-mini';
    if (request.path.endsWith('/chat/completions')) return this.chat(body, res, cutAfter);
    if (request.path.endsWith('/embeddings')) {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      return this.json(res, 200, {
        object: 'list',
        data: inputs.map((_: unknown, index: number) => ({ object: 'embedding', index, embedding: [0.1, -0.2, 0.3] })),
        model: body.model,
        usage: { prompt_tokens: 8, total_tokens: 8 },
      });
    }
    if (request.path.endsWith('/responses')) return this.responses(body, res, cutAfter);
    this.json(res, 404, { error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } });
  }

  private chat(body: any, res: ServerResponse, cutAfter?: number): void {
    const id = 'chatcmpl-fake123';
    const created = 1_760_000_000;
    const model = `${body.model}-2024-07-18`;
    const toolCall = body.tools?.length && body.tool_choice !== 'none';
    const n = body.n ?? 1;
    const content = body.response_format?.type === 'json_object' ? '{"ok":true}' : OPENAI_TEXT.join('');
    if (!body.stream) {
      return this.json(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: Array.from({ length: n }, (_, index) => ({
          index,
          message: toolCall
            ? { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: body.tools[0].function.name, arguments: '{"city":"Paris"}' } }] }
            : { role: 'assistant', content, refusal: null },
          logprobs: null,
          finish_reason: toolCall ? 'tool_calls' : 'stop',
        })),
        usage: this.noUsage ? undefined : OPENAI_USAGE,
        system_fingerprint: 'fp_fake',
      });
    }
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices, ...(body.stream_options?.include_usage ? { usage: null } : {}), ...extra })}\n\n`;
    const events: string[] = [];
    for (let index = 0; index < n; index++) events.push(chunk([{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
    if (toolCall) {
      events.push(chunk([{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: body.tools[0].function.name, arguments: '' } }] }, logprobs: null, finish_reason: null }]));
      events.push(chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":"Paris"}' } }] }, logprobs: null, finish_reason: null }]));
    } else {
      for (const piece of OPENAI_TEXT) for (let index = 0; index < n; index++) events.push(chunk([{ index, delta: { content: piece }, logprobs: null, finish_reason: null }]));
    }
    for (let index = 0; index < n; index++) events.push(chunk([{ index, delta: {}, logprobs: null, finish_reason: toolCall ? 'tool_calls' : 'stop' }]));
    if (body.stream_options?.include_usage && !this.noUsage) events.push(chunk([], { usage: OPENAI_USAGE }));
    events.push('data: [DONE]\n\n');
    this.writeSse(res, events, cutAfter);
  }

  private responses(body: any, res: ServerResponse, cutAfter?: number): void {
    const response = {
      id: 'resp_fake1',
      object: 'response',
      created_at: 1_760_000_000,
      status: 'completed',
      model: `${body.model}-2024-07-18`,
      output: [{ type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: OPENAI_TEXT.join(''), annotations: [] }] }],
      usage: { input_tokens: 9, input_tokens_details: { cached_tokens: 0 }, output_tokens: 4, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 13 },
    };
    if (!body.stream) return this.json(res, 200, response);
    const ev = (type: string, data: Record<string, unknown>, seq: number) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq, ...data })}\n\n`;
    const events = [ev('response.created', { response: { ...response, status: 'in_progress', output: [], usage: null } }, 0)];
    OPENAI_TEXT.forEach((delta, i) => events.push(ev('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta }, i + 1)));
    events.push(ev('response.completed', { response }, OPENAI_TEXT.length + 1));
    this.writeSse(res, events, cutAfter);
  }
}
