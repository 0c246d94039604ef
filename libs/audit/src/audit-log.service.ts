import { AuditEntry, AuditListFilter, AuditLogRepository, AuditQueryRunner, AuditRecord } from './audit-log.repository';

/**
 * The audit log: every lib that changes configuration records its changes here, and reads them back here.
 * `record` takes the caller's transaction (a TypeORM EntityManager) when the change and its entry must commit or
 * roll back together, as price overrides do.
 */
export class AuditLogService {
  private readonly repository: AuditLogRepository;

  constructor(db: AuditQueryRunner) {
    this.repository = new AuditLogRepository(db);
  }

  /** Appends an entry; with `transaction`, inside it. */
  record(entry: AuditEntry, transaction?: AuditQueryRunner): Promise<void> {
    return this.repository.insert(entry, transaction);
  }

  /** Entries matching the filter, oldest first. */
  list(filter: AuditListFilter = {}): Promise<AuditRecord[]> {
    return this.repository.list(filter);
  }
}
