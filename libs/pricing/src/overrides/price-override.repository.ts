import { DataSource, EntityManager } from 'typeorm';
import { AuditLogService } from '@tollgate/audit';
import { ConflictError, NotFoundError } from '@tollgate/core';
import type { PriceOverrideSource } from '../pricing.service';
import type { PriceOverride } from './price-override';
import { PriceOverrideEntity } from './price-override.entity';

/** Fields a create or a correction writes (id, revision and timestamps are the repository's). */
export type PriceOverrideDraft = Omit<PriceOverride, 'id' | 'revision' | 'created_at' | 'updated_at' | 'created_by'>;

export interface OverrideListFilter {
  provider?: string;
  model?: string;
  kind?: string;
  /** Only overrides in force at this instant. */
  activeAt?: Date;
}

/**
 * PostgreSQL access for price overrides. Every write runs in one transaction that takes a table lock, checks for an
 * overlapping effective range of the same (provider, model, account, kind, tier), writes the row and records its
 * audit entry (through @tollgate/audit, in the same transaction) — so two concurrent writers cannot both slip an
 * overlap in, and nothing is half-written.
 */
export class PriceOverrideRepository implements PriceOverrideSource {
  constructor(
    private readonly dataSource: DataSource,
    private readonly auditLog = new AuditLogService(dataSource),
  ) {}

  async listAll(): Promise<PriceOverride[]> {
    return this.dataSource.getRepository(PriceOverrideEntity).find({ order: { effective_from: 'ASC', id: 'ASC' } });
  }

  async list(filter: OverrideListFilter): Promise<PriceOverride[]> {
    const qb = this.dataSource.getRepository(PriceOverrideEntity).createQueryBuilder('o').orderBy('o.effective_from', 'ASC').addOrderBy('o.id', 'ASC');
    if (filter.provider) qb.andWhere('o.provider = :provider', { provider: filter.provider });
    if (filter.model) qb.andWhere('lower(o.model) = lower(:model)', { model: filter.model });
    if (filter.kind) qb.andWhere('o.kind = :kind', { kind: filter.kind });
    if (filter.activeAt) {
      qb.andWhere('o.effective_from <= :at AND (o.effective_to IS NULL OR o.effective_to > :at)', { at: filter.activeAt });
    }
    return qb.getMany();
  }

  async get(id: string): Promise<PriceOverride> {
    const found = await this.dataSource.getRepository(PriceOverrideEntity).findOneBy({ id });
    if (!found) throw new NotFoundError('price override', id);
    return found;
  }

  /**
   * `beforeCommit` runs inside the transaction after the write (the restatement outbox entry goes there): if it
   * throws, the write rolls back, so an accepted change never lacks its restatement.
   */
  async create(draft: PriceOverrideDraft, actor: string, beforeCommit?: (row: PriceOverride, m: EntityManager) => Promise<void>): Promise<PriceOverride> {
    return this.dataSource.transaction(async (m) => {
      await lock(m);
      await assertNoOverlap(m, draft, null);
      const repo = m.getRepository(PriceOverrideEntity);
      const saved = await repo.save(repo.create({ ...draft, revision: 1, created_by: actor, updated_by: actor }));
      const row = await repo.findOneByOrFail({ id: saved.id });
      await this.auditLog.record({ actor, action: 'price_override.created', entity: 'price_override', entityId: row.id, details: { after: row } }, m);
      await beforeCommit?.(row, m);
      return row;
    });
  }

  /** Replaces the override's fields with `next` and bumps its revision. Returns the row before and after. */
  async correct(
    id: string,
    next: PriceOverrideDraft,
    actor: string,
    beforeCommit?: (change: { before: PriceOverride; after: PriceOverride }, m: EntityManager) => Promise<void>,
  ): Promise<{ before: PriceOverride; after: PriceOverride }> {
    return this.dataSource.transaction(async (m) => {
      await lock(m);
      const repo = m.getRepository(PriceOverrideEntity);
      const before = await repo.findOneBy({ id });
      if (!before) throw new NotFoundError('price override', id);
      await assertNoOverlap(m, next, id);
      const snapshot = { ...before };
      await repo.save(Object.assign(before, next, { revision: before.revision + 1, updated_at: new Date(), updated_by: actor }));
      const after = await repo.findOneByOrFail({ id });
      await this.auditLog.record({ actor, action: 'price_override.corrected', entity: 'price_override', entityId: id, details: { before: snapshot, after } }, m);
      await beforeCommit?.({ before: snapshot, after }, m);
      return { before: snapshot, after };
    });
  }

  async remove(id: string, actor: string, beforeCommit?: (before: PriceOverride, m: EntityManager) => Promise<void>): Promise<PriceOverride> {
    return this.dataSource.transaction(async (m) => {
      await lock(m);
      const repo = m.getRepository(PriceOverrideEntity);
      const before = await repo.findOneBy({ id });
      if (!before) throw new NotFoundError('price override', id);
      await repo.delete({ id });
      await this.auditLog.record({ actor, action: 'price_override.deleted', entity: 'price_override', entityId: id, details: { before } }, m);
      await beforeCommit?.(before, m);
      return before;
    });
  }
}

async function lock(m: EntityManager): Promise<void> {
  // Serialises override writers (rare) against each other; readers are not blocked.
  await m.query(`LOCK TABLE tollgate.price_overrides IN SHARE ROW EXCLUSIVE MODE`);
}

async function assertNoOverlap(m: EntityManager, d: PriceOverrideDraft, exceptId: string | null): Promise<void> {
  const rows: Array<{ id: string; effective_from: Date; effective_to: Date | null }> = await m.query(
    `SELECT id, effective_from, effective_to FROM tollgate.price_overrides
      WHERE provider = $1 AND kind = $2
        AND model IS NOT DISTINCT FROM $3 AND provider_account IS NOT DISTINCT FROM $4 AND tier IS NOT DISTINCT FROM $5
        AND ($6::uuid IS NULL OR id <> $6::uuid)
        AND effective_from < COALESCE($8::timestamptz, 'infinity'::timestamptz)
        AND $7::timestamptz < COALESCE(effective_to, 'infinity'::timestamptz)
      ORDER BY effective_from LIMIT 1`,
    [d.provider, d.kind, d.model, d.provider_account, d.tier, exceptId, d.effective_from, d.effective_to],
  );
  if (rows.length) {
    const other = rows[0];
    const range = (from: Date, to: Date | null) => `[${new Date(from).toISOString()}, ${to ? new Date(to).toISOString() : '∞'})`;
    throw new ConflictError(
      `effective range ${range(d.effective_from, d.effective_to)} overlaps price override ${other.id} ${range(other.effective_from, other.effective_to)} ` +
        `for the same provider, model, account and kind${d.tier ? ` (tier ${d.tier})` : ''}; end that one first (PATCH its effective_to)`,
    );
  }
}
