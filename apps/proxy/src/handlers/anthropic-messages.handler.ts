import { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyContext } from '../pipeline/proxy.context';
import { ProxyHttpError } from '../pipeline/proxy-errors';
import { guard, runOperation } from '../pipeline/operation.runner';
import { Operation } from '../pipeline/proxy.operation';
import { authenticate, beginScope, parseBody, readBody } from '../pipeline/request.reader';

/** Headers of the caller's request that Anthropic defines and the upstream must see (beta features, version). */
const FORWARDED = ['anthropic-version', 'anthropic-beta'];

/**
 * `POST /v1/messages`: Anthropic's native Messages API passed through in its own format (request and response
 * bytes unchanged but for the model name), to Anthropic deployments; usage is read on the way.
 */
export function handleAnthropicMessages(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, startedAt: number): Promise<void> {
  return guard(ctx, res, async (setScope) => {
    const authenticated = authenticate(ctx, req);
    const key = authenticated instanceof Promise ? await authenticated : authenticated;
    const raw = await readBody(req, ctx.maxBodyBytes);
    const body = parseBody(raw);
    if (!Array.isArray(body.messages)) throw new ProxyHttpError(400, 'messages: must be an array', 'invalid_request_error', 'invalid_value', 'messages');
    const scope = beginScope(ctx, req, key, body, startedAt);
    setScope(scope);
    const stream = body.stream === true;
    const anthropic = ctx.adapters.anthropic;
    const extra: Record<string, string> = {};
    for (const name of FORWARDED) {
      const value = req.headers[name];
      if (typeof value === 'string') extra[name] = value;
    }
    const op: Operation = {
      endpoint: 'messages',
      stream,
      clientWantsUsage: true,
      supports: (t) => t.kind === 'anthropic',
      build: (t) => anthropic.messagesRequest(t, t.upstreamModel === body.model ? raw : JSON.stringify({ ...body, model: t.upstreamModel }), extra),
      complete: (_t, b) => anthropic.nativeResponse(b),
      streamer: () => anthropic.nativeStream(),
      // Native callers get Anthropic's own error body.
      errorBody: (_t, _status, b) => b.toString('utf8'),
      estimatePromptTokens: () => ctx.estimator.countChatPrompt([...(typeof body.system === 'string' ? [{ role: 'system', content: body.system }] : []), ...(body.messages as unknown[])]),
    };
    await runOperation(ctx, req, res, op, scope);
  });
}
