import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LlmRequestRow, toLlmRequestRow } from '../events/llm-request.row';
import { telemetryEventSchema } from '../events/telemetry-event.schema';
import { encodeTabSeparated, encodeTabSeparatedInSlices, LLM_REQUEST_COLUMNS } from './llm-request.tsv';

// The encoder reads each property by name for speed; this reference walks LLM_REQUEST_COLUMNS instead, so the two
// agreeing means the encoder writes every column, in the declared order, with the same escaping.
function reference(rows: LlmRequestRow[]): string {
  const text = (s: string) => s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);
  const quoted = (s: string) => `'${s.replace(/[\\'\t\n\r]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!)}'`;
  return rows
    .map((row) =>
      LLM_REQUEST_COLUMNS.map((column) => {
        const v = row[column] as unknown;
        if (v === null || v === undefined) return '\\N';
        if (typeof v === 'string') return text(v);
        if (typeof v === 'object') return `{${Object.entries(v as Record<string, string>).map(([k, x]) => `${quoted(k)}:${quoted(x)}`).join(',')}}`;
        return String(v);
      }).join('\t') + '\n',
    )
    .join('');
}

const nasty = "tab\there\nnew\\line\r'quote' ü € 😀";
let seq = 0;
/** A row whose every column holds a value no other column holds, so a swapped column cannot go unnoticed. */
function distinctRow(overrides: Record<string, unknown> = {}): LlmRequestRow {
  const n = () => ++seq;
  const event = telemetryEventSchema.parse({
    request_id: `req-${n()}`,
    ts: '2026-11-20T10:15:00.123Z',
    feature: `feature-${n()}`,
    customer: `customer-${n()}`,
    team: `team-${n()}`,
    env: `env-${n()}`,
    virtual_key: `vk-${n()}`,
    provider: `provider-${n()}`,
    provider_account: `acct-${n()}`,
    region: `region-${n()}`,
    model: `model-${n()}`,
    requested_model: `requested-${n()}`,
    rule_set_version: n(),
    rule_id: `rule-${n()}`,
    variant: 'canary',
    attempt: 2,
    fallback_from: `fallback-${n()}`,
    status: 429,
    error_class: `error-${n()}`,
    input_tokens: 1000,
    cached_input_tokens: 11,
    cache_write_tokens: 12,
    cache_write_1h_tokens: 5,
    output_tokens: 500,
    reasoning_tokens: 13,
    audio_input_tokens: 14,
    audio_output_tokens: 15,
    image_tokens: 16,
    usage_source: 'estimated',
    service_tier: `tier-${n()}`,
    streamed: true,
    ttft_ms: n(),
    latency_ms: n(),
    estimated_cost: `0.${n()}`,
    provider_cost: `1.${n()}`,
    price_ref: `price-${n()}`,
    currency: 'EUR',
    tags: { [`k${n()}`]: `v${n()}`, [nasty]: nasty },
    attempts: [{ provider: 'p', model: 'm', status: 500, latency_ms: n() }],
    ...overrides,
  });
  return { ...toLlmRequestRow(event, undefined, n()), prev_version: n(), prev_estimated_cost: `2.${n()}`, prev_provider_cost: `3.${n()}` };
}

describe('llm_requests TabSeparated encoder', () => {
  it('lists every row field as a column, once', () => {
    assert.deepEqual([...LLM_REQUEST_COLUMNS].sort(), Object.keys(distinctRow()).sort());
  });

  it('writes every column in order with TSV escaping, nulls as \\N and tags as a map literal', () => {
    const rows = [
      distinctRow(),
      distinctRow({ feature: nasty, customer: nasty, rule_id: '\\', ttft_ms: null, provider_cost: undefined, tags: {} }),
      distinctRow({ ttft_ms: undefined, attempts: [] }),
    ];
    const body = encodeTabSeparated(rows);
    assert.ok(Buffer.isBuffer(body));
    assert.equal(body.toString('utf8'), reference(rows));
    assert.equal(body.toString('utf8').split('\n')[1].split('\t').length, LLM_REQUEST_COLUMNS.length, 'escaped tabs do not split a cell');
  });

  it('grows past its first estimate for long rows and multi-byte text', () => {
    const long = 'é'.repeat(250);
    const rows = Array.from({ length: 40 }, () => distinctRow({ feature: long, customer: long, team: long, env: long, tags: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`${i}${long}`.slice(0, 256), long])) }));
    assert.equal(encodeTabSeparated(rows).toString('utf8'), reference(rows));
    assert.equal(encodeTabSeparated([]).length, 0);
  });

  it('encodes a large batch in slices, yielding in between, to the same bytes', async () => {
    const rows = Array.from({ length: 1234 }, (_, i) => distinctRow(i % 100 === 0 ? { customer: nasty } : {}));
    let otherWorkRan = false;
    setImmediate(() => (otherWorkRan = true));
    const sliced = await encodeTabSeparatedInSlices(rows);
    assert.ok(otherWorkRan, 'the event loop turned while the batch was encoded');
    assert.deepEqual(sliced, encodeTabSeparated(rows));
    assert.equal(sliced.toString('utf8'), reference(rows));
    let ranForSmall = false;
    setImmediate(() => (ranForSmall = true));
    assert.deepEqual(await encodeTabSeparatedInSlices(rows.slice(0, 3)), encodeTabSeparated(rows.slice(0, 3)));
    assert.equal(ranForSmall, false, 'a small batch is encoded in one go');
  });
});
