/**
 * The admin API token every test target starts with (TOLLGATE_ADMIN_TOKEN in test-env's environment): the api
 * accepts it as an admin token from the first start, as automation would use it.
 */
export const TEST_ADMIN_TOKEN = 'tgt_test-admin-token-for-the-suite-only';

/** Headers that authenticate a test's api call as that admin. */
export function adminAuth(headers: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...headers };
}
