/**
 * Input that does not fit, against the real server: impossible DateTimes, variables that do not fit
 * their types (field and expected named), tampered or unknown cursors. Every one is a client error
 * with a code and a field, never INTERNAL_SERVER_ERROR.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevelopmentToken } from '../../src/auth/jwt.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { startService, type RunningService } from '../../src/service.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../support/server.ts';

const CODE = withCheckCharacter('91220681MA1000401');
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'input-errors-officer' };

interface GraphQLAnswer {
  status: number;
  body: { data?: any; errors?: { message: string; extensions: Record<string, any> }[] };
}

async function post(endpoint: string, payload: unknown, token?: string): Promise<GraphQLAnswer> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(payload),
  });
  return { status: response.status, body: (await response.json()) as GraphQLAnswer['body'] };
}

const cursor = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

const RECORD = 'mutation($i: RecordViolationInput!) { recordViolation(input: $i) { created } }';
const violation = (overrides: Record<string, unknown>) => ({
  creditCode: CODE,
  source: 'penalty-register',
  sourceId: 'INPUT-ERRORS-1',
  decisionNumber: '临环罚〔2026〕9号',
  decidedOn: '2026-01-05',
  violationType: 'EXCEEDING_STANDARDS',
  legalBasis: '《中华人民共和国大气污染防治法》第九十九条',
  measures: ['CORRECTION_ORDER'],
  ...overrides,
});

let server: TestServer;
/** A server logging at error level into `errorLines`: a client error must leave no line there. */
let logged: { service: RunningService; database: TestDatabase; endpoint: string; config: Config };
const errorLines: Record<string, any>[] = [];

beforeAll(async () => {
  server = await startTestServer();
  const database = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'error', JWT_SECRET: TEST_JWT_SECRET, SEED_DEMO: 'false' });
  const logger = pino({ level: 'error' }, { write: (line: string) => void errorLines.push(JSON.parse(line)) });
  const service = await startService({ config, database, logger });
  logged = { service, database, config, endpoint: `${service.url}/graphql` };
  // Last: on PGlite the second database blocks the event loop for seconds, long enough for the server to
  // close an idle keep-alive connection that the client has not yet seen closed; the first test would
  // reuse it and get ECONNRESET.
  await server.client(officer).request('mutation($i: EnterpriseInput!) { registerEnterprise(input: $i) { created } }', {
    i: { creditCode: CODE, name: '临江市输入校验有限公司', region: '花山镇', industry: 'C27' },
  });
});

afterAll(async () => {
  await server?.stop();
  await logged?.service.stop();
  await logged?.database.dispose();
});

describe('DateTime', () => {
  it.each(['2026-02-31T00:00:00Z', '2026-04-31T12:00:00+08:00', '2025-02-29T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T23:60:00Z', '2026-01-01T00:00:00+24:00'])(
    'refuses the impossible %s as a variable, naming the argument',
    async (value) => {
      const answer = await post(server.endpoint, { query: 'query($a: DateTime) { blacklist(asOf: $a) { edges { cursor } } }', variables: { a: value } });
      expect(answer.status).toBe(400);
      expect(answer.body.data).toBeUndefined();
      expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'asOf', expected: 'ISO 8601 date-time with offset' });
      expect(answer.body.errors![0]!.message).toContain(JSON.stringify(value));
    },
  );

  it('refuses an impossible date written in the document, naming the argument', async () => {
    const answer = await post(server.endpoint, { query: '{ blacklist(asOf: "2026-02-31T00:00:00Z") { edges { cursor } } }' });
    expect(answer.status).toBeLessThan(500);
    expect(answer.body.data).toBeUndefined();
    expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'asOf' });
  });

  it('still reads real instants, leap days and offsets included', async () => {
    for (const value of ['2024-02-29T23:59:59.999999+08:00', '2026-01-31T00:00:00Z', '2026-01-31T08:00-05:30']) {
      const answer = await post(server.endpoint, { query: 'query($a: DateTime) { blacklist(asOf: $a) { edges { cursor } } }', variables: { a: value } });
      expect(answer.body.errors, value).toBeUndefined();
    }
  });
});

