import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, RequireScope } from '@tollgate/auth';
import { z } from 'zod';
import { NotFoundError, ValidationError, parseOrThrow } from '@tollgate/core';
import {
  OVERRIDE_KINDS,
  PriceOverrideService,
  PriceQuote,
  PriceRestatementOutbox,
  PricingService,
  TokenUsage,
  correctOverrideSchema,
  createOverrideSchema,
  overrideJson,
  parseTokenUsage,
} from '@tollgate/pricing';
import { ApiErrors, ApiZodQuery, zodBody, zodResponse } from '../openapi/zod-openapi';
import {
  createOverrideExample,
  overrideChangeExample,
  overrideChangeSchema,
  overrideDeletedSchema,
  overrideExample,
  overrideListSchema,
  overrideOneSchema,
  quoteExample,
  quoteSchema,
  restatementExample,
  restatementSchema,
} from '../openapi/pricing.openapi';

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp with a time zone' });
const tokenParam = z.string().regex(/^\d+$/, 'must be a non-negative integer').transform(Number).optional();
const quoteQuerySchema = z
  .object({
    provider: z.string().min(1, 'required'),
    model: z.string().min(1, 'required'),
    at: instant.optional(),
    provider_account: z.string().min(1).optional(),
    tier: z.string().min(1).optional(),
    input_tokens: tokenParam,
    cached_input_tokens: tokenParam,
    cache_write_tokens: tokenParam,
    cache_write_5m_tokens: tokenParam,
    cache_write_1h_tokens: tokenParam,
    output_tokens: tokenParam,
    reasoning_tokens: tokenParam,
    audio_input_tokens: tokenParam,
    audio_output_tokens: tokenParam,
    image_tokens: tokenParam,
  })
  .strict();
const listQuerySchema = z.object({ provider: z.string().min(1).optional(), model: z.string().min(1).optional(), kind: z.enum(OVERRIDE_KINDS).optional(), at: instant.optional() }).strict();
const uuidParam = z.uuid('must be a UUID');

function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  return parseOrThrow(schema, input, { whole: 'query' });
}

function id(value: string): string {
  parse(uuidParam.transform(String), value);
  return value;
}

/** Who made a change, for the audit log: the authenticated principal (never a header a caller could forge). */
function actorOf(principal: Principal | undefined): string {
  return principal?.name ?? 'api';
}

/**
 * The quote's usage. `cache_write_5m_tokens` is still taken as a parameter although TokenUsage does not carry it
 * (pricing derives the 5-minute share as cache_write − cache_write_1h): it stands for the cache writes when
 * `cache_write_tokens` is absent, and may not exceed what `cache_write_tokens` leaves after the 1-hour writes.
 */
function quoteUsage(counts: Partial<Record<string, number>>): TokenUsage {
  const { cache_write_5m_tokens: fiveMinute, ...given } = counts;
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<Record<string, number>>;
  if (fiveMinute !== undefined) {
    const withOneHour = fiveMinute + (defined.cache_write_1h_tokens ?? 0);
    if (defined.cache_write_tokens === undefined) defined.cache_write_tokens = withOneHour;
    else if (withOneHour > defined.cache_write_tokens) {
      throw ValidationError.of([{ field: 'cache_write_tokens', reason: 'cache_write_5m_tokens + cache_write_1h_tokens exceed cache_write_tokens' }], 'invalid token usage');
    }
  }
  return parseTokenUsage({ input_tokens: 0, output_tokens: 0, ...defined }, '');
}

function quoteJson(q: PriceQuote) {
  return {
    cost: q.cost.toFixed(),
    currency: q.currency,
    price_ref: q.price_ref,
    source: q.source,
    tier: q.tier,
    breakdown: Object.fromEntries(
      Object.entries(q.breakdown).map(([cls, line]) => [cls, { tokens: line.tokens, price_per_million: line.price_per_million.toFixed(), cost: line.cost.toFixed() }]),
    ),
    adjustments: q.adjustments.map((a) => ({ kind: a.kind, percent_off: a.percent_off.toFixed(), ref: a.ref })),
  };
}

const overrideIdParam = { name: 'id', description: 'the override id (a UUID)', schema: { type: 'string', format: 'uuid' }, example: overrideExample.id } as const;

/** /v1/prices: price overrides (CRUD; every change audit-logged, past periods restated), restatement status, quotes. */
@ApiTags('prices')
@ApiBearerAuth('bearer')
@ApiErrors(401, 403)
@Controller('v1/prices')
export class PriceOverridesController {
  constructor(
    @Inject(PriceOverrideService) private readonly overrides: PriceOverrideService,
    @Inject(PricingService) private readonly pricing: PricingService,
    @Inject(PriceRestatementOutbox) private readonly restatements: PriceRestatementOutbox,
  ) {}

