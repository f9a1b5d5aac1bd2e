import { gql } from 'graphql-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { draftPastPublicity, publishRun } from '../support/lifecycle.ts';
import { graphqlError, startTestServer, type TestServer } from '../support/server.ts';

// A leader nomination rests on a clean record up to the end of the rated period; it waits for a
// bureau_admin, who cannot confirm it once a later penalty is on record.
let server: TestServer;
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-1' };
const admin = { role: 'bureau_admin' as const, org: 'linjiang-eeb', subject: 'admin-1' };
const CLEAN = withCheckCharacter('91220681MA5000061');
const PENALISED = withCheckCharacter('91220681MA5000062');

const NOMINATIONS = gql`query($c: String) { registerProposals(creditCode: $c, pendingOnly: true) { edges { node { id register action } } } }`;
const DECIDE = gql`mutation($input: DecideRegisterProposalInput!) { decideRegisterProposal(input: $input) { status } }`;
const LEADERS = gql`{ leaders { edges { node { creditCode } } } }`;

beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: 'error' });
  const client = server.client(officer);
  for (const [code, name] of [[CLEAN, '临江市青山纸业有限公司'], [PENALISED, '临江市白山建材有限公司']] as const) {
    await client.request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name, region: '大湖街道', industry: 'C22', keyDischargeUnit: true },
    });
    await client.request(gql`mutation($input: RecordCleanProductionAuditInput!) { recordCleanProductionAudit(input: $input) { created } }`, {
      input: { creditCode: code, source: 'audit-register', sourceId: `AUD-${code}`, auditDate: '2025-03-01', level: 'I', accepted: true, acceptedOn: '2025-04-01' },
    });
  }
  const runId = await draftPastPublicity(server, { ruleSetId: 'linjiang', version: '2025.1', period: '2025', scope: { all: true } });
  expect(await publishRun(server, runId)).toBe('PUBLISHED');
}, 60_000);

afterAll(() => server?.stop());

const nominationOf = async (code: string) =>
  (await server.client(officer).request<any>(NOMINATIONS, { c: code })).registerProposals.edges.map((e: any) => e.node).find((p: any) => p.register === 'LEADER' && p.action === 'LIST');

describe('confirming a leader nomination', () => {
  it('a penalty decided after the rated period stops the confirmation, naming it', async () => {
    const nomination = await nominationOf(PENALISED);
    expect(nomination).toBeTruthy();
    const recorded = await server.client(officer).request<any>(gql`mutation($input: RecordViolationInput!) { recordViolation(input: $input) { record { id } } }`, {
      input: {
        creditCode: PENALISED, source: 'penalty-register', sourceId: 'LATE-1', decisionNumber: '临环罚〔2026〕61号', decidedOn: server.clock.now().toISOString().slice(0, 10),
        violationType: 'NOISE', legalBasis: '《噪声污染防治法》', fineCny: 8000,
      },
    });
    const refused = await graphqlError(server.client(admin).request(DECIDE, { input: { proposalId: nomination.id, confirm: true, reason: '符合条件' } }));
    expect(refused.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.proposalId', evidence: recorded.recordViolation.record.id });
    // Nothing was decided: the bureau dismisses it.
    expect((await server.client(admin).request<any>(DECIDE, { input: { proposalId: nomination.id, confirm: false, reason: '评价期后受到处罚' } })).decideRegisterProposal.status).toBe('DISMISSED');
    expect((await server.client().request<any>(LEADERS)).leaders.edges).toEqual([]);
  });

  it('a clean record is confirmed and listed', async () => {
    const nomination = await nominationOf(CLEAN);
    expect((await server.client(admin).request<any>(DECIDE, { input: { proposalId: nomination.id, confirm: true, reason: '符合条件' } })).decideRegisterProposal.status).toBe('CONFIRMED');
    expect((await server.client().request<any>(LEADERS)).leaders.edges.map((e: any) => e.node.creditCode)).toEqual([CLEAN]);
  });
});
