/** What the audit log is written through: the DataSource, or a transaction's EntityManager (both have `query`). */
export interface AuditQueryRunner {
  query(sql: string, params?: unknown[]): Promise<any>;
}

/** One change to record: who did what to which entity, with what it takes to understand it later. */
export interface AuditEntry {
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  details?: Record<string, unknown>;
}

/** A recorded entry, as stored. */
export interface AuditRecord {
  id: string;
  at: Date;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  details: Record<string, unknown>;
}

export interface AuditListFilter {
  /** Entity kinds (e.g. `price_override`); any when omitted. */
  entities?: string[];
  entityId?: string;
  actor?: string;
  /** Entries at or after `from` and before `to`. */
  from?: Date;
  to?: Date;
  /** Paging: entries with an id below (newest first) or above (oldest first) this one. */
  cursor?: string;
  /** `asc` (oldest first, the default) or `desc` (newest first). */
  order?: 'asc' | 'desc';
  limit?: number;
}

/** The only SQL on `tollgate.audit_log`: append-only inserts and filtered reads in insertion order. */
export class AuditLogRepository {
  constructor(private readonly db: AuditQueryRunner) {}

  async insert(entry: AuditEntry, runner: AuditQueryRunner = this.db): Promise<void> {
    await runner.query(`INSERT INTO tollgate.audit_log (actor, action, entity, entity_id, details) VALUES ($1, $2, $3, $4, $5::jsonb)`, [
      entry.actor,
      entry.action,
      entry.entity,
      entry.entityId,
      JSON.stringify(entry.details ?? {}),
    ]);
  }

  async list(filter: AuditListFilter): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.entities) {
      params.push(filter.entities);
      where.push(`entity = ANY($${params.length}::text[])`);
    }
    if (filter.entityId !== undefined) {
      params.push(filter.entityId);
      where.push(`entity_id = $${params.length}`);
    }
    if (filter.actor !== undefined) {
      params.push(filter.actor);
      where.push(`actor = $${params.length}`);
    }
    if (filter.from !== undefined) {
      params.push(filter.from);
      where.push(`at >= $${params.length}`);
    }
    if (filter.to !== undefined) {
      params.push(filter.to);
      where.push(`at < $${params.length}`);
    }
    const descending = filter.order === 'desc';
    if (filter.cursor !== undefined) {
      params.push(filter.cursor);
      where.push(`id ${descending ? '<' : '>'} $${params.length}::bigint`);
    }
    let sql = `SELECT id, at, actor, action, entity, entity_id, details FROM tollgate.audit_log`;
    if (where.length) sql += ` WHERE ${where.join(' AND ')}`;
    sql += descending ? ' ORDER BY id DESC' : ' ORDER BY id';
    if (filter.limit !== undefined) {
      params.push(filter.limit);
      sql += ` LIMIT $${params.length}`;
    }
    return this.db.query(sql, params);
  }
}
