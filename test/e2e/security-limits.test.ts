/**
 * GraphQL and HTTP limits (issue 7, item 3) and masked errors, against the real server: each limit
 * answers a clear error with a code (never a 5xx), ordinary clients keep working.
 */
import { request as httpRequest } from 'node:http';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { startService } from '../../src/service.ts';
import { createTestDatabase } from '../support/db.ts';
import { graphqlError, startTestServer, TEST_JWT_SECRET, type TestServer } from '../support/server.ts';

const CODE = withCheckCharacter('91220681MA1000301');
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'limits-officer' };

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: any; errors?: { message: string; extensions: Record<string, any> }[] };
}

async function post(server: TestServer, payload: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(server.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

const firstError = (answer: Answer) => answer.body.errors?.[0];

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await server.client(officer).request('mutation($i: EnterpriseInput!) { registerEnterprise(input: $i) { created } }', {
    i: { creditCode: CODE, name: '临江市限额测试有限公司', region: '花山镇', industry: 'C27' },
  });
});

afterAll(() => server?.stop());

describe('query limits', () => {
  const nested = (levels: number) =>
    `{ enterprise(creditCode: "${CODE}") { ${'violations(first: 1) { edges { node { enterprise { '.repeat(levels)}name${' } } } }'.repeat(levels)} } }`;

  it('lets an ordinary nested query through', async () => {
    const answer = await post(server, { query: nested(1) }, { authorization: `Bearer ${server.token(officer)}` });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
  });

  it.each([
    ['depth', { query: nested(4) }, /depth limit of 10/],
    ['aliases', { query: `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: enterprise(creditCode: "${CODE}") { name }`).join(' ')} }` }, /Aliases limit of 30/],
    ['directives', { query: `{ __typename ${'@include(if: true) '.repeat(21)}}` }, /Directives limit of 20/],
    ['tokens', { query: `{ ${'__typename '.repeat(2100)}}` }, /Token limit of 2000/],
    ['cost', { query: `{ enterprises(first: 100) { edges { node { violations(first: 100) { edges { node { id fineCny } } } } } } }` }, /Cost limit of 25000/],
    ['nesting', { query: `{ enterprise(creditCode: ${'['.repeat(600)}"x"${']'.repeat(600)}) { name } }` }, /nested more than 52/],
  ])('refuses a query over the %s limit with QUERY_TOO_COMPLEX', async (limit, payload, message) => {
    const answer = await post(server, payload, { authorization: `Bearer ${server.token(officer)}` });
    expect(answer.status).toBeLessThan(500);
    const error = firstError(answer)!;
    expect(error.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit });
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/^Syntax Error/);
    expect(answer.body.data).toBeUndefined();
  });

  it('estimates the cost with `first` given as a variable as it does with `first` written in', async () => {
    const headers = { authorization: `Bearer ${server.token(officer)}` };
    const connections = (first: string) =>
      Array.from({ length: 30 }, (_, i) => `a${i}: enterprises(first: ${first}) { edges { node { violations(first: ${first}) { edges { node { id } } } } } }`).join(' ');
    const literal = await post(server, { query: `{ ${connections('100')} }` }, headers);
    const variable = await post(server, { query: `query($f: Int) { ${connections('$f')} }`, variables: { f: 100 } }, headers);
    const byDefault = await post(server, { query: `query($f: Int = 100) { ${connections('$f')} }` }, headers);
    expect(firstError(literal)!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost', max: 25_000 });
    for (const answer of [variable, byDefault]) {
      expect(answer.status).toBe(literal.status);
      expect(answer.body.data).toBeUndefined();
      expect(answer.body.errors).toHaveLength(1);
      expect(firstError(answer)!.extensions).toEqual(firstError(literal)!.extensions);
      expect(firstError(answer)!.message).toBe(firstError(literal)!.message);
    }
    // Left out, `first` is the default page of 20: the same query with `first: 20` written in is refused, so is this.
    const withDefault = await post(server, { query: `{ ${connections('20')} }` }, headers);
    const omitted = await post(server, { query: `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: enterprises { edges { node { violations { edges { node { id } } } } } }`).join(' ')} }` }, headers);
    expect(firstError(withDefault)!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
    expect(firstError(omitted)!.extensions).toEqual(firstError(withDefault)!.extensions);
    expect(omitted.body.data).toBeUndefined();
    const nulls = await post(server, { query: `{ ${connections('null')} }` }, headers);
    expect(firstError(nulls)!.extensions).toEqual(firstError(withDefault)!.extensions);
    // Small pages of the same shape stay within the limit, written in or not.
    const small = await post(server, { query: `query($f: Int) { ${connections('$f')} }`, variables: { f: 2 } }, headers);
    expect(small.body.errors).toBeUndefined();
    expect(small.body.data.a0.edges.length).toBeGreaterThan(0);
  });

  it('reads its limits from the environment', async () => {
    const strict = await startTestServer({ GRAPHQL_MAX_DEPTH: '2', GRAPHQL_MAX_ALIASES: '1' });
    try {
      const deep = await post(strict, { query: `{ enterprise(creditCode: "${CODE}") { violations { edges { cursor } } } }` });
      expect(firstError(deep)!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'depth', max: 2 });
      const aliased = await post(strict, { query: `{ a: enterprise(creditCode: "${CODE}") { name } b: enterprise(creditCode: "${CODE}") { name } }` });
      expect(firstError(aliased)!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'aliases', max: 1 });
    } finally {
      await strict.stop();
    }
  });

  it('refuses a body over MAX_REQUEST_BODY_BYTES with 413', async () => {
    const answer = await post(server, { query: '{ __typename }', variables: { pad: 'x'.repeat(1_100_000) } });
    expect(answer.status).toBe(413);
    expect(firstError(answer)!.extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
  });

  it('counts a chunked body (no Content-Length) as it streams: over the limit is 413, under it is answered', async () => {
    const chunked = (chunks: string[]) =>
      new Promise<{ status: number; body: Answer['body'] }>((resolve, reject) => {
        const request = httpRequest(server.endpoint, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (part: string) => (text += part));
          response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) as Answer['body'] }));
        });
        request.on('error', reject);
        for (const chunk of chunks) request.write(chunk);
        request.end();
      });
    const pad = 'x'.repeat(100_000);
    const over = await chunked(['{"query":"{ __typename }","variables":{"pad":"', ...Array.from({ length: 11 }, () => pad), '"}}']);
    expect(over.status).toBe(413);
    expect(over.body.errors![0]!.extensions).toMatchObject({ code: 'REQUEST_ENTITY_TOO_LARGE', max: 1_048_576 });
    const under = await chunked(['{"query":"{ __typename }",', '"variables":{"pad":"', pad, '"}}']);
    expect(under.status).toBe(200);
    expect(under.body.data).toEqual({ __typename: 'Query' });
  });

  it('refuses text containing U+0000 before it reaches the database', async () => {
    const error = await graphqlError(
      server.client(officer).request('mutation($i: EnterpriseInput!) { registerEnterprise(input: $i) { created } }', {
        i: { creditCode: withCheckCharacter('91220681MA1000302'), name: 'a\u0000b', region: '花山镇', industry: 'C27' },
      }),
    );
    expect(error.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: '$i.name' });
  });

  it('refuses a lone surrogate, which would be stored as U+FFFD, and accepts a paired one', async () => {
    const register = (name: string, code: string) =>
      server.client(officer).request('mutation($i: EnterpriseInput!) { registerEnterprise(input: $i) { created } }', {
        i: { creditCode: withCheckCharacter(code), name, region: '花山镇', industry: 'C27' },
      });
    const error = await graphqlError(register('临江\ud800化工', '91220681MA1000303'));
    expect(error.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: '$i.name' });
    await expect(register('临江𠀋化工', '91220681MA1000304')).resolves.toMatchObject({ registerEnterprise: { created: true } });
  });

  it('refuses U+0000 written into the document itself, every time the same document is sent', async () => {
    const document = `{ enterprise(creditCode: "${CODE}\\u0000") { name } }`;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const answer = await post(server, { query: document }, { authorization: `Bearer ${server.token(officer)}` });
      expect(firstError(answer)!.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'query' });
      expect(answer.body.data).toBeUndefined();
    }
  });
});

