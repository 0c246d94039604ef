import { z } from 'zod';
import { parseOrThrow } from '@tollgate/core';

/**
 * Token counts of one request, in Tollgate's convention (the same one `@pydantic/genai-prices` uses): the one shape
 * from the provider adapters through the proxy and the telemetry event to the `llm_requests` row, whose fields and
 * columns carry these very names. Every count is a non-negative integer. Two totals, everything else is a subset of
 * one of them:
 *
 * - `input_tokens`: ALL prompt tokens — uncached + cache reads + cache writes, all modalities.
 *   (OpenAI `prompt_tokens` already is this. Anthropic's `input_tokens` is NOT: it excludes cache reads and writes,
 *   so an adapter must send `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`.)
 *   - `cached_input_tokens` ⊂ input: tokens read from the prompt cache (OpenAI `prompt_tokens_details.cached_tokens`,
 *     Anthropic `cache_read_input_tokens`, Gemini `cachedContentTokenCount`).
 *   - `cache_write_tokens` ⊂ input: tokens written to the cache (Anthropic `cache_creation_input_tokens`).
 *     - `cache_write_1h_tokens` ⊂ cache_write: written with the 1-hour TTL (Anthropic
 *       `cache_creation.ephemeral_1h_input_tokens`). The rest of cache_write is priced as 5-minute writes; pricing
 *       derives that share itself (price-table.ts), so no one else carries it.
 *   - `audio_input_tokens` ⊂ input, `image_tokens` ⊂ input: input tokens of those modalities.
 * - `output_tokens`: ALL completion tokens, reasoning and audio included (OpenAI `completion_tokens`, Anthropic
 *   `output_tokens`; Gemini reports thoughts apart: send `candidatesTokenCount + thoughtsTokenCount`).
 *   - `reasoning_tokens` ⊂ output (OpenAI `completion_tokens_details.reasoning_tokens`, Gemini `thoughtsTokenCount`).
 *   - `audio_output_tokens` ⊂ output.
 *
 * Cached tokens are assumed to be text (no usage field reports cached audio/image separately).
 */
export interface TokenUsage {
  input_tokens: number;
  cached_input_tokens?: number;
  cache_write_tokens?: number;
  cache_write_1h_tokens?: number;
  output_tokens: number;
  reasoning_tokens?: number;
  audio_input_tokens?: number;
  audio_output_tokens?: number;
  image_tokens?: number;
}

/** The fields of `TokenUsage`, in the order of the `llm_requests` columns (wire schemas and row readers list them from here). */
export const TOKEN_USAGE_FIELDS = [
  'input_tokens',
  'cached_input_tokens',
  'cache_write_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'reasoning_tokens',
  'audio_input_tokens',
  'audio_output_tokens',
  'image_tokens',
] as const satisfies ReadonlyArray<keyof TokenUsage>;
export type TokenUsageField = (typeof TOKEN_USAGE_FIELDS)[number];
// Fails to compile when TokenUsage gains a field the list lacks.
type Unlisted<T extends never> = T;
type UnlistedTokenUsageFields = Unlisted<Exclude<keyof TokenUsage, TokenUsageField>>;

/**
 * A usage with every count present and zero: the one object an adapter fills in (all nine fields, in one order, so
 * every usage the proxy carries has the same shape).
 */
export function emptyTokenUsage(): Required<TokenUsage> {
  return {
    input_tokens: 0,
    cached_input_tokens: 0,
    cache_write_tokens: 0,
    cache_write_1h_tokens: 0,
    output_tokens: 0,
    reasoning_tokens: 0,
    audio_input_tokens: 0,
    audio_output_tokens: 0,
    image_tokens: 0,
  };
}

const count = z.number().int('must be an integer').nonnegative('must be >= 0').max(Number.MAX_SAFE_INTEGER);

/** Zod schema of `TokenUsage`, with the subset rules checked (each problem names its field). */
export const tokenUsageSchema = z
  .object({
    input_tokens: count,
    cached_input_tokens: count.optional(),
    cache_write_tokens: count.optional(),
    cache_write_1h_tokens: count.optional(),
    output_tokens: count,
    reasoning_tokens: count.optional(),
    audio_input_tokens: count.optional(),
    audio_output_tokens: count.optional(),
    image_tokens: count.optional(),
  })
  .superRefine((u, ctx) => {
    for (const problem of usageProblems(u)) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.reason });
  });

/** Subset rules of the convention above; an empty list means the usage is consistent. */
export function usageProblems(u: TokenUsage): Array<{ field: string; reason: string }> {
  const problems: Array<{ field: string; reason: string }> = [];
  const v = (n: number | undefined) => n ?? 0;
  const within = (field: keyof TokenUsage, total: keyof TokenUsage) => {
    if (v(u[field]) > v(u[total])) problems.push({ field, reason: `${v(u[field])} exceeds ${total} (${v(u[total])}); ${field} is a subset of ${total}` });
  };
  if (v(u.cached_input_tokens) + v(u.cache_write_tokens) > u.input_tokens) {
    problems.push({
      field: 'input_tokens',
      reason: `cached_input_tokens + cache_write_tokens (${v(u.cached_input_tokens) + v(u.cache_write_tokens)}) exceed input_tokens (${u.input_tokens}); input_tokens must include cache reads and writes`,
    });
  }
  within('cache_write_1h_tokens', 'cache_write_tokens');
  within('audio_input_tokens', 'input_tokens');
  within('image_tokens', 'input_tokens');
  within('reasoning_tokens', 'output_tokens');
  within('audio_output_tokens', 'output_tokens');
  if (v(u.reasoning_tokens) + v(u.audio_output_tokens) > u.output_tokens) {
    problems.push({ field: 'output_tokens', reason: 'reasoning_tokens + audio_output_tokens exceed output_tokens; output_tokens must include them' });
  }
  return problems;
}

/** Validates an untrusted usage object; throws ValidationError naming each bad field (prefixed by `path`). */
export function parseTokenUsage(input: unknown, path = 'usage'): TokenUsage {
  return parseOrThrow(tokenUsageSchema, input, { prefix: path, context: 'invalid token usage' });
}
