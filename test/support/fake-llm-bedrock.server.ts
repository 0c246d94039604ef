import { IncomingMessage, ServerResponse } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { encodeEventStreamMessage } from '@tollgate/providers';
import { FakeLlmServer, ReceivedRequest } from './fake-llm-base.server';

export const BEDROCK_USAGE = { inputTokens: 30, outputTokens: 7, totalTokens: 37, cacheReadInputTokens: 10, cacheWriteInputTokens: 0 };
export const BEDROCK_TEXT = ['Hello', ' from', ' Bedrock'];

/**
 * Bedrock runtime Converse (`POST /model/{id}/converse`) and ConverseStream (`/converse-stream`, binary
 * `application/vnd.amazon.eventstream`). Checks the SigV4 signature by signing the received request again with the
 * same date and comparing.
 */
export class FakeBedrockServer extends FakeLlmServer {
  constructor(private readonly secretAccessKey: string) {
    super();
  }

  protected handle(request: ReceivedRequest, req: IncomingMessage, res: ServerResponse, cutAfter?: number): void {
    void this.verify(request, req).then((ok) => {
      if (!ok) return this.json(res, 403, { message: 'The request signature we calculated does not match the signature you provided.' });
      const match = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(req.url ?? '');
      if (!match) return this.json(res, 404, { message: 'not found' });
      const tool = request.body?.toolConfig?.tools?.[0]?.toolSpec;
      if (match[2] === 'converse') {
        const content = tool ? [{ toolUse: { toolUseId: 'tooluse_1', name: tool.name, input: { city: 'Paris' } } }] : [{ text: BEDROCK_TEXT.join('') }];
        return this.json(res, 200, { output: { message: { role: 'assistant', content } }, stopReason: tool ? 'tool_use' : 'end_turn', usage: BEDROCK_USAGE, metrics: { latencyMs: 12 } });
      }
      const frame = (event: string, payload: object) => encodeEventStreamMessage({ ':event-type': event, ':content-type': 'application/json', ':message-type': 'event' }, Buffer.from(JSON.stringify(payload)));
      const frames = [frame('messageStart', { role: 'assistant' })];
      if (tool) {
        frames.push(frame('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'tooluse_1', name: tool.name } } }));
        frames.push(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{"city":' } } }));
        frames.push(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '"Paris"}' } } }));
      } else {
        for (const text of BEDROCK_TEXT) frames.push(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text } }));
      }
      frames.push(frame('contentBlockStop', { contentBlockIndex: 0 }));
      frames.push(frame('messageStop', { stopReason: tool ? 'tool_use' : 'end_turn' }));
      frames.push(frame('metadata', { usage: BEDROCK_USAGE, metrics: { latencyMs: 12 } }));
      res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
      // Split frames across writes at odd offsets, as TCP does.
      const all = Buffer.concat(cutAfter === undefined ? frames : frames.slice(0, cutAfter));
      for (let at = 0; at < all.length; at += 37) res.write(all.subarray(at, at + 37));
      if (cutAfter !== undefined) setImmediate(() => res.socket?.destroy());
      else res.end();
    });
  }

  private async verify(request: ReceivedRequest, req: IncomingMessage): Promise<boolean> {
    const auth = String(request.headers.authorization ?? '');
    const credential = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/bedrock\/aws4_request/.exec(auth);
    const amzDate = String(request.headers['x-amz-date'] ?? '');
    if (!credential || !amzDate) return false;
    const signer = new SignatureV4({ service: 'bedrock', region: credential[3], sha256: Sha256, credentials: { accessKeyId: credential[1], secretAccessKey: this.secretAccessKey } });
    const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: '127.0.0.1',
        path: req.url ?? '/',
        headers: { host: String(request.headers.host), 'content-type': String(request.headers['content-type']), accept: String(request.headers.accept) },
        body: JSON.stringify(request.body),
      },
      { signingDate: date },
    );
    return signed.headers.authorization === auth;
  }
}
