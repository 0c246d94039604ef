import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Dec } from '@tollgate/core';
import type { OverrideKind, PriceOverride } from './price-override';

const decimal = {
  to: (value: Dec | null | undefined) => (value == null ? null : value.toFixed()),
  from: (value: string | null) => (value == null ? null : new Dec(value)),
};

/** tollgate.price_overrides (migrations 1795306000000, 1795310000000). */
@Entity({ schema: 'tollgate', name: 'price_overrides' })
export class PriceOverrideEntity implements PriceOverride {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'integer', default: 1 }) revision!: number;
  @Column({ type: 'text' }) provider!: string;
  @Column({ type: 'text', nullable: true }) model!: string | null;
  @Column({ type: 'text', nullable: true }) provider_account!: string | null;
  @Column({ type: 'text' }) kind!: OverrideKind;
  @Column({ type: 'jsonb', default: {} }) prices!: Record<string, unknown>;
  @Column({ type: 'numeric', precision: 9, scale: 6, nullable: true, transformer: decimal }) discount_percent!: Dec | null;
  @Column({ type: 'text', nullable: true }) tier!: string | null;
  @Column({ type: 'char', length: 3, default: 'USD' }) currency!: string;
  @Column({ type: 'timestamptz' }) effective_from!: Date;
  @Column({ type: 'timestamptz', nullable: true }) effective_to!: Date | null;
  @Column({ type: 'text', default: '' }) note!: string;
  @Column({ type: 'text', default: 'system' }) created_by!: string;
  @CreateDateColumn({ type: 'timestamptz' }) created_at!: Date;
  @Column({ type: 'timestamptz', default: () => 'now()' }) updated_at!: Date;
  @Column({ type: 'text', nullable: true }) updated_by!: string | null;
}
