import { gql } from 'graphql-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { draftPastPublicity, publishRun } from '../support/lifecycle.ts';
import { shippedVersionInForce } from '../support/rules.ts';
import { graphqlError, startTestServer, type TestServer } from '../support/server.ts';

// A penalty corrected on review (a new record superseding it) counts as corrected at once, as a
// withdrawn one stops counting at once: the rating in force and the blacklisting follow the offence
// as it now stands, and a correction is the same offence, never a second one.
let server: TestServer;
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-1' };
const bank = { role: 'bank' as const, org: 'bank-1', subject: 'loans' };
const REQUALIFIED = withCheckCharacter('91220681MA5000081');
const TYPO = withCheckCharacter('91220681MA5000082');
const WORSENED = withCheckCharacter('91220681MA5000083');
const REDATED = withCheckCharacter('91220681MA5000084');
const RESTORED = withCheckCharacter('91220681MA5000085');
const BY_HAND = withCheckCharacter('91220681MA5000086');
const OLD = withCheckCharacter('91220681MA5000087');
const REDATED_AFTER_CORRECTION = withCheckCharacter('91220681MA5000088');
const REDATED_AFTER_INCIDENT = withCheckCharacter('91220681MA5000089');
const TWO_SAME_DAY = withCheckCharacter('91220681MA5000090');
const LISTED_TWICE = withCheckCharacter('91220681MA5000091');
const admin = { role: 'bureau_admin' as const, org: 'linjiang-eeb', subject: 'admin-1' };
const DAY = 86_400_000;

const RECORD = gql`mutation($input: RecordViolationInput!) {
  recordViolation(input: $input) { record { id } created dynamicAdjustment { level cause } correction { level cause triggerEvidence } } }`;
const WITHDRAW = gql`mutation($input: WithdrawEvidenceInput!) { withdrawEvidence(input: $input) { withdrawalId correction { level cause } } }`;
const CHECK = gql`query($c: String!) { creditCheck(creditCode: $c, purpose: LOAN) { level blacklisted verdict earliestRemoval } }`;
const HISTORY = gql`query($c: String!) { enterprise(creditCode: $c) { blacklistHistory { edges { node { event causeCode cause evidenceIds earliestRemoval } } } } }`;
const EFFECTS = gql`query($c: String!) { enterprise(creditCode: $c) { ratings(first: 20) { edges { node { cause triggerEvidence } } } } }`;

const today = () => server.clock.now().toISOString().slice(0, 10);
const penalty = (creditCode: string, sourceId: string, decidedOn: string) => ({
  creditCode, source: 'penalty-register', sourceId, decisionNumber: `临环罚〔2026〕${sourceId}号`, decidedOn,
  violationType: 'FALSIFIED_MONITORING_DATA', legalBasis: '《中华人民共和国大气污染防治法》', fineCny: 200000, measures: ['CORRECTION_ORDER'],
});
const record = async (input: Record<string, unknown>) => (await server.client(officer).request<any>(RECORD, { input })).recordViolation;
const history = async (code: string) => (await server.client(officer).request<any>(HISTORY, { c: code })).enterprise.blacklistHistory.edges.map((e: any) => e.node);
const check = async (code: string) => (await server.client(bank).request<any>(CHECK, { c: code })).creditCheck;

beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: 'error' });
  for (const [code, name] of [
    [REQUALIFIED, '临江市东坡纸业有限公司'], [TYPO, '临江市西坡纸业有限公司'], [WORSENED, '临江市南坡纸业有限公司'],
    [REDATED, '临江市北坡纸业有限公司'], [RESTORED, '临江市上坡纸业有限公司'], [BY_HAND, '临江市下坡纸业有限公司'], [OLD, '临江市老坡纸业有限公司'],
    [REDATED_AFTER_CORRECTION, '临江市前坡纸业有限公司'], [REDATED_AFTER_INCIDENT, '临江市后坡纸业有限公司'],
    [TWO_SAME_DAY, '临江市同日化工有限公司'], [LISTED_TWICE, '临江市再列化工有限公司'],
  ] as const) {
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name, region: '大湖街道', industry: 'C22', keyDischargeUnit: true },
    });
  }
}, 60_000);

