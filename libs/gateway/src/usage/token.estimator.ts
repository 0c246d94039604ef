/** The part of js-tiktoken used here (its type declarations are ESM-only, this build is CommonJS). */
interface Tiktoken {
  encode(text: string, allowedSpecial?: string[] | 'all', disallowedSpecial?: string[] | 'all'): number[];
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getEncoding } = require('js-tiktoken') as { getEncoding(name: 'o200k_base'): Tiktoken };

/**
 * Counts tokens when a provider reports no usage (self-hosted servers without usage, streams cut off before the
 * usage event). js-tiktoken bundles its BPE ranks, so this needs no network; the encoding loads once (hundreds of ms,
 * done at boot by `warm()`). o200k_base is used for every model: an estimate, marked `usage_source=estimated`.
 */
export class TokenEstimator {
  private encoding?: Tiktoken;

  private get enc(): Tiktoken {
    this.encoding ??= getEncoding('o200k_base');
    return this.encoding;
  }

  /** Loads the encoding now (boot), so the first estimate never stalls the event loop mid-traffic. */
  warm(): void {
    void this.enc;
  }

  count(text: string): number {
    if (!text) return 0;
    return this.enc.encode(text, [], []).length;
  }

  /** Prompt tokens of a chat request: content text plus OpenAI's documented per-message overhead (3 + 3 priming). */
  countChatPrompt(messages: unknown): number {
    if (!Array.isArray(messages)) return 0;
    let total = 3;
    for (const message of messages as { role?: string; content?: unknown; name?: string }[]) {
      total += 3;
      total += this.count(String(message.role ?? ''));
      if (message.name) total += this.count(message.name) + 1;
      if (typeof message.content === 'string') total += this.count(message.content);
      else if (Array.isArray(message.content)) {
        for (const part of message.content as { type?: string; text?: string }[]) if (part.type === 'text' && part.text) total += this.count(part.text);
      }
    }
    return total;
  }

  /** Input of an embeddings request (string or array of strings). */
  countInput(input: unknown): number {
    if (typeof input === 'string') return this.count(input);
    if (Array.isArray(input)) return input.reduce((sum: number, item) => sum + (typeof item === 'string' ? this.count(item) : Array.isArray(item) ? item.length : 0), 0);
    return 0;
  }
}
