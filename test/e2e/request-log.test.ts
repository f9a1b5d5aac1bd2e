/**
 * The request log (src/logger.ts requestLogging) against the real server: an id per request, echoed
 * to the client and bound to the request's log line; no credential in the log; probes not logged.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevelopmentToken } from '../../src/auth/jwt.ts';
import { loadConfig } from '../../src/config.ts';
import { startService, type RunningService } from '../../src/service.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { TEST_JWT_SECRET } from '../support/server.ts';

const lines: Record<string, any>[] = [];
const config = loadConfig({ NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'info', JWT_SECRET: TEST_JWT_SECRET, SEED_DEMO: 'false' });
let database: TestDatabase;
let service: RunningService;

beforeAll(async () => {
  database = await createTestDatabase();
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  service = await startService({ config, database, logger });
});

afterAll(async () => {
  await service?.stop();
  await database?.dispose();
});

const completed = (reqId: string) => lines.find((line) => line.reqId === reqId && line.msg === 'request completed');

/** The line is written on the response's 'finish', which may come after the client has its answer. */
async function loggedLine(reqId: string): Promise<Record<string, any>> {
  for (let waited = 0; waited < 5_000; waited += 20) {
    const line = completed(reqId);
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no 'request completed' line for ${reqId}`);
}

describe('request log', () => {
  it('echoes a well-formed x-request-id and logs the request under it, without the bearer token', async () => {
    const token = mintDevelopmentToken(config, { role: 'bureau_officer', subject: 'log-test' });
    const response = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': 'trace-42.a_b' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('trace-42.a_b');
    const line = await loggedLine('trace-42.a_b');
    expect(line).toMatchObject({ level: 30, req: { id: 'trace-42.a_b', method: 'POST', url: '/graphql' }, res: { statusCode: 200 } });
    expect(line.req.remoteAddress).toMatch(/127\.0\.0\.1|::1/);
    expect(line.req.headers).toBeUndefined();
    expect(typeof line.responseTime).toBe('number');
    expect(JSON.stringify(lines)).not.toContain(token.split('.')[2]);
  });

  it('replaces a malformed x-request-id with a UUID of its own', async () => {
    const response = await fetch(`${service.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'x-request-id': 'not an id; drop table', 'x-graphql-yoga-csrf': '1' },
    });
    const id = response.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await loggedLine(id);
    expect(JSON.stringify(lines)).not.toContain('drop table');
  });

  it('logs the path of a GET /graphql without its query string, which carries the codes looked up', async () => {
    const code = '91220681MA1000501X';
    const query = `{ enterprise(creditCode: "${code}") { name } }`;
    const response = await fetch(`${service.url}/graphql?query=${encodeURIComponent(query)}&operationName=`, {
      headers: { 'x-request-id': 'get-with-query', 'x-graphql-yoga-csrf': '1' },
    });
    expect(response.status).toBe(200);
    const line = await loggedLine('get-with-query');
    expect(line.req).toMatchObject({ method: 'GET', url: '/graphql' });
    expect(JSON.stringify(lines)).not.toContain(code);
    expect(JSON.stringify(lines)).not.toContain('creditCode');
  });

  it('does not log the health probes', async () => {
    const response = await fetch(`${service.url}/healthz`);
    const id = response.headers.get('x-request-id')!;
    expect(id).toBeTruthy();
    // A request sent after it is logged; by then the probe's line would have been written too.
    const after = await fetch(`${service.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'x-graphql-yoga-csrf': '1' } });
    await loggedLine(after.headers.get('x-request-id')!);
    expect(lines.some((line) => line.reqId === id)).toBe(false);
  });
});
