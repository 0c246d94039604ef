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
    const text = this.buffer;
    let start = 0;
    // Each separator is searched for once per chunk, not once per event: a search that found nothing (the usual
    // `\r\n\r\n` in an LF-only stream) is not repeated for every later event of the same chunk.
    let lf = text.indexOf('\n\n');
    let crlf = text.indexOf('\r\n\r\n');
    for (;;) {
      if (lf !== -1 && lf < start) lf = text.indexOf('\n\n', start);
      if (crlf !== -1 && crlf < start) crlf = text.indexOf('\r\n\r\n', start);
      if (lf === -1 && crlf === -1) break;
      const useCrlf = crlf !== -1 && (lf === -1 || crlf < lf);
      const at = useCrlf ? crlf : lf;
      const end = at + (useCrlf ? 4 : 2);
      const event = parseEvent(text.slice(start, at), text.slice(start, end));
      start = end;
      if (event) events.push(event);
    }
    if (start > 0) this.buffer = text.slice(start);
    return events;
  }
}

function parseEvent(block: string, raw: string): SseEvent | null {
  // The usual event is one `data: …` line: read it without splitting.
  if (block.startsWith('data: ') && block.indexOf('\n') === -1) return { event: '', data: block.slice(6), raw };
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
