import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** tollgate.billing_sources (migration 1795306000000). Credentials are AES-256-GCM ciphertext, never plain. */
@Entity({ schema: 'tollgate', name: 'billing_sources' })
export class BillingSourceEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) kind!: string;
  @Column({ type: 'jsonb', default: {} }) settings!: Record<string, unknown>;
  @Column({ type: 'text', nullable: true }) credentials_ciphertext!: string | null;
  @Column({ type: 'text', nullable: true }) schedule!: string | null;
  @Column({ type: 'boolean', default: true }) enabled!: boolean;
  @Column({ type: 'jsonb', nullable: true }) sync_cursor!: Record<string, unknown> | null;
  @CreateDateColumn({ type: 'timestamptz' }) created_at!: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updated_at!: Date;
}

/** tollgate.billing_sync_runs (migrations 1795306000000, 1795330000000): one row per sync attempt. */
@Entity({ schema: 'tollgate', name: 'billing_sync_runs' })
export class BillingSyncRunEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'uuid' }) source_id!: string;
  @Column({ type: 'timestamptz' }) period_start!: Date;
  @Column({ type: 'timestamptz' }) period_end!: Date;
  @Column({ type: 'text' }) status!: 'running' | 'succeeded' | 'failed';
  @Column({ type: 'bigint', default: 0, transformer: { to: (v: number) => v, from: (v: string) => Number(v) } }) row_count!: number;
  @Column({ type: 'jsonb', default: [] }) totals!: unknown[];
  @Column({ type: 'timestamptz', default: () => 'now()' }) started_at!: Date;
  @Column({ type: 'timestamptz', nullable: true }) finished_at!: Date | null;
  @Column({ type: 'integer', nullable: true }) duration_ms!: number | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ type: 'integer', nullable: true }) error_line!: number | null;
  @Column({ type: 'text', default: 'manual' }) trigger!: string;
  @Column({ type: 'jsonb', default: [] }) inputs!: string[];
  @Column({ type: 'integer', default: 1 }) attempt!: number;
  /** Layout(s) the files were read as, comma-separated (migration 1795410000000); null for API sources' own rows. */
  @Column({ type: 'text', nullable: true }) format!: string | null;
}

export const BILLING_ENTITIES = [BillingSourceEntity, BillingSyncRunEntity];
