import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { gql } from 'graphql-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaDay } from '../../src/china-day.ts';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { listLeader, listOnBlacklist } from '../../src/registers/store.ts';
import { addMonths } from '../../src/rules/dates.ts';
import { expectHistoryRefused } from '../support/db.ts';
import { writeExport } from '../../src/registers/http.ts';
import type { RegisterEntry } from '../../src/registers/read.ts';
import { graphqlError, startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-1' };
const admin = { role: 'bureau_admin' as const, org: 'linjiang-eeb', subject: 'admin-1' };
const CODE = withCheckCharacter('91220681MA5000001');
const OTHER = withCheckCharacter('91220681MA5000002');
const self = { role: 'enterprise' as const, subject: 'e-1', creditCode: CODE };
const otherEnterprise = { role: 'enterprise' as const, subject: 'e-2', creditCode: OTHER };
const DAY = 86_400_000;

const BLACKLIST = gql`query($asOf: DateTime, $first: Int, $after: String) {
  blacklist(asOf: $asOf, first: $first, after: $after) { edges { cursor node { creditCode enterpriseName causeCode cause listedSince earliestRemoval } } pageInfo { hasNextPage endCursor } }
}`;
const LEADERS = gql`query($asOf: DateTime) { leaders(asOf: $asOf) { edges { node { creditCode enterpriseName causeCode termEnd listedSince } } } }`;
const APPLY = gql`mutation($input: ApplyForCreditRepairInput!) { applyForCreditRepair(input: $input) { id status creditCode evidenceIds appliedBy } }`;
const DECIDE = gql`mutation($input: DecideCreditRepairInput!) { decideCreditRepair(input: $input) { id status decisionReason } }`;
const HISTORY = gql`query($c: String!) { enterprise(creditCode: $c) {
  blacklistHistory { edges { node { event causeCode evidenceIds ruleSetId ruleVersion ruleHash sourceRatingId repairApplicationId decidedBy earliestRemoval } } }
  leaderHistory { edges { node { event causeCode termEnd } } }
} }`;

let listedAt: Date;
let violationRef: string;

beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: 'error' });
  for (const [code, name] of [[CODE, '临江市红旗化工有限公司'], [OTHER, '临江市清源纸业有限公司']] as const) {
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name, region: '大湖街道', industry: 'C26', keyDischargeUnit: true },
    });
  }
}, 60_000);

afterAll(() => server?.stop());

