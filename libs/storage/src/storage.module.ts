import { DynamicModule, Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '@tollgate/core';
import { Stores } from './stores';
import { CLICKHOUSE, QUEUES, STORES } from './storage.tokens';

/**
 * Makes an already-open `Stores` available to a Nest app: the config, the TypeORM `DataSource` (inject the class
 * itself), the ClickHouse client and the queue backend. The stores' lifetime belongs to whoever opened them (the
 * launcher), not to the Nest app, so api and worker in one process share one pool and one chDB session.
 */
@Global()
@Module({})
export class StorageModule {
  static forStores(stores: Stores): DynamicModule {
    return {
      module: StorageModule,
      providers: [
        { provide: STORES, useValue: stores },
        { provide: APP_CONFIG, useValue: stores.config },
        { provide: DataSource, useFactory: () => stores.dataSource },
        { provide: CLICKHOUSE, useValue: stores.clickhouse },
        { provide: QUEUES, useValue: stores.queues },
      ],
      exports: [STORES, APP_CONFIG, DataSource, CLICKHOUSE, QUEUES],
    };
  }
}
