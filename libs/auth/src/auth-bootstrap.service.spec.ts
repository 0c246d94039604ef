import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '@tollgate/core';
import { AuthBootstrapService } from './auth-bootstrap.service';
import { UserRecord } from './users/user.repository';

const ADMIN: UserRecord = { id: 'u-1', email: 'admin@localhost', role: 'admin', teams: null, has_password: false, created_at: new Date(0), disabled_at: null };

/** Bootstrap over in-memory stand-ins: what exists already, and what each step did. */
function setup(env: Record<string, string>, existing: { adminToken?: boolean; adminUser?: boolean } = {}) {
  const calls: string[] = [];
  const config = loadConfig({ TOLLGATE_DATA_DIR: '/tmp/tollgate-bootstrap-spec', ...env });
  const service = new AuthBootstrapService(
    {
      hasLiveAdminToken: async () => existing.adminToken ?? false,
      ensureAdminBootstrapToken: async () => {
        calls.push('admin-token');
        return config.TOLLGATE_ADMIN_TOKEN || config.DATABASE_URL ? { generated: false } : { generated: true, file: '/data/admin-token' };
      },
      ensureCollectorBootstrapToken: async () => {
        calls.push('collector-token');
        return { generated: false };
      },
    },
    {
      hasEnabledAdmin: async () => existing.adminUser ?? false,
      ensureBootstrapAdmin: async () => {
        calls.push('admin-user');
        if (existing.adminUser) return { created: undefined, needsLoginLink: false };
        if (!config.TOLLGATE_ADMIN_PASSWORD && config.DATABASE_URL) return { created: undefined, needsLoginLink: false };
        return { created: ADMIN, needsLoginLink: !config.TOLLGATE_ADMIN_PASSWORD };
      },
    },
    { createLoginLink: async (userId: string) => `tgl_link-for-${userId}` },
    config,
  );
  return { service, calls };
}

describe('AuthBootstrapService', () => {
  it('embedded first start: a generated admin token, the collector token, the admin user with a one-time login link', async () => {
    const { service, calls } = setup({});
    assert.deepEqual(await service.run(), { adminTokenFile: '/data/admin-token', adminEmail: 'admin@localhost', loginLinkToken: 'tgl_link-for-u-1' });
    assert.deepEqual(calls, ['admin-token', 'collector-token', 'admin-user']);
  });

  it('with TOLLGATE_ADMIN_PASSWORD the admin gets it and no login link', async () => {
    const { service } = setup({ TOLLGATE_ADMIN_PASSWORD: 'a long admin password' });
    assert.deepEqual(await service.run(), { adminTokenFile: '/data/admin-token', adminEmail: 'admin@localhost' });
  });

  it('server stores with no admin and neither variable set refuse to start, naming both variables', async () => {
    const { service, calls } = setup({ DATABASE_URL: 'postgres://db.invalid/tollgate' });
    await assert.rejects(service.run(), (e: unknown) => e instanceof ConfigError && /TOLLGATE_ADMIN_PASSWORD or TOLLGATE_ADMIN_TOKEN must be set/.test(e.message));
    assert.deepEqual(calls, [], 'nothing was created');
  });

  it('server stores start with either variable, or once an admin exists', async () => {
    assert.deepEqual(await setup({ DATABASE_URL: 'postgres://db.invalid/t', TOLLGATE_ADMIN_TOKEN: 'a-configured-admin-token' }).service.run(), {});
    assert.deepEqual(await setup({ DATABASE_URL: 'postgres://db.invalid/t', TOLLGATE_ADMIN_PASSWORD: 'a long admin password' }).service.run(), { adminEmail: 'admin@localhost' });
    assert.deepEqual(await setup({ DATABASE_URL: 'postgres://db.invalid/t' }, { adminToken: true }).service.run(), {});
    assert.deepEqual(await setup({ DATABASE_URL: 'postgres://db.invalid/t' }, { adminUser: true }).service.run(), {});
  });
});