describe('the leader register and the blacklist', () => {
  it('a bureau_admin lists a leader by decision; officers and enterprises may not', async () => {
    const input = { creditCode: CODE, action: 'LIST', causeCode: 'LEADER_DECISION', cause: '清洁生产国际先进水平，连续两年无违法', evidenceIds: ['doc:clean-production-audit-2025'] };
    const M = gql`mutation($input: LeaderDecisionInput!) { decideLeader(input: $input) { event termEnd decidedBy } }`;
    expect((await graphqlError(server.client(officer).request(M, { input }))).extensions.code).toBe('FORBIDDEN');
    expect((await graphqlError(server.client(self).request(M, { input }))).extensions.code).toBe('FORBIDDEN');
    const result = await server.client(admin).request<any>(M, { input });
    const today = chinaDay(server.clock.now());
    expect(result.decideLeader).toEqual([{ event: 'LISTED', termEnd: addMonths(today, 36), decidedBy: 'bureau_admin:linjiang-eeb:admin-1' }]);
    const leaders = await server.client().request<any>(LEADERS);
    expect(leaders.leaders.edges.map((e: any) => e.node)).toMatchObject([{ creditCode: CODE, enterpriseName: '临江市红旗化工有限公司', causeCode: 'LEADER_DECISION', termEnd: addMonths(today, 36) }]);
  });

  it('refusals of register and objection decisions name the input path in extensions.field', async () => {
    const refusal = async (document: string, input: Record<string, unknown>) => (await graphqlError(server.client(admin).request(document, { input }))).extensions;
    expect(await refusal(gql`mutation($input: DecideRegisterProposalInput!) { decideRegisterProposal(input: $input) { id } }`, { proposalId: 'proposal:999', confirm: true, reason: 'ok' }))
      .toMatchObject({ code: 'NOT_FOUND', field: 'input.proposalId' });
    expect(await refusal(DECIDE, { applicationId: 'repair:999', approve: true, reason: 'ok' })).toMatchObject({ code: 'NOT_FOUND', field: 'input.applicationId' });
    expect(await refusal(gql`mutation($input: DecideObjectionInput!) { decideObjection(input: $input) { id } }`, { objectionId: 'objection:999', accept: false, reason: 'ok' }))
      .toMatchObject({ code: 'NOT_FOUND', field: 'input.objectionId' });
    expect(await refusal(gql`mutation($input: BlacklistDecisionInput!) { decideBlacklist(input: $input) { event } }`, { creditCode: OTHER, action: 'REMOVE', causeCode: 'REPAIRED', cause: 'c' }))
      .toMatchObject({ code: 'CONFLICT', field: 'input.creditCode' });
    const objection = await graphqlError(server.client({ role: 'enterprise', creditCode: CODE, subject: 'ent-1' }).request(gql`mutation($input: FileObjectionInput!) { fileObjection(input: $input) { id } }`, {
      input: { creditCode: CODE, runId: 'run:999999', grounds: '评价有误' },
    }));
    expect(objection.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.runId' });
  });

  it('a falsified-data violation re-rates at once: the rule lists it automatically and the leadership is revoked', async () => {
    server.clock.advance(DAY);
    const today = chinaDay(server.clock.now());
    const recorded = await server.client(officer).request<any>(
      gql`mutation($input: RecordViolationInput!) { recordViolation(input: $input) { record { id } dynamicAdjustment { level } } }`,
      {
        input: {
          creditCode: CODE, source: 'penalty-register', sourceId: 'FALSIFIED-1', decisionNumber: '临环罚〔2026〕7号', decidedOn: today,
          violationType: 'FALSIFIED_MONITORING_DATA', legalBasis: '《中华人民共和国大气污染防治法》第一百零八条', fineCny: 200000, measures: ['CORRECTION_ORDER'],
        },
      },
    );
    expect(recorded.recordViolation.dynamicAdjustment.level).toBe('BLACK');
    violationRef = recorded.recordViolation.record.id;
    listedAt = server.clock.now();

    const list = await server.client().request<any>(BLACKLIST);
    expect(list.blacklist.edges.map((e: any) => e.node)).toEqual([
      expect.objectContaining({ creditCode: CODE, enterpriseName: '临江市红旗化工有限公司', causeCode: 'BL_SERIOUS_DISHONESTY', earliestRemoval: addMonths(today, 12) }),
    ]);
    expect(list.blacklist.edges[0].node.cause).toMatch(/dishonesty/);
    expect((await server.client().request<any>(LEADERS)).leaders.edges).toEqual([]);
    // Yesterday he was a leader and not blacklisted.
    const yesterday = new Date(listedAt.getTime() - DAY / 2).toISOString();
    expect((await server.client().request<any>(LEADERS, { asOf: yesterday })).leaders.edges).toHaveLength(1);
    expect((await server.client().request<any>(BLACKLIST, { asOf: yesterday })).blacklist.edges).toEqual([]);

    const history = (await server.client(self).request<any>(HISTORY, { c: CODE })).enterprise;
    const listed = history.blacklistHistory.edges.map((e: any) => e.node);
    expect(listed).toHaveLength(1);
    // The version in force on the decision date (2026 and later: 2026.1).
    expect(listed[0]).toMatchObject({ event: 'LISTED', causeCode: 'BL_SERIOUS_DISHONESTY', ruleSetId: 'linjiang', ruleVersion: '2026.1', evidenceIds: [violationRef] });
    expect(listed[0].ruleHash).toMatch(/^sha256:/);
    expect(listed[0].sourceRatingId).toMatch(/^rating:\d+$/);
    expect(history.leaderHistory.edges.map((e: any) => e.node.event)).toEqual(['LISTED', 'REVOKED']);

    const proposals = await server.client(officer).request<any>(gql`query($c: String) { registerProposals(creditCode: $c) { edges { node { register action causeCode automatic status } } } }`, { c: CODE });
    expect(proposals.registerProposals.edges.map((e: any) => e.node)).toEqual(
      expect.arrayContaining([
        { register: 'BLACKLIST', action: 'LIST', causeCode: 'BL_SERIOUS_DISHONESTY', automatic: true, status: 'APPLIED' },
        { register: 'BLACKLIST', action: 'LIST', causeCode: 'BL_BLACK_LEVEL', automatic: true, status: 'APPLIED' },
      ]),
    );
  });

  it('histories are for the bureau and the enterprise itself only', async () => {
    expect((await graphqlError(server.client().request(HISTORY, { c: CODE }))).extensions.code).toBe('UNAUTHENTICATED');
    expect((await graphqlError(server.client(otherEnterprise).request(HISTORY, { c: CODE }))).extensions.code).toBe('FORBIDDEN');
    expect((await graphqlError(server.client({ role: 'bank', org: 'bank-1', subject: 'b' }).request(HISTORY, { c: CODE }))).extensions.code).toBe('FORBIDDEN');
    await expect(server.client(officer).request(HISTORY, { c: CODE })).resolves.toBeTruthy();
  });

  it('refuses a repair application before the minimum term, giving the date it becomes possible', async () => {
    const input = { creditCode: CODE, statement: '已完成整改，在线监测设备已更换并验收', evidenceIds: ['doc:rectification-report-1'] };
    const early = await graphqlError(server.client(self).request(APPLY, { input }));
    const expected = addMonths(chinaDay(listedAt), 12);
    expect(early.extensions).toMatchObject({ code: 'REPAIR_NOT_YET_POSSIBLE', earliestDate: expected, field: 'input.creditCode' });
    expect(early.message).toContain(expected);
    expect((await graphqlError(server.client(otherEnterprise).request(APPLY, { input }))).extensions.code).toBe('FORBIDDEN');
    expect((await graphqlError(server.client().request(APPLY, { input }))).extensions.code).toBe('UNAUTHENTICATED');
  });

  let approvedAt: Date;
  it('a later application is approved by a bureau_admin: the entry leaves the list but stays in the past one', async () => {
    server.clock.advance(366 * DAY);
    const applied = (await server.client(self).request<any>(APPLY, {
      input: { creditCode: CODE, statement: '已完成整改，在线监测设备已更换并验收', evidenceIds: ['doc:rectification-report-1', violationRef] },
    })).applyForCreditRepair;
    expect(applied).toMatchObject({ status: 'OPEN', creditCode: CODE, appliedBy: 'enterprise:e-1' });
    const again = await graphqlError(server.client(officer).request(APPLY, { input: { creditCode: CODE, statement: '代为申请' } }));
    expect(again.extensions.code).toBe('CONFLICT');

    const decision = { applicationId: applied.id, approve: true, reason: '整改到位，公示期满，同意修复' };
    expect((await graphqlError(server.client(officer).request(DECIDE, { input: decision }))).extensions.code).toBe('FORBIDDEN');
    expect((await graphqlError(server.client(self).request(DECIDE, { input: decision }))).extensions.code).toBe('FORBIDDEN');
    const before = new Date(server.clock.now().getTime() - 60_000);
    server.clock.advance(1000);
    approvedAt = server.clock.now();
    const decided = await server.client(admin).request<any>(DECIDE, { input: decision });
    expect(decided.decideCreditRepair).toMatchObject({ status: 'APPROVED', decisionReason: decision.reason });
    expect((await graphqlError(server.client(admin).request(DECIDE, { input: decision }))).extensions.code).toBe('CONFLICT');

    expect((await server.client().request<any>(BLACKLIST)).blacklist.edges).toEqual([]);
    const past = await server.client().request<any>(BLACKLIST, { asOf: before.toISOString() });
    expect(past.blacklist.edges.map((e: any) => e.node.creditCode)).toEqual([CODE]);
    const history = (await server.client(officer).request<any>(HISTORY, { c: CODE })).enterprise.blacklistHistory.edges.map((e: any) => e.node);
    expect(history.map((e: any) => [e.event, e.causeCode])).toEqual([['LISTED', 'BL_SERIOUS_DISHONESTY'], ['REMOVED', 'CREDIT_REPAIR']]);
    expect(history[1].repairApplicationId).toBe(applied.id);
  });

  it('publishes a fixed cause for the repair removal, never the decision reason (that is for the bureau and the enterprise)', async () => {
    const reason = '整改到位，公示期满，同意修复';
    const events = (await server.client(officer).request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { blacklistHistory { edges { node { event cause } } } } }`, { c: CODE }))
      .enterprise.blacklistHistory.edges.map((e: any) => e.node);
    expect(events.find((e: any) => e.event === 'REMOVED')).toEqual({ event: 'REMOVED', cause: '信用修复 Credit repair approved' });
    for (const path of [`/enterprises/${CODE}`, '/']) {
      const page = await (await fetch(`${server.service.url}${path}`)).text();
      expect(page, path).toContain('信用修复 Credit repair approved');
      expect(page, path).not.toContain(reason);
    }
  });

  it('exports the registers as CSV and JSON, now or as of an instant', async () => {
    const base = server.service.url;
    const pastAt = new Date(approvedAt.getTime() - 60_000).toISOString();
    const csv = await fetch(`${base}/registers/blacklist.csv?asOf=${encodeURIComponent(pastAt)}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv; charset=utf-8/);
    const bytes = new Uint8Array(await csv.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes.slice(3)).trim().split('\r\n');
    expect(lines[0]).toBe('credit_code,enterprise_name,cause_code,cause,listed_since,earliest_removal');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`${CODE},临江市红旗化工有限公司,BL_SERIOUS_DISHONESTY,`);

    const json = await (await fetch(`${base}/registers/blacklist.json?asOf=${encodeURIComponent(pastAt)}`)).json();
    expect(json).toMatchObject({ register: 'BLACKLIST', asOf: pastAt, entries: [{ creditCode: CODE, causeCode: 'BL_SERIOUS_DISHONESTY' }] });
    const now = await (await fetch(`${base}/registers/blacklist.json`)).json();
    expect(now.entries).toEqual([]);
    const leaders = await fetch(`${base}/registers/leaders.csv`);
    expect((await leaders.text()).replace('\uFEFF', '').trim()).toBe('credit_code,enterprise_name,cause_code,cause,listed_since,term_end');
    expect((await (await fetch(`${base}/registers/leaders.json`)).json()).entries).toEqual([]);

    // Not a date, or a day that does not exist (read as 3 March it would answer for another day).
    for (const asOf of ['yesterday', '2026-02-31', '2026-02-31T00:00:00Z', '2026-01-31T24:00:00Z']) {
      const bad = await fetch(`${base}/registers/blacklist.csv?asOf=${encodeURIComponent(asOf)}`);
      expect(bad.status, asOf).toBe(400);
      expect((await bad.json()).errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'asOf' });
    }
  });

  it('pages the public list with bounded page sizes', async () => {
    await server.client(admin).request(gql`mutation($input: BlacklistDecisionInput!) { decideBlacklist(input: $input) { event } }`, {
      input: { creditCode: OTHER, action: 'LIST', causeCode: 'BL_BLACK_LEVEL', cause: '评为严重失信', evidenceIds: [] },
    });
    await server.client(admin).request(gql`mutation($input: BlacklistDecisionInput!) { decideBlacklist(input: $input) { event } }`, {
      input: { creditCode: CODE, action: 'LIST', causeCode: 'BUREAU_DECISION', cause: '拒不执行整改决定', minimumMonths: 6 },
    });
    const first = (await server.client().request<any>(BLACKLIST, { first: 1 })).blacklist;
    expect(first.edges).toHaveLength(1);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await server.client().request<any>(BLACKLIST, { first: 1, after: first.pageInfo.endCursor })).blacklist;
    expect([first.edges[0].node.creditCode, second.edges[0].node.creditCode]).toEqual([CODE, OTHER].sort());
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect((await graphqlError(server.client().request(BLACKLIST, { first: 100_000 }))).extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'first' });
    const missingTerm = await graphqlError(server.client(admin).request(gql`mutation($input: BlacklistDecisionInput!) { decideBlacklist(input: $input) { event } }`, {
      input: { creditCode: OTHER, action: 'LIST', causeCode: 'SOMETHING_ELSE', cause: 'x' },
    }));
    expect(missingTerm.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.minimumMonths' });
  });

  it('a decision or repair application citing a record that is not the enterprise’s own is refused, naming the id', async () => {
    const BLACKLIST_DECISION = gql`mutation($input: BlacklistDecisionInput!) { decideBlacklist(input: $input) { event } }`;
    const LEADER_DECISION = gql`mutation($input: LeaderDecisionInput!) { decideLeader(input: $input) { event } }`;
    const before = await server.database.db.selectFrom('blacklist_events').select('id').execute();
    // violationRef is CODE's penalty; violation:999999 is no record at all; a document reference passes.
    const foreign = await graphqlError(server.client(admin).request(BLACKLIST_DECISION, {
      input: { creditCode: OTHER, action: 'LIST', causeCode: 'BUREAU_DECISION', cause: '拒不整改', evidenceIds: ['doc:inspection-2026-3', violationRef], minimumMonths: 12 },
    }));
    expect(foreign.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.evidenceIds[1]' });
    expect(foreign.message).toContain(violationRef);
    const unknown = await graphqlError(server.client(admin).request(BLACKLIST_DECISION, {
      input: { creditCode: CODE, action: 'LIST', causeCode: 'BUREAU_DECISION', cause: '拒不整改', evidenceIds: ['violation:999999'], minimumMonths: 12 },
    }));
    expect(unknown.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.evidenceIds[0]' });
    expect((await server.database.db.selectFrom('blacklist_events').select('id').execute())).toHaveLength(before.length);
    const leader = await graphqlError(server.client(admin).request(LEADER_DECISION, {
      input: { creditCode: OTHER, action: 'LIST', causeCode: 'LEADER_DECISION', cause: '清洁生产', evidenceIds: [violationRef] },
    }));
    expect(leader.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.evidenceIds[0]' });
    const repair = await graphqlError(server.client(otherEnterprise).request(APPLY, { input: { creditCode: OTHER, statement: '已整改', evidenceIds: [violationRef] } }));
    expect(repair.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.evidenceIds[0]' });
  });

  it('the database refuses to change or delete a register event or a repair decision', async () => {
    const db = server.database.db;
    await expectHistoryRefused(server.database, `update blacklist_events set cause = 'edited'`);
    await expectHistoryRefused(server.database, 'delete from leader_events');
    await expectHistoryRefused(server.database, `update repair_decisions set decision = 'REJECTED'`);
    await expectHistoryRefused(server.database, 'truncate register_proposals cascade');
    const rows = await db.selectFrom('blacklist_events').select('cause').execute();
    expect(rows.every((r) => r.cause !== 'edited')).toBe(true);
  });
});

describe('register days are China days (UTC+8)', () => {
  const NIGHT_LISTED = withCheckCharacter('91220681MA5000003');
  const NIGHT_LEADER = withCheckCharacter('91220681MA5000004');
  // 02:00 in Linjiang on 1 March (a night import, a decision confirmed early) is still 28 February in UTC.
  const decidedAt = new Date('2026-03-01T02:00:00+08:00');
  const decision = (creditCode: string, causeCode: string) => ({ creditCode, causeCode, cause: '夜间决定', evidenceIds: [], decidedBy: 'test', decidedAt, effectiveFrom: decidedAt });
  const exported = async (register: string, asOf: string) => {
    const response = await fetch(`${server.service.url}/registers/${register}.json?asOf=${asOf}`);
    return { name: response.headers.get('content-disposition'), codes: ((await response.json()).entries as { creditCode: string }[]).map((e) => e.creditCode) };
  };

  beforeAll(async () => {
    for (const [code, name] of [[NIGHT_LISTED, '临江市夜航化工有限公司'], [NIGHT_LEADER, '临江市晨光电力有限公司']] as const) {
      await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
        input: { creditCode: code, name, region: '大湖街道', industry: 'C26', keyDischargeUnit: true },
      });
    }
    await server.database.db.transaction().execute(async (trx) => {
      await listOnBlacklist(trx, decision(NIGHT_LISTED, 'BL_SERIOUS_DISHONESTY'), 12);
      await listLeader(trx, decision(NIGHT_LEADER, 'LEADER_NOMINATION'), 36);
    });
  });

  it('a 36-month leader term confirmed at 02:00 Beijing on 1 March 2026 ends on 1 March 2029, at 00:00 Beijing', async () => {
    const leadersAt = async (asOf: string) => (await server.client().request<any>(LEADERS, { asOf })).leaders.edges.map((e: any) => e.node);
    expect(await leadersAt('2029-02-28T23:59:59+08:00')).toEqual([expect.objectContaining({ creditCode: NIGHT_LEADER, termEnd: '2029-03-01' })]);
    expect(await leadersAt('2029-03-01T00:00:00+08:00')).toEqual([]);
  });

  it('an export as of a date holds what was listed by the end of that day in China', async () => {
    expect(await exported('blacklist', '2026-02-28')).toEqual({ name: 'attachment; filename="blacklist-2026-02-28.json"', codes: [] });
    expect(await exported('blacklist', '2026-03-01')).toEqual({ name: 'attachment; filename="blacklist-2026-03-01.json"', codes: [NIGHT_LISTED] });
    expect((await exported('leaders', '2029-02-28')).codes).toEqual([NIGHT_LEADER]);
    expect((await exported('leaders', '2029-03-01')).codes).toEqual([]);
  });
});

