import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '@tollgate/core';
import { SseParser } from '../wire/sse.parser';
import { EventStreamDecoder, encodeEventStreamMessage } from '../wire/event-stream.decoder';
import { toAnthropicRequest } from './anthropic-request.translator';
import { anthropicUsage } from './anthropic-response.translator';
import { geminiUsage, toGeminiRequest } from './gemini.adapter';
import { bedrockUsage } from './bedrock.adapter';
import { OpenAiAdapter, OpenAiStreamPassthrough } from './openai.adapter';

describe('wire decoding', () => {
  it('SSE parser yields the same events however the bytes are split (CRLF, multi-byte UTF-8)', () => {
    const text = 'event: a\r\ndata: {"t":"héllo 👋"}\r\n\r\n: comment\n\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';
    const bytes = Buffer.from(text, 'utf8');
    const whole = new SseParser().push(bytes).map((e) => [e.event, e.data]);
    assert.deepEqual(whole, [['a', '{"t":"héllo 👋"}'], ['', 'line1\nline2'], ['', '[DONE]']]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.push(bytes.subarray(0, cut)), ...parser.push(bytes.subarray(cut)), ...parser.end()];
      assert.deepEqual(events.map((e) => [e.event, e.data]), whole, `split at byte ${cut}`);
    }
  });

  it('event-stream decoder reassembles frames split anywhere and rejects a corrupt one', () => {
    const frames = Buffer.concat([
      encodeEventStreamMessage({ ':event-type': 'contentBlockDelta', ':message-type': 'event' }, Buffer.from('{"delta":{"text":"Hi"}}')),
      encodeEventStreamMessage({ ':event-type': 'metadata', ':message-type': 'event' }, Buffer.from('{"usage":{"inputTokens":3}}')),
    ]);
    for (let cut = 1; cut < frames.length; cut++) {
      const decoder = new EventStreamDecoder();
      const messages = [...decoder.push(frames.subarray(0, cut)), ...decoder.push(frames.subarray(cut))];
      assert.deepEqual(messages.map((m) => [m.headers[':event-type'], m.payload.toString()]), [
        ['contentBlockDelta', '{"delta":{"text":"Hi"}}'],
        ['metadata', '{"usage":{"inputTokens":3}}'],
      ]);
    }
    const corrupt = Buffer.from(frames);
    corrupt[20] ^= 0xff;
    assert.throws(() => new EventStreamDecoder().push(corrupt), /CRC/);
  });
});

