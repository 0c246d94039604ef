import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLogService } from './audit-log.service';

/** Provides the one AuditLogService of an app. Needs the global StorageModule (for the DataSource). */
@Module({
  providers: [{ provide: AuditLogService, useFactory: (dataSource: DataSource) => new AuditLogService(dataSource), inject: [DataSource] }],
  exports: [AuditLogService],
})
export class AuditModule {}