describe('variables that do not fit their types', () => {
  it('names the input field and the allowed values of an enum', async () => {
    const answer = await post(server.endpoint, { query: RECORD, variables: { i: violation({ violationType: 'FOO' }) } }, server.token(officer));
    expect(answer.status).toBe(400);
    const error = answer.body.errors![0]!;
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.violationType' });
    expect(error.extensions.expected).toMatch(/^one of .*\bEXCEEDING_STANDARDS\b.*\bFALSIFIED_MONITORING_DATA\b/);
  });

  it('names list items, missing and unknown fields, and wrong scalar types', async () => {
    const token = server.token(officer);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [violation({ measures: ['CORRECTION_ORDER', 'NOPE'] }), 'input.measures[1]', /^one of .*CORRECTION_ORDER/],
      [violation({ legalBasis: undefined }), 'input.legalBasis', /^a value of type String!$/],
      [violation({ colour: 'red' }), 'input.colour', /^only the fields of RecordViolationInput: .*legalBasis/],
      [violation({ fineCny: 'lots' }), 'input.fineCny', /^a value of type Float$/],
      [violation({ decidedOn: '2026-02-30' }), 'input.decidedOn', /^YYYY-MM-DD$/],
    ];
    for (const [input, field, expected] of cases) {
      const error = (await post(server.endpoint, { query: RECORD, variables: { i: input } }, token)).body.errors![0]!;
      expect(error.extensions.field, field).toBe(field);
      expect(error.extensions.expected, field).toMatch(expected);
      expect(error.extensions.code, field).toMatch(/^(BAD_USER_INPUT|VALIDATION_FAILED)$/);
    }
  });

  it('names every bad variable, each by the argument it goes to', async () => {
    const answer = await post(
      server.endpoint,
      { query: 'query($a: DateTime, $n: Int) { blacklist(asOf: $a, first: $n) { edges { cursor } } }', variables: { a: 'yesterday', n: 'ten' } },
    );
    expect(answer.body.errors!.map((e) => e.extensions.field)).toEqual(['asOf', 'first']);
    expect(answer.body.errors![1]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', expected: 'a value of type Int' });
  });

  it('names a required variable that was not sent', async () => {
    const answer = await post(server.endpoint, { query: RECORD }, server.token(officer));
    expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input', expected: 'a value of type RecordViolationInput!' });
  });

  it('in production names the enum type but lists no values (no schema discovery)', async () => {
    const production = await startTestServer({ NODE_ENV: 'production' });
    try {
      const answer = await post(production.endpoint, { query: RECORD, variables: { i: violation({ violationType: 'EXCEEDING_STANDARD' }) } }, production.token(officer));
      const error = answer.body.errors![0]!;
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.violationType', expected: 'a ViolationType value' });
      expect(JSON.stringify(answer.body)).not.toMatch(/EXCEEDING_STANDARDS|Did you mean/);
    } finally {
      await production.stop();
    }
  });
});

describe('cursors', () => {
  it.each([
    ['a NUL', 'c1:9\u0000'],
    ['lower case', 'c1:91220681ma1000401'],
    ['too long', `c1:${'9'.repeat(19)}`],
    ['a quote', "c1:9'"],
    ['bytes that are not UTF-8', '\u00ff'],
  ])('refuses a credit-code cursor holding %s as VALIDATION_FAILED, with no error in the log', async (_what, text) => {
    const answer = await post(logged.endpoint, { query: 'query($after: String) { blacklist(first: 1, after: $after) { edges { cursor } } }', variables: { after: cursor(text) } });
    expect(answer.status).toBe(200);
    expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'after', expected: 'an endCursor from a previous page' });
    expect(errorLines).toEqual([]);
  });

  it('still pages a credit-code connection with its own cursors', async () => {
    const token = server.token(officer);
    const first = await post(server.endpoint, { query: '{ enterprises(first: 1) { edges { cursor node { creditCode } } pageInfo { endCursor } } }' }, token);
    expect(first.body.data.enterprises.edges[0].node.creditCode).toBe(CODE);
    const next = await post(server.endpoint, { query: 'query($a: String) { enterprises(first: 1, after: $a) { edges { cursor } } }', variables: { a: first.body.data.enterprises.pageInfo.endCursor } }, token);
    expect(next.body.errors).toBeUndefined();
    expect(next.body.data.enterprises.edges).toEqual([]);
  });

  it('refuses a rating-history cursor naming no effect of this enterprise, instead of starting again', async () => {
    const answer = await post(server.endpoint, {
      query: `query($a: String) { enterprise(creditCode: "${CODE}") { ratings(first: 1, after: $a) { edges { cursor } } } }`,
      variables: { a: cursor('c1:999999') },
    });
    expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'after' });
  });
});

