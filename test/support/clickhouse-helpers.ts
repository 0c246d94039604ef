import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { projectRoot } from '@tollgate/storage';
import { ClickHouseTelemetryWriter, telemetryEventSchema, toLlmRequestRow } from '@tollgate/telemetry';
import type { TelemetryEventInput } from '@tollgate/telemetry';
import { telemetryEvent } from '../fixtures/telemetry/telemetry-events.fixture';

/**
 * Copies the project's ClickHouse migration files numbered up to `upTo` into `dir`, so a test can migrate a database
 * to a given point (and on, by copying more), whatever later migrations add.
 */
export function copyClickHouseMigrations(dir: string, upTo: number): void {
  const source = join(projectRoot(), 'migrations', 'clickhouse');
  for (const file of readdirSync(source)) if (Number(file.slice(0, 4)) <= upTo) copyFileSync(join(source, file), join(dir, file));
}

/** Writes fixture events, each as the given row version, through the telemetry writer as the collector does. */
export async function writeEventVersions(client: ClickHouseClient, events: [Partial<TelemetryEventInput>, number][]) {
  const writer = new ClickHouseTelemetryWriter(client, { flushIntervalMs: 1 });
  const outcome = writer.write(events.map(([e, version]) => toLlmRequestRow(telemetryEventSchema.parse(telemetryEvent(e)), undefined, version)));
  await writer.close();
  return outcome;
}
