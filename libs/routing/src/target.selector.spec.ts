import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CatalogueSnapshot, CatalogueSource, ProviderCatalogue, ProviderKind, ProviderTarget } from '@tollgate/providers';
import { deploymentFixture } from './deployment.fixture';
import { EndpointRequirement, TargetSelector } from './target.selector';
import { ModelNotFoundError, UnsupportedEndpointError } from './routing.errors';

const deployment = (id: string, model: string, kind: ProviderKind, createdAt: string) => deploymentFixture(id, model, createdAt, kind);

/** A source serving whatever snapshot it was last given. */
class MemorySource implements CatalogueSource {
  loads = 0;
  constructor(public snapshot: CatalogueSnapshot) {}
  async load(): Promise<CatalogueSnapshot> {
    this.loads++;
    return this.snapshot;
  }
}

const anyEndpoint: EndpointRequirement = { endpoint: 'chat', supports: () => true };
const anthropicOnly: EndpointRequirement = { endpoint: 'messages', supports: (t) => t.kind === 'anthropic' };
const ids = (targets: ProviderTarget[]) => targets.map((t) => t.deploymentId);

/** claude: an OpenAI-compatible deployment (oldest), then two Anthropic ones; listed newest first. */
const SNAPSHOT: CatalogueSnapshot = {
  targets: [
    deployment('anthropic-2', 'claude', 'anthropic', '2026-01-03T00:00:00.000000Z'),
    deployment('anthropic-1', 'claude', 'anthropic', '2026-01-02T00:00:00.000000Z'),
    deployment('compatible', 'claude', 'openai_compatible', '2026-01-01T00:00:00.000000Z'),
    deployment('gpt', 'gpt-4o', 'openai', '2026-01-01T00:00:00.000000Z'),
  ],
  keys: [],
};

async function loadedSelector(snapshot = SNAPSHOT): Promise<{ selector: TargetSelector; source: MemorySource }> {
  const source = new MemorySource(snapshot);
  const catalogue = new ProviderCatalogue(source, { missReloadMs: 0 });
  const selector = new TargetSelector(catalogue);
  await catalogue.refresh();
  return { selector, source };
}

function syncCandidates(selector: TargetSelector, model: string, requirement: EndpointRequirement): ProviderTarget[] {
  const candidates = selector.candidates(model, requirement);
  assert.ok(Array.isArray(candidates), 'a known model is answered synchronously');
  return candidates;
}

describe('TargetSelector', () => {
  it('offers a model\'s deployments in routing order, the same array on every request when all qualify', async () => {
    const { selector } = await loadedSelector();
    const first = syncCandidates(selector, 'claude', anyEndpoint);
    assert.deepEqual(ids(first), ['compatible', 'anthropic-1', 'anthropic-2']);
    assert.equal(syncCandidates(selector, 'claude', anyEndpoint), first, 'no copy, no sort per request');
    assert.equal(selector.firstChoice('claude')?.deploymentId, 'compatible');
  });

  it('keeps only the deployments the endpoint supports, in routing order', async () => {
    const { selector } = await loadedSelector();
    assert.deepEqual(ids(syncCandidates(selector, 'claude', anthropicOnly)), ['anthropic-1', 'anthropic-2']);
    const notFirst: EndpointRequirement = { endpoint: 'chat', supports: (t) => t.deploymentId !== 'anthropic-1' };
    assert.deepEqual(ids(syncCandidates(selector, 'claude', notFirst)), ['compatible', 'anthropic-2']);
    assert.deepEqual(ids(syncCandidates(selector, 'claude', anyEndpoint)), ['compatible', 'anthropic-1', 'anthropic-2'], 'the route itself is never changed');
  });

  it('refuses a model no deployment of which supports the endpoint', async () => {
    const { selector } = await loadedSelector();
    assert.throws(
      () => selector.candidates('gpt-4o', anthropicOnly),
      (error: unknown) =>
        error instanceof UnsupportedEndpointError &&
        error.message === "no deployment of 'gpt-4o' supports messages" &&
        error.code === 'unsupported_endpoint' &&
        error.kind === 'validation' &&
        error.model === 'gpt-4o',
    );
  });

  it('reloads the catalogue once for an unknown model, then refuses it if it is still unknown', async () => {
    const { selector, source } = await loadedSelector();
    const pending = selector.candidates('mistral', anyEndpoint);
    assert.ok(pending instanceof Promise);
    await assert.rejects(
      pending,
      (error: unknown) =>
        error instanceof ModelNotFoundError &&
        error.message === "The model 'mistral' does not exist or has no enabled deployment" &&
        error.code === 'model_not_found' &&
        error.kind === 'not_found',
    );
    assert.equal(source.loads, 2);
  });

  it('serves a deployment created since the last snapshot, found by the reload for it', async () => {
    const { selector, source } = await loadedSelector();
    source.snapshot = { ...SNAPSHOT, targets: [...SNAPSHOT.targets, deployment('mistral', 'mistral', 'openai_compatible', '2026-02-01T00:00:00.000000Z')] };
    assert.deepEqual(ids(await selector.candidates('mistral', anyEndpoint)), ['mistral']);
    assert.deepEqual(ids(syncCandidates(selector, 'mistral', anyEndpoint)), ['mistral']);
  });

  it('follows each new snapshot, and starts from one loaded before it was made', async () => {
    const source = new MemorySource(SNAPSHOT);
    const catalogue = new ProviderCatalogue(source);
    await catalogue.refresh();
    const selector = new TargetSelector(catalogue);
    assert.deepEqual(ids(syncCandidates(selector, 'gpt-4o', anyEndpoint)), ['gpt']);
    source.snapshot = { ...SNAPSHOT, targets: [deployment('gpt-old', 'gpt-4o', 'openai', '2025-06-01T00:00:00.000000Z'), ...SNAPSHOT.targets] };
    await catalogue.refresh();
    assert.deepEqual(ids(syncCandidates(selector, 'gpt-4o', anyEndpoint)), ['gpt-old', 'gpt']);
    assert.equal(selector.firstChoice('gpt-4o')?.deploymentId, 'gpt-old');
  });
});
