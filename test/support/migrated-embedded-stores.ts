import { after, before } from 'node:test';
import { loadConfig } from '@tollgate/core';
import { Stores } from '@tollgate/storage';
import { StoreTarget, embeddedTarget } from './test-env';

/**
 * Embedded stores with every ClickHouse migration applied, for a `describe` block: opened before its tests, closed
 * (and their data dir removed) after. Call it inside the `describe`; the getter answers from the tests on.
 */
export function migratedEmbeddedStores(): () => Stores {
  let target: StoreTarget | undefined;
  let stores: Stores | undefined;
  before(async () => {
    target = await embeddedTarget.create();
    stores = await Stores.open(loadConfig(target.env));
    await stores.clickhouseMigrator().migrate();
  });
  after(async () => {
    await stores?.close();
    await target?.cleanup();
  });
  return () => {
    if (!stores) throw new Error('the embedded stores are opened in the before hook: use them from a test');
    return stores;
  };
}
