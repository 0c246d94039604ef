import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccessService, OIDC_PENDING_TTL_MS, OidcLoginService, OidcPending, PublicRoute } from '@tollgate/auth';
import { APP_CONFIG, AppConfig } from '@tollgate/core';
import { setSessionCookies } from './session.cookies';
import { ApiErrors } from '../openapi/zod-openapi';

/** The cookie that carries state, nonce and PKCE verifier from the redirect to the callback (HttpOnly, 10 minutes). */
const PENDING_COOKIE = 'tollgate_oidc';

function pendingOf(req: Request): OidcPending | undefined {
  const raw = (req.headers.cookie ?? '')
    .split(';')
    .map((p) => p.trim())
    .find((p) => p.startsWith(`${PENDING_COOKIE}=`));
  if (!raw) return undefined;
  try {
    const value = JSON.parse(Buffer.from(decodeURIComponent(raw.slice(PENDING_COOKIE.length + 1)), 'base64url').toString('utf8')) as Partial<OidcPending>;
    return typeof value.state === 'string' && typeof value.nonce === 'string' && typeof value.verifier === 'string' ? (value as OidcPending) : undefined;
  } catch {
    return undefined;
  }
}

/** Optional OIDC login (TOLLGATE_OIDC_*): 404 when it is not configured. */
@ApiTags('auth')
@Controller('v1/auth/oidc')
export class OidcController {
  constructor(
    @Inject(OidcLoginService) private readonly oidc: OidcLoginService,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('login')
  @PublicRoute()
  @ApiOperation({ summary: 'Start an OIDC login: redirects to the identity provider' })
  @ApiResponse({ status: 302, description: "redirect to the provider's authorization endpoint" })
  @ApiErrors(404)
  async login(@Req() req: Request, @Res() res: Response) {
    this.access.countLoginAttempt(req.ip ?? 'unknown');
    const { url, pending } = await this.oidc.start();
    res.cookie(PENDING_COOKIE, Buffer.from(JSON.stringify(pending)).toString('base64url'), {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.config.TOLLGATE_COOKIE_SECURE === 'true' || (this.config.TOLLGATE_COOKIE_SECURE === 'auto' && req.secure),
      maxAge: OIDC_PENDING_TTL_MS,
      path: '/v1/auth/oidc',
    });
    res.redirect(302, url);
  }

  @Get('callback')
  @PublicRoute()
  @ApiOperation({ summary: 'Where the identity provider sends the browser back (TOLLGATE_OIDC_REDIRECT_URL): starts the session, redirects to /' })
  @ApiQuery({ name: 'code', required: true })
  @ApiQuery({ name: 'state', required: true })
  @ApiResponse({ status: 303, description: 'logged in; redirects to /' })
  @ApiErrors(401)
  @ApiErrors(403)
  async callback(@Req() req: Request, @Res() res: Response) {
    this.access.countLoginAttempt(req.ip ?? 'unknown');
    // The URL the provider redirected to, as registered: its query carries code, state and iss.
    const callbackUrl = new URL(this.config.TOLLGATE_OIDC_REDIRECT_URL ?? 'http://unset.invalid/');
    callbackUrl.search = new URL(req.originalUrl, 'http://placeholder.invalid').search;
    const session = await this.oidc.finish(callbackUrl, pendingOf(req));
    res.clearCookie(PENDING_COOKIE, { path: '/v1/auth/oidc' });
    setSessionCookies(req, res, session, this.config);
    res.redirect(303, '/');
  }
}
