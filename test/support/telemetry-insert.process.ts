// A process that writes telemetry through the writer as fast as it can until it is killed: the child of
// test/e2e/telemetry-kill-insert.test.ts, which SIGKILLs it mid-insert. Batch b holds requests `k-<b>-<i>`; after
// each batch is stored it tells the parent which.
//   node dist/test/support/telemetry-insert.process.js <embedded ClickHouse dir> <database>
import { createClickHouseClient } from '@tollgate/storage';
import { ClickHouseTelemetryWriter } from '@tollgate/telemetry';
import { killTestBatch } from './telemetry-kill.fixture';

async function main(): Promise<void> {
  const [dir, database] = process.argv.slice(2);
  const client = await createClickHouseClient({ embeddedDir: dir, database });
  const writer = new ClickHouseTelemetryWriter(client, { flushIntervalMs: 1 });
  // The writer's flush timer does not hold the process open; this does, until the kill.
  setInterval(() => undefined, 60_000);
  for (let batch = 0; ; batch++) {
    await writer.write(killTestBatch(batch));
    process.send?.({ stored: batch });
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
