export * from './process.launcher';
export * from './http-server';