describe('CSRF prevention', () => {
  it('refuses a browser-simple POST (text/plain) and a GET without the CSRF header', async () => {
    const simple = await fetch(server.endpoint, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ __typename }"}' });
    expect(simple.status).toBe(403);
    expect(((await simple.json()) as Answer['body']).errors![0]!.extensions.code).toBe('CSRF_HEADER_REQUIRED');
    const get = await fetch(`${server.endpoint}?query=${encodeURIComponent('{ __typename }')}`);
    expect(get.status).toBe(403);
  });

  it('accepts JSON clients (graphql-request) and a GET that carries the header', async () => {
    expect(await server.client().request('{ __typename }')).toEqual({ __typename: 'Query' });
    const get = await fetch(`${server.endpoint}?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'x-graphql-yoga-csrf': '1' } });
    expect(get.status).toBe(200);
  });

  it('answers an unreadable content type with 415 and a code', async () => {
    const answer = await post(server, '<query/>', { 'content-type': 'application/xml' });
    expect(answer.status).toBe(415);
    expect(firstError(answer)!.extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('HTTP hardening', () => {
  it('sends helmet headers and no x-powered-by', async () => {
    const response = await fetch(`${server.service.url}/healthz`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('answers unknown paths in JSON with a code', async () => {
    const response = await fetch(`${server.service.url}/nowhere`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as Answer['body']).errors![0]!.extensions.code).toBe('NOT_FOUND');
  });
});

describe('CORS', () => {
  const preflight = (endpoint: string, origin: string) =>
    fetch(endpoint, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
  let portals: TestServer;
  beforeAll(async () => {
    portals = await startTestServer({ CORS_ORIGINS: 'https://credit.bank-a.example.cn, https://portal.insurer.example.cn' });
  });
  afterAll(() => portals?.stop());

  it('answers only the configured origins, without credentials', async () => {
    const allowed = await preflight(portals.endpoint, 'https://portal.insurer.example.cn');
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://portal.insurer.example.cn');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    const post = await fetch(portals.endpoint, {
      method: 'POST',
      headers: { origin: 'https://credit.bank-a.example.cn', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.headers.get('access-control-allow-origin')).toBe('https://credit.bank-a.example.cn');
    expect(post.headers.get('vary') ?? '').toMatch(/origin/i);

    const stranger = await preflight(portals.endpoint, 'https://evil.example.com');
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    const strangerPost = await fetch(portals.endpoint, {
      method: 'POST',
      headers: { origin: 'https://evil.example.com', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(strangerPost.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows no cross-origin caller in production unless CORS_ORIGINS names it', async () => {
    const production = await startTestServer({ NODE_ENV: 'production' });
    try {
      const answer = await preflight(production.endpoint, 'https://credit.bank-a.example.cn');
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await production.stop();
    }
    // Outside production any origin may call (a developer's local front end), still without credentials.
    const dev = await preflight(server.endpoint, 'http://localhost:5173');
    expect(dev.headers.get('access-control-allow-origin')).toMatch(/^(\*|http:\/\/localhost:5173)$/);
    expect(dev.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('rate limits', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3' });
  });
  afterAll(() => limited?.stop());

  it('limits anonymous callers per address, with 429, Retry-After and RATE_LIMITED', async () => {
    for (let i = 0; i < 3; i += 1) expect((await post(limited, { query: '{ __typename }' })).status).toBe(200);
    const refused = await post(limited, { query: '{ __typename }' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(firstError(refused)!.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    // A bad token does not escape the address's bucket.
    expect((await post(limited, { query: '{ __typename }' }, { authorization: 'Bearer not-a-token' })).status).toBe(429);
  });

  it('behind a reverse proxy on the same host, limits anonymous callers by the address it forwards', async () => {
    // This address's own bucket is empty after the test above; forwarded clients have their own.
    const from = (client: string) => post(limited, { query: '{ __typename }' }, { 'x-forwarded-for': client });
    for (let i = 0; i < 3; i += 1) expect((await from('203.0.113.7')).status).toBe(200);
    expect((await from('203.0.113.7')).status).toBe(429);
    expect((await from('203.0.113.8')).status).toBe(200);
  });

  it('limits each token subject separately', async () => {
    const a = { authorization: `Bearer ${limited.token({ role: 'bank', org: 'bank-a', subject: 'teller-a' })}` };
    const b = { authorization: `Bearer ${limited.token({ role: 'bank', org: 'bank-a', subject: 'teller-b' })}` };
    for (let i = 0; i < 5; i += 1) {
      const ok = await post(limited, { query: '{ __typename }' }, a);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(4 - i));
    }
    const refused = await post(limited, { query: '{ __typename }' }, a);
    expect(refused.status).toBe(429);
    expect(firstError(refused)!.extensions.code).toBe('RATE_LIMITED');
    expect((await post(limited, { query: '{ __typename }' }, b)).status).toBe(200);
  });

  it('leaves /healthz alone', async () => {
    for (let i = 0; i < 5; i += 1) expect((await fetch(`${limited.service.url}/healthz`)).status).toBe(200);
  });
});

describe('production mode', () => {
  let production: TestServer;
  beforeAll(async () => {
    production = await startTestServer({ NODE_ENV: 'production' });
  });
  afterAll(() => production?.stop());

  it('refuses introspection', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Query") { name } }']) {
      const answer = await post(production, { query });
      expect(answer.status).toBeLessThan(500);
      expect(firstError(answer)!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(firstError(answer)!.message).toMatch(/introspection/i);
    }
    expect((await post(production, { query: '{ __typename }' })).body.data).toEqual({ __typename: 'Query' });
  });

  it('gives no field or enum suggestions', async () => {
    const typo = await post(production, { query: `{ enterprize(creditCode: "${CODE}") { name } }` });
    expect(firstError(typo)!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(firstError(typo)!.message).not.toMatch(/Did you mean|enterprise/);
    const token = production.token(officer);
    const badEnum = await post(
      production,
      {
        query: 'mutation($i: RecordViolationInput!) { recordViolation(input: $i) { created } }',
        variables: { i: { creditCode: CODE, source: 's', sourceId: '1', decisionNumber: 'd', decidedOn: '2025-01-01', violationType: 'EXCEEDING_STANDARD', legalBasis: 'l', measures: [] } },
      },
      { authorization: `Bearer ${token}` },
    );
    expect(firstError(badEnum)!.extensions.code).toBe('BAD_USER_INPUT');
    expect(firstError(badEnum)!.message).not.toMatch(/Did you mean|EXCEEDING_STANDARDS/);
  });

  it('serves no GraphiQL and sends a content security policy', async () => {
    const response = await fetch(`${production.endpoint}?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
  });

  it('still allows introspection outside production (GraphiQL needs it)', async () => {
    const answer = await post(server, { query: '{ __type(name: "Query") { name } }' });
    expect(answer.body.data).toEqual({ __type: { name: 'Query' } });
  });
});

describe('masked errors', () => {
  it('hides an unexpected failure (here, SQL against a missing view) behind an errorId that is in the log', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
    const database = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'error', JWT_SECRET: TEST_JWT_SECRET, SEED_DEMO: 'false' });
    const service = await startService({ config, database, logger });
    try {
      // Reads go through the enterprise_current view; without it the lookup fails inside PostgreSQL.
      await sql`alter view enterprise_current rename to enterprise_current_hidden_by_test`.execute(database.owner);
      const response = await fetch(`${service.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ enterprise(creditCode: "${CODE}") { name } }` }),
      });
      expect(response.status).toBeLessThan(500);
      const text = await response.text();
      const error = (JSON.parse(text) as Answer['body']).errors?.[0] ?? expect.fail(text);
      expect(error.extensions.code).toBe('INTERNAL_SERVER_ERROR');
      expect(error.extensions.errorId).toMatch(/^[0-9a-f-]{36}$/);
      expect(error.message).toBe('Unexpected error. Quote the errorId to the operators.');
      expect(text).not.toMatch(/enterprises|relation|select|stack|\bat \w|\.ts:\d+|node_modules/i);
      expect(Object.keys(error.extensions).sort()).toEqual(['code', 'errorId']);
      const logged = lines.map((l) => JSON.parse(l)).find((entry) => entry.errorId === error.extensions.errorId);
      expect(logged, 'the errorId leads to the log line with the real cause').toBeDefined();
      expect(JSON.stringify(logged.err)).toMatch(/enterprise_current/);
    } finally {
      await service.stop();
      await database.dispose();
    }
  });
});