describe('amounts of money', () => {
  const RECORD_FINE = 'mutation($i: RecordViolationInput!) { recordViolation(input: $i) { created record { fineCny } } }';

  it('refuses a fine the numeric(14,2) column cannot hold as VALIDATION_FAILED on input.fineCny, not INTERNAL_SERVER_ERROR', async () => {
    const answer = await post(server.endpoint, { query: RECORD_FINE, variables: { i: violation({ sourceId: 'FINE-TOO-BIG', fineCny: 1e12 }) } }, server.token(officer));
    expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.fineCny', expected: expect.stringContaining('999999999999.99') });
  });

  it('accepts the largest fine and cents on fines above 10^8, stored exactly', async () => {
    const token = server.token(officer);
    for (const [sourceId, fineCny] of [['FINE-MAX', 999_999_999_999.99], ['FINE-CENTS', 595_014_822.69]] as const) {
      const answer = await post(server.endpoint, { query: RECORD_FINE, variables: { i: violation({ sourceId, fineCny }) } }, token);
      expect(answer.body.errors, sourceId).toBeUndefined();
      expect(answer.body.data.recordViolation.record.fineCny, sourceId).toBe(fineCny);
    }
    const cents = await post(server.endpoint, { query: RECORD_FINE, variables: { i: violation({ sourceId: 'FINE-MILLS', fineCny: 12.345 }) } }, token);
    expect(cents.body.errors![0]!.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.fineCny' });
  });
});

describe('evidence dated outside the enterprise’s existence', () => {
  const REGISTERED = withCheckCharacter('91220681MA1000402');
  const CLOSED = withCheckCharacter('91220681MA1000403');
  const ENTERPRISE = 'mutation($i: EnterpriseInput!) { registerEnterprise(input: $i) { created } }';
  const REVISE = 'mutation($i: EnterpriseInput!) { reviseEnterprise(input: $i) { created } }';
  const record = (input: Record<string, unknown>) => post(server.endpoint, { query: RECORD, variables: { i: violation(input) } }, server.token(officer));

  beforeAll(async () => {
    const c = server.client(officer);
    const base = { creditCode: REGISTERED, name: '临江市新设有限公司', region: '花山镇', industry: 'C27' };
    await c.request(ENTERPRISE, { i: { ...base, registeredOn: '2005-01-01' } });
    // The register corrects the date: the check reads the current revision.
    await c.request(REVISE, { i: { ...base, registeredOn: '2020-06-01', source: 'aic', sourceId: 'AIC-REV-2' } });
    await c.request(ENTERPRISE, { i: { creditCode: CLOSED, name: '临江市已注销有限公司', region: '花山镇', industry: 'C27', registeredOn: '2001-01-01', closedOn: '2018-12-31' } });
  });

  it('refuses a penalty decided before the enterprise was registered, on input.decidedOn', async () => {
    const answer = await record({ creditCode: REGISTERED, sourceId: 'EXIST-EARLY', decidedOn: '2010-05-01' });
    expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.decidedOn' });
    expect(answer.body.errors![0]!.message).toContain('2020-06-01');
    expect((await record({ creditCode: REGISTERED, sourceId: 'EXIST-ON-DAY', decidedOn: '2020-06-01' })).body.errors).toBeUndefined();
  });

  it('refuses a penalty decided after the enterprise closed, on input.decidedOn', async () => {
    const answer = await record({ creditCode: CLOSED, sourceId: 'EXIST-LATE', decidedOn: '2024-05-01' });
    expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.decidedOn' });
    expect((await record({ creditCode: CLOSED, sourceId: 'EXIST-BEFORE-CLOSING', decidedOn: '2018-12-31' })).body.errors).toBeUndefined();
    const stored = await server.database.db.selectFrom('violations').select('source_id').where('credit_code', '=', CLOSED).execute();
    expect(stored.map((r) => r.source_id)).toEqual(['EXIST-BEFORE-CLOSING']);
  });

  it('an import rejects such rows naming line and field, and takes a disclosure of the year the enterprise closed in', async () => {
    const IMPORT = 'mutation($k: ImportKind!, $c: String!) { importEvidence(kind: $k, format: CSV, content: $c, dryRun: true) { applied rejected rejections { line field reason } } }';
    const violations = `creditCode,source,sourceId,decisionNumber,decidedOn,violationType,legalBasis\n${REGISTERED},imp,EXIST-I1,N,2010-05-01,NOISE,law\n${CLOSED},imp,EXIST-I2,N,2019-01-01,NOISE,law\n${REGISTERED},imp,EXIST-I3,N,2021-01-01,NOISE,law\n`;
    const v = await post(server.endpoint, { query: IMPORT, variables: { k: 'VIOLATIONS', c: violations } }, server.token(officer));
    expect(v.body.data.importEvidence).toMatchObject({ applied: 1, rejected: 2, rejections: [{ line: 2, field: 'decidedOn' }, { line: 3, field: 'decidedOn' }] });
    expect(v.body.data.importEvidence.rejections[1].reason).toContain('closed (2018-12-31)');
    const disclosures = `creditCode,source,sourceId,year,status,checkedOn\n${CLOSED},imp,EXIST-D1,2018,COMPLETE,2019-03-01\n${CLOSED},imp,EXIST-D2,2019,COMPLETE,2020-03-01\n`;
    const d = await post(server.endpoint, { query: IMPORT, variables: { k: 'DISCLOSURES', c: disclosures } }, server.token(officer));
    expect(d.body.data.importEvidence).toMatchObject({ applied: 1, rejected: 1, rejections: [{ line: 3, field: 'year' }] });
  });
});

describe('evidence stored before its enterprise’s dates were revised', () => {
  const record = (input: Record<string, unknown>) => post(server.endpoint, { query: RECORD, variables: { i: violation(input) } }, server.token(officer));
  it('is re-sent as unchanged (import) and as a replay (mutation), not refused as outside the enterprise’s existence', async () => {
    const code = withCheckCharacter('91220681MA1000405');
    const base = { creditCode: code, name: '临江市改期有限公司', region: '花山镇', industry: 'C27' };
    const c = server.client(officer);
    await c.request('mutation($i: EnterpriseInput!) { registerEnterprise(input: $i) { created } }', { i: { ...base, registeredOn: '2005-01-01' } });
    const IMPORT = 'mutation($c: String!) { importEvidence(kind: VIOLATIONS, format: CSV, content: $c) { applied unchanged rejected } }';
    const file = `creditCode,source,sourceId,decisionNumber,decidedOn,violationType,legalBasis\n${code},imp,REDATED-1,N,2010-05-01,NOISE,law\n`;
    expect((await c.request<any>(IMPORT, { c: file })).importEvidence).toEqual({ applied: 1, unchanged: 0, rejected: 0 });
    const replayed = { creditCode: code, sourceId: 'REDATED-2', decidedOn: '2011-05-01' };
    expect((await record(replayed)).body.errors).toBeUndefined();
    // The register later corrects the registration date to after both penalties.
    await c.request('mutation($i: EnterpriseInput!) { reviseEnterprise(input: $i) { created } }', { i: { ...base, registeredOn: '2015-01-01', source: 'aic', sourceId: 'AIC-REDATE' } });
    expect((await c.request<any>(IMPORT, { c: file })).importEvidence).toEqual({ applied: 0, unchanged: 1, rejected: 0 });
    const again = await record(replayed);
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data.recordViolation.created).toBe(false);
  });
});

