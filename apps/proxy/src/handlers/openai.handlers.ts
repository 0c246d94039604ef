import { IncomingMessage, ServerResponse } from 'node:http';
import { ChatCompletionRequest, ProviderTarget, SseParser, openAiUsage, parseJson } from '@tollgate/providers';
import { ProxyContext } from '../pipeline/proxy.context';
import { ProxyHttpError } from '../pipeline/proxy-errors';
import { guard, runOperation } from '../pipeline/operation.runner';
import { Operation } from '../pipeline/proxy.operation';
import { authenticate, beginScope, parseBody, readBody } from '../pipeline/request.reader';

function validateChat(body: Record<string, unknown>): ChatCompletionRequest {
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw new ProxyHttpError(400, 'messages: must be a non-empty array', 'invalid_request_error', 'invalid_value', 'messages');
  }
  if (body.n !== undefined && (!Number.isInteger(body.n) || (body.n as number) < 1 || (body.n as number) > 128)) {
    throw new ProxyHttpError(400, 'n: must be an integer between 1 and 128', 'invalid_request_error', 'invalid_value', 'n');
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') {
    throw new ProxyHttpError(400, 'stream: must be a boolean', 'invalid_request_error', 'invalid_value', 'stream');
  }
  return body as ChatCompletionRequest;
}

/** `POST /v1/chat/completions`: any provider, translated to and from OpenAI's format (streaming included). */
export function handleChatCompletions(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, startedAt: number): Promise<void> {
  return guard(ctx, res, async (setScope) => {
    const authenticated = authenticate(ctx, req);
    const key = authenticated instanceof Promise ? await authenticated : authenticated;
    const raw = await readBody(req, ctx.maxBodyBytes);
    const body = validateChat(parseBody(raw));
    const scope = beginScope(ctx, req, key, body, startedAt);
    setScope(scope);
    const stream = body.stream === true;
    const op: Operation = {
      endpoint: 'chat',
      stream,
      clientWantsUsage: body.stream_options?.include_usage === true,
      supports: (t) => ctx.adapters.for(t.kind) !== undefined,
      build: (t) => ctx.adapters.for(t.kind)!.chatRequest(t, body, { stream, upstreamUsage: true, rawBody: raw }),
      complete: (t, b, c) => ctx.adapters.for(t.kind)!.chatResponse(t, b, c),
      streamer: (t, c) => ctx.adapters.for(t.kind)!.chatStream(t, c),
      errorBody: (t, status, b) => JSON.stringify(ctx.adapters.for(t.kind)!.errorBody(status, b)),
      estimatePromptTokens: () => ctx.estimator.countChatPrompt(body.messages),
    };
    await runOperation(ctx, req, res, op, scope);
  });
}

const OPENAI_WIRE = (t: ProviderTarget) => t.kind === 'openai' || t.kind === 'azure_openai' || t.kind === 'openai_compatible';

/** `POST /v1/embeddings`: OpenAI-format providers (OpenAI, Azure, self-hosted). */
export function handleEmbeddings(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, startedAt: number): Promise<void> {
  return guard(ctx, res, async (setScope) => {
    const authenticated = authenticate(ctx, req);
    const key = authenticated instanceof Promise ? await authenticated : authenticated;
    const body = parseBody(await readBody(req, ctx.maxBodyBytes));
    if (body.input === undefined) throw new ProxyHttpError(400, 'input: required', 'invalid_request_error', 'invalid_value', 'input');
    const scope = beginScope(ctx, req, key, body, startedAt);
    setScope(scope);
    const openai = ctx.adapters.openai;
    const op: Operation = {
      endpoint: 'embeddings',
      stream: false,
      clientWantsUsage: false,
      supports: OPENAI_WIRE,
      build: (t) => openai.embeddingsRequest(t, body),
      complete: (t, b) => openai.embeddingsResponse(t, b),
      streamer: () => {
        throw new Error('embeddings do not stream');
      },
      errorBody: (_t, status, b) => JSON.stringify(openai.errorBody(status, b)),
      estimatePromptTokens: () => ctx.estimator.countInput(body.input),
    };
    await runOperation(ctx, req, res, op, scope);
  });
}

/**
 * `POST /v1/responses`: OpenAI's Responses API, forwarded to OpenAI or Azure OpenAI (the providers that serve it);
 * usage is read from the response, or from the `response.completed` event of a stream.
 */
export function handleResponses(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, startedAt: number): Promise<void> {
  return guard(ctx, res, async (setScope) => {
    const authenticated = authenticate(ctx, req);
    const key = authenticated instanceof Promise ? await authenticated : authenticated;
    const body = parseBody(await readBody(req, ctx.maxBodyBytes));
    if (body.input === undefined) throw new ProxyHttpError(400, 'input: required', 'invalid_request_error', 'invalid_value', 'input');
    const scope = beginScope(ctx, req, key, body, startedAt);
    setScope(scope);
    const stream = body.stream === true;
    const openai = ctx.adapters.openai;
    const op: Operation = {
      endpoint: 'responses',
      stream,
      clientWantsUsage: true,
      supports: (t) => t.kind === 'openai' || t.kind === 'azure_openai',
      build: (t) => openai.request(t, 'responses', JSON.stringify({ ...body, model: t.upstreamModel })),
      complete: (_t, b) => {
        const parsed = parseJson(b) as { model?: string; usage?: Parameters<typeof openAiUsage>[0]; output_text?: string } | undefined;
        return { usage: openAiUsage(parsed?.usage), servedModel: parsed?.model };
      },
      streamer: () => new ResponsesStreamObserver(),
      errorBody: (_t, status, b) => JSON.stringify(openai.errorBody(status, b)),
      estimatePromptTokens: () => (typeof body.input === 'string' ? ctx.estimator.count(body.input) : ctx.estimator.countChatPrompt(body.input)),
    };
    await runOperation(ctx, req, res, op, scope);
  });
}

/** Forwards a Responses API stream unchanged; reads usage and the model from its terminal event. */
class ResponsesStreamObserver {
  private readonly parser = new SseParser();
  usage: ReturnType<typeof openAiUsage> = null;
  completed = false;
  streamError: string | null = null;
  servedModel?: string;
  outputText = '';

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
      if (name === 'response.output_text.delta') {
        const delta = (parseJson(event.data) as { delta?: string } | undefined)?.delta;
        if (delta) this.outputText += delta;
      } else if (name === 'response.completed' || name === 'response.incomplete' || name === 'response.failed') {
        const data = parseJson(event.data) as { response?: { usage?: Parameters<typeof openAiUsage>[0]; model?: string; error?: { code?: string } } } | undefined;
        this.usage = openAiUsage(data?.response?.usage);
        this.servedModel = data?.response?.model;
        this.completed = true;
        if (name === 'response.failed') this.streamError = data?.response?.error?.code ?? 'response_failed';
      } else if (name === 'error') {
        this.streamError = (parseJson(event.data) as { code?: string } | undefined)?.code ?? 'stream_error';
      }
    }
  }
}

/** `GET /v1/models`: the models this virtual key may use, in OpenAI's list format. */
export function handleModels(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return guard(ctx, res, async () => {
    const authenticated = authenticate(ctx, req);
    const key = authenticated instanceof Promise ? await authenticated : authenticated;
    const models = ctx.catalogue.listModels().filter((m) => !key.allowedModels || key.allowedModels.includes(m));
    const data = models.map((id) => ({ id, object: 'model', created: 0, owned_by: ctx.routes.firstChoice(id)?.providerName ?? 'tollgate' }));
    const body = JSON.stringify({ object: 'list', data });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}
