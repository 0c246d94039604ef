import { IncomingMessage, ServerResponse } from 'node:http';
import { FakeLlmServer, ReceivedRequest } from './fake-llm-base.server';

/** Gemini reports cached tokens inside promptTokenCount and thoughts apart from candidates. */
export const GEMINI_USAGE = { promptTokenCount: 40, candidatesTokenCount: 6, thoughtsTokenCount: 14, cachedContentTokenCount: 16, totalTokenCount: 60 };
export const GEMINI_TEXT = ['Bonjour', ' de', ' Gemini'];

/** Gemini API (AI Studio `v1beta/models/{m}:generateContent`, Vertex `v1/projects/…/models/{m}:…`) incl. `alt=sse` streams. */
export class FakeGeminiServer extends FakeLlmServer {
  protected handle(request: ReceivedRequest, req: IncomingMessage, res: ServerResponse, cutAfter?: number): void {
    const vertex = request.path.startsWith('/v1/projects/');
    if (vertex ? !request.headers.authorization?.startsWith('Bearer ') : !request.headers['x-goog-api-key']) {
      return this.json(res, 401, { error: { code: 401, message: 'API key not valid', status: 'UNAUTHENTICATED' } });
    }
    const match = /models\/([^:]+):(generateContent|streamGenerateContent)$/.exec(request.path);
    if (!match) return this.json(res, 404, { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } });
    const body = request.body ?? {};
    const tool = body.tools?.[0]?.functionDeclarations?.[0];
    const base = { modelVersion: `${decodeURIComponent(match[1])}-001`, responseId: 'gem-resp-1' };
    if (match[2] === 'generateContent') {
      const parts = tool ? [{ functionCall: { name: tool.name, args: { city: 'Paris' } } }] : [{ text: 'thinking…', thought: true }, { text: GEMINI_TEXT.join('') }];
      return this.json(res, 200, { ...base, candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }], usageMetadata: GEMINI_USAGE });
    }
    if (!(req.url ?? '').includes('alt=sse')) return this.json(res, 400, { error: { code: 400, message: 'expected alt=sse', status: 'INVALID_ARGUMENT' } });
    const events = GEMINI_TEXT.map(
      (text, i) =>
        `data: ${JSON.stringify({ ...base, candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0, ...(i === GEMINI_TEXT.length - 1 ? { finishReason: 'STOP' } : {}) }], usageMetadata: i === GEMINI_TEXT.length - 1 ? GEMINI_USAGE : { promptTokenCount: 40 } })}\r\n\r\n`,
    );
    this.writeSse(res, events, cutAfter);
  }
}
