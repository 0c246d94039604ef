import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QueueEvents } from 'bullmq';
import { apiStarter } from '../../apps/api/src';
import { proxyStarter } from '../../apps/proxy/src';
import { workerStarter } from '../../apps/worker/src';
import { QueueName } from '@tollgate/storage';
import { launch } from '@tollgate/runtime';
import { StoreTarget, storeTargets } from '../support/test-env';

const starters = [apiStarter, proxyStarter, workerStarter];

for (const factory of storeTargets) {
  describe(`all-in-one platform on ${factory.name} stores`, () => {
    let target: StoreTarget;
    after(async () => target?.cleanup());

    it('serves /healthz and /readyz, keeps a row in each store and a finished job across a restart', async () => {
      target = await factory.create();
      const first = await launch(target.env, starters);
      let jobId: string;
      let drainJobId: string;
      try {
        for (const [app, url] of Object.entries(first.urls)) {
          const health = await fetch(`${url}/healthz`);
          assert.equal(health.status, 200);
          const ready = await fetch(`${url}/readyz`);
          const report = (await ready.json()) as { ready: boolean; checks: Record<string, { ok: boolean; mode: string }> };
          assert.equal(ready.status, 200, JSON.stringify(report));
          assert.equal(report.ready, true);
          // The proxy is ready only with its catalogue loaded (here from its own PostgreSQL).
          const expected = app === 'proxy' ? ['catalogue', 'clickhouse', 'migrations', 'postgres', 'queue'] : ['clickhouse', 'migrations', 'postgres', 'queue'];
          assert.deepEqual(Object.keys(report.checks).sort(), expected);
          if (app === 'proxy') assert.deepEqual([report.checks.catalogue.ok, report.checks.catalogue.mode], [true, 'postgres']);
        }

        await first.stores.dataSource.query(`INSERT INTO tollgate.features (key, name) VALUES ($1, $2)`, ['search', 'Semantic search']);
        await first.stores.clickhouse.insert({
          table: 'llm_requests',
          format: 'JSONEachRow',
          values: [
            {
              ts: '2026-11-20 10:00:00.000',
              request_id: 'req-restart-1',
              feature: 'search',
              customer: 'acme',
              provider: 'openai',
              model: 'gpt-4o-mini',
              status: 200,
              input_tokens: 1000,
              output_tokens: 200,
              usage_source: 'provider',
              latency_ms: 420,
              estimated_cost: '0.000270000000',
              currency: 'USD',
              version: 1,
            },
          ],
        });

        const queue = first.stores.queues.queue(QueueName.System);
        const events = first.stores.queues.events(QueueName.System);
        await events.waitUntilReady();
        const job = await queue.add('self-check', { requestedBy: 'platform-restart.test' });
        jobId = String(job.id);
        const result = (await job.waitUntilFinished(events as QueueEvents, 60_000)) as { ok: boolean; jobId: string };
        assert.deepEqual({ ok: result.ok, jobId: result.jobId }, { ok: true, jobId });
        // Shutdown drains: a job still running when stop() is called finishes before the stores close.
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let markActive!: () => void;
        const active = new Promise<void>((resolve) => (markActive = resolve));
        first.stores.queues.worker('drain-check', async () => {
          markActive();
          await gate;
          return 'finished during shutdown';
        });
        const drainJob = await first.stores.queues.queue('drain-check').add('slow', {});
        drainJobId = String(drainJob.id);
        await active;
        const stopping = first.stop();
        let stopped = false;
        void stopping.then(() => (stopped = true));
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(stopped, false, 'stop() waits for the active job');
        release();
        await stopping;
      } finally {
        await first.stop();
      }

      const second = await launch(target.env, starters);
      try {
        const features = await second.stores.dataSource.query(`SELECT key, name FROM tollgate.features`);
        assert.deepEqual(features, [{ key: 'search', name: 'Semantic search' }]);

        const rows = await (
          await second.stores.clickhouse.query({
            query: 'SELECT request_id, feature, estimated_cost FROM llm_requests FINAL WHERE request_id = {id:String}',
            query_params: { id: 'req-restart-1' },
            format: 'JSONEachRow',
          })
        ).json();
        assert.deepEqual(rows, [{ request_id: 'req-restart-1', feature: 'search', estimated_cost: '0.00027' }]);

        const job = await second.stores.queues.queue(QueueName.System).getJob(jobId);
        assert.ok(job, 'the finished job survives the restart');
        assert.equal(await job.getState(), 'completed');
        assert.equal((job.returnvalue as { jobId: string }).jobId, jobId);

        const drained = await second.stores.queues.queue('drain-check').getJob(drainJobId);
        assert.equal(await drained!.getState(), 'completed');
        assert.equal(drained!.returnvalue, 'finished during shutdown');

        const ready = await fetch(`${second.urls.api}/readyz`);
        assert.equal(ready.status, 200);
      } finally {
        await second.stop();
      }
    });
  });
}
