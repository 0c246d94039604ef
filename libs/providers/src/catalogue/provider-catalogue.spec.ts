import { after, afterEach, before, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { UnavailableError, hashSecret, setLogLevel } from '@tollgate/core';
import { CatalogueNotLoadedError, CatalogueSnapshot, CatalogueSource, ProviderCatalogue } from './provider-catalogue';

const SNAPSHOT: CatalogueSnapshot = {
  targets: [
    {
      deploymentId: 'd1',
      providerId: 'p1',
      providerName: 'openai-main',
      kind: 'openai',
      baseUrl: 'http://upstream/v1',
      settings: {},
      credentials: { apiKey: 'sk' },
      model: 'gpt-4o-mini',
      upstreamModel: 'gpt-4o-mini',
      providerAccount: '',
      region: '',
      gpuPool: null,
      createdAt: '2026-01-02T03:04:05.123456Z',
    },
  ],
  keys: [{ id: 'k1', name: 'svc', keyHash: hashSecret('tg-key'), defaults: {}, allowedModels: null }],
};

/** A source answering from a script: each load takes the next outcome (the last one repeats). */
class ScriptedSource implements CatalogueSource {
  calls = 0;
  constructor(private readonly outcomes: (CatalogueSnapshot | Error)[]) {}
  async load(): Promise<CatalogueSnapshot> {
    const outcome = this.outcomes.length > 1 ? this.outcomes.shift()! : this.outcomes[0];
    this.calls++;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }
  script(...outcomes: (CatalogueSnapshot | Error)[]): void {
    this.outcomes.splice(0, this.outcomes.length, ...outcomes);
  }
}

const down = () => new UnavailableError('api unreachable for the catalogue: connect ECONNREFUSED 127.0.0.1:4000');
/** Lets the load's promise chain settle (setImmediate is not mocked). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function advance(ms: number): Promise<void> {
  mock.timers.tick(ms);
  await settle();
}

describe('ProviderCatalogue', () => {
  before(() => setLogLevel('silent'));
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval'] }));
  afterEach(() => mock.timers.reset());
  after(() => setLogLevel('info'));

  it('with retryUntilLoaded: starts with the source down, retries at 0.5 s doubling to 5 s, then refreshes periodically', async () => {
    const source = new ScriptedSource([down()]);
    const catalogue = new ProviderCatalogue(source, { refreshMs: 30_000 });
    await catalogue.start({ retryUntilLoaded: true });
    await settle();
    assert.equal(source.calls, 1);
    assert.equal(catalogue.loaded, false);
    assert.throws(
      () => catalogue.assertLoaded(),
      (error: unknown) => error instanceof CatalogueNotLoadedError && error.message === 'catalogue not loaded yet: api unreachable for the catalogue: connect ECONNREFUSED 127.0.0.1:4000',
    );
    // A request for an unknown key before the first load does not add load attempts: the backoff paces them.
    assert.equal(await catalogue.keyAfterReload(hashSecret('tg-key')), undefined);
    assert.equal(source.calls, 1);

    for (const gap of [500, 1_000, 2_000, 4_000, 5_000, 5_000]) {
      const callsBefore: number = source.calls;
      await advance(gap - 1);
      assert.equal(source.calls, callsBefore, `no attempt before ${gap} ms`);
      await advance(1);
      assert.equal(source.calls, callsBefore + 1, `an attempt after ${gap} ms`);
    }

    source.script(SNAPSHOT);
    await advance(5_000);
    assert.equal(catalogue.loaded, true);
    assert.doesNotThrow(() => catalogue.assertLoaded());
    assert.equal(catalogue.keyFor('tg-key')?.id, 'k1');
    const loadedAt = source.calls;
    await advance(29_999);
    assert.equal(source.calls, loadedAt, 'no more backoff once loaded');
    await advance(1);
    assert.equal(source.calls, loadedAt + 1, 'the periodic refresh took over');
    catalogue.stop();
  });

  it('once loaded, a failed refresh keeps serving the last snapshot and stays loaded', async () => {
    const source = new ScriptedSource([SNAPSHOT]);
    const catalogue = new ProviderCatalogue(source, { refreshMs: 1_000 });
    await catalogue.start({ retryUntilLoaded: true });
    await settle();
    assert.equal(catalogue.loaded, true);
    source.script(down());
    await advance(1_000);
    await assert.rejects(catalogue.refresh(), UnavailableError);
    assert.equal(source.calls, 3);
    assert.doesNotThrow(() => catalogue.assertLoaded());
    assert.deepEqual(catalogue.listModels(), ['gpt-4o-mini']);
    assert.equal(catalogue.targets('gpt-4o-mini')?.[0].providerName, 'openai-main');
    catalogue.stop();
  });

  it('a load that succeeds outside the backoff (a manual refresh) ends the backoff; stop() ends it too', async () => {
    const source = new ScriptedSource([down()]);
    const catalogue = new ProviderCatalogue(source, { refreshMs: 60_000 });
    await catalogue.start({ retryUntilLoaded: true });
    await settle();
    source.script(SNAPSHOT);
    await catalogue.refresh();
    assert.equal(catalogue.loaded, true);
    const calls = source.calls;
    await advance(59_999);
    assert.equal(source.calls, calls, 'the pending retry was cancelled');
    catalogue.stop();

    const stopped = new ScriptedSource([down()]);
    const other = new ProviderCatalogue(stopped);
    await other.start({ retryUntilLoaded: true });
    await settle();
    other.stop();
    await advance(60_000);
    assert.equal(stopped.calls, 1);
  });

  it('hands each applied snapshot to its snapshot listeners, and the current one to a listener added later', async () => {
    const source = new ScriptedSource([SNAPSHOT]);
    const catalogue = new ProviderCatalogue(source);
    const early: CatalogueSnapshot[] = [];
    catalogue.onSnapshot((snapshot) => early.push(snapshot));
    assert.deepEqual(early, [], 'nothing loaded yet: nothing to hand out');
    await catalogue.refresh();
    const late: CatalogueSnapshot[] = [];
    catalogue.onSnapshot((snapshot) => late.push(snapshot));
    assert.deepEqual([early.length, late.length], [1, 1]);
    assert.equal(late[0], early[0]);
    const next: CatalogueSnapshot = { ...SNAPSHOT, keys: [] };
    source.script(next);
    await catalogue.refresh();
    assert.deepEqual([early.at(-1), late.at(-1)], [next, next]);
    source.script(down());
    await assert.rejects(catalogue.refresh(), UnavailableError);
    assert.deepEqual([early.length, late.length], [2, 2], 'a failed refresh hands out nothing');
  });

  it('by default (the all-in-one process) a failed first load throws and nothing keeps retrying', async () => {
    const source = new ScriptedSource([down()]);
    const catalogue = new ProviderCatalogue(source);
    await assert.rejects(catalogue.start(), /api unreachable/);
    await advance(60_000);
    assert.equal(source.calls, 1);
    assert.throws(() => catalogue.assertLoaded(), CatalogueNotLoadedError);
  });
});