afterAll(() => server?.stop());

describe('a penalty corrected on review', () => {
  it('re-qualified as a minor violation: the rating in force is corrected at once and the listing it made is lifted', async () => {
    const original = penalty(REQUALIFIED, 'C-1', today());
    const first = await record(original);
    expect(first.dynamicAdjustment).toEqual({ level: 'BLACK', cause: 'DYNAMIC_ADJUSTMENT' });
    expect(await check(REQUALIFIED)).toMatchObject({ level: 'BLACK', blacklisted: true, verdict: 'PROHIBITED' });

    server.clock.advance(DAY);
    const input = { ...original, sourceId: 'C-1-R', violationType: 'OTHER', fineCny: 5000, supersedesId: first.record.id, correctionReason: '行政复议变更：定性为一般违法' };
    const corrected = await record(input);
    expect(corrected.correction).toMatchObject({ cause: 'CORRECTION', triggerEvidence: corrected.record.id });
    expect(corrected.correction.level).not.toBe('BLACK');
    expect(corrected.dynamicAdjustment).toBeNull();
    const after = await check(REQUALIFIED);
    expect(after).toMatchObject({ level: corrected.correction.level, blacklisted: false });
    expect(after.verdict).not.toBe('PROHIBITED');
    const events = await history(REQUALIFIED);
    expect(events.map((e: any) => [e.event, e.causeCode])).toEqual([['LISTED', 'BL_SERIOUS_DISHONESTY'], ['REMOVED', 'EVIDENCE_CORRECTED']]);
    expect(events[1].evidenceIds).toEqual([first.record.id]);
    expect(events[1].cause).not.toContain('violation:'); // the public register's reason names no evidence

    // The public page says how the level in force came about, and shows no evidence id.
    const page = await (await fetch(`${server.service.url}/enterprises/${REQUALIFIED}`)).text();
    expect(page).toContain('复核更正 corrected on review');
    expect(page).not.toContain('annual publication');
    expect(page).not.toMatch(/violation:\d/);

    // Sent again, the correction is a replay: nothing is corrected twice.
    expect(await record(input)).toMatchObject({ created: false, record: { id: corrected.record.id } });
    const effects = (await server.client(officer).request<any>(EFFECTS, { c: REQUALIFIED })).enterprise.ratings.edges.map((e: any) => e.node);
    expect(effects.filter((e: any) => e.cause === 'CORRECTION')).toEqual([{ cause: 'CORRECTION', triggerEvidence: corrected.record.id }]);
  });

  it('a typo corrected is the same offence: it neither extends the listing; withdrawing the corrected record lifts it', async () => {
    const original = penalty(TYPO, 'T-1', today());
    const first = await record(original);
    const listed = await check(TYPO);
    expect(listed).toMatchObject({ blacklisted: true });

    server.clock.advance(40 * DAY);
    const corrected = await record({ ...original, sourceId: 'T-1-R', decisionNumber: '临环罚〔2026〕T-1号（更正）', supersedesId: first.record.id, correctionReason: '决定书编号笔误' });
    // The corrected veto is adjusted for as the original was (the rating in force now cites the new id), at the same level.
    expect(corrected).toMatchObject({ dynamicAdjustment: { cause: 'DYNAMIC_ADJUSTMENT', level: 'BLACK' }, correction: null });
    expect((await history(TYPO)).map((e: any) => e.event)).toEqual(['LISTED']);
    expect((await check(TYPO)).earliestRemoval).toBe(listed.earliestRemoval);

    server.clock.advance(DAY);
    await server.client(officer).request<any>(WITHDRAW, { input: { id: corrected.record.id, reason: '行政复议撤销', source: 'review', sourceId: 'RV-T-1' } });
    expect(await check(TYPO)).toMatchObject({ blacklisted: false });
    const events = await history(TYPO);
    expect(events.map((e: any) => [e.event, e.causeCode])).toEqual([['LISTED', 'BL_SERIOUS_DISHONESTY'], ['REMOVED', 'EVIDENCE_WITHDRAWN']]);
  });

  it('corrected into a veto with no rating in force: the correction makes the dynamic adjustment a new veto makes', async () => {
    const minor = { ...penalty(WORSENED, 'W-1', today()), violationType: 'OTHER', fineCny: 5000 };
    const first = await record(minor);
    expect(first).toMatchObject({ dynamicAdjustment: null, correction: null });
    const corrected = await record({ ...minor, sourceId: 'W-1-R', violationType: 'FALSIFIED_MONITORING_DATA', fineCny: 200000, supersedesId: first.record.id, correctionReason: '复核认定篡改监测数据' });
    expect(corrected).toMatchObject({ dynamicAdjustment: { level: 'BLACK', cause: 'DYNAMIC_ADJUSTMENT' }, correction: null });
    expect(await check(WORSENED)).toMatchObject({ level: 'BLACK', blacklisted: true });
  });

  it('a veto whose decision date is corrected into a later month stays a veto: BLACK and listed, not corrected away with the old month', async () => {
    const now = server.clock.now();
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 10)).toISOString().slice(0, 10);
    const original = penalty(REDATED, 'D-1', lastMonth);
    const first = await record(original);
    expect(await check(REDATED)).toMatchObject({ level: 'BLACK', blacklisted: true });
    const corrected = await record({ ...original, sourceId: 'D-1-R', decidedOn: today(), supersedesId: first.record.id, correctionReason: '决定日期笔误' });
    expect(corrected).toMatchObject({ dynamicAdjustment: { level: 'BLACK' }, correction: null });
    expect(await check(REDATED)).toMatchObject({ level: 'BLACK', blacklisted: true });
    expect((await history(REDATED)).map((e: any) => e.event)).toEqual(['LISTED']);
  });

  it('a veto re-dated into a later month stays a veto when the rating in force is another effect that still rests on it', async () => {
    const monthsAgo = (n: number) => {
      const now = server.clock.now();
      return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - n, 10)).toISOString().slice(0, 10);
    };
    // In force: a CORRECTION (an unrelated minor record withdrawn) of the veto's adjustment.
    const minor = await record({ ...penalty(REDATED_AFTER_CORRECTION, 'E-0', monthsAgo(1)), violationType: 'OTHER', fineCny: 5000 });
    const veto = penalty(REDATED_AFTER_CORRECTION, 'E-1', monthsAgo(1));
    const first = await record(veto);
    const withdrawn = await server.client(officer).request<any>(WITHDRAW, { input: { id: minor.record.id, reason: '复议撤销', source: 'review', sourceId: 'RV-E-0' } });
    expect(withdrawn.withdrawEvidence.correction).toMatchObject({ cause: 'CORRECTION', level: 'BLACK' });
    await record({ ...veto, sourceId: 'E-1-R', decidedOn: today(), supersedesId: first.record.id, correctionReason: '决定日期笔误' });
    expect(await check(REDATED_AFTER_CORRECTION)).toMatchObject({ level: 'BLACK', blacklisted: true });
    expect((await history(REDATED_AFTER_CORRECTION)).map((e: any) => e.event)).toEqual(['LISTED']);

    // In force: a later adjustment for another violation (a general incident), which still counts the veto.
    const earlier = penalty(REDATED_AFTER_INCIDENT, 'F-1', monthsAgo(2));
    const vetoed = await record(earlier);
    await record({ ...penalty(REDATED_AFTER_INCIDENT, 'F-2', monthsAgo(1)), violationType: 'ENVIRONMENTAL_INCIDENT', incidentSeverity: 'GENERAL', fineCny: 50000, measures: ['FINE'] });
    await record({ ...earlier, sourceId: 'F-1-R', decidedOn: today(), supersedesId: vetoed.record.id, correctionReason: '决定日期笔误' });
    expect(await check(REDATED_AFTER_INCIDENT)).toMatchObject({ level: 'BLACK', blacklisted: true });
    expect((await history(REDATED_AFTER_INCIDENT)).map((e: any) => e.event)).toEqual(['LISTED']);
  });

  it('the bureau cannot remove a listing under a cause the service keeps for itself', async () => {
    const refused = await graphqlError(server.client(admin).request(gql`mutation($input: BlacklistDecisionInput!) { decideBlacklist(input: $input) { event } }`, {
      input: { creditCode: REDATED, action: 'REMOVE', causeCode: 'EVIDENCE_WITHDRAWN', cause: '撤销' },
    }));
    expect(refused.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.causeCode' });
    expect(await check(REDATED)).toMatchObject({ blacklisted: true });
  });

  it('corrected away and restored by a second review: the listing lifted with the first correction is made again', async () => {
    const original = penalty(RESTORED, 'R-1', today());
    const first = await record(original);
    server.clock.advance(DAY);
    const minor = await record({ ...original, sourceId: 'R-1-R', violationType: 'OTHER', fineCny: 5000, supersedesId: first.record.id, correctionReason: '复议变更' });
    expect(await check(RESTORED)).toMatchObject({ blacklisted: false });
    server.clock.advance(DAY);
    const restored = await record({ ...original, sourceId: 'R-1-RR', supersedesId: minor.record.id, correctionReason: '再审恢复原定性' });
    expect(restored.dynamicAdjustment).toMatchObject({ level: 'BLACK' });
    expect(await check(RESTORED)).toMatchObject({ level: 'BLACK', blacklisted: true });
    expect((await history(RESTORED)).map((e: any) => [e.event, e.causeCode])).toEqual([
      ['LISTED', 'BL_SERIOUS_DISHONESTY'], ['REMOVED', 'EVIDENCE_CORRECTED'], ['LISTED', 'BL_SERIOUS_DISHONESTY'],
    ]);
  });

  it('a listing the bureau decided stays when a record behind it is corrected: only a withdrawal lifts it', async () => {
    const incident = { ...penalty(BY_HAND, 'M-1', today()), violationType: 'ENVIRONMENTAL_INCIDENT', incidentSeverity: 'GENERAL', fineCny: 50000, measures: ['FINE'] };
    const first = await record(incident);
    expect(first.dynamicAdjustment).not.toBeNull(); // a rating in force that rests on the record
    await server.client(admin).request(gql`mutation($input: BlacklistDecisionInput!) { decideBlacklist(input: $input) { event } }`, {
      input: { creditCode: BY_HAND, action: 'LIST', causeCode: 'BUREAU_DECISION', cause: '拒不改正，屡查屡犯', evidenceIds: [first.record.id], minimumMonths: 6 },
    });
    // Re-qualified as a smaller offence: the rating in force is corrected, the bureau's listing is not touched.
    const corrected = await record({ ...incident, sourceId: 'M-1-R', violationType: 'OTHER', incidentSeverity: null, fineCny: 5000, supersedesId: first.record.id, correctionReason: '复议变更定性' });
    expect(corrected).toMatchObject({ dynamicAdjustment: null, correction: { cause: 'CORRECTION' } });
    expect((await history(BY_HAND)).map((e: any) => e.event)).toEqual(['LISTED']);
    expect(await check(BY_HAND)).toMatchObject({ blacklisted: true });
    // Withdrawn, it no longer supports the listing, whoever decided it.
    await server.client(officer).request<any>(WITHDRAW, { input: { id: corrected.record.id, reason: '行政复议撤销', source: 'review', sourceId: 'RV-M-1' } });
    expect(await check(BY_HAND)).toMatchObject({ blacklisted: false });
  });

  it('a second offence that does not move the term is still recorded behind the listing, so a later typo fix in the first does not extend it', async () => {
    const day = today();
    const falsified = await record(penalty(TWO_SAME_DAY, 'S-1', day));
    const bypass = await record({ ...penalty(TWO_SAME_DAY, 'S-2', day), violationType: 'BYPASS_OR_HIDDEN_DISCHARGE' });
    const listed = await history(TWO_SAME_DAY);
    expect(listed.map((e: any) => [e.event, e.earliestRemoval])).toEqual([['LISTED', listed[0].earliestRemoval], ['EXTENDED', listed[0].earliestRemoval]]);
    expect(listed[1].evidenceIds).toContain(bypass.record.id);
    server.clock.advance(40 * DAY);
    await record({ ...penalty(TWO_SAME_DAY, 'S-1', day), sourceId: 'S-1-R', decisionNumber: '临环罚〔2026〕S-1号（更正）', supersedesId: falsified.record.id, correctionReason: '决定书编号笔误' });
    expect((await history(TWO_SAME_DAY)).length).toBe(2);
    expect((await check(TWO_SAME_DAY)).earliestRemoval).toBe(listed[0].earliestRemoval);
  });

  it('the bureau listing an enterprise already listed by a rating is recorded, and a re-qualification of the record then leaves the listing to the bureau', async () => {
    const original = penalty(LISTED_TWICE, 'L-1', today());
    const first = await record(original);
    server.clock.advance(DAY);
    await server.client(admin).request(gql`mutation($input: BlacklistDecisionInput!) { decideBlacklist(input: $input) { event } }`, {
      input: { creditCode: LISTED_TWICE, action: 'LIST', causeCode: 'BUREAU_DECISION', cause: '拒不改正，屡查屡犯', evidenceIds: [first.record.id], minimumMonths: 6 },
    });
    expect((await history(LISTED_TWICE)).map((e: any) => [e.event, e.causeCode])).toEqual([['LISTED', 'BL_SERIOUS_DISHONESTY'], ['EXTENDED', 'BUREAU_DECISION']]);
    server.clock.advance(DAY);
    const corrected = await record({ ...original, sourceId: 'L-1-R', violationType: 'OTHER', fineCny: 5000, supersedesId: first.record.id, correctionReason: '复议变更定性' });
    expect(corrected.correction).toMatchObject({ cause: 'CORRECTION' });
    expect(await check(LISTED_TWICE)).toMatchObject({ blacklisted: true });
  });

  // Last: it moves the clock more than a year on.
  it('a typo fixed in a veto a later annual rating has taken over from is not acted on again', async () => {
    const year = server.clock.now().getUTCFullYear();
    const original = penalty(OLD, 'O-1', `${year - 1}-06-01`);
    const first = await record(original);
    expect(first.dynamicAdjustment).toMatchObject({ level: 'BLACK' });
    // The next year's annual rating, which no longer sees the penalty, takes over.
    server.clock.advance(Date.UTC(year + 1, 0, 10) - server.clock.now().getTime());
    const runId = await draftPastPublicity(server, { ruleSetId: 'linjiang', version: shippedVersionInForce('linjiang', `${year}-12-31`), period: String(year), scope: { creditCodes: [OLD] } });
    expect(await publishRun(server, runId)).toBe('PUBLISHED');
    const inForce = (await check(OLD)).level;
    expect(inForce).not.toBe('BLACK');
    const corrected = await record({ ...original, sourceId: 'O-1-R', decisionNumber: '临环罚〔2026〕O-1号（更正）', supersedesId: first.record.id, correctionReason: '决定书编号笔误' });
    expect(corrected).toMatchObject({ dynamicAdjustment: null, correction: null });
    expect((await check(OLD)).level).toBe(inForce);
  });
});
