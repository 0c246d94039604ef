/** Nest injection tokens for the stores; inject these, never construct clients in domain code. */
export const STORES = Symbol('STORES');
export const CLICKHOUSE = Symbol('CLICKHOUSE');
export const QUEUES = Symbol('QUEUES');
