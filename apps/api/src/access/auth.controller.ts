import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccessService, CurrentPrincipal, Principal, PublicRoute, RequireScope, SESSION_COOKIE, SessionService, StartedSession } from '@tollgate/auth';
import { APP_CONFIG, AppConfig, UnauthorizedError, ValidationError, parseOrThrow } from '@tollgate/core';
import { openApiSchema } from '../http/openapi-schema';
import { EXAMPLE_USER, loginBodySchema, principalSchema, sessionAnswerSchema } from './access-api.schemas';
import { clearSessionCookies, readCookies, setSessionCookies } from './session.cookies';
import { ApiErrors } from '../openapi/zod-openapi';

const EXAMPLE_SESSION = { user: EXAMPLE_USER, csrf_token: 'kq0Pp2m6tq4p5zv0a1c9Q2sHq5Jw1mRk', expires_at: '2026-12-01T21:00:00.000Z' };

function sessionAnswer(session: StartedSession) {
  return { user: session.user, csrf_token: session.csrfToken, expires_at: session.expiresAt.toISOString() };
}

/** Console login: email and password, or the one-time link printed at first start; logout; who am I. */
@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(
    @Inject(SessionService) private readonly sessions: SessionService,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('login')
  @PublicRoute()
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with email and password: sets the session cookie (HttpOnly) and the CSRF cookie; the CSRF token is also in the answer' })
  @ApiBody({ schema: openApiSchema(loginBodySchema), examples: { login: { value: { email: 'dana@example.com', password: 'correct horse battery' } } } })
  @ApiOkResponse({ schema: openApiSchema(sessionAnswerSchema), example: EXAMPLE_SESSION })
  @ApiErrors(401)
  @ApiErrors(429)
  async login(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    this.access.countLoginAttempt(req.ip ?? 'unknown');
    const { email, password } = parseOrThrow(loginBodySchema, body, { whole: '(body)', context: 'invalid request' });
    const session = await this.sessions.login(email, password);
    if (!session) throw new UnauthorizedError('wrong email or password');
    setSessionCookies(req, res, session, this.config);
    return sessionAnswer(session);
  }

  @Get('login-link')
  @PublicRoute()
  @ApiOperation({ summary: 'Use the one-time login link printed at first start: sets the session cookies and redirects to the console' })
  @ApiQuery({ name: 'token', required: true, schema: { type: 'string' }, example: 'tgl_Rr3o0...' })
  @ApiResponse({ status: 303, description: 'logged in; redirects to /' })
  @ApiErrors(401)
  async loginLink(@Query('token') token: string | undefined, @Req() req: Request, @Res() res: Response) {
    if (!token) throw ValidationError.field('token', 'required: the token of the login link');
    this.access.countLoginAttempt(req.ip ?? 'unknown');
    const session = await this.sessions.useLoginLink(token);
    if (!session) throw new UnauthorizedError('this login link was used already, has expired or is unknown');
    setSessionCookies(req, res, session, this.config);
    res.redirect(303, '/');
  }

  @Post('logout')
  @RequireScope('read')
  @HttpCode(200)
  @ApiOperation({ summary: 'End the session of the session cookie (a bearer token has no session: nothing to end)' })
  @ApiOkResponse({ schema: { type: 'object', properties: { logged_out: { type: 'boolean' } }, required: ['logged_out'] }, example: { logged_out: true } })
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const sessionId = req.headers.authorization === undefined ? readCookies(req)[SESSION_COOKIE] : undefined;
    if (sessionId) await this.sessions.logout(sessionId);
    clearSessionCookies(req, res, this.config);
    return { logged_out: sessionId !== undefined };
  }

  @Get('me')
  @RequireScope('read')
  @ApiOperation({ summary: 'Who is calling: the user or token, its scopes and team limit' })
  @ApiOkResponse({
    schema: openApiSchema(principalSchema),
    example: { kind: 'user', id: EXAMPLE_USER.id, name: EXAMPLE_USER.email, scopes: ['read', 'write'], teams: null },
  })
  me(@CurrentPrincipal() principal: Principal | undefined) {
    return principal;
  }
}
