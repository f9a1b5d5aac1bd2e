import { gql } from 'graphql-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { graphqlError, startTestServer, type TestServer } from '../support/server.ts';


let server: TestServer;

const REGISTER = gql`
  mutation Register($input: EnterpriseInput!) {
    registerEnterprise(input: $input) {
      created
      enterprise { creditCode name region industry keyDischargeUnit revision }
    }
  }
`;
const RECORD_VIOLATION = gql`
  mutation Record($input: RecordViolationInput!) {
    recordViolation(input: $input) {
      created
      record { id creditCode violationType fineCny measures decidedOn current supersedesId }
    }
  }
`;
const VIOLATIONS = gql`
  query Violations($code: String!, $history: Boolean) {
    enterprise(creditCode: $code) {
      creditCode
      violations(first: 10, includeHistory: $history) {
        edges { node { id decisionNumber fineCny current supersedesId supersededById revoked } }
      }
    }
  }
`;

// Valid codes with the city's division code, completed by the check-character rule.
const codes = {
  mine: withCheckCharacter('91220681MA1000001'),
  hydro: withCheckCharacter('91220681MA1000002'),
  other: withCheckCharacter('91220681MA1000003'),
};


const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-1' };

function violationInput(overrides: Record<string, unknown> = {}) {
  return {
    creditCode: codes.mine,
    source: 'penalty-register',
    sourceId: 'PR-2025-001',
    decisionNumber: '临环罚〔2025〕1号',
    decidedOn: '2025-03-14',
    violationType: 'EXCEEDING_STANDARDS',
    legalBasis: '《中华人民共和国大气污染防治法》第九十九条',
    fineCny: 120000,
    measures: ['CORRECTION_ORDER'],
    ...overrides,
  };
}

beforeAll(async () => {
  server = await startTestServer();
  const client = server.client(officer);
  await client.request(REGISTER, {
    input: { creditCode: codes.mine, name: '临江市大栗子矿业有限公司', region: '大栗子街道', industry: 'B08', keyDischargeUnit: true },
  });
  await client.request(REGISTER, {
    input: { creditCode: codes.hydro, name: '临江市鸭绿江水电有限公司', region: '四道沟镇', industry: 'D4413' },
  });
});

afterAll(() => server?.stop());

