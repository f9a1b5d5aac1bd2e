/**
 * Bad input at scale (issue 7, item 6): a few thousand generated malformed documents, variables,
 * bodies, content types and headers, sent to the real server on 127.0.0.1. Whatever arrives, the
 * answer is never a 5xx, never an unexpected (masked) error, never a stack trace or SQL, and every
 * GraphQL error carries `extensions.code`; the server still answers a normal query afterwards.
 *
 * Generation is seeded (fast-check), so a failure reproduces; FUZZ_SEED and FUZZ_RUNS override.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { buildSchema } from '../../src/graphql/schema.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20260701);
const RUNS = Number(process.env.FUZZ_RUNS ?? 2400);
const CONCURRENCY = 8;
const TIME_BUDGET_MS = 22_000;

const CODE = withCheckCharacter('91220681MA1000201');

interface FuzzRequest {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Valid operations, generated from the schema so the fuzzer follows it as fields are added

const schema = buildSchema();

function sample(type: GraphQLInputType, name: string): unknown {
  if (isNonNullType(type)) return sample(type.ofType, name);
  if (isListType(type)) return [sample(type.ofType, name)];
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    return Object.fromEntries(Object.values(type.getFields()).map((f) => [f.name, sample(f.type, f.name)]));
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int':
      case 'Float':
        return 1;
      case 'Boolean':
        return true;
      case 'Date':
        return '2025-06-30';
      case 'DateTime':
        return '2025-06-30T00:00:00Z';
      default:
        return /creditcode/i.test(name) ? CODE : 'x';
    }
  }
  return null;
}

interface Operation {
  query: string;
  variables: Record<string, unknown>;
}

function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): Operation {
  const named = getNamedType(field.type);
  const fields = 'getFields' in named ? Object.values(named.getFields()) : [];
  const scalar = fields.find((f) => {
    const n = getNamedType(f.type);
    return (isScalarType(n) || isEnumType(n)) && f.args.length === 0;
  });
  const selection = 'getFields' in named ? `{ __typename ${scalar?.name ?? ''} }` : '';
  const declared = field.args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const passed = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  return {
    query: `${kind} Fuzz${declared ? `(${declared})` : ''} { ${field.name}${passed ? `(${passed})` : ''} ${selection} }`,
    variables: Object.fromEntries(field.args.map((a) => [a.name, sample(a.type, a.name)])),
  };
}

const OPERATIONS: Operation[] = [
  ...Object.values(schema.getQueryType()?.getFields() ?? {}).map((f) => operationFor('query', f)),
  ...Object.values(schema.getMutationType()?.getFields() ?? {}).map((f) => operationFor('mutation', f)),
];

// ---------------------------------------------------------------------------------------------
// Generators

const GRAPHQL_TOKENS = [
  '{', '}', '(', ')', '[', ']', ':', '$', '@', '!', '=', '|', '&', '...', ',', '"', '"""', '#',
  'query', 'mutation', 'subscription', 'fragment', 'on', 'true', 'false', 'null', '__typename',
  '__schema', '__type(name: "Query")', 'enterprise', 'enterprises', 'creditCode', 'name', 'edges',
  'node', 'first: 100', 'first: -1', 'first: 99999999999', 'after: "x"', '@skip(if: true)',
  '@include(if: $v)', '@deprecated', 'registerEnterprise', 'input: {}', '"\\u0000"', '"\\uD800"',
  '1e999', '-0', '0x10', '"unterminated', '临江', '💥', '\u0000', '\u202e', '\ufeff',
];

const deepDocument = fc
  .tuple(fc.integer({ min: 5, max: 4000 }), fc.constantFrom('selection', 'list', 'object', 'fragment'))
  .map(([n, shape]) => {
    switch (shape) {
      case 'selection':
        return `{ ${'enterprise(creditCode: "x") { '.repeat(n)}name${' }'.repeat(n)} }`;
      case 'list':
        return `{ enterprise(creditCode: ${'['.repeat(n)}"x"${']'.repeat(n)}) { name } }`;
      case 'object':
        return `mutation { registerEnterprise(input: ${'{ a: '.repeat(n)}1${' }'.repeat(n)}) { created } }`;
      default:
        return `${Array.from({ length: Math.min(n, 300) }, (_, i) => `fragment F${i} on Query { ...F${i + 1} }`).join(' ')} { ...F0 }`;
    }
  });

const aliasFlood = fc
  .tuple(fc.integer({ min: 10, max: 3000 }), fc.boolean())
  .map(([n, typename]) => `{ ${Array.from({ length: n }, (_, i) => (typename ? `a${i}: __typename` : `a${i}: enterprise(creditCode: "${CODE}") { name }`)).join(' ')} }`);

const directiveFlood = fc.integer({ min: 10, max: 2000 }).map((n) => `{ __typename ${'@include(if: true) '.repeat(n)}}`);

const fragmentCycle = fc.constant('fragment A on Query { ...B } fragment B on Query { ...A } query { ...A }');

const tokenSoup = fc.array(fc.constantFrom(...GRAPHQL_TOKENS), { maxLength: 80 }).map((t) => t.join(' '));

const mutatedOperation = fc
  .tuple(fc.constantFrom(...OPERATIONS), fc.array(fc.tuple(fc.nat(), fc.constantFrom('drop', 'dup', 'insert'), fc.constantFrom(...GRAPHQL_TOKENS)), { minLength: 1, maxLength: 6 }))
  .map(([op, edits]) => {
    let q = op.query;
    for (const [at, edit, token] of edits) {
      const i = q.length === 0 ? 0 : at % q.length;
      if (edit === 'drop') q = q.slice(0, i) + q.slice(i + 1);
      else if (edit === 'dup') q = q.slice(0, i) + q.slice(i, i + 8) + q.slice(i);
      else q = `${q.slice(0, i)} ${token} ${q.slice(i)}`;
    }
    return q;
  });

const document = fc.oneof(
  { weight: 4, arbitrary: tokenSoup },
  { weight: 4, arbitrary: mutatedOperation },
  { weight: 2, arbitrary: deepDocument },
  { weight: 2, arbitrary: aliasFlood },
  { weight: 1, arbitrary: directiveFlood },
  { weight: 1, arbitrary: fragmentCycle },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.constantFrom(...OPERATIONS).map((o) => o.query) },
);

/** Strings that hurt: huge, NUL, lone surrogates, control and direction characters, injection-looking. */
const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udfff\ud800',
    '\u202e\u0000',
    "'; drop table enterprises; --",
    '%',
    '_',
    '\\',
    '${jndi:ldap://x}',
    '<script>alert(1)</script>',
    CODE.toLowerCase(),
    `${CODE} `,
    '2025-02-30',
    '9999-12-31',
    '0000-01-01',
    '2025-06-30T25:00:00Z',
    'NaN',
    '1e309',
  ),
  fc.constantFrom(1_000, 20_000).map((n) => '临'.repeat(n)),
);