  @Post('overrides')
  @ApiOperation({
    summary: 'Add a price override (custom price, discount, tier or GPU-hour price)',
    description: 'Audit-logged; when `effective_from` is in the past, the requests it covers are re-priced (the `restatement` job).',
  })
  @ApiBody(zodBody(createOverrideSchema, createOverrideExample))
  @ApiCreatedResponse(zodResponse(overrideChangeSchema, overrideChangeExample))
  @ApiErrors(400, 409)
  @RequireScope('write')
  async create(@Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    const change = await this.overrides.create(body, actorOf(principal));
    return { override: overrideJson(change.override), restatement: change.restatement };
  }

  @Get('overrides')
  @ApiOperation({ summary: 'List price overrides' })
  @ApiZodQuery(listQuerySchema, { provider: 'openai_compatible', kind: 'custom_price', at: '2026-06-01T00:00:00Z' })
  @ApiOkResponse(zodResponse(overrideListSchema, { overrides: [overrideExample] }))
  @ApiErrors(400)
  @RequireScope('read')
  async list(@Query() query: Record<string, string>) {
    const q = parse(listQuerySchema, query);
    const rows = await this.overrides.list({ provider: q.provider, model: q.model, kind: q.kind, activeAt: q.at ? new Date(q.at) : undefined });
    return { overrides: rows.map(overrideJson) };
  }

  @Get('overrides/:id')
  @ApiOperation({ summary: 'One price override' })
  @ApiParam(overrideIdParam)
  @ApiOkResponse(zodResponse(overrideOneSchema, { override: overrideExample }))
  @ApiErrors(400, 404)
  @RequireScope('read')
  async get(@Param('id') overrideId: string) {
    return { override: overrideJson(await this.overrides.get(id(overrideId))) };
  }

  @Patch('overrides/:id')
  @ApiOperation({ summary: 'Correct a price override (a new revision; the past it covers is re-priced)' })
  @ApiParam(overrideIdParam)
  @ApiBody(zodBody(correctOverrideSchema, { prices: { input: '0.55', output: '0.75' } }))
  @ApiOkResponse(zodResponse(overrideChangeSchema, { ...overrideChangeExample, override: { ...overrideExample, revision: 2, prices: { input: '0.55', output: '0.75' } } }))
  @ApiErrors(400, 404, 409)
  @RequireScope('write')
  async correct(@Param('id') overrideId: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    const change = await this.overrides.correct(id(overrideId), body, actorOf(principal));
    return { override: overrideJson(change.override), restatement: change.restatement };
  }

  @Delete('overrides/:id')
  @ApiOperation({ summary: 'Delete a price override (the past it covered is re-priced without it)' })
  @ApiParam(overrideIdParam)
  @ApiOkResponse(zodResponse(overrideDeletedSchema, { deleted: overrideExample, restatement: { job_id: `restate-${overrideExample.id}-deleted`, queued: true } }))
  @ApiErrors(400, 404)
  @HttpCode(200)
  @RequireScope('write')
  async remove(@Param('id') overrideId: string, @CurrentPrincipal() principal: Principal | undefined) {
    const change = await this.overrides.remove(id(overrideId), actorOf(principal));
    return { deleted: overrideJson(change.override), restatement: change.restatement };
  }

  /** State and result (rows_scanned / rows_changed / rows_unpriced) of a restatement an override change queued. */
  @Get('restatements/:jobId')
  @ApiOperation({ summary: 'State and result of a restatement an override change queued' })
  @ApiParam({ name: 'jobId', description: 'the `restatement.job_id` an override change returned', schema: { type: 'string' }, example: restatementExample.restatement.job_id })
  @ApiOkResponse(zodResponse(restatementSchema, restatementExample))
  @ApiErrors(404)
  @RequireScope('read')
  async restatement(@Param('jobId') jobId: string) {
    const record = await this.restatements.get(jobId);
    if (!record) throw new NotFoundError('price restatement', jobId);
    return { restatement: record };
  }

  @Get('quote')
  @ApiOperation({ summary: 'Price a request: what given token counts cost for a model at a moment, and why' })
  @ApiZodQuery(quoteQuerySchema, { provider: 'openai', model: 'gpt-4o-mini', input_tokens: '12', cached_input_tokens: '4', output_tokens: '5' })
  @ApiOkResponse(zodResponse(quoteSchema, quoteExample))
  @ApiErrors(400, 404)
  @RequireScope('read')
  async quote(@Query() query: Record<string, string>) {
    const { provider, model, at, provider_account, tier, ...counts } = parse(quoteQuerySchema, query);
    const usage = quoteUsage(counts);
    const quote = await this.pricing.price(provider, model, usage, at ? new Date(at) : new Date(), { providerAccount: provider_account, tier });
    return quoteJson(quote);
  }
}
