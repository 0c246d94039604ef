import { Logger, loadConfig, setLogLevel } from '@tollgate/core';
import { Stores } from '@tollgate/storage';

/** `npm run migrate`: applies both stores' pending migrations and exits. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  setLogLevel(config.LOG_LEVEL);
  const stores = await Stores.open(config);
  try {
    const applied = await stores.migrate();
    new Logger('migrate').info('up to date', { applied });
  } finally {
    await stores.close();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`tollgate migrate: ${error.message}\n`);
  process.exit(1);
});
