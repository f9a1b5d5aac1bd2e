import { gql } from 'graphql-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaDay } from '../../src/china-day.ts';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { applyForRepair, blacklistStateOf, listOnBlacklist } from '../../src/registers/store.ts';
import { addMonths } from '../../src/rules/dates.ts';
import { draftPastPublicity, publishRun } from '../support/lifecycle.ts';
import { shippedVersionInForce } from '../support/rules.ts';
import { graphqlError, startTestServer, type TestServer } from '../support/server.ts';

// How long a listing lasts: one offence lists once (a later rating that still contains it neither
// prolongs nor renews the listing), a new offence extends it, and repair waits for the extended term.
let server: TestServer;
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-1' };
const admin = { role: 'bureau_admin' as const, org: 'linjiang-eeb', subject: 'admin-1' };
const CODE = withCheckCharacter('91220681MA5000031');
const self = { role: 'enterprise' as const, subject: 'e-31', creditCode: CODE };
const DAY = 86_400_000;

const RECORD = gql`mutation($input: RecordViolationInput!) { recordViolation(input: $input) { record { id } dynamicAdjustment { level } } }`;
const HISTORY = gql`query($c: String!) { enterprise(creditCode: $c) { blacklistHistory { edges { node { event causeCode evidenceIds earliestRemoval } } } } }`;
const APPLY = gql`mutation($input: ApplyForCreditRepairInput!) { applyForCreditRepair(input: $input) { id status } }`;
const DECIDE = gql`mutation($input: DecideCreditRepairInput!) { decideCreditRepair(input: $input) { id status } }`;

// Register terms run in China days (UTC+8): the listing day is the one in Linjiang, whatever the hour in UTC.
const today = () => chinaDay(server.clock.now());
const history = async () => (await server.client(officer).request<any>(HISTORY, { c: CODE })).enterprise.blacklistHistory.edges.map((e: any) => e.node);

async function recordViolation(sourceId: string, violationType: string): Promise<{ ref: string; level: string | undefined }> {
  const recorded = await server.client(officer).request<any>(RECORD, {
    input: {
      creditCode: CODE, source: 'penalty-register', sourceId, decisionNumber: `临环罚〔${today().slice(0, 4)}〕${sourceId}号`, decidedOn: today(),
      violationType, legalBasis: '《中华人民共和国固体废物污染环境防治法》', fineCny: 200000, measures: ['CORRECTION_ORDER'],
    },
  });
  return { ref: recorded.recordViolation.record.id, level: recorded.recordViolation.dynamicAdjustment?.level };
}

beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: 'error' });
  await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
    input: { creditCode: CODE, name: '临江市东岭化工有限公司', region: '大湖街道', industry: 'C26', keyDischargeUnit: true },
  });
}, 60_000);

afterAll(() => server?.stop());

