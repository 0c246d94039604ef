export * from './process.launcher';
export * from './http-server';
export * from './health.controller';