/** A long list, built only when the body is written (fast-check need not carry it around). */
class HugeList {
  constructor(readonly length: number) {}
  toJSON() {
    return Array.from({ length: this.length }, () => 'CORRECTION_ORDER');
  }
}

const nastyNumber = fc.constantFrom(0, -1, 1.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e308, -1e308, Number.MIN_VALUE, 0.005);

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  nastyNumber,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 4 }),
  fc.integer({ min: 1, max: 1_000 }).map((n) => JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`)),
  fc.integer({ min: 100, max: 3_000 }).map((n) => new HugeList(n)),
);

/** A valid operation with some of its variables (or their fields) replaced by nasty values. */
const perturbedOperation = fc
  .tuple(fc.constantFrom(...OPERATIONS), fc.array(fc.tuple(fc.nat(), nastyValue), { minLength: 1, maxLength: 4 }))
  .map(([op, edits]) => {
    const variables: Record<string, unknown> = structuredClone(op.variables);
    for (const [at, value] of edits) {
      const names = Object.keys(variables);
      if (names.length === 0) {
        variables[`v${at % 3}`] = value;
        continue;
      }
      const name = names[at % names.length]!;
      const target = variables[name];
      if (target && typeof target === 'object' && Object.getPrototypeOf(target) === Object.prototype) {
        const fields = Object.keys(target);
        if (fields.length > 0) {
          (target as Record<string, unknown>)[fields[at % fields.length]!] = value;
          continue;
        }
      }
      variables[name] = value;
    }
    return { query: op.query, variables };
  });

const AUTH = (server: TestServer) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(`Bearer ${server.token({ role: 'bureau_officer', org: 'linjiang-eeb', subject: 'fuzz' })}`) },
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(`Bearer ${server.token({ role: 'bank', org: 'bank-a', subject: 'fuzz-bank' })}`) },
    { weight: 1, arbitrary: fc.constant(`Bearer ${server.token({ role: 'enterprise', creditCode: CODE, subject: 'fuzz-ent' })}`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => `Bearer ${s.replace(/[\r\n]/g, '')}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'Bearer',
        'Basic dXNlcjpwYXNz',
        'Bearer a.b.c',
        'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImJ1cmVhdV9hZG1pbiJ9.',
        `Bearer ${'x'.repeat(6000)}`,
      ),
    },
  );

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/graphql-response+json',
  'application/graphql',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/octet-stream',
  'json',
  '',
];
const ACCEPTS = ['application/json', 'application/graphql-response+json', '*/*', 'text/html', 'image/png', 'text/event-stream', 'multipart/mixed', ''];