describe('blacklist terms', () => {
  let firstOffence: string;
  let listedOn: string;

  it('an offence that forces a listing lists the enterprise for the minimum term, citing the record', async () => {
    const recorded = await recordViolation('FALSIFIED-31', 'FALSIFIED_MONITORING_DATA');
    expect(recorded.level).toBe('BLACK');
    firstOffence = recorded.ref;
    listedOn = today();
    const events = await history();
    expect(events).toEqual([{ event: 'LISTED', causeCode: 'BL_SERIOUS_DISHONESTY', evidenceIds: [firstOffence], earliestRemoval: addMonths(listedOn, 12) }]);
  });

  it('the annual rating that still contains the same offence does not extend the listing', async () => {
    // Into the next year, so that the year of the offence has ended and can be rated.
    const year = Number(today().slice(0, 4));
    server.clock.advance(Date.UTC(year + 1, 0, 15) - server.clock.now().getTime());
    const runId = await draftPastPublicity(server, { ruleSetId: 'linjiang', version: shippedVersionInForce('linjiang', `${year}-12-31`), period: String(year), scope: { all: true } });
    expect(await publishRun(server, runId)).toBe('PUBLISHED');

    const rating = await server.client(officer).request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { rating { level cause period rating { vetoes { id } } } } }`, { c: CODE });
    expect(rating.enterprise.rating).toMatchObject({ level: 'BLACK', cause: 'PUBLICATION', period: String(year), rating: { vetoes: [{ id: 'VETO_FALSIFIED_MONITORING_DATA' }] } });
    const proposals = await server.client(officer).request<any>(gql`query($c: String) { registerProposals(creditCode: $c) { edges { node { causeCode evidenceIds } } } }`, { c: CODE });
    // The level criterion now names the records the level rests on: the veto's.
    expect(proposals.registerProposals.edges.map((e: any) => [e.node.causeCode, e.node.evidenceIds])).toEqual(
      expect.arrayContaining([['BL_BLACK_LEVEL', [firstOffence]], ['BL_SERIOUS_DISHONESTY', [firstOffence]]]),
    );
    expect(await history()).toEqual([{ event: 'LISTED', causeCode: 'BL_SERIOUS_DISHONESTY', evidenceIds: [firstOffence], earliestRemoval: addMonths(listedOn, 12) }]);
  });

  let applicationId: string;
  it('a new offence extends the term, and a repair filed before it cannot be approved until the new date', async () => {
    server.clock.advance(Date.parse(`${addMonths(listedOn, 12)}T02:00:00Z`) - server.clock.now().getTime());
    const applied = await server.client(self).request<any>(APPLY, { input: { creditCode: CODE, statement: '在线监测设备已更换，整改完成', evidenceIds: [firstOffence] } });
    applicationId = applied.applyForCreditRepair.id;

    server.clock.advance(DAY);
    const second = await recordViolation('HAZWASTE-31', 'ILLEGAL_HAZARDOUS_WASTE');
    expect(second.level).toBe('BLACK');
    const extendedTo = addMonths(today(), 12);
    const events = await history();
    expect(events.map((e: any) => [e.event, e.earliestRemoval])).toEqual([['LISTED', addMonths(listedOn, 12)], ['EXTENDED', extendedTo]]);
    expect(events[1].evidenceIds).toContain(second.ref);

    const refused = await graphqlError(server.client(admin).request(DECIDE, { input: { applicationId, approve: true, reason: '整改到位' } }));
    expect(refused.extensions).toMatchObject({ code: 'REPAIR_NOT_YET_POSSIBLE', earliestDate: extendedTo });
    // Nothing was decided: the application is still open, and the bureau may still reject it.
    const rejected = await server.client(admin).request<any>(DECIDE, { input: { applicationId, approve: false, reason: '整改期间再次违法' } });
    expect(rejected.decideCreditRepair.status).toBe('REJECTED');
    expect((await history()).map((e: any) => e.event)).toEqual(['LISTED', 'EXTENDED']);
  });
});

describe('blacklist terms run in China days (UTC+8)', () => {
  const NIGHT = withCheckCharacter('91220681MA5000032');
  // 02:00 in Linjiang on 1 March (a night import's automatic listing) is still 28 February in UTC.
  const listedAt = new Date('2026-03-01T02:00:00+08:00');
  const repair = (now: Date) => applyForRepair(server.database.db, { creditCode: NIGHT, statement: '整改完成', evidenceIds: [], appliedBy: 'test' }, now);

  beforeAll(async () => {
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: NIGHT, name: '临江市夜航化工有限公司', region: '大湖街道', industry: 'C26', keyDischargeUnit: true },
    });
    await server.database.db.transaction().execute((trx) =>
      listOnBlacklist(trx, { creditCode: NIGHT, causeCode: 'BL_SERIOUS_DISHONESTY', cause: '篡改监测数据', evidenceIds: [], decidedBy: 'test', decidedAt: listedAt, effectiveFrom: listedAt }, 12),
    );
  });

  it('a 12-month listing made at 02:00 Beijing on 1 March opens credit repair on 1 March next year', async () => {
    expect((await blacklistStateOf(server.database.db, NIGHT, new Date('2026-06-01T00:00:00Z'))).earliestRemoval).toBe('2027-03-01');
  });

  it('an application at noon Beijing on 28 February is refused; one at 00:30 Beijing on 1 March (still 28 February in UTC) is accepted', async () => {
    await expect(repair(new Date('2027-02-28T12:00:00+08:00'))).rejects.toMatchObject({ extensions: { code: 'REPAIR_NOT_YET_POSSIBLE', earliestDate: '2027-03-01' } });
    await expect(repair(new Date('2027-03-01T00:30:00+08:00'))).resolves.toBeGreaterThan(0);
  });
});
