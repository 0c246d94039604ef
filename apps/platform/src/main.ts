import { ApiBootstrapNotice, createApiStarter } from '../../api/src';
import { proxyStarter } from '../../proxy/src';
import { workerStarter } from '../../worker/src';
import { launch, runMain } from '@tollgate/runtime';

/** What a first start created, printed once: the one-time login link is in no log and no file. */
function bootstrapLines(notice: ApiBootstrapNotice | undefined): string[] {
  if (!notice) return [];
  const lines: string[] = [];
  if (notice.loginLink) lines.push(`  First start: log in as ${notice.adminEmail} with this one-time link (valid 24 h):`, `    ${notice.loginLink}`);
  else if (notice.adminEmail) lines.push(`  First start: created the admin ${notice.adminEmail} (password: TOLLGATE_ADMIN_PASSWORD)`);
  if (notice.adminTokenFile) lines.push(`  Admin API token (Authorization: Bearer …) in ${notice.adminTokenFile}`);
  return lines.length ? ['', ...lines] : [];
}

/**
 * `npm start`: api, proxy and worker in one process. With no store URLs set this runs on the embedded stores
 * (chDB allows one process per data directory, which is why the all-in-one is a single process).
 */
runMain(async () => {
  let notice: ApiBootstrapNotice | undefined;
  const api = createApiStarter({ onBootstrapNotice: (n) => (notice = n) });
  const running = await launch(process.env, [api, proxyStarter, workerStarter], { handleSignals: true });
  const lines = Object.entries(running.urls).map(([name, url]) => `  ${name.padEnd(7)} ${url}   (${url}/readyz)`);
  process.stdout.write(`\nTollgate is running (stores: ${JSON.stringify(running.stores.modes)})\n${[...lines, ...bootstrapLines(notice)].join('\n')}\n\n`);
});
