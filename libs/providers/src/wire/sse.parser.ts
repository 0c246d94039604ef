/** One server-sent event: its `event:` name (empty when absent) and its joined `data:` lines. */
export interface SseEvent {
  event: string;
  data: string;
  /** The event's raw text including the blank line that ended it, for byte-exact forwarding. */
  raw: string;
}

/**
 * Incremental SSE parser (WHATWG event-stream framing). Upstream chunks split events and UTF-8 sequences at
 * arbitrary points, so text is decoded in streaming mode and only complete events (ended by a blank line) are
 * returned; the tail waits for the next chunk.
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';

  push(chunk: Buffer | string): SseEvent[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.drain();
  }

  /** Whatever is left when the upstream ends: a final event without its blank line still counts. */
  end(): SseEvent[] {
    this.buffer += this.decoder.decode();
    const events = this.drain();
    if (this.buffer.trim() !== '') {
      const event = parseEvent(this.buffer, this.buffer);
      this.buffer = '';
      if (event) events.push(event);
    }
    return events;
  }

  private drain(): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const boundary = findBoundary(this.buffer, start);
      if (boundary === null) break;
      const block = this.buffer.slice(start, boundary.at);
      const raw = this.buffer.slice(start, boundary.at + boundary.length);
      start = boundary.at + boundary.length;
      const event = parseEvent(block, raw);
      if (event) events.push(event);
    }
    if (start > 0) this.buffer = this.buffer.slice(start);
    return events;
  }
}

function findBoundary(text: string, from: number): { at: number; length: number } | null {
  const lf = text.indexOf('\n\n', from);
  const crlf = text.indexOf('\r\n\r\n', from);
  if (lf === -1 && crlf === -1) return null;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { at: crlf, length: 4 };
  return { at: lf, length: 2 };
}

function parseEvent(block: string, raw: string): SseEvent | null {
  let event = '';
  let data: string | null = null;
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data = data === null ? value : `${data}\n${value}`;
  }
  if (data === null && event === '') return null;
  return { event, data: data ?? '', raw };
}

/** Formats one OpenAI-style SSE data event. */
export function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';