function jsonBody(value: unknown): string {
  return JSON.stringify(value);
}

function requests(server: TestServer): fc.Arbitrary<FuzzRequest> {
  const headers = fc.record({
    auth: AUTH(server),
    contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
    accept: fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(...ACCEPTS) }),
    csrf: fc.boolean(),
  });
  const build = (kind: string, body: string | Uint8Array | undefined, method = 'POST', path = '/graphql') =>
    headers.map((h): FuzzRequest => {
      const out: Record<string, string> = {};
      if (h.auth) out.authorization = h.auth;
      if (h.contentType && body !== undefined) out['content-type'] = h.contentType;
      if (h.accept) out.accept = h.accept;
      if (h.csrf) out['x-graphql-yoga-csrf'] = '1';
      return { kind, method, path, headers: out, body };
    });

  return fc.oneof(
    // Malformed documents, well-formed JSON
    { weight: 10, arbitrary: document.chain((query) => build('document', jsonBody({ query }))) },
    // Valid operations, wrong or hostile variables
    { weight: 10, arbitrary: perturbedOperation.chain((op) => build('variables', jsonBody(op))) },
    // Wrong shapes of the GraphQL request itself
    {
      weight: 3,
      arbitrary: fc
        .oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.record({ query: fc.jsonValue({ maxDepth: 2 }), variables: fc.jsonValue({ maxDepth: 3 }), operationName: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }),
          fc.record({ query: fc.constantFrom(...OPERATIONS).map((o) => o.query), extensions: fc.jsonValue({ maxDepth: 3 }), surprise: fc.jsonValue() }),
        )
        .chain((value) => build('shape', jsonBody(value))),
    },
    // Not JSON at all: text, truncated JSON, invalid UTF-8 bytes, empty
    {
      weight: 4,
      arbitrary: fc
        .oneof(
          fc.string({ unit: 'binary', maxLength: 400 }),
          fc.constantFrom(...OPERATIONS).chain((o) => fc.nat({ max: 200 }).map((n) => jsonBody(o).slice(0, n))),
          fc.uint8Array({ maxLength: 400 }),
          fc.constantFrom(...OPERATIONS).map((o) => {
            const bytes = Buffer.from(jsonBody(o));
            const at = Math.floor(bytes.length / 2);
            return Buffer.concat([bytes.subarray(0, at), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]), bytes.subarray(at)]);
          }),
          fc.constant(''),
        )
        .chain((body) => build('body', body)),
    },
    // Other methods and GET with the query in the URL
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), document, fc.jsonValue({ maxDepth: 2 }))
        .chain(([method, query, variables]) => {
          const path = `/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify(variables) ?? '')}`;
          return method === 'GET' || method === 'OPTIONS'
            ? build(`method ${method}`, undefined, method, path.slice(0, 6000))
            : build(`method ${method}`, jsonBody({ query }), method);
        }),
    },
    // Other paths
    { weight: 1, arbitrary: fc.constantFrom('/', '/graphql/x', '/graphiql', '/%E0%A4%A', '/..%2f..%2fetc/passwd', '/healthz?x=1').chain((p) => build('path', undefined, 'GET', p)) },
  );
}

// ---------------------------------------------------------------------------------------------

const STACK_OR_SQL = /\n\s+at |node_modules|\.ts:\d+|relation "|syntax error at or near|violates .* constraint|duplicate key|SQLSTATE|pg_|kysely/i;

