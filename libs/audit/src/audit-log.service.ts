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

  /** Entries matching the filter, oldest first unless `order: 'desc'`. */
  list(filter: AuditListFilter = {}): Promise<AuditRecord[]> {
    return this.repository.list(filter);
  }

  /**
   * `GET /v1/audit`: a page of entries, newest first, and the cursor of the next (older) page — null on the last.
   * Reads one entry more than the page to know whether another page follows.
   */
  async page(filter: Omit<AuditListFilter, 'order' | 'limit'>, limit: number): Promise<{ entries: AuditRecord[]; next_cursor: string | null }> {
    const rows = await this.repository.list({ ...filter, order: 'desc', limit: limit + 1 });
    const entries = rows.slice(0, limit);
    return { entries, next_cursor: rows.length > limit ? String(entries[entries.length - 1].id) : null };
  }
}
