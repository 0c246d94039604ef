import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import { apiStarter } from '../../apps/api/src';
import { DomainErrorFilter } from '../../apps/api/src/errors/domain-error.filter';
import { UsageController } from '../../apps/api/src/telemetry/usage.controller';
import type { Principal } from '@tollgate/auth';
import { launch, RunningProcess } from '@tollgate/runtime';
import { ClickHouseTelemetryWriter, telemetryEventSchema, toLlmRequestRow, UsageQueryService } from '@tollgate/telemetry';
import { StoreTarget, storeTargets } from '../support/test-env';
import { adminAuth } from '../support/api-auth';
import { telemetryEvent } from '../fixtures/telemetry/telemetry-events.fixture';

interface UsageBody {
  source: string;
  rows: { bucket: string; group: Record<string, string>; currency: string; requests: number; errors: number; error_rate: number; tokens: Record<string, number>; estimated_cost: string; latency_p50_ms: number | null; latency_p95_ms: number | null }[];
}

for (const factory of storeTargets) {
  describe(`GET /v1/usage on ${factory.name} stores`, () => {
    let target: StoreTarget;
    let running: RunningProcess;
    let base: string;

    before(async () => {
      target = await factory.create();
      running = await launch(target.env, [apiStarter]);
      base = `${running.urls.api}/v1/usage`;
      const events = [
        telemetryEvent({ request_id: 'u-1', ts: '2026-11-02T09:10:00Z', feature: 'search', customer: 'acme', team: 'core', estimated_cost: '0.100000000001', latency_ms: 100 }),
        telemetryEvent({ request_id: 'u-2', ts: '2026-11-02T09:40:00Z', feature: 'search', customer: 'acme', team: 'core', estimated_cost: '0.200000000002', latency_ms: 300, status: 429 }),
        telemetryEvent({ request_id: 'u-3', ts: '2026-11-03T12:00:00Z', feature: 'chat', customer: '=HYPERLINK("x")', team: 'growth', estimated_cost: '1.5', latency_ms: 200 }),
      ].map((e) => toLlmRequestRow(telemetryEventSchema.parse(e)));
      const writer = new ClickHouseTelemetryWriter(running.stores.clickhouse);
      await writer.write([...events, ...events]);
      await writer.close();
    });
    after(async () => {
      await running?.stop();
      await target?.cleanup();
    });

    const get = (qs: string, headers: Record<string, string> = {}) => fetch(`${base}?${qs}`, { headers: adminAuth(headers) });

    it('answers from the hourly rollup by day and feature, with tokens, cost, latency and error rate', async () => {
      const res = await get('from=2026-11-01&to=2026-11-08&grain=day&group_by=feature');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-tollgate-source'), 'rollup');
      const body = (await res.json()) as UsageBody;
      assert.deepEqual(
        body.rows.map((r) => [r.bucket, r.group.feature, r.requests, r.errors, r.error_rate, r.tokens.input_tokens, r.tokens.cached_input_tokens, r.estimated_cost]),
        [
          ['2026-11-02T00:00:00Z', 'search', 2, 1, 0.5, 2000, 400, '0.300000000003'],
          ['2026-11-03T00:00:00Z', 'chat', 1, 0, 0, 1000, 200, '1.500000000000'],
        ],
      );
      // Nearest rank: p50 of {100, 300} is 100 and p95 is 300, each reported as its histogram bucket's value.
      // 100 ms: floor(7·log2 100) − 13 = 33, the bucket of 96…105 ms (2^(46/7) ≈ 95.1, 2^(47/7) ≈ 105.02), reported as
      // 2·96·105 / (96 + 105) = 100.299; 300 ms: bucket 44 = 283…312 ms, reported as 2·283·312 / 595 = 296.793.
      assert.deepEqual([body.rows[0].latency_p50_ms, body.rows[0].latency_p95_ms, body.rows[0].currency], [100.299, 296.793, 'USD']);
    });

    it('uses the day × customer rollup for per-customer days and raw rows for a dimension no rollup has', async () => {
      const byCustomer = await get('from=2026-11-01&to=2026-12-01&grain=month&group_by=customer&customer=acme');
      assert.equal(byCustomer.headers.get('x-tollgate-table'), 'llm_usage_daily_customer');
      const rows = ((await byCustomer.json()) as UsageBody).rows;
      assert.deepEqual(rows.map((r) => [r.bucket, r.group.customer, r.requests, r.estimated_cost]), [['2026-11-01T00:00:00Z', 'acme', 2, '0.300000000003']]);

      const byTeam = await get('from=2026-11-01T00:00:00Z&to=2026-11-08T00:00:00Z&grain=week&group_by=team');
      assert.equal(byTeam.headers.get('x-tollgate-source'), 'raw');
      const teams = ((await byTeam.json()) as UsageBody).rows;
      assert.deepEqual(teams.map((r) => [r.bucket, r.group.team, r.requests]), [
        ['2026-11-02T00:00:00Z', 'core', 2],
        ['2026-11-02T00:00:00Z', 'growth', 1],
      ]);
      const unaligned = await get('from=2026-11-02T09:30:00Z&to=2026-11-02T10:00:00Z&grain=hour');
      assert.equal(unaligned.headers.get('x-tollgate-source'), 'raw', 'a window inside an hour cannot come from the hourly rollup');
      assert.equal(((await unaligned.json()) as UsageBody).rows[0].requests, 1);
    });

    it('gives CSV with Accept: text/csv, formula-looking text neutralised', async () => {
      const res = await get('from=2026-11-01&to=2026-11-08&grain=day&group_by=customer', { accept: 'text/csv' });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
      const lines = (await res.text()).trim().split('\r\n');
      assert.equal(lines[0].split(',').slice(0, 6).join(','), 'bucket,customer,currency,requests,errors,error_rate');
      assert.equal(lines.length, 3);
      assert.ok(lines.some((l) => l.startsWith(`2026-11-03T00:00:00Z,"'=HYPERLINK(""x"")",USD,1,0,0,`)), lines.join('\n'));
    });

    it('answers 400 naming the parameter for bad input', async () => {
      for (const [qs, field] of [
        ['to=2026-11-08', 'from'],
        ['from=2026-11-08&to=2026-11-01', 'to'],
        ['from=yesterday&to=2026-11-01', 'from'],
        ['from=2026-11-01&to=2026-11-08&grain=minute', 'grain'],
        ['from=2026-11-01&to=2026-11-08&group_by=feature,price', 'group_by'],
        ['from=2026-11-01&to=2026-11-08&featur=search', 'featur'],
        ["from=2026-11-01&to=2026-11-08&group_by=feature;DROP TABLE llm_requests", 'group_by'],
      ]) {
        const res = await get(qs);
        assert.equal(res.status, 400, qs);
        const body = (await res.json()) as { error: { problems: { field: string }[] } };
        assert.deepEqual(body.error.problems.map((p) => p.field), [field], qs);
      }
    });

    it("answers a caller limited to some teams with those teams' rows only, and 403 when it asks for another", async () => {
      // The access guard sets `req.principal`; until it is wired into the api, this app sets one per request from a
      // test header, in front of the api's own controller and error filter, on the same ClickHouse.
      @Module({ controllers: [UsageController], providers: [{ provide: UsageQueryService, useValue: new UsageQueryService(running.stores.clickhouse) }] })
      class LimitedUsageModule {}
      const app: INestApplication = await NestFactory.create(LimitedUsageModule, { logger: false });
      app.useGlobalFilters(new DomainErrorFilter());
      app.use((req: Request & { principal?: Principal }, _res: Response, next: NextFunction) => {
        const teams = req.headers['x-test-teams'];
        if (typeof teams === 'string') req.principal = { kind: 'token', id: 't1', name: 'reader', scopes: ['read'], teams: teams === '' ? [] : teams.split(',') };
        next();
      });
      await app.listen(0, '127.0.0.1');
      const limited = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/v1/usage`;
      const ask = (qs: string, teams?: string) => fetch(`${limited}?${qs}`, { headers: teams === undefined ? {} : { 'x-test-teams': teams } });
      try {
        const week = 'from=2026-11-01&to=2026-11-08&grain=week&group_by=team';
        const all = (await (await ask(week)).json()) as UsageBody;
        assert.deepEqual(all.rows.map((r) => [r.group.team, r.requests]), [['core', 2], ['growth', 1]], 'no principal limit: every team');

        const growthOnly = await ask(week, 'growth');
        assert.equal(growthOnly.status, 200);
        const body = (await growthOnly.json()) as UsageBody & { filters: Record<string, string[]> };
        assert.deepEqual(body.rows.map((r) => [r.group.team, r.requests, r.estimated_cost]), [['growth', 1, '1.500000000000']]);
        assert.deepEqual(body.filters.team, ['growth']);
        // Ungrouped totals, from a rollup or raw, hold only the allowed team's requests too.
        const total = (await (await ask('from=2026-11-01&to=2026-11-08&grain=week&group_by=feature', 'growth')).json()) as UsageBody;
        assert.deepEqual(total.rows.map((r) => [r.group.feature, r.requests]), [['chat', 1]]);
        const none = (await (await ask(week, '')).json()) as UsageBody;
        assert.deepEqual(none.rows, [], 'a caller limited to no team reads nothing');

        for (const qs of [`${week}&team=core`, `${week}&team=growth,core`]) {
          const refused = await ask(qs, 'growth');
          assert.equal(refused.status, 403, qs);
          assert.match(((await refused.json()) as { error: { message: string } }).error.message, /^team: .*not core/);
        }
        const own = (await (await ask(`${week}&team=growth`, 'growth,core')).json()) as UsageBody;
        assert.deepEqual(own.rows.map((r) => r.group.team), ['growth']);
      } finally {
        await app.close();
      }
    });
  });
}
