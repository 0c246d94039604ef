import { crc32 } from 'node:zlib';

/** One message of the AWS event stream encoding (`application/vnd.amazon.eventstream`). */
export interface EventStreamMessage {
  headers: Record<string, string | number | boolean | Buffer>;
  payload: Buffer;
}

export class EventStreamFormatError extends Error {}

/**
 * Incremental decoder of AWS's binary event stream framing (Bedrock ConverseStream): each message is
 * total length (4) ‖ headers length (4) ‖ prelude CRC32 (4) ‖ headers ‖ payload ‖ message CRC32 (4), big-endian.
 * Both CRCs are checked; a corrupt frame throws (the stream is then reported as interrupted).
 */
export class EventStreamDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): EventStreamMessage[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const messages: EventStreamMessage[] = [];
    while (this.buffer.length >= 12) {
      const total = this.buffer.readUInt32BE(0);
      if (total < 16) throw new EventStreamFormatError(`event stream message length ${total} is too small`);
      if (this.buffer.length < total) break;
      const headersLength = this.buffer.readUInt32BE(4);
      if (crc32(this.buffer.subarray(0, 8)) !== this.buffer.readUInt32BE(8)) throw new EventStreamFormatError('event stream prelude CRC mismatch');
      if (crc32(this.buffer.subarray(0, total - 4)) !== this.buffer.readUInt32BE(total - 4)) throw new EventStreamFormatError('event stream message CRC mismatch');
      const headers = decodeHeaders(this.buffer.subarray(12, 12 + headersLength));
      messages.push({ headers, payload: Buffer.from(this.buffer.subarray(12 + headersLength, total - 4)) });
      this.buffer = this.buffer.subarray(total);
    }
    return messages;
  }

  get pendingBytes(): number {
    return this.buffer.length;
  }
}

function decodeHeaders(bytes: Buffer): EventStreamMessage['headers'] {
  const headers: EventStreamMessage['headers'] = {};
  let at = 0;
  while (at < bytes.length) {
    const nameLength = bytes.readUInt8(at);
    const name = bytes.toString('utf8', at + 1, at + 1 + nameLength);
    at += 1 + nameLength;
    const type = bytes.readUInt8(at++);
    switch (type) {
      case 0:
        headers[name] = true;
        break;
      case 1:
        headers[name] = false;
        break;
      case 2:
        headers[name] = bytes.readInt8(at);
        at += 1;
        break;
      case 3:
        headers[name] = bytes.readInt16BE(at);
        at += 2;
        break;
      case 4:
        headers[name] = bytes.readInt32BE(at);
        at += 4;
        break;
      case 5:
        headers[name] = Number(bytes.readBigInt64BE(at));
        at += 8;
        break;
      case 6: {
        const length = bytes.readUInt16BE(at);
        headers[name] = Buffer.from(bytes.subarray(at + 2, at + 2 + length));
        at += 2 + length;
        break;
      }
      case 7: {
        const length = bytes.readUInt16BE(at);
        headers[name] = bytes.toString('utf8', at + 2, at + 2 + length);
        at += 2 + length;
        break;
      }
      case 8:
        headers[name] = Number(bytes.readBigInt64BE(at));
        at += 8;
        break;
      case 9:
        headers[name] = bytes.subarray(at, at + 16).toString('hex');
        at += 16;
        break;
      default:
        throw new EventStreamFormatError(`unknown event stream header type ${type}`);
    }
  }
  return headers;
}

/** Encodes one message with string headers (used by tests' Bedrock double and by nothing on the hot path). */
export function encodeEventStreamMessage(headers: Record<string, string>, payload: Buffer): Buffer {
  const headerParts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const valueBytes = Buffer.from(value, 'utf8');
    const part = Buffer.alloc(1 + nameBytes.length + 1 + 2 + valueBytes.length);
    part.writeUInt8(nameBytes.length, 0);
    nameBytes.copy(part, 1);
    part.writeUInt8(7, 1 + nameBytes.length);
    part.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
    valueBytes.copy(part, 4 + nameBytes.length);
    headerParts.push(part);
  }
  const headerBytes = Buffer.concat(headerParts);
  const total = 12 + headerBytes.length + payload.length + 4;
  const message = Buffer.alloc(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(headerBytes.length, 4);
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8);
  headerBytes.copy(message, 12);
  payload.copy(message, 12 + headerBytes.length);
  message.writeUInt32BE(crc32(message.subarray(0, total - 4)), total - 4);
  return message;
}