describe('translation', () => {
  it('OpenAI tool turns become Anthropic tool_use / tool_result blocks in alternating roles', () => {
    const out = toAnthropicRequest(
      {
        model: 'x',
        messages: [
          { role: 'system', content: 'sys' },
          { role: 'user', content: 'weather in Paris and Rome?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'w', arguments: '{"city":"Paris"}' } },
              { id: 'c2', type: 'function', function: { name: 'w', arguments: '{"city":"Rome"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: '20C' },
          { role: 'tool', tool_call_id: 'c2', content: '25C' },
        ],
        tool_choice: 'required',
        tools: [{ type: 'function', function: { name: 'w', parameters: { type: 'object' } } }],
        stop: 'END',
      },
      'claude',
      false,
    ) as any;
    assert.equal(out.system, 'sys');
    assert.deepEqual(out.messages.map((m: any) => m.role), ['user', 'assistant', 'user']);
    assert.deepEqual(out.messages[1].content.map((b: any) => [b.type, b.id, b.input?.city]), [['tool_use', 'c1', 'Paris'], ['tool_use', 'c2', 'Rome']]);
    assert.deepEqual(out.messages[2].content, [{ type: 'tool_result', tool_use_id: 'c1', content: '20C' }, { type: 'tool_result', tool_use_id: 'c2', content: '25C' }]);
    assert.deepEqual([out.tool_choice, out.stop_sequences, out.max_tokens], [{ type: 'any' }, ['END'], 4096]);
    assert.throws(() => toAnthropicRequest({ model: 'x', messages: [{ role: 'user', content: 'hi' }], n: 2 }, 'claude', false), (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'n');
  });

  it('OpenAI tool results become Gemini functionResponse parts named after their call', () => {
    const out = toGeminiRequest({
      model: 'g',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '{"answer":42}' },
      ],
      response_format: { type: 'json_object' },
      n: 2,
    }) as any;
    assert.deepEqual(out.contents[1], { role: 'model', parts: [{ functionCall: { name: 'lookup', args: { q: 1 } } }] });
    assert.deepEqual(out.contents[2], { role: 'user', parts: [{ functionResponse: { name: 'lookup', response: { answer: 42 } } }] });
    assert.deepEqual(out.generationConfig, { candidateCount: 2, responseMimeType: 'application/json' });
  });

  it('normalises usage to the pricing convention (input includes cache, output includes reasoning)', () => {
    assert.deepEqual(anthropicUsage({ input_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20, cache_creation: { ephemeral_1h_input_tokens: 15, ephemeral_5m_input_tokens: 5 }, output_tokens: 7 }), { input_tokens: 125, cached_input_tokens: 100, cache_write_tokens: 20, cache_write_1h_tokens: 15, output_tokens: 7, reasoning_tokens: 0, audio_input_tokens: 0, audio_output_tokens: 0, image_tokens: 0 });
    assert.deepEqual(geminiUsage({ promptTokenCount: 50, cachedContentTokenCount: 30, candidatesTokenCount: 10, thoughtsTokenCount: 40 }), { input_tokens: 50, cached_input_tokens: 30, cache_write_tokens: 0, cache_write_1h_tokens: 0, output_tokens: 50, reasoning_tokens: 40, audio_input_tokens: 0, audio_output_tokens: 0, image_tokens: 0 });
    assert.deepEqual(bedrockUsage({ inputTokens: 10, cacheReadInputTokens: 5, cacheWriteInputTokens: 2, outputTokens: 3 }), { input_tokens: 17, cached_input_tokens: 5, cache_write_tokens: 2, cache_write_1h_tokens: 0, output_tokens: 3, reasoning_tokens: 0, audio_input_tokens: 0, audio_output_tokens: 0, image_tokens: 0 });
  });

  it('strips the usage-only chunk the client did not ask for, keeping everything else byte for byte', () => {
    const content = 'data: {"id":"1","choices":[{"index":0,"delta":{"content":"Hi"}}],"usage":null}\n\n';
    const usage = 'data: {"id":"1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\n';
    const passthrough = new OpenAiStreamPassthrough(false);
    const out = passthrough.push(Buffer.from(content + usage + 'data: [DONE]\n\n')) + passthrough.end();
    assert.equal(out, content + 'data: [DONE]\n\n');
    assert.deepEqual([passthrough.usage?.input_tokens, passthrough.usage?.output_tokens, passthrough.completed], [3, 1, true]);
  });

  it('reads usage from the tail of a forwarded OpenAI body, not from look-alikes inside the content', () => {
    const adapter = new OpenAiAdapter();
    const body = JSON.stringify({
      id: 'x',
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, message: { role: 'assistant', content: '{"usage": {"prompt_tokens": 999}}' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 4 } },
    });
    const out = adapter.chatResponse({} as never, Buffer.from(body));
    assert.deepEqual([out.usage?.input_tokens, out.usage?.cached_input_tokens, out.usage?.output_tokens, out.servedModel, out.body], [12, 4, 5, 'gpt-4o-mini-2024-07-18', undefined]);
    const none = adapter.chatResponse({} as never, Buffer.from(JSON.stringify({ model: 'm', choices: [{ message: { content: 'say "usage" {' } }] })));
    assert.deepEqual([none.usage, none.outputText], [null, 'say "usage" {']);
  });
});
