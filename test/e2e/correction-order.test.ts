import { gql } from 'graphql-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { createLogger } from '../../src/logger.ts';
import { correctForChangedEvidence } from '../../src/rating/correction.ts';
import { draftPastPublicity, publishRun } from '../support/lifecycle.ts';
import { shippedVersionInForce } from '../support/rules.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// A record withdrawn leaves the enterprise as if it had never been: the rating its own adjustment
// replaced comes back (re-rated), and a later veto that was not acted on because of the level the
// record had caused is acted on now — whichever order the bureau sent the two in.
let server: TestServer;
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-1' };
const bank = { role: 'bank' as const, org: 'bank-1', subject: 'loans' };
const WITHDRAWN_LAST = withCheckCharacter('91220681MA5000501');
const WITHDRAWN_FIRST = withCheckCharacter('91220681MA5000502');
const OVER_ANNUAL = withCheckCharacter('91220681MA5000503');
const RESTORED = withCheckCharacter('91220681MA5000504');
const CORRECTED_AWAY = withCheckCharacter('91220681MA5000505');
const TWO_VETOES = withCheckCharacter('91220681MA5000506');
const RETRIED = withCheckCharacter('91220681MA5000507');

const RECORD = gql`mutation($input: RecordViolationInput!) { recordViolation(input: $input) { record { id } dynamicAdjustment { level } } }`;
const WITHDRAW = gql`mutation($input: WithdrawEvidenceInput!) { withdrawEvidence(input: $input) { correction { level cause period } } }`;
const CHECK = gql`query($c: String!) { creditCheck(creditCode: $c, purpose: LOAN) { level blacklisted verdict } }`;
const IN_FORCE = gql`query($c: String!) { enterprise(creditCode: $c) { rating { level cause period } } }`;

const today = () => server.clock.now().toISOString().slice(0, 10);
const penalty = (creditCode: string, sourceId: string, decidedOn: string, violationType: string) => ({
  creditCode, source: 'penalty-register', sourceId, decisionNumber: `临环罚〔${decidedOn.slice(0, 4)}〕${sourceId}号`, decidedOn,
  violationType, legalBasis: '《中华人民共和国环境保护法》', fineCny: 200000, measures: ['CORRECTION_ORDER'],
});
const record = async (input: Record<string, unknown>) => (await server.client(officer).request<any>(RECORD, { input })).recordViolation;
const withdraw = async (id: string, sourceId: string) =>
  (await server.client(officer).request<any>(WITHDRAW, { input: { id, reason: '行政复议决定撤销', source: 'review', sourceId } })).withdrawEvidence;
const check = async (code: string) => (await server.client(bank).request<any>(CHECK, { c: code })).creditCheck;
const inForce = async (code: string) => (await server.client(officer).request<any>(IN_FORCE, { c: code })).enterprise.rating;

const lastYear = () => String(server.clock.now().getUTCFullYear() - 1);
const falsified: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: 'error' });
  for (const [code, name] of [
    [WITHDRAWN_LAST, '临江市前序化工有限公司'], [WITHDRAWN_FIRST, '临江市后序化工有限公司'], [OVER_ANNUAL, '临江市年度化工有限公司'],
    [RESTORED, '临江市复原化工有限公司'], [CORRECTED_AWAY, '临江市更正化工有限公司'],
    [TWO_VETOES, '临江市双否化工有限公司'], [RETRIED, '临江市重试化工有限公司'],
  ] as const) {
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name, region: '大湖街道', industry: 'C22', keyDischargeUnit: true },
    });
  }
  // Last year's annual rating: BLACK for falsified data in June; RED for building without an approved EIA in March.
  for (const code of [WITHDRAWN_LAST, WITHDRAWN_FIRST, RETRIED]) falsified[code] = (await record(penalty(code, `F-${code.slice(-3)}`, `${lastYear()}-06-10`, 'FALSIFIED_MONITORING_DATA'))).record.id;
  await record(penalty(OVER_ANNUAL, 'E-503', `${lastYear()}-03-10`, 'EIA_NOT_APPROVED'));
  const runId = await draftPastPublicity(server, { ruleSetId: 'linjiang', version: '2025.1', period: lastYear(), scope: { creditCodes: [WITHDRAWN_LAST, WITHDRAWN_FIRST, OVER_ANNUAL, RESTORED, RETRIED] } });
  expect(await publishRun(server, runId)).toBe('PUBLISHED');
}, 60_000);
afterAll(() => server?.stop());

