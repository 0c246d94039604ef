import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseMigrator, MigrationChecksumError, createClickHouseClient, splitStatements } from '@tollgate/storage';
import { tempDir } from '../support/test-env';

describe('ClickHouse migration runner (chDB)', () => {
  const dir = tempDir('tollgate-chmig-');
  const migrations = join(dir, 'migrations');
  let client: ClickHouseClient;

  before(async () => {
    mkdirSync(migrations);
    client = await createClickHouseClient({ embeddedDir: join(dir, 'ch'), database: 'migrator_test' });
  });
  after(async () => {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tables = async () =>
    (
      await (await client.query({ query: 'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name', format: 'JSONEachRow' })).json<{
        name: string;
      }>()
    ).map((r) => r.name);

  it('applies files in version order, records them, and does nothing the second time', async () => {
    writeFileSync(join(migrations, '0002_second.up.sql'), 'CREATE TABLE IF NOT EXISTS b (x UInt8) ENGINE = MergeTree ORDER BY x;\n');
    writeFileSync(
      join(migrations, '0001_first.up.sql'),
      '-- two statements in one file\nCREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = MergeTree ORDER BY x;\nINSERT INTO a VALUES (1), (2);\n',
    );
    writeFileSync(join(migrations, '0001_first.down.sql'), 'DROP TABLE IF EXISTS a;\n');
    const migrator = new ClickHouseMigrator(client, migrations);
    assert.deepEqual(await migrator.pending(), [1, 2]);
    assert.deepEqual(await migrator.migrate(), ['0001_first.up.sql', '0002_second.up.sql']);
    assert.deepEqual(await migrator.migrate(), []);
    assert.deepEqual(await migrator.pending(), []);
    assert.deepEqual(await tables(), ['a', 'b', 'schema_migrations']);
    const rows = await (await client.query({ query: 'SELECT count() AS n FROM a', format: 'JSONEachRow' })).json<{ n: string }>();
    assert.equal(rows[0].n, '2', 'the insert ran once, not twice');
  });

  it('refuses to run when an applied file was edited, naming the file', async () => {
    writeFileSync(join(migrations, '0002_second.up.sql'), 'CREATE TABLE IF NOT EXISTS b (x UInt16) ENGINE = MergeTree ORDER BY x;\n');
    writeFileSync(join(migrations, '0003_third.up.sql'), 'CREATE TABLE IF NOT EXISTS c (x UInt8) ENGINE = MergeTree ORDER BY x;\n');
    const migrator = new ClickHouseMigrator(client, migrations);
    await assert.rejects(migrator.migrate(), (error: unknown) => {
      assert.ok(error instanceof MigrationChecksumError);
      assert.match(error.message, /0002_second\.up\.sql was edited/);
      return true;
    });
    assert.ok(!(await tables()).includes('c'), 'nothing after the edited file is applied');
    writeFileSync(join(migrations, '0002_second.up.sql'), 'CREATE TABLE IF NOT EXISTS b (x UInt8) ENGINE = MergeTree ORDER BY x;\n');
    assert.deepEqual(await migrator.migrate(), ['0003_third.up.sql']);
  });

  it('rejects misnamed files and duplicate versions', async () => {
    writeFileSync(join(migrations, '0004-bad-name.sql'), 'SELECT 1;');
    await assert.rejects(new ClickHouseMigrator(client, migrations).migrate(), /0004-bad-name\.sql: name must be NNNN_name\.up\.sql/);
    rmSync(join(migrations, '0004-bad-name.sql'));
    writeFileSync(join(migrations, '0003_again.up.sql'), 'SELECT 1;');
    await assert.rejects(new ClickHouseMigrator(client, migrations).migrate(), /share version 3/);
    rmSync(join(migrations, '0003_again.up.sql'));
  });

  it('rolls back the newest migration with its down file', async () => {
    rmSync(join(migrations, '0002_second.up.sql'));
    rmSync(join(migrations, '0003_third.up.sql'));
    const migrator = new ClickHouseMigrator(client, migrations);
    assert.deepEqual(await migrator.rollback(1), ['1_first']);
    assert.ok(!(await tables()).includes('a'));
    assert.deepEqual(await migrator.pending(), [1]);
  });

  it('splits statements at line-ending semicolons and drops comment lines', () => {
    assert.deepEqual(splitStatements("-- c\nSELECT 'a;b';\nSELECT 2;\n\n"), ["SELECT 'a;b'", 'SELECT 2']);
  });
});
