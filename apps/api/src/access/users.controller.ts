import { Body, Controller, Get, Inject, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, Principal, RequireScope, UserService, userChangeSchema, userInputSchema } from '@tollgate/auth';
import { openApiSchema } from '../http/openapi-schema';
import { EXAMPLE_USER, userSchema } from './access-api.schemas';

/** Console users and their roles (viewer, finance, approver, admin): admin only. */
@ApiTags('access')
@RequireScope('admin')
@Controller('v1/users')
export class UsersController {
  constructor(@Inject(UserService) private readonly users: UserService) {}

  @Post()
  @ApiOperation({ summary: 'Create a console user (omit the password for OIDC-only users)' })
  @ApiBody({ schema: openApiSchema(userInputSchema), examples: { finance: { value: { email: 'dana@example.com', role: 'finance', password: 'correct horse battery' } } } })
  @ApiOkResponse({ schema: openApiSchema(userSchema), example: EXAMPLE_USER })
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.users.create(body, principal?.name ?? 'api');
  }

  @Get()
  @ApiOperation({ summary: 'Every console user (never a password hash)' })
  @ApiOkResponse({ schema: openApiSchema(z.object({ data: z.array(userSchema) })), example: { data: [EXAMPLE_USER] } })
  async list() {
    return { data: await this.users.list() };
  }

  @Patch(':id')
  @ApiOperation({ summary: "Change a user's role, team limit or password, or disable them; ends their sessions" })
  @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
  @ApiBody({ schema: openApiSchema(userChangeSchema), examples: { promote: { value: { role: 'admin' } }, disable: { value: { disabled: true } } } })
  @ApiOkResponse({ schema: openApiSchema(userSchema), example: { ...EXAMPLE_USER, role: 'admin' } })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.users.update(id, body, principal?.name ?? 'api');
  }
}