describe('a record withdrawn, and what its level had kept from happening', () => {
  it('a veto recorded while a worse level was in force is acted on once the record behind that level is withdrawn', async () => {
    expect(await inForce(WITHDRAWN_LAST)).toMatchObject({ level: 'BLACK', period: lastYear() });
    const eia = await record(penalty(WITHDRAWN_LAST, 'V-501', today(), 'EIA_NOT_APPROVED'));
    expect(eia.dynamicAdjustment).toBeNull(); // RED would have raised BLACK: not made effective then
    await withdraw(falsified[WITHDRAWN_LAST]!, 'RV-501');
    const afterwards = await check(WITHDRAWN_LAST);
    expect(afterwards.level).toBe('RED');
    expect(afterwards.verdict).not.toBe('PRIORITY');
  });

  it('gives the same as the other order: the withdrawal first, then the veto', async () => {
    await withdraw(falsified[WITHDRAWN_FIRST]!, 'RV-502');
    const eia = await record(penalty(WITHDRAWN_FIRST, 'V-502', today(), 'EIA_NOT_APPROVED'));
    expect(eia.dynamicAdjustment).toMatchObject({ level: 'RED' });
    const [first, last] = [await check(WITHDRAWN_FIRST), await check(WITHDRAWN_LAST)];
    expect(last).toEqual(first);
  });

  it('a veto adjusted over last year’s RED rating, then withdrawn, gives that RED rating back, not a clean window', async () => {
    expect(await inForce(OVER_ANNUAL)).toMatchObject({ level: 'RED', period: lastYear() });
    const veto = await record(penalty(OVER_ANNUAL, 'F-503', today(), 'FALSIFIED_MONITORING_DATA'));
    expect(veto.dynamicAdjustment).toMatchObject({ level: 'BLACK' });
    const withdrawn = await withdraw(veto.record.id, 'RV-503');
    expect(withdrawn.correction).toMatchObject({ cause: 'CORRECTION', level: 'RED', period: lastYear() });
    expect((await check(OVER_ANNUAL)).level).toBe('RED');
  });

  it('a veto withdrawn and then restored by a later review (a correction of the withdrawal) is a veto again', async () => {
    const original = penalty(RESTORED, 'R-504', today(), 'FALSIFIED_MONITORING_DATA');
    const first = await record(original);
    expect(first.dynamicAdjustment).toMatchObject({ level: 'BLACK' });
    const withdrawn = await server.client(officer).request<any>(gql`mutation($input: WithdrawEvidenceInput!) { withdrawEvidence(input: $input) { withdrawalId } }`, {
      input: { id: first.record.id, reason: '行政复议决定撤销', source: 'review', sourceId: 'RV-504' },
    });
    expect(await check(RESTORED)).toMatchObject({ blacklisted: false });
    await record({ ...original, sourceId: 'R-504-RR', supersedesId: withdrawn.withdrawEvidence.withdrawalId, correctionReason: '法院判决撤销复议决定，原处罚恢复' });
    expect(await check(RESTORED)).toMatchObject({ level: 'BLACK', blacklisted: true });
  });

  it('a BLACK veto that listed and a RED veto that does not list (2025.1): annulling the BLACK one lifts the listing', async () => {
    await record(penalty(TWO_VETOES, 'E-506', `${lastYear()}-03-10`, 'EIA_NOT_APPROVED'));
    const black = await record(penalty(TWO_VETOES, 'F-506', `${lastYear()}-06-10`, 'FALSIFIED_MONITORING_DATA'));
    expect(await check(TWO_VETOES)).toMatchObject({ level: 'BLACK', blacklisted: true });
    // One rating, two criteria (the veto's and the level's, which cites both vetoes): one event.
    const events = await server.client(officer).request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { blacklistHistory { edges { node { event } } } } }`, { c: TWO_VETOES });
    expect(events.enterprise.blacklistHistory.edges.map((e: any) => e.node.event)).toEqual(['LISTED']);
    await withdraw(black.record.id, 'RV-506');
    expect(await check(TWO_VETOES)).toMatchObject({ level: 'RED', blacklisted: false });
  });

  it('a replay of the withdrawal retries the weighing of later violations when it failed after the correction', async () => {
    expect(await inForce(RETRIED)).toMatchObject({ level: 'BLACK', period: lastYear() });
    const eia = await record(penalty(RETRIED, 'V-507', today(), 'EIA_NOT_APPROVED'));
    expect(eia.dynamicAdjustment).toBeNull();
    // The withdrawal stored, then its correction made, then the weighing failing once (the rules
    // registry throwing on its first look-up of a version in force, which only the weighing makes).
    const id = Number(falsified[RETRIED]!.replace('violation:', ''));
    const stored = await server.database.db.selectFrom('violations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const { id: withdrawalId, ...copy } = stored;
    void withdrawalId;
    const withdrawal = await server.database.db
      .insertInto('violations')
      .values({ ...copy, source: 'review', source_id: 'RV-507', supersedes_id: id, revoked: true, correction_reason: '行政复议决定撤销', recorded_at: undefined } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    const rules = server.service.rules;
    let failOnce = true;
    const flaky = new Proxy(rules, {
      get(target, name) {
        if (name === 'effectiveOn' && failOnce) return () => { failOnce = false; throw new Error('transient'); };
        const value = (target as any)[name];
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const services = { db: server.database.db, rules: flaky, defaultRuleSetId: 'linjiang', logger: createLogger({ logLevel: 'silent' }), now: server.clock.now(), actor: 'test' };
    const change = { creditCode: RETRIED, replacedRef: falsified[RETRIED]!, triggerRef: `violation:${withdrawal.id}`, change: 'WITHDRAWN' as const };
    await expect(correctForChangedEvidence(services, change)).rejects.toThrow('transient');
    expect((await inForce(RETRIED)).cause).toBe('CORRECTION'); // the correction committed; the weighing did not
    await correctForChangedEvidence({ ...services, rules }, change); // the replay
    expect((await check(RETRIED)).level).toBe('RED');
  });

  // Last: it moves the clock into the year after next.
  it('a later adjustment corrected away does not keep the next annual rating from taking effect', async () => {
    const year = server.clock.now().getUTCFullYear();
    const eia = await record(penalty(CORRECTED_AWAY, 'E-505', `${year - 1}-06-10`, 'EIA_NOT_APPROVED'));
    expect(eia.dynamicAdjustment).toMatchObject({ level: 'RED' });
    server.clock.advance(Date.UTC(year + 1, 0, 5) - server.clock.now().getTime());
    const veto = await record(penalty(CORRECTED_AWAY, 'F-505', today(), 'FALSIFIED_MONITORING_DATA'));
    expect(veto.dynamicAdjustment).toMatchObject({ level: 'BLACK' });
    await withdraw(veto.record.id, 'RV-505');
    const runId = await draftPastPublicity(server, { ruleSetId: 'linjiang', version: shippedVersionInForce('linjiang', `${year}-12-31`), period: String(year), scope: { creditCodes: [CORRECTED_AWAY] } });
    expect(await publishRun(server, runId)).toBe('PUBLISHED');
    expect(await inForce(CORRECTED_AWAY)).toMatchObject({ cause: 'PUBLICATION', period: String(year) });
  });
});
