import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiTokenInputSchema, userChangeSchema, userInputSchema } from '@tollgate/auth';
import { EXAMPLE_TOKEN, EXAMPLE_USER, apiTokenSchema, auditQuerySchema, issuedApiTokenSchema, loginBodySchema, userSchema } from './access-api.schemas';

describe('access api schemas', () => {
  it("the OpenAPI examples validate against the schemas they illustrate", () => {
    assert.ok(userSchema.safeParse(EXAMPLE_USER).success);
    assert.ok(apiTokenSchema.safeParse(EXAMPLE_TOKEN).success);
    assert.ok(issuedApiTokenSchema.safeParse({ ...EXAMPLE_TOKEN, token: 'tgt_x' }).success);
    assert.ok(loginBodySchema.safeParse({ email: 'dana@example.com', password: 'correct horse battery' }).success);
    assert.ok(userInputSchema.safeParse({ email: 'dana@example.com', role: 'finance', password: 'correct horse battery' }).success);
    assert.ok(userChangeSchema.safeParse({ disabled: true }).success);
    assert.ok(apiTokenInputSchema.safeParse({ name: 'ci-reader', scope: 'read', teams: ['search'] }).success);
  });

  it('audit queries: limit defaults to 100 and stays within 1..1000; cursors are ids', () => {
    assert.equal(auditQuerySchema.parse({}).limit, 100);
    assert.equal(auditQuerySchema.safeParse({ limit: '1001' }).success, false);
    assert.equal(auditQuerySchema.safeParse({ cursor: '1; DROP TABLE x' }).success, false);
    assert.equal(auditQuerySchema.safeParse({ extra: '1' }).success, false);
  });
});