interface Failure {
  kind: string;
  problem: string;
  request: string;
}

async function sendOne(server: TestServer, request: FuzzRequest): Promise<string | undefined> {
  const response = await fetch(`${server.service.url}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body as RequestInit['body'],
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status >= 500) return `HTTP ${response.status}: ${text.slice(0, 300)}`;
  if (STACK_OR_SQL.test(text)) return `leaks internals: ${text.slice(0, 300)}`;
  if (request.method === 'OPTIONS' && text === '') return undefined; // CORS preflight
  if (text === '') return `HTTP ${response.status} with an empty body`;
  if (!request.path.startsWith('/graphql') && response.status < 400) return undefined; // /healthz and friends
  const contentType = response.headers.get('content-type') ?? '';
  if (request.method === 'GET' && contentType.startsWith('text/html')) return undefined; // GraphiQL (not in production)
  let payloads: string[] = [text];
  // A client may ask for the streaming formats; each event or part carries one JSON result.
  if (contentType.startsWith('text/event-stream')) {
    payloads = [...text.matchAll(/^data: ?(.+)$/gm)].map((m) => m[1]!).filter((d) => d.trim() !== '');
  } else if (contentType.startsWith('multipart/mixed')) {
    payloads = text.split(/\r?\n---/).map((part) => part.split(/\r?\n\r?\n/).slice(1).join('\n\n').trim()).filter((p) => p.startsWith('{'));
  }
  if (payloads.length === 0) return `HTTP ${response.status} ${contentType} without a result: ${text.slice(0, 200)}`;
  for (const payload of payloads) {
    const problem = checkResult(response.status, payload);
    if (problem) return problem;
  }
  return undefined;
}

function checkResult(status: number, text: string): string | undefined {
  let json: { data?: unknown; errors?: { message?: unknown; extensions?: { code?: unknown } }[] };
  try {
    json = JSON.parse(text);
  } catch {
    return `HTTP ${status} not JSON: ${text.slice(0, 200)}`;
  }
  const response = { status };
  const errors = json.errors ?? [];
  if (response.status >= 400 && errors.length === 0) return `HTTP ${response.status} without errors`;
  if (errors.length === 0 && json.data === undefined) return `HTTP ${response.status}: neither data nor errors`;
  for (const error of errors) {
    const code = error.extensions?.code;
    if (typeof code !== 'string' || code === '') return `an error without a code: ${JSON.stringify(error).slice(0, 300)}`;
    if (code === 'INTERNAL_SERVER_ERROR') return `an unexpected error: ${JSON.stringify(error).slice(0, 300)}`;
    if (typeof error.message !== 'string' || error.message === '') return `an error without a message: ${JSON.stringify(error)}`;
  }
  return undefined;
}

function describeRequest(r: FuzzRequest): string {
  const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : `<${r.body.length} bytes>`;
  return `${r.method} ${r.path.slice(0, 120)} ${JSON.stringify(r.headers).slice(0, 200)} ${body.slice(0, 300)}`;
}

/** Raw HTTP that fetch cannot send; Node's parser answers these with a 4xx and closes the connection. */
function rawExchange(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('end', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.write(payload);
  });
}

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    ...(process.env.FUZZ_LOG ? { LOG_LEVEL: process.env.FUZZ_LOG } : {}),
    RATE_LIMIT_PER_MINUTE: '0', // off
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0', // off: the fuzzer is not testing the limiter
  });
  const officer = server.client({ role: 'bureau_officer', org: 'linjiang-eeb', subject: 'setup' });
  await officer.request('mutation($i: EnterpriseInput!) { registerEnterprise(input: $i) { created } }', {
    i: { creditCode: CODE, name: '临江市模糊测试有限公司', region: '花山镇', industry: 'C27' },
  });
});

afterAll(() => server?.stop());

describe('fuzzing the GraphQL endpoint', () => {
  it(`answers ${RUNS} generated malformed requests with clear 4xx/200 errors, never a 5xx`, { timeout: 60_000 }, async () => {
    const g00 = performance.now();
    const generated = fc.sample(requests(server), { seed: SEED, numRuns: RUNS });
    if (process.env.FUZZ_TIMING) console.log('sample ms', performance.now() - g00);
    const failures: Failure[] = [];
    const kinds = new Map<string, number>();
    const timing = new Map<string, number>();
    const g0 = performance.now();
    const started = Date.now();
    let next = 0;
    let sent = 0;
    const worker = async () => {
      while (next < generated.length && Date.now() - started < TIME_BUDGET_MS) {
        const request = generated[next++]!;
        kinds.set(request.kind, (kinds.get(request.kind) ?? 0) + 1);
        const t0 = performance.now();
        try {
          const problem = await sendOne(server, request);
          if (problem) failures.push({ kind: request.kind, problem, request: describeRequest(request) });
        } catch (error) {
          failures.push({ kind: request.kind, problem: `request failed: ${(error as Error).message}`, request: describeRequest(request) });
        }
        sent += 1;
        if (process.env.FUZZ_TIMING) timing.set(request.kind, (timing.get(request.kind) ?? 0) + performance.now() - t0);
      }
    };
    const generatedMs = performance.now() - g0;
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (process.env.FUZZ_TIMING) console.log('generation', generatedMs, Object.fromEntries([...timing].map(([k, v]) => [k, Math.round(v)])));
    // Enough of the run happened to mean something, even on a slow machine.
    expect(sent).toBeGreaterThanOrEqual(Math.min(RUNS, 1000));
    expect(failures.slice(0, 15), `${failures.length} of ${sent} requests misbehaved (seed ${SEED}); kinds: ${JSON.stringify(Object.fromEntries(kinds))}`).toEqual([]);
  });

  it('answers huge lists, oversized strings and bodies, and JSON nested 100,000 deep', async () => {
    const officer = `Bearer ${server.token({ role: 'bureau_officer', org: 'linjiang-eeb', subject: 'fuzz-huge' })}`;
    const headers = { 'content-type': 'application/json', authorization: officer };
    const violation = OPERATIONS.find((o) => /recordViolation/.test(o.query)) ?? OPERATIONS[0]!;
    const withInput = (patch: Record<string, unknown>) =>
      JSON.stringify({ query: violation.query, variables: { ...violation.variables, input: { ...(violation.variables.input as object), ...patch } } });
    const deep = (n: number, open: string, close: string) =>
      `{"query":${JSON.stringify(violation.query)},"variables":{"input":${open.repeat(n)}1${close.repeat(n)}}}`;
    const bodies: [string, string][] = [
      ['list of 50,000', withInput({ measures: new HugeList(50_000) })],
      ['list of 300,000 (over the body limit)', withInput({ measures: new HugeList(300_000) })],
      ['string of 300,000 characters', withInput({ legalBasis: '临'.repeat(300_000) })],
      ['string of 3 MB', withInput({ decisionNumber: 'a'.repeat(3_000_000) })],
      ['arrays nested 100,000 deep', deep(100_000, '[', ']')],
      ['objects nested 100,000 deep', deep(100_000, '{"a":', '}')],
      ['arrays nested 5,000 deep', deep(5_000, '[', ']')],
      ['a 20 MB body', `{"query":"{ __typename }","x":"${'a'.repeat(20_000_000)}"}`],
      ['a document of 500,000 tokens', JSON.stringify({ query: `{ ${'__typename '.repeat(500_000)}}` })],
      ['a document of 900 KB in one string', JSON.stringify({ query: `{ enterprise(creditCode: "${'x'.repeat(900_000)}") { name } }` })],
    ];
    const failures: string[] = [];
    for (const [name, body] of bodies) {
      const problem = await sendOne(server, { kind: name, method: 'POST', path: '/graphql', headers, body });
      if (problem) failures.push(`${name}: ${problem}`);
    }
    expect(failures).toEqual([]);
  });

  it('refuses raw HTTP malformations with a 4xx and keeps serving', async () => {
    const port = server.service.port;
    const cases = [
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}',
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      `GET /graphql HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      'NONSENSE\r\n\r\n',
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n',
    ];
    for (const payload of cases) {
      const answer = await rawExchange(port, payload);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      expect(status, payload.slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(status, payload.slice(0, 80)).toBeLessThan(500);
    }
  });

  it('still answers a normal query after all that', async () => {
    const result = await server.client().request<{ enterprise: { creditCode: string } }>(
      'query($c: String!) { enterprise(creditCode: $c) { creditCode } }',
      { c: CODE },
    );
    expect(result.enterprise.creditCode).toBe(CODE);
    expect((await fetch(`${server.service.url}/healthz`)).status).toBe(200);
  });
});
