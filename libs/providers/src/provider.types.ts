import type { TokenUsage } from '@tollgate/pricing';

/** Provider kinds, as stored in `tollgate.providers.kind`. */
export type ProviderKind = 'openai' | 'azure_openai' | 'anthropic' | 'gemini' | 'vertex' | 'bedrock' | 'openai_compatible';

export const PROVIDER_KINDS: readonly ProviderKind[] = ['openai', 'azure_openai', 'anthropic', 'gemini', 'vertex', 'bedrock', 'openai_compatible'];

/** Decrypted credentials of one provider. Never logged, never serialised into telemetry. */
export interface ProviderCredentials {
  /** OpenAI / Anthropic / Gemini AI Studio / Azure `api-key` / self-hosted bearer. */
  apiKey?: string;
  /** OAuth bearer (Vertex AI, Azure Entra ID). */
  bearerToken?: string;
  /** AWS (Bedrock). */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

/**
 * One routable model deployment with everything needed to call it: the provider's connection data and the
 * deployment's upstream model name. Built by the catalogue from `tollgate.providers` + `tollgate.model_deployments`.
 */
export interface ProviderTarget {
  deploymentId: string;
  providerId: string;
  /** Provider row name, e.g. `openai-main`; goes into `x-tollgate-route`. */
  providerName: string;
  kind: ProviderKind;
  /** Base URL without trailing slash, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  settings: ProviderSettings;
  credentials: ProviderCredentials;
  /** Model name clients ask for. */
  model: string;
  /** Model (or Azure deployment / Bedrock model id) sent upstream. */
  upstreamModel: string;
  providerAccount: string;
  region: string;
  gpuPool: string | null;
  /**
   * When the deployment was created, UTC ISO-8601 to the microsecond (`2026-01-02T03:04:05.123456Z`): fixed width,
   * so comparing the strings compares the instants. Routing orders a model's deployments by it.
   */
  createdAt: string;
}

/** Per-kind settings stored in `providers.settings` (jsonb). */
export interface ProviderSettings {
  /** Azure OpenAI `api-version` query parameter. */
  apiVersion?: string;
  /** Azure: send `Authorization: Bearer` instead of `api-key`. */
  authMode?: 'api-key' | 'bearer';
  /** Vertex AI project and location. */
  project?: string;
  location?: string;
  /** Bedrock region (SigV4 signing region). */
  region?: string;
  /** Anthropic `anthropic-version` header. */
  anthropicVersion?: string;
  /** Whether an OpenAI-compatible server honours `stream_options.include_usage` (vLLM does, TGI does not). */
  streamUsage?: boolean;
}

/** An HTTP request to send upstream (built by an adapter, sent by the gateway's pools). */
export interface UpstreamRequest {
  /** `scheme://host:port`, the key of the keep-alive pool. */
  origin: string;
  /** Path plus query string. */
  path: string;
  headers: Record<string, string>;
  /** A Buffer when the client's bytes are forwarded unchanged. */
  body: string | Buffer;
}

/** What the gateway asks an adapter to produce for a chat completion. */
export interface ChatCallOptions {
  stream: boolean;
  /** OpenAI-style streams: ask upstream for the usage chunk (always true from the gateway). */
  upstreamUsage: boolean;
  /** The client's request bytes: same-format adapters forward them as they are when nothing needs changing. */
  rawBody?: Buffer;
}

/** Result of translating a complete (non-streamed) upstream response. */
export interface TranslatedResponse {
  /** Body for the client in the format it asked for; `undefined` means forward the upstream bytes unchanged. */
  body?: string;
  /** Usage normalised to pricing's TokenUsage convention, every count present (null when the provider reported none). */
  usage: Required<TokenUsage> | null;
  /** Model the provider reports it served. */
  servedModel?: string;
  /** Text produced, used to estimate tokens when `usage` is null. */
  outputText?: string;
}

/** An error from upstream in OpenAI's error shape. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/**
 * Incremental translation of an upstream stream into the client's stream format. `push` returns bytes to write
 * to the client now (possibly empty); `end` returns the final bytes. Usage becomes known as the stream goes.
 */
export interface StreamTranslator {
  push(chunk: Buffer): string | Buffer;
  end(): string | Buffer;
  readonly usage: Required<TokenUsage> | null;
  /** Generated text so far (for estimating tokens when the provider reports none). */
  readonly outputText: string;
  /** The stream reached its terminal event (false for cut-off streams). */
  readonly completed: boolean;
  /** An error event inside the stream (after a 200), with a class for telemetry. */
  readonly streamError: string | null;
  readonly servedModel?: string;
}

export interface StreamContext {
  requestId: string;
  /** The client asked for `stream_options.include_usage`; otherwise the usage chunk is stripped. */
  clientWantsUsage: boolean;
  created: number;
}

/** One adapter per provider wire format, all behind this interface. */
export interface ProviderAdapter {
  readonly kinds: readonly ProviderKind[];
  /** Builds the upstream call for an OpenAI chat completion request. Async because Bedrock signs the request. */
  chatRequest(target: ProviderTarget, body: ChatCompletionRequest, options: ChatCallOptions): Promise<UpstreamRequest> | UpstreamRequest;
  chatResponse(target: ProviderTarget, upstreamBody: Buffer, context: StreamContext): TranslatedResponse;
  chatStream(target: ProviderTarget, context: StreamContext): StreamTranslator;
  /** Translates an upstream error body into OpenAI's error format. */
  errorBody(status: number, upstreamBody: Buffer): OpenAiErrorBody;
  embeddingsRequest?(target: ProviderTarget, body: Record<string, unknown>): Promise<UpstreamRequest> | UpstreamRequest;
  embeddingsResponse?(target: ProviderTarget, upstreamBody: Buffer): TranslatedResponse;
}

/** The subset of OpenAI's chat completion request the adapters read; everything else passes through or is dropped. */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  n?: number;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  tools?: ChatTool[];
  tool_choice?: 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
  parallel_tool_calls?: boolean;
  response_format?: { type: 'text' | 'json_object' | 'json_schema'; json_schema?: { name?: string; schema?: unknown } };
  user?: string;
  [key: string]: unknown;
}

export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }
  | { type: string; [key: string]: unknown };

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';
  content?: string | ChatContentPart[] | null;
  name?: string;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}
