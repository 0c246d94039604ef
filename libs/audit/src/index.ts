export { type AuditEntry, type AuditListFilter, type AuditRecord } from './audit-log.repository';
export { AuditLogService } from './audit-log.service';
export { AuditModule } from './audit.module';