describe('health endpoints', () => {
  it('/healthz answers while the process lives and /readyz once the database is migrated', async () => {
    expect((await fetch(`${server.service.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});

describe('registering enterprises', () => {
  it('returns the registered enterprise with defaults for optional fields', async () => {
    const result = await server.client(officer).request<any>(REGISTER, {
      input: { creditCode: codes.other.toLowerCase(), name: ' 临江市人参制品有限公司 ', region: '花山镇', industry: 'c27' },
    });
    expect(result.registerEnterprise).toEqual({
      created: true,
      enterprise: { creditCode: codes.other, name: '临江市人参制品有限公司', region: '花山镇', industry: 'C27', keyDischargeUnit: false, revision: 1 },
    });
  });

  it('is idempotent for the same details and a CONFLICT for different ones', async () => {
    const input = { creditCode: codes.mine, name: '临江市大栗子矿业有限公司', region: '大栗子街道', industry: 'B08', keyDischargeUnit: true };
    const again = await server.client(officer).request<any>(REGISTER, { input });
    expect(again.registerEnterprise.created).toBe(false);
    const error = await graphqlError(server.client(officer).request(REGISTER, { input: { ...input, name: '别的名字' } }));
    expect(error.extensions.code).toBe('CONFLICT');
  });

  it('rejects a malformed credit code with INVALID_CREDIT_CODE naming the field, and stores nothing', async () => {
    const bad = '91220681MA1000001' + 'Z';
    const error = await graphqlError(
      server.client(officer).request(REGISTER, { input: { creditCode: bad, name: 'x', region: 'y', industry: 'C' } }),
    );
    expect(error.extensions).toMatchObject({ code: 'INVALID_CREDIT_CODE', field: 'input.creditCode', value: bad });
    const lookup = await server.client(officer).request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { name } }`, {
      c: withCheckCharacter('91220681MA1000001'),
    });
    expect(lookup.enterprise.name).toBe('临江市大栗子矿业有限公司');
  });

  it('rejects a wrong check character in a query argument too', async () => {
    const error = await graphqlError(server.client().request(gql`{ enterprise(creditCode: "91310110666007217A") { name } }`));
    expect(error.extensions).toMatchObject({ code: 'INVALID_CREDIT_CODE', field: 'creditCode' });
    expect(error.message).toMatch(/should be T/);
  });

  it('reports every invalid field at once with VALIDATION_FAILED', async () => {
    const error = await graphqlError(
      server.client(officer).request(REGISTER, {
        input: { creditCode: withCheckCharacter('91220681MA1000009'), name: '', region: '花山镇', industry: 'manufacturing' },
      }),
    );
    expect(error.extensions.code).toBe('VALIDATION_FAILED');
    expect(error.extensions.field).toBe('input.name');
    expect(error.extensions.problems.map((p: { field: string }) => p.field)).toEqual(['input.name', 'input.industry']);
  });

  it('needs a token (UNAUTHENTICATED) and a bureau role (FORBIDDEN)', async () => {
    const input = { creditCode: withCheckCharacter('91220681MA1000010'), name: 'x', region: 'y', industry: 'C' };
    expect((await graphqlError(server.client().request(REGISTER, { input }))).extensions.code).toBe('UNAUTHENTICATED');
    expect((await graphqlError(server.client({ role: 'bank', org: 'bank-a' }).request(REGISTER, { input }))).extensions.code).toBe('FORBIDDEN');
  });

  it('refuses a forged or expired token with UNAUTHENTICATED', async () => {
    const forged = server.token(officer).replace(/\.[^.]+$/, '.c2lnbmF0dXJl');
    const response = await fetch(server.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${forged}` },
      body: JSON.stringify({ query: '{ enterprises { edges { node { name } } } }' }),
    });
    const body = (await response.json()) as any;
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const expired = server.token({ ...officer, ttl: '-10s' } as never);
    const error = await graphqlError(
      new (await import('graphql-request')).GraphQLClient(server.endpoint, { headers: { authorization: `Bearer ${expired}` } }).request(
        '{ enterprises { edges { node { name } } } }',
      ),
    );
    expect(error.extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('listing enterprises', () => {
  const LIST = gql`
    query List($first: Int, $after: String, $region: String, $industry: String) {
      enterprises(first: $first, after: $after, region: $region, industry: $industry) {
        edges { cursor node { creditCode name } }
        pageInfo { hasNextPage endCursor }
      }
    }
  `;

  it('pages in credit-code order without repeats or gaps', async () => {
    const client = server.client(officer);
    const first = await client.request<any>(LIST, { first: 2 });
    expect(first.enterprises.edges).toHaveLength(2);
    expect(first.enterprises.pageInfo.hasNextPage).toBe(true);
    const second = await client.request<any>(LIST, { first: 2, after: first.enterprises.pageInfo.endCursor });
    const all = [...first.enterprises.edges, ...second.enterprises.edges].map((e: any) => e.node.creditCode);
    expect(all).toEqual([codes.mine, codes.hydro, codes.other].sort());
    expect(second.enterprises.pageInfo.hasNextPage).toBe(false);
  });

  it('filters by township and by industry prefix', async () => {
    const client = server.client(officer);
    const byRegion = await client.request<any>(LIST, { region: '四道沟镇' });
    expect(byRegion.enterprises.edges.map((e: any) => e.node.creditCode)).toEqual([codes.hydro]);
    const manufacturing = await client.request<any>(LIST, { industry: 'C' });
    expect(manufacturing.enterprises.edges.map((e: any) => e.node.creditCode)).toEqual([codes.other]);
  });

  it('bounds the page size and rejects foreign cursors', async () => {
    const client = server.client(officer);
    expect((await graphqlError(client.request(LIST, { first: 100_000 }))).extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'first' });
    expect((await graphqlError(client.request(LIST, { after: 'bm9wZQ' }))).extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'after' });
  });

  it('is for the bureau only', async () => {
    expect((await graphqlError(server.client().request(LIST, {}))).extensions.code).toBe('UNAUTHENTICATED');
    expect((await graphqlError(server.client({ role: 'insurer', org: 'ins' }).request(LIST, {}))).extensions.code).toBe('FORBIDDEN');
  });
});

describe('recording violations', () => {
  let firstId: string;

  it('records a violation, adding FINE for a fine, and replays idempotently', async () => {
    const client = server.client(officer);
    const created = await client.request<any>(RECORD_VIOLATION, { input: violationInput() });
    expect(created.recordViolation).toMatchObject({
      created: true,
      record: { creditCode: codes.mine, violationType: 'EXCEEDING_STANDARDS', fineCny: 120000, measures: ['CORRECTION_ORDER', 'FINE'], decidedOn: '2025-03-14', current: true },
    });
    firstId = created.recordViolation.record.id;
    expect(firstId).toMatch(/^violation:\d+$/);
    const replay = await client.request<any>(RECORD_VIOLATION, { input: violationInput({ measures: ['FINE', 'CORRECTION_ORDER'] }) });
    expect(replay.recordViolation).toMatchObject({ created: false, record: { id: firstId } });
  });

  it('refuses the same source id with different content (CONFLICT) and keeps the original', async () => {
    const error = await graphqlError(server.client(officer).request(RECORD_VIOLATION, { input: violationInput({ fineCny: 1 }) }));
    expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.sourceId' });
    const list = await server.client(officer).request<any>(VIOLATIONS, { code: codes.mine });
    expect(list.enterprise.violations.edges.map((e: any) => e.node.fineCny)).toEqual([120000]);
  });

  it('validates dates, amounts and cross-field rules', async () => {
    const client = server.client(officer);
    const cases: [Record<string, unknown>, string][] = [
      [{ decidedOn: '2025-02-30' }, 'VALIDATION_FAILED'],
      [{ sourceId: 'x1', fineCny: -5 }, 'input.fineCny'],
      [{ sourceId: 'x2', rectifiedOn: '2024-01-01' }, 'input.rectifiedOn'],
      [{ sourceId: 'x3', violationType: 'ENVIRONMENTAL_INCIDENT' }, 'input.incidentSeverity'],
      [{ sourceId: 'x4', fineCny: 0, measures: ['FINE'] }, 'input.fineCny'],
      [{ sourceId: 'x5', creditCode: withCheckCharacter('91220681MA1999999') }, 'input.creditCode'],
      // A record states what has happened: no decision after today (in China), none before 1979.
      [{ sourceId: 'x6', decidedOn: new Date(server.clock.now().getTime() + 2 * 86_400_000).toISOString().slice(0, 10) }, 'input.decidedOn'],
      [{ sourceId: 'x7', decidedOn: '2101-03-01' }, 'input.decidedOn'],
      [{ sourceId: 'x8', decidedOn: '0100-03-01' }, 'input.decidedOn'],
    ];
    for (const [overrides, expected] of cases) {
      const error = await graphqlError(client.request(RECORD_VIOLATION, { input: violationInput(overrides) }));
      if (expected === 'VALIDATION_FAILED') expect(error.extensions.code, JSON.stringify(overrides)).toBe('VALIDATION_FAILED');
      else expect(error.extensions.field, JSON.stringify(overrides)).toBe(expected);
    }
    const list = await client.request<any>(VIOLATIONS, { code: codes.mine });
    expect(list.enterprise.violations.edges).toHaveLength(1);
  });

  it('bounds monitored values, so an exceedance ratio is always a number', async () => {
    const RECORD_EMISSION = gql`mutation($input: RecordEmissionInput!) { recordEmission(input: $input) { record { id exceedanceRatio } } }`;
    const emission = (overrides: Record<string, unknown>) => ({
      creditCode: codes.mine, source: 'online-monitoring', sourceId: `EM-${JSON.stringify(overrides)}`, periodStart: '2025-05-01', periodEnd: '2025-05-31',
      outletCode: 'DA001', pollutant: 'SO2', measuredValue: 80, permittedLimit: 100, unit: 'mg/m3', monitoringSource: 'SUPERVISORY', ...overrides,
    });
    const client = server.client(officer);
    for (const [overrides, field] of [[{ measuredValue: 1e300 }, 'input.measuredValue'], [{ permittedLimit: 1e-300 }, 'input.permittedLimit'], [{ measuredValue: -1 }, 'input.measuredValue']] as const) {
      const error = await graphqlError(client.request(RECORD_EMISSION, { input: emission(overrides) }));
      expect(error.extensions, JSON.stringify(overrides)).toMatchObject({ code: 'VALIDATION_FAILED', field });
    }
    const stored = await client.request<any>(RECORD_EMISSION, { input: emission({ measuredValue: 1e9, permittedLimit: 0.001 }) });
    expect(stored.recordEmission.record.exceedanceRatio).toBeGreaterThan(1e11);
  });

  it('a correction supersedes the original, which stays in the history', async () => {
    const client = server.client(officer);
    const missingReason = await graphqlError(client.request(RECORD_VIOLATION, { input: violationInput({ sourceId: 'PR-2025-001-c', supersedesId: firstId }) }));
    expect(missingReason.extensions.field).toBe('input.correctionReason');
    const corrected = await client.request<any>(RECORD_VIOLATION, {
      input: violationInput({ sourceId: 'PR-2025-001-c', supersedesId: firstId, correctionReason: '罚款金额更正', fineCny: 100000 }),
    });
    expect(corrected.recordViolation.record.supersedesId).toBe(firstId);
    const current = await client.request<any>(VIOLATIONS, { code: codes.mine, history: false });
    expect(current.enterprise.violations.edges.map((e: any) => e.node.fineCny)).toEqual([100000]);
    const history = await client.request<any>(VIOLATIONS, { code: codes.mine, history: true });
    expect(history.enterprise.violations.edges.map((e: any) => [e.node.fineCny, e.node.current])).toEqual([
      [100000, true],
      [120000, false],
    ]);
    expect(history.enterprise.violations.edges[1].node.supersededById).toBe(corrected.recordViolation.record.id);
    const twice = await graphqlError(
      client.request(RECORD_VIOLATION, { input: violationInput({ sourceId: 'PR-2025-001-d', supersedesId: firstId, correctionReason: 'again' }) }),
    );
    expect(twice.extensions.code).toBe('CONFLICT');
  });

  it('a withdrawal removes the record from what counts', async () => {
    const client = server.client(officer);
    const created = await client.request<any>(RECORD_VIOLATION, { input: violationInput({ sourceId: 'PR-2025-002', decisionNumber: '临环罚〔2025〕2号' }) });
    const id = created.recordViolation.record.id;
    const withdrawn = await client.request<any>(
      gql`mutation($input: WithdrawEvidenceInput!) { withdrawEvidence(input: $input) { withdrawalId created } }`,
      { input: { id, reason: '行政复议撤销 临政复决〔2025〕3号', source: 'review', sourceId: 'RV-3' } },
    );
    expect(withdrawn.withdrawEvidence.created).toBe(true);
    const current = await client.request<any>(VIOLATIONS, { code: codes.mine });
    expect(current.enterprise.violations.edges.map((e: any) => e.node.id)).not.toContain(id);
    const history = await client.request<any>(VIOLATIONS, { code: codes.mine, history: true });
    const withdrawal = history.enterprise.violations.edges.find((e: any) => e.node.id === withdrawn.withdrawEvidence.withdrawalId);
    expect(withdrawal.node).toMatchObject({ revoked: true, supersedesId: id, current: false });

    const WITHDRAW = gql`mutation($input: WithdrawEvidenceInput!) { withdrawEvidence(input: $input) { withdrawalId created } }`;
    // The same withdrawal sent again is a replay; with another reason under the same key it is not.
    const replay = await client.request<any>(WITHDRAW, { input: { id, reason: '行政复议撤销 临政复决〔2025〕3号', source: 'review', sourceId: 'RV-3' } });
    expect(replay.withdrawEvidence).toEqual({ withdrawalId: withdrawn.withdrawEvidence.withdrawalId, created: false });
    const otherReason = await graphqlError(client.request(WITHDRAW, { input: { id, reason: '另一理由', source: 'review', sourceId: 'RV-3' } }));
    expect(otherReason.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.sourceId' });
    // Withdrawing it again under another key names the record it asked for, and the latest row.
    const twice = await graphqlError(client.request(WITHDRAW, { input: { id, reason: '再次撤销', source: 'review', sourceId: 'RV-3b' } }));
    expect(twice.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.id' });
    // Only evidence kinds name records: an inherited property name is not one.
    for (const bogus of ['constructor:1', 'hasOwnProperty:1']) {
      const refused = await graphqlError(client.request(WITHDRAW, { input: { id: bogus, reason: 'x', source: 'review', sourceId: 'RV-x' } }));
      expect(refused.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.id' });
    }
  });
});

describe('who may read evidence', () => {
  it('the enterprise reads its own evidence but not a competitor’s', async () => {
    const own = await server.client({ role: 'enterprise', creditCode: codes.mine }).request<any>(VIOLATIONS, { code: codes.mine });
    expect(own.enterprise.violations.edges.length).toBeGreaterThan(0);
    const other = await graphqlError(server.client({ role: 'enterprise', creditCode: codes.hydro }).request(VIOLATIONS, { code: codes.mine }));
    expect(other.extensions.code).toBe('FORBIDDEN');
  });

  it('the public sees identity fields but not evidence', async () => {
    const identity = await server.client().request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { name region industry } }`, { c: codes.mine });
    expect(identity.enterprise).toEqual({ name: '临江市大栗子矿业有限公司', region: '大栗子街道', industry: 'B08' });
    expect((await graphqlError(server.client().request(VIOLATIONS, { code: codes.mine }))).extensions.code).toBe('UNAUTHENTICATED');
    expect((await graphqlError(server.client({ role: 'bank', org: 'b' }).request(VIOLATIONS, { code: codes.mine }))).extensions.code).toBe('FORBIDDEN');
  });

  it('an unknown but valid code is null, not an error', async () => {
    const result = await server.client().request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { name } }`, {
      c: withCheckCharacter('91220681MA1888888'),
    });
    expect(result.enterprise).toBeNull();
  });
});
