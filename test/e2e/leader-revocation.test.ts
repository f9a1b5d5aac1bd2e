import { gql } from 'graphql-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaDay } from '../../src/china-day.ts';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { addMonths } from '../../src/rules/dates.ts';
import { draftPastPublicity, publishRun } from '../support/lifecycle.ts';
import { shippedVersionInForce } from '../support/rules.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// DOMAIN.md: a leader is "revoked by a serious violation". From linjiang 2027.1 a penalty with a fine
// of CNY 50,000 or more or a severe measure revokes a leader at once, veto or not (docs/RULES.md).
let server: TestServer;
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-1' };
const admin = { role: 'bureau_admin' as const, org: 'linjiang-eeb', subject: 'admin-1' };
const insurer = { role: 'insurer' as const, org: 'insurer-a', subject: 'insurer-1' };
const CODE = withCheckCharacter('91220681MA5000071');
const DAY = 86_400_000;

const RECORD = gql`mutation($input: RecordViolationInput!) { recordViolation(input: $input) { record { id } dynamicAdjustment { level cause } } }`;
const LEADERS = gql`{ leaders { edges { node { creditCode } } } }`;
const CHECK = gql`query($c: String!) { creditCheck(creditCode: $c, purpose: INSURANCE) { level leader verdict premiumMultiplier ruleSetVersion } }`;
const HISTORY = gql`query($c: String!) { enterprise(creditCode: $c) { leaderHistory { edges { node { event causeCode cause ruleVersion } } } } }`;

const today = () => server.clock.now().toISOString().slice(0, 10);
const penalty = (sourceId: string, fields: Record<string, unknown>) =>
  server.client(officer).request<any>(RECORD, {
    input: { creditCode: CODE, source: 'penalty-register', sourceId, decisionNumber: `临环罚〔${today().slice(0, 4)}〕${sourceId}号`, decidedOn: today(), legalBasis: '《环境保护法》', ...fields },
  });
const insuranceCheck = async () => (await server.client(insurer).request<any>(CHECK, { c: CODE })).creditCheck;
const leaderCodes = async () => (await server.client().request<any>(LEADERS)).leaders.edges.map((e: any) => e.node.creditCode);

beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: 'error' });
  await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
    input: { creditCode: CODE, name: '临江市绿源化工有限公司', region: '大湖街道', industry: 'C26', keyDischargeUnit: true },
  });
  // Listed before the legal clock moves: a rating reads leader standing as recorded by the database's
  // clock (src/registers/standing.ts), which does not move with the test's.
  await server.client(admin).request(gql`mutation($input: LeaderDecisionInput!) { decideLeader(input: $input) { event } }`, {
    input: { creditCode: CODE, action: 'LIST', causeCode: 'LEADER_DECISION', cause: '清洁生产国际先进水平，连续两年无违法', evidenceIds: [] },
  });
  // Into 2027 (at least February), where linjiang 2027.1 is in force, with last year rated and published.
  server.clock.advance(Math.max(0, Date.parse('2027-02-01T02:00:00Z') - server.clock.now().getTime()));
  const lastYear = String(Number(today().slice(0, 4)) - 1);
  const runId = await draftPastPublicity(server, { ruleSetId: 'linjiang', version: shippedVersionInForce('linjiang', `${lastYear}-12-31`), period: lastYear, scope: { creditCodes: [CODE] } });
  expect(await publishRun(server, runId)).toBe('PUBLISHED');
}, 60_000);

afterAll(() => server?.stop());

describe('a leader penalised for a serious violation that is no veto (linjiang 2027.1)', () => {
  it('is answered as a leader while its record is clean', async () => {
    expect(shippedVersionInForce('linjiang', today())).toBe('2027.1');
    expect(await leaderCodes()).toEqual([CODE]);
    expect(await insuranceCheck()).toMatchObject({ level: 'GREEN', leader: true, verdict: 'PRIORITY', premiumMultiplier: 0.85 });
  });

  it('keeps its status after a small fine: nothing is re-rated', async () => {
    server.clock.advance(DAY);
    const small = await penalty('71', { violationType: 'NOISE', fineCny: 8000, measures: ['FINE'] });
    expect(small.recordViolation.dynamicAdjustment).toBeNull();
    expect(await leaderCodes()).toEqual([CODE]);
    expect((await insuranceCheck()).premiumMultiplier).toBe(0.85);
  });

  it('is revoked at once when ordered to suspend production and fined CNY 500,000, and lookups no longer answer LEADER', async () => {
    server.clock.advance(DAY);
    const serious = await penalty('72', { violationType: 'NO_PERMIT', fineCny: 500000, measures: ['FINE', 'PRODUCTION_SUSPENSION'] });
    // No veto, and the level stays GREEN (100 − 10 − 2 + 3 for the leader bonus): the revoke condition acts.
    expect(serious.recordViolation.dynamicAdjustment).toEqual({ level: 'GREEN', cause: 'DYNAMIC_ADJUSTMENT' });
    expect(await leaderCodes()).toEqual([]);
    const history = (await server.client(officer).request<any>(HISTORY, { c: CODE })).enterprise.leaderHistory.edges.map((e: any) => e.node);
    expect(history.map((e: any) => e.event)).toEqual(['LISTED', 'REVOKED']);
    expect(history[1]).toMatchObject({ causeCode: 'LEADER_REVOCATION', ruleVersion: '2027.1', cause: expect.stringContaining('SERIOUS_VIOLATION_12_MONTHS') });
    // Answered as the GREEN enterprise it is, no longer with the leader's ×0.85.
    expect(await insuranceCheck()).toMatchObject({ level: 'GREEN', leader: false, verdict: 'ELIGIBLE', premiumMultiplier: 0.9, ruleSetVersion: '2027.1' });
  });
});

describe('an environmental crime under linjiang 2027.1', () => {
  it('lists the enterprise at once with one LISTED event whose earliest removal is 36 months away', async () => {
    const code = withCheckCharacter('91220681MA5000072');
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name: '临江市暗管化工有限公司', region: '大湖街道', industry: 'C26', keyDischargeUnit: true },
    });
    const day = chinaDay(server.clock.now());
    const crime = await server.client(officer).request<any>(RECORD, {
      input: { creditCode: code, source: 'penalty-register', sourceId: 'CRIME-72', decisionNumber: `临环罚〔${day.slice(0, 4)}〕972号`, decidedOn: day, legalBasis: '《刑法》第三百三十八条', violationType: 'EXCEEDING_STANDARDS', measures: ['CRIMINAL_REFERRAL'] },
    });
    expect(crime.recordViolation.dynamicAdjustment).toEqual({ level: 'BLACK', cause: 'DYNAMIC_ADJUSTMENT' });
    const history = await server.client(officer).request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { blacklistHistory { edges { node { event causeCode earliestRemoval } } } } }`, { c: code });
    expect(history.enterprise.blacklistHistory.edges.map((e: any) => e.node)).toEqual([{ event: 'LISTED', causeCode: 'BL_ENVIRONMENTAL_CRIME', earliestRemoval: addMonths(day, 36) }]);
  });
});
