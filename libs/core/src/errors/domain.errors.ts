/**
 * Typed errors thrown by libs. Apps map them to transport codes in one place (the API's exception filter,
 * the proxy's error writer); libs never know about HTTP.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: 'validation' | 'not_found' | 'conflict' | 'unauthorized' | 'forbidden' | 'unavailable' | 'config' | 'too_large';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export interface FieldProblem {
  /** JSON path or parameter name, e.g. `events[3].usage.input_tokens` or `from`. */
  field: string;
  reason: string;
  /** Position in a batch or a file line, when the input has one. */
  index?: number;
  line?: number;
}

export class ValidationError extends DomainError {
  readonly kind = 'validation' as const;
  constructor(message: string, readonly problems: FieldProblem[] = []) {
    super(message);
  }
  static field(field: string, reason: string): ValidationError {
    return new ValidationError(`${field}: ${reason}`, [{ field, reason }]);
  }
  /** One error listing every problem (`field: reason; …`), after `context` when given (`invalid usage query: …`). */
  static of(problems: FieldProblem[], context?: string): ValidationError {
    const listed = problems.map((p) => `${p.field}: ${p.reason}`).join('; ');
    return new ValidationError(context ? `${context}: ${listed}` : listed, problems);
  }
}

export class NotFoundError extends DomainError {
  readonly kind = 'not_found' as const;
  constructor(readonly entity: string, readonly id: string) {
    super(`${entity} '${id}' not found`);
  }
}

export class ConflictError extends DomainError {
  readonly kind = 'conflict' as const;
}

export class UnauthorizedError extends DomainError {
  readonly kind = 'unauthorized' as const;
}

export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden' as const;
}

export class PayloadTooLargeError extends DomainError {
  readonly kind = 'too_large' as const;
}

/** A store or upstream we depend on is unreachable; retryable, never to be turned into an empty result. */
export class UnavailableError extends DomainError {
  readonly kind = 'unavailable' as const;
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
  }
}

export class ConfigError extends DomainError {
  readonly kind = 'config' as const;
  constructor(message: string, readonly problems: string[] = []) {
    super(message);
  }
}
