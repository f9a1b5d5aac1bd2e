import { gql } from 'graphql-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { confirmationRulesDir } from '../support/rules.ts';
import { graphqlError, startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-1' };
const admin = { role: 'bureau_admin' as const, org: 'linjiang-eeb', subject: 'admin-1' };
const CODE = withCheckCharacter('91220681MA6000001');

const PROPOSALS = gql`query($c: String) { registerProposals(creditCode: $c, pendingOnly: true) { edges { node { id register action causeCode status ruleSetId ruleVersion evidenceIds } } } }`;
const DECIDE = gql`mutation($input: DecideRegisterProposalInput!) { decideRegisterProposal(input: $input) { id status decidedBy decisionReason } }`;
const BLACKLIST = gql`{ blacklist { edges { node { creditCode causeCode earliestRemoval } } } }`;

beforeAll(async () => {
  server = await startTestServer({ RULES_DIR: confirmationRulesDir(), LOG_LEVEL: 'error' });
  await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
    input: { creditCode: CODE, name: '临江市永兴选矿有限公司', region: '六道沟镇', industry: 'B08', keyDischargeUnit: true },
  });
}, 60_000);
afterAll(() => server?.stop());

describe('a rating proposes a listing and a bureau_admin confirms it', () => {
  let pending: any[];
  let violation: string;

  it('a veto re-rates the enterprise and proposes listings that wait for a decision', async () => {
    const recorded = await server.client(officer).request<any>(
      gql`mutation($input: RecordViolationInput!) { recordViolation(input: $input) { record { id } dynamicAdjustment { level } } }`,
      {
        input: {
          creditCode: CODE, source: 'penalty-register', sourceId: 'PR-FALSIFIED-1', decisionNumber: '临环罚〔2026〕7号',
          decidedOn: server.clock.now().toISOString().slice(0, 10), violationType: 'FALSIFIED_MONITORING_DATA',
          legalBasis: '《中华人民共和国大气污染防治法》第一百零八条', fineCny: 150000,
        },
      },
    );
    violation = recorded.recordViolation.record.id;
    expect(recorded.recordViolation.dynamicAdjustment.level).toBe('BLACK');
    pending = (await server.client(officer).request<any>(PROPOSALS, { c: CODE })).registerProposals.edges.map((e: any) => e.node);
    expect(pending.length).toBeGreaterThanOrEqual(1);
    for (const proposal of pending) {
      expect(proposal).toMatchObject({ register: 'BLACKLIST', action: 'LIST', status: 'PENDING', ruleSetId: 'linjiang', ruleVersion: '2025.1' });
    }
    expect(pending.some((p) => p.evidenceIds.includes(violation))).toBe(true);
    expect((await server.client().request<any>(BLACKLIST)).blacklist.edges).toEqual([]);
  });

  it('only a bureau_admin decides; confirming lists the enterprise publicly, dismissing closes the other proposal', async () => {
    const [first, ...rest] = pending;
    const input = { proposalId: first.id, confirm: true, reason: '经复核，篡改监测数据事实清楚' };
    expect((await graphqlError(server.client(officer).request(DECIDE, { input }))).extensions.code).toBe('FORBIDDEN');
    const confirmed = await server.client(admin).request<any>(DECIDE, { input });
    expect(confirmed.decideRegisterProposal).toMatchObject({ status: 'CONFIRMED', decidedBy: 'bureau_admin:linjiang-eeb:admin-1' });
    const listed = (await server.client().request<any>(BLACKLIST)).blacklist.edges.map((e: any) => e.node);
    expect(listed).toMatchObject([{ creditCode: CODE, causeCode: first.causeCode }]);
    expect(listed[0].earliestRemoval).toBeTruthy();
    const twice = await graphqlError(server.client(admin).request(DECIDE, { input }));
    expect(twice.extensions.code).toBe('CONFLICT');
    for (const proposal of rest) {
      const dismissed = await server.client(admin).request<any>(DECIDE, { input: { proposalId: proposal.id, confirm: false, reason: '已按另一事由列入' } });
      expect(dismissed.decideRegisterProposal.status).toBe('DISMISSED');
    }
    expect((await server.client(officer).request<any>(PROPOSALS, { c: CODE })).registerProposals.edges).toEqual([]);
  });
});
