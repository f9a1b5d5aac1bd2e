import { gql } from 'graphql-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOfChinaDay } from '../../src/china-day.ts';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { LEADER_TERM_END_SOURCE, recordEndedLeaderTerms } from '../../src/lookups/watch-store.ts';
import { listLeader } from '../../src/registers/store.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// A leader's term ends by itself, with no register event, and an insurer's premium multiplier changes
// with it: watchers are told, once, at the day it ended.
let server: TestServer;
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-1' };
const admin = { role: 'bureau_admin' as const, org: 'linjiang-eeb', subject: 'admin-1' };
const insurer = { role: 'insurer' as const, org: 'insurer-a', subject: 'uw-1' };
const lateInsurer = { role: 'insurer' as const, org: 'insurer-b', subject: 'uw-2' };
const CODE = withCheckCharacter('91220681MA5000091');
const DAY = 86_400_000;

const FEED = gql`query($after: String) {
  watchChanges(after: $after, first: 50) {
    edges { node { source creditCode effectiveAt changes before { leader premiumMultiplier } after { leader premiumMultiplier } } }
    pageInfo { endCursor }
  } }`;
const WATCH = gql`mutation($c: [String!]!) { watch(creditCodes: $c) { watching } }`;
const feed = async (who: typeof insurer, after?: string) => (await server.client(who).request<any>(FEED, { after })).watchChanges;

/** Polls until the feed hands out something (a change is handed out once no older transaction is running). */
async function nextChanges(who: typeof insurer, after?: string) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const page = await feed(who, after);
    if (page.edges.length > 0) return page;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return feed(who, after);
}

beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: 'error' });
  await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
    input: { creditCode: CODE, name: '临江市绿源电力有限公司', region: '大湖街道', industry: 'D44', keyDischargeUnit: true },
  });
}, 60_000);
afterAll(() => server?.stop());

describe('a leader term that ends by itself', () => {
  it('is handed out to watchers once, at the day it ended, with the check before and after', async () => {
    // A rating in force (a general incident's dynamic adjustment), so the premium multiplier has a level to start from.
    const today = server.clock.now().toISOString().slice(0, 10);
    const adjusted = await server.client(officer).request<any>(gql`mutation($input: RecordViolationInput!) { recordViolation(input: $input) { dynamicAdjustment { level } } }`, {
      input: {
        creditCode: CODE, source: 'incident-register', sourceId: 'INC-91', decisionNumber: '临环罚〔2026〕91号', decidedOn: today, violationType: 'ENVIRONMENTAL_INCIDENT',
        incidentSeverity: 'GENERAL', legalBasis: '《突发环境事件应急管理办法》', fineCny: 0, measures: ['WARNING'],
      },
    });
    expect(adjusted.recordViolation.dynamicAdjustment).not.toBeNull();
    await server.client(insurer).request(WATCH, { c: [CODE] });
    await server.client(admin).request(gql`mutation($input: LeaderDecisionInput!) { decideLeader(input: $input) { event } }`, {
      input: { creditCode: CODE, action: 'LIST', causeCode: 'BUREAU_DECISION', cause: '清洁生产示范', termMonths: 1 },
    });
    const listed = await nextChanges(insurer);
    expect(listed.edges.map((e: any) => e.node.source)).toEqual(['LEADER_EVENT']);
    expect(listed.edges[0].node.after.leader).toBe(true);
    // Before the term's end, nothing more.
    server.clock.advance(20 * DAY);
    expect((await feed(insurer, listed.pageInfo.endCursor)).edges).toEqual([]);

    server.clock.advance(20 * DAY);
    const ended = await nextChanges(insurer, listed.pageInfo.endCursor);
    expect(ended.edges).toHaveLength(1);
    const change = ended.edges[0].node;
    expect(change).toMatchObject({ source: 'LEADER_TERM_END', creditCode: CODE, before: { leader: true }, after: { leader: false } });
    expect(change.changes).toContain('LEADER');
    expect(change.before.premiumMultiplier).not.toBe(change.after.premiumMultiplier);
    // The term_end day is a China day: the term ended at its 00:00 in Beijing.
    expect(change.effectiveAt).toBe(startOfChinaDay(await termEnd()).toISOString());

    // Once: the next read hands out nothing, and an institution that watches only now is not told again.
    expect((await feed(insurer, ended.pageInfo.endCursor)).edges).toEqual([]);
    await server.client(lateInsurer).request(WATCH, { c: [CODE] });
    expect((await feed(lateInsurer)).edges).toEqual([]);
  });
});

describe('a leader term ends at 00:00 Beijing on its term_end day (a China day)', () => {
  const NIGHT = withCheckCharacter('91220681MA5000092');
  const list = (at: string) =>
    server.database.db.transaction().execute((trx) =>
      listLeader(trx, { creditCode: NIGHT, causeCode: 'BUREAU_DECISION', cause: '清洁生产示范', evidenceIds: [], decidedBy: 'test', decidedAt: new Date(at), effectiveFrom: new Date(at) }, 1),
    );
  const termEndChanges = () =>
    server.database.db.selectFrom('credit_changes').select(['source_id', 'effective_at']).where('credit_code', '=', NIGHT).where('source_table', '=', LEADER_TERM_END_SOURCE).execute();

  it('is recorded once that day has begun in China, even when a new term starts before the UTC day does', async () => {
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: NIGHT, name: '临江市晨光电力有限公司', region: '大湖街道', industry: 'D44', keyDischargeUnit: true },
    });
    // Listed at 02:00 Beijing on 1 March 2026 (28 February in UTC) for a month: the term ends on 1 April.
    const first = await list('2026-03-01T02:00:00+08:00');
    expect(await recordEndedLeaderTerms(server.database.db, new Date('2026-03-31T23:59:59+08:00'))).toBe(0);
    // Listed again at 03:00 Beijing on 1 April, after the first term ended (in UTC still 31 March).
    expect((await list('2026-04-01T03:00:00+08:00')).event).toBe('LISTED');
    await recordEndedLeaderTerms(server.database.db, new Date('2026-04-01T09:00:00+08:00'));
    expect(await termEndChanges()).toEqual([{ source_id: first.eventId, effective_at: new Date('2026-04-01T00:00:00+08:00') }]);
  });
});

async function termEnd(): Promise<string> {
  const history = await server.client(admin).request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { leaderHistory { edges { node { termEnd } } } } }`, { c: CODE });
  return history.enterprise.leaderHistory.edges[0].node.termEnd;
}
