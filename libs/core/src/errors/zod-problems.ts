import type { z } from 'zod';
import { FieldProblem, ValidationError } from './domain.errors';

export interface ZodProblemOptions {
  /** Path the schema's own paths sit under, e.g. `prices` or `usage`. */
  prefix?: string;
  /** The field named when an issue is about the value as a whole (empty path, no prefix), e.g. `(body)`. */
  whole?: string;
}

/**
 * Zod's issues as the FieldProblems a 400 lists: the dotted path of each issue (under `prefix`), and one problem per
 * unknown key of a strict object, named by the key itself rather than by the object that holds it.
 */
export function zodProblems(error: z.ZodError, options: ZodProblemOptions = {}): FieldProblem[] {
  const field = (path: readonly PropertyKey[]) => [options.prefix, ...path.map(String)].filter(Boolean).join('.') || (options.whole ?? '');
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys' ? issue.keys.map((key) => ({ field: field([...issue.path, key]), reason: 'unknown field' })) : [{ field: field(issue.path), reason: issue.message }],
  );
}

/** Parses with zod, or throws a ValidationError naming each field (see `zodProblems` for how they are named). */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, options: ZodProblemOptions & { context?: string } = {}): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw ValidationError.of(zodProblems(parsed.error, options), options.context);
}
