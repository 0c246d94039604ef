import { AppConfig, ConfigError, Logger, storeModes } from '@tollgate/core';
import { SessionService } from './sessions/session.service';
import { ApiTokenService } from './tokens/api-token.service';
import { UserService } from './users/user.service';

/** What a first start produced that a person must be told about (never logged: the platform prints it once). */
export interface AuthBootstrapNotice {
  /** Embedded mode's generated admin token file, when one was written at this start. */
  adminTokenFile?: string;
  /** The admin user created at this start, and the one-time login link token when it has no password. */
  adminEmail?: string;
  loginLinkToken?: string;
}

/**
 * First start: the headless admin token (TOLLGATE_ADMIN_TOKEN, or a generated `<data dir>/admin-token` in embedded
 * mode), the collector token, and the first console admin (TOLLGATE_ADMIN_PASSWORD, or a one-time login link in
 * embedded mode). Server stores with no admin yet and neither variable set fail the start, naming them.
 */
export class AuthBootstrapService {
  private readonly logger = new Logger('auth');

  constructor(
    private readonly tokens: Pick<ApiTokenService, 'hasLiveAdminToken' | 'ensureAdminBootstrapToken' | 'ensureCollectorBootstrapToken'>,
    private readonly users: Pick<UserService, 'hasEnabledAdmin' | 'ensureBootstrapAdmin'>,
    private readonly sessions: Pick<SessionService, 'createLoginLink'>,
    private readonly config: AppConfig,
  ) {}

  async run(): Promise<AuthBootstrapNotice> {
    const embedded = storeModes(this.config).postgres === 'embedded';
    if (!embedded && !this.config.TOLLGATE_ADMIN_TOKEN && !this.config.TOLLGATE_ADMIN_PASSWORD) {
      if (!(await this.tokens.hasLiveAdminToken()) && !(await this.users.hasEnabledAdmin())) {
        throw new ConfigError(
          'TOLLGATE_ADMIN_PASSWORD or TOLLGATE_ADMIN_TOKEN must be set: the PostgreSQL server (DATABASE_URL) holds no admin yet, and nothing else can create the first one',
        );
      }
    }
    const notice: AuthBootstrapNotice = {};
    const adminToken = await this.tokens.ensureAdminBootstrapToken();
    if (adminToken.generated) notice.adminTokenFile = adminToken.file;
    await this.tokens.ensureCollectorBootstrapToken();
    const { created, needsLoginLink } = await this.users.ensureBootstrapAdmin();
    if (created) {
      notice.adminEmail = created.email;
      this.logger.info('created the first console admin', { email: created.email, password: needsLoginLink ? 'none (one-time login link)' : 'TOLLGATE_ADMIN_PASSWORD' });
      if (needsLoginLink) notice.loginLinkToken = await this.sessions.createLoginLink(created.id);
    }
    return notice;
  }
}