describe('an enterprise revision re-sent', () => {
  it('after a later revision is an idempotent replay (created: false), and a CONFLICT only with other details', async () => {
    const REVISE = 'mutation($i: EnterpriseInput!) { reviseEnterprise(input: $i) { created enterprise { revision name } } }';
    const code = withCheckCharacter('91220681MA1000404');
    const base = { creditCode: code, region: '花山镇', industry: 'C27', source: 'aic-register' };
    const c = server.client(officer);
    await c.request('mutation($i: EnterpriseInput!) { registerEnterprise(input: $i) { created } }', { i: { ...base, name: '甲公司', sourceId: 'AIC-1' } });
    const second = { ...base, name: '甲有限公司', sourceId: 'AIC-2' };
    await c.request(REVISE, { i: second });
    await c.request(REVISE, { i: { ...base, name: '甲集团有限公司', sourceId: 'AIC-3' } });
    // The source system re-sends its feed: revision AIC-2 again, unchanged.
    const replay = await post(server.endpoint, { query: REVISE, variables: { i: second } }, server.token(officer));
    expect(replay.body.errors).toBeUndefined();
    expect(replay.body.data.reviseEnterprise).toEqual({ created: false, enterprise: { revision: 3, name: '甲集团有限公司' } });
    const changed = await post(server.endpoint, { query: REVISE, variables: { i: { ...second, name: '乙有限公司' } } }, server.token(officer));
    expect(changed.body.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.sourceId' });
  });
});

describe('the log', () => {
  it('gets no error line for any of the refusals above', async () => {
    const token = mintDevelopmentToken(logged.config, officer);
    await post(logged.endpoint, { query: RECORD, variables: { i: violation({ violationType: 'FOO' }) } }, token);
    await post(logged.endpoint, { query: 'query($a: DateTime) { blacklist(asOf: $a) { edges { cursor } } }', variables: { a: '2026-02-31T00:00:00Z' } });
    expect(errorLines).toEqual([]);
  });
});
