export { type AuditEntry } from './audit-log.repository';
export { AuditLogService } from './audit-log.service';
export { AuditModule } from './audit.module';
