import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ModelNotFoundError, UnsupportedEndpointError } from '@tollgate/routing';
import { toProxyHttpError } from './proxy-errors';

const fields = (error: unknown) => {
  const mapped = toProxyHttpError(error);
  return { status: mapped.status, message: mapped.message, type: mapped.type, code: mapped.code, param: mapped.param, errorClass: mapped.errorClass };
};

describe('toProxyHttpError for routing refusals', () => {
  it('answers an unknown model with a 404 model_not_found on `model`', () => {
    assert.deepEqual(fields(new ModelNotFoundError('mistral')), {
      status: 404,
      message: "The model 'mistral' does not exist or has no enabled deployment",
      type: 'invalid_request_error',
      code: 'model_not_found',
      param: 'model',
      errorClass: 'invalid_request_error',
    });
  });

  it('answers a model no deployment of which serves the endpoint with a 400 unsupported_endpoint on `model`', () => {
    assert.deepEqual(fields(new UnsupportedEndpointError('gpt-4o', 'messages')), {
      status: 400,
      message: "no deployment of 'gpt-4o' supports messages",
      type: 'invalid_request_error',
      code: 'unsupported_endpoint',
      param: 'model',
      errorClass: 'invalid_request_error',
    });
  });
});
