/**
 * Graceful shutdown (issue 7, item 5): `stop()` — what SIGTERM and SIGINT call in src/main.ts —
 * stops accepting connections but lets requests already in flight finish with their real answers.
 * The request is held in flight by a transaction of the test's own that locks the table it reads.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('graceful shutdown', () => {
  it('drains an in-flight request, refuses new connections, then stops', async () => {
    const token = server.token({ role: 'bureau_officer', org: 'linjiang-eeb' });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // Holds the lock until released (on PGlite, holding the one connection has the same effect).
    const holder = server.database.owner.transaction().execute(async (trx) => {
      await sql`lock table enterprises, enterprise_revisions in access exclusive mode`.execute(trx);
      locked();
      await released;
    });
    await isLocked;

    const url = server.service.url;
    const slow = fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, connection: 'close' },
      body: JSON.stringify({ query: '{ enterprises(first: 1) { edges { node { creditCode } } } }' }),
    });
    await new Promise((r) => setTimeout(r, 300)); // the request is now waiting on the lock

    let stopped = false;
    const stopping = server.service.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(stopped).toBe(false); // still draining
    await expect(fetch(`${url}/healthz`, { headers: { connection: 'close' } })).rejects.toThrow(); // no new connections

    release();
    await holder;
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ data: { enterprises: { edges: [] } } });
    await stopping;
    expect(stopped).toBe(true);
  });
});