describe('an export whose client goes away', () => {
  it('stops writing and ends its reader instead of waiting for a drain that never comes', async () => {
    let pulled = 0;
    let readerEnded = false;
    // An endless register: only the client going away can end this export.
    async function* entries(): AsyncGenerator<RegisterEntry> {
      try {
        for (;;) {
          pulled++;
          yield { creditCode: CODE, enterpriseName: '临江市红旗化工有限公司', causeCode: 'BL_SERIOUS_DISHONESTY', cause: '弄虚作假'.repeat(50), listedSince: new Date(), earliestRemoval: '2027-01-01', termEnd: null } as RegisterEntry;
        }
      } finally {
        readerEnded = true;
      }
    }
    let outcome: Promise<boolean> | undefined;
    const http = createServer((_req, res) => {
      outcome = writeExport(res, 'BLACKLIST', 'csv', new Date(), entries());
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const socket = connect((http.address() as AddressInfo).port, '127.0.0.1');
      socket.write('GET /registers/blacklist.csv HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((resolve) => socket.once('data', resolve));
      socket.pause(); // a client that stops reading: the server's buffers fill and the export waits
      for (let before = -1; before !== pulled; ) {
        before = pulled;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      socket.destroy();
      const finished = await Promise.race([outcome!, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000))]);
      expect(finished).toBe(false);
      expect(readerEnded).toBe(true);
      const stoppedAt = pulled;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(pulled).toBe(stoppedAt);
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  }, 30_000);
});
