/**
 * Faults (issue 7, item 5): the database goes away under a running server and comes back. The test
 * owns its PostgreSQL cluster (own data directory, own port), so stopping it disturbs nothing else.
 * While it is down, /readyz is 503 and GraphQL requests fail fast with SERVICE_UNAVAILABLE; once it
 * is back, the service answers again without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevelopmentToken } from '../../src/auth/jwt.ts';
import { loadConfig } from '../../src/config.ts';
import { startService, type RunningService } from '../../src/service.ts';
import { createOwnPostgres, findPostgresBinaries, type OwnPostgres } from '../support/own-postgres.ts';
import { TEST_JWT_SECRET } from '../support/server.ts';

const binaries = findPostgresBinaries();
const skipReason = 'reason' in binaries ? binaries.reason : undefined;
if (skipReason) console.warn(`database-restart test skipped: ${skipReason}`);

/** The most a request may take to fail while the database is down ("fast"). */
const FAIL_FAST_MS = 3_000;

describe.skipIf(Boolean(skipReason))(`database restart${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let pg: OwnPostgres;
  let service: RunningService;
  let token: string;

  beforeAll(async () => {
    pg = await createOwnPostgres((binaries as { binDir: string }).binDir);
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, SEED_DEMO: 'false', DATABASE_URL: pg.url });
    service = await startService({ config });
    token = mintDevelopmentToken(config, { role: 'bureau_officer', org: 'linjiang-eeb' });
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await pg?.destroy();
  });

  const ready = () => fetch(`${service.url}/readyz`);
  const query = () =>
    fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ enterprises(first: 1) { edges { node { creditCode } } } }' }),
    });

  async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = performance.now();
    const value = await work();
    return { value, ms: performance.now() - started };
  }

  it('is ready and answers while the database is up', async () => {
    expect((await ready()).status).toBe(200);
    const answer = await query();
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ data: { enterprises: { edges: [] } } });
  });

  it('turns /readyz 503 and fails requests fast with SERVICE_UNAVAILABLE while the database is down', async () => {
    await pg.stop();
    const readiness = await timed(ready);
    expect(readiness.value.status).toBe(503);
    expect(await readiness.value.json()).toEqual({ status: 'database unavailable' });
    expect(readiness.ms).toBeLessThan(FAIL_FAST_MS);

    for (let i = 0; i < 3; i++) {
      const answer = await timed(query);
      expect(answer.ms).toBeLessThan(FAIL_FAST_MS);
      expect(answer.value.status).toBe(503);
      const body = (await answer.value.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack/);
    }
    // Liveness is not readiness: the process itself is fine.
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  }, 60_000);

  it('recovers by itself when the database returns', async () => {
    await pg.start();
    const deadline = Date.now() + 20_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await ready()).status;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    const answer = await query();
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ data: { enterprises: { edges: [] } } });
  }, 60_000);
});
