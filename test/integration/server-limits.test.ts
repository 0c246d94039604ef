import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Socket, connect } from 'node:net';
import { apiStarter } from '../../apps/api/src';
import { proxyStarter } from '../../apps/proxy/src';
import { RunningProcess, launch } from '@tollgate/runtime';
import { StoreTarget, embeddedTarget } from '../support/test-env';

/** A connection that has sent nothing yet; resolves once it is open. */
async function idleConnection(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  return socket;
}

describe('every server bounds its connections (HTTP_MAX_CONNECTIONS)', () => {
  let target: StoreTarget;
  let running: RunningProcess;
  const sockets: Socket[] = [];

  before(async () => {
    target = await embeddedTarget.create();
    running = await launch({ ...target.env, HTTP_MAX_CONNECTIONS: '2' }, [apiStarter, proxyStarter]);
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    await running?.stop();
    await target?.cleanup();
  });

  for (const app of ['api', 'proxy'] as const) {
    it(`${app}: a connection past the cap is dropped at accept, and the ones within it are served`, async () => {
      const url = running.urls[app];
      const held = [await idleConnection(url), await idleConnection(url)];
      sockets.push(...held);
      const extra = await idleConnection(url);
      sockets.push(extra);
      // The server closes the connection over the cap without reading it.
      await once(extra, 'close');
      held[0].write(`GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      let answer = '';
      held[0].on('data', (chunk: Buffer) => (answer += chunk.toString()));
      await once(held[0], 'end');
      assert.match(answer, /^HTTP\/1\.1 200 /);
      for (const socket of held) socket.destroy();
    });
  }
});
