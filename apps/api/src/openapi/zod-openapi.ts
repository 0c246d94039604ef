import { applyDecorators } from '@nestjs/common';
import { ApiBodyOptions, ApiQuery, ApiQueryOptions, ApiResponse, ApiResponseOptions, type SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';

/**
 * Bridges the api's zod schemas to @nestjs/swagger's plain decorators, so a route's documented request and response
 * shapes are generated from the very schemas its validation runs (one source of truth). The document is OpenAPI
 * 3.1, whose schema objects are JSON Schema 2020-12: zod's output goes in as it is.
 */

/**
 * The JSON Schema of what a client sends or receives: zod's input side (a field with a default is optional to send;
 * a transformed string is documented as the string the client writes).
 */
export function jsonSchemaOf(schema: z.ZodType): SchemaObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest as SchemaObject;
}

/** `@ApiBody(zodBody(schema, example))`: a JSON body validated by `schema`. */
export function zodBody(schema: z.ZodType, example: unknown, description?: string): ApiBodyOptions {
  return { schema: jsonSchemaOf(schema), examples: { example: { value: example } }, description, required: true };
}

/** `@ApiOkResponse(zodResponse(schema, example))` (or `@ApiResponse({ status, ...zodResponse(...) })`). */
export function zodResponse(schema: z.ZodType, example: unknown, description = 'OK'): ApiResponseOptions & { description: string } {
  return { schema: jsonSchemaOf(schema), example, description };
}

/** The one error body every api error has (apps/api/src/errors/domain-error.filter.ts). */
export const errorBodySchema = z
  .object({
    error: z
      .object({
        type: z.enum(['validation', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'too_large', 'rate_limited', 'unavailable', 'config', 'internal']),
        message: z.string(),
        problems: z
          .array(z.object({ field: z.string(), reason: z.string(), index: z.number().int().optional() }))
          .optional()
          .describe('validation errors only: each problem names its field (and, for batches, the item index)'),
      })
      .strict(),
  })
  .strict();

const ERRORS: Record<number, { description: string; example: z.input<typeof errorBodySchema> }> = {
  400: {
    description: 'Invalid request: every problem names its field',
    example: { error: { type: 'validation', message: 'invalid request', problems: [{ field: 'name', reason: 'Too small: expected string to have >=1 characters' }] } },
  },
  401: { description: 'Missing or invalid bearer token', example: { error: { type: 'unauthorized', message: 'missing bearer token' } } },
  403: { description: 'The token lacks the scope this route requires', example: { error: { type: 'forbidden', message: "scope 'admin' required" } } },
  404: { description: 'No such entity', example: { error: { type: 'not_found', message: 'provider 3f0e7a52-5d7e-4d43-9a3c-2a8e0c1f9b10 not found' } } },
  409: { description: 'Conflicts with the current state (e.g. a name already taken)', example: { error: { type: 'conflict', message: "provider 'openai' already exists" } } },
  413: { description: 'Body over the size limit', example: { error: { type: 'too_large', message: 'request entity too large' } } },
  429: { description: 'Too many requests (Retry-After says when to try again)', example: { error: { type: 'rate_limited', message: 'too many requests: retry in 12 s' } } },
  415: { description: 'Unsupported content type or encoding', example: { error: { type: 'validation', message: "content-type must be application/json (an array) or application/x-ndjson; got 'text/plain'" } } },
  503: { description: 'A store is unavailable; retry', example: { error: { type: 'unavailable', message: 'ClickHouse is unavailable' } } },
};

/** Documents the error responses a route can give, each with the shared error body and an example. */
export function ApiErrors(...statuses: (keyof typeof ERRORS)[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, ...zodResponse(errorBodySchema, ERRORS[status].example, ERRORS[status].description) })),
  ) as MethodDecorator & ClassDecorator;
}

/**
 * One `@ApiQuery` per property of a zod object schema (a query string validated by that schema). `examples` gives
 * a documented value for some parameters; each is validated by the openapi test.
 */
export function ApiZodQuery(schema: z.ZodObject, examples: Record<string, unknown> = {}): MethodDecorator {
  const object = jsonSchemaOf(schema) as { properties?: Record<string, SchemaObject>; required?: string[] };
  return applyDecorators(
    ...Object.entries(object.properties ?? {}).map(([name, property]) =>
      ApiQuery({ name, required: object.required?.includes(name) ?? false, schema: property, description: property.description, example: examples[name] }),
    ),
  ) as MethodDecorator;
}

/** Query parameters a hand-written parser checks (not a zod schema): documented from the constants it checks against. */
export function ApiQueries(parameters: readonly ApiQueryOptions[]): MethodDecorator {
  return applyDecorators(...parameters.map((parameter) => ApiQuery(parameter))) as MethodDecorator;
}
