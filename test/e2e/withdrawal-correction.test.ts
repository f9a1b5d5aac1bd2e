import { gql } from 'graphql-request';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { listOnBlacklist } from '../../src/registers/store.ts';
import { draftPastPublicity, publishRun } from '../support/lifecycle.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// A penalty annulled on administrative review stops counting at once: the rating that rested on it
// is corrected, and a blacklisting that rested only on it is lifted.
let server: TestServer;
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-1' };
const bank = { role: 'bank' as const, org: 'bank-1', subject: 'loans' };
const admin = { role: 'bureau_admin' as const, org: 'linjiang-eeb', subject: 'admin-1' };
const CODE = withCheckCharacter('91220681MA5000051');
const LISTED_BY_HAND = withCheckCharacter('91220681MA5000052');
const ANNUAL = withCheckCharacter('91220681MA5000053');
const RACED = withCheckCharacter('91220681MA5000054');
const COUNTED = withCheckCharacter('91220681MA5000055');
const CITES_FOREIGN = withCheckCharacter('91220681MA5000057');
const DAY = 86_400_000;

const RECORD = gql`mutation($input: RecordViolationInput!) { recordViolation(input: $input) { record { id } dynamicAdjustment { level } } }`;
const WITHDRAW = gql`mutation($input: WithdrawEvidenceInput!) { withdrawEvidence(input: $input) { withdrawalId created correction { level cause triggerEvidence period } } }`;
const CHECK = gql`query($c: String!) { creditCheck(creditCode: $c, purpose: LOAN) { level blacklisted verdict } }`;
const HISTORY = gql`query($c: String!) { enterprise(creditCode: $c) { blacklistHistory { edges { node { event causeCode evidenceIds } } } } }`;

const today = () => server.clock.now().toISOString().slice(0, 10);

async function recordViolation(sourceId: string, violationType: string, fineCny: number, creditCode = CODE, decidedOn = today()): Promise<string> {
  const recorded = await server.client(officer).request<any>(RECORD, {
    input: {
      creditCode, source: 'penalty-register', sourceId, decisionNumber: `临环罚〔2026〕${sourceId}号`, decidedOn,
      violationType, legalBasis: '《中华人民共和国大气污染防治法》', fineCny, measures: ['CORRECTION_ORDER'],
    },
  });
  return recorded.recordViolation.record.id;
}

beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: 'error' });
  for (const [code, name] of [[CODE, '临江市南山纸业有限公司'], [LISTED_BY_HAND, '临江市北坡矿业有限公司'], [ANNUAL, '临江市东岸化工有限公司'], [RACED, '临江市西岸化工有限公司'], [COUNTED, '临江市中岸化工有限公司'], [CITES_FOREIGN, '临江市外引化工有限公司']] as const) {
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name, region: '大湖街道', industry: 'C22', keyDischargeUnit: true },
    });
  }
}, 60_000);

afterAll(() => server?.stop());

describe('withdrawing a penalty the rating rests on', () => {
  let falsified: string;
  it('before: the penalty made the enterprise BLACK and blacklisted it', async () => {
    falsified = await recordViolation('W-1', 'FALSIFIED_MONITORING_DATA', 200000);
    expect((await server.client(bank).request<any>(CHECK, { c: CODE })).creditCheck).toMatchObject({ level: 'BLACK', blacklisted: true, verdict: 'PROHIBITED' });
  });

  it('a withdrawal of a record no rating rests on corrects nothing', async () => {
    server.clock.advance(DAY);
    const noise = await recordViolation('W-2', 'NOISE', 3000);
    const withdrawn = await server.client(officer).request<any>(WITHDRAW, { input: { id: noise, reason: '程序错误，撤销', source: 'review', sourceId: 'RV-W-2' } });
    expect(withdrawn.withdrawEvidence).toMatchObject({ created: true, correction: null });
    expect((await server.client(bank).request<any>(CHECK, { c: CODE })).creditCheck.level).toBe('BLACK');
  });

  it('annulled on review: the rating is corrected at once and the listing that rested on it lifted', async () => {
    server.clock.advance(DAY);
    const input = { id: falsified, reason: '行政复议决定撤销 临政复决〔2026〕9号', source: 'review', sourceId: 'RV-W-1' };
    const withdrawn = await server.client(officer).request<any>(WITHDRAW, { input });
    const correction = withdrawn.withdrawEvidence.correction;
    expect(correction).toMatchObject({ cause: 'CORRECTION', triggerEvidence: withdrawn.withdrawEvidence.withdrawalId });
    expect(correction.level).not.toBe('BLACK');
    expect((await server.client(bank).request<any>(CHECK, { c: CODE })).creditCheck).toMatchObject({ level: correction.level, blacklisted: false });
    const history = (await server.client(officer).request<any>(HISTORY, { c: CODE })).enterprise.blacklistHistory.edges.map((e: any) => e.node);
    expect(history.map((e: any) => [e.event, e.causeCode])).toEqual([['LISTED', 'BL_SERIOUS_DISHONESTY'], ['REMOVED', 'EVIDENCE_WITHDRAWN']]);
    expect(history[1].evidenceIds).toEqual([falsified]);

    // Sent again, the withdrawal is a replay: no second correction.
    const again = await server.client(officer).request<any>(WITHDRAW, { input });
    expect(again.withdrawEvidence).toMatchObject({ created: false, withdrawalId: withdrawn.withdrawEvidence.withdrawalId });
    const corrections = await server.client(officer).request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { ratings(first: 10) { edges { node { cause } } } } }`, { c: CODE });
    expect(corrections.enterprise.ratings.edges.filter((e: any) => e.node.cause === 'CORRECTION')).toHaveLength(1);
  });

  it('a listing that rests only on a withdrawn record is lifted though no rating cites it', async () => {
    const noise = await recordViolation('W-3', 'NOISE', 3000, LISTED_BY_HAND);
    await server.client(admin).request(gql`mutation($input: BlacklistDecisionInput!) { decideBlacklist(input: $input) { event } }`, {
      input: { creditCode: LISTED_BY_HAND, action: 'LIST', causeCode: 'BUREAU_DECISION', cause: '屡次夜间施工噪声扰民', evidenceIds: [noise], minimumMonths: 12 },
    });
    expect((await server.client(bank).request<any>(CHECK, { c: LISTED_BY_HAND })).creditCheck.blacklisted).toBe(true);
    const withdrawn = await server.client(officer).request<any>(WITHDRAW, { input: { id: noise, reason: '处罚决定撤销', source: 'review', sourceId: 'RV-W-3' } });
    expect(withdrawn.withdrawEvidence.correction).toBeNull();
    expect((await server.client(bank).request<any>(CHECK, { c: LISTED_BY_HAND })).creditCheck.blacklisted).toBe(false);
  });

  it('a listing citing another enterprise’s record (stored before such ids were refused) is not lifted by its withdrawal', async () => {
    const othersPenalty = await recordViolation('W-FOREIGN-1', 'NOISE', 3000, LISTED_BY_HAND);
    const now = server.clock.now();
    await server.database.db.transaction().execute((trx) =>
      listOnBlacklist(trx as never, { creditCode: CITES_FOREIGN, causeCode: 'BUREAU_DECISION', cause: '拒不整改', evidenceIds: [othersPenalty], decidedBy: 'test', decidedAt: now, effectiveFrom: now }, 12),
    );
    await server.client(officer).request(WITHDRAW, { input: { id: othersPenalty, reason: '处罚决定撤销', source: 'review', sourceId: 'RV-W-FOREIGN-1' } });
    // An unrelated withdrawal of the listed enterprise's own record looks at its listing again.
    const own = await recordViolation('W-FOREIGN-2', 'NOISE', 3000, CITES_FOREIGN);
    await server.client(officer).request(WITHDRAW, { input: { id: own, reason: '重复录入', source: 'review', sourceId: 'RV-W-FOREIGN-2' } });
    const history = (await server.client(officer).request<any>(HISTORY, { c: CITES_FOREIGN })).enterprise.blacklistHistory.edges.map((e: any) => e.node.event);
    expect(history).toEqual(['LISTED']);
    expect((await server.client(bank).request<any>(CHECK, { c: CITES_FOREIGN })).creditCheck.blacklisted).toBe(true);
  });

  it('a record the rating uses without listing it (a veto on the number of penalties) is corrected too', async () => {
    // The Jiangsu point system: three penalties within twelve months cap the level at YELLOW, though a
    // warning's points expire after six months, so the oldest warning is counted but not listed.
    const now = server.clock.now();
    const periodEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
    const daysBefore = (days: number) => new Date(periodEnd.getTime() - days * DAY).toISOString().slice(0, 10);
    const record = async (sourceId: string, decidedOn: string) =>
      (await server.client(officer).request<any>(RECORD, {
        input: { creditCode: COUNTED, source: 'penalty-register', sourceId, decisionNumber: `苏环罚${sourceId}`, decidedOn, violationType: 'OTHER', legalBasis: '《环境保护法》', measures: ['WARNING'] },
      })).recordViolation.record.id as string;
    const oldest = await record('J-1', daysBefore(320));
    await record('J-2', daysBefore(60));
    await record('J-3', daysBefore(30));
    const runId = await draftPastPublicity(server, { ruleSetId: 'jiangsu-points', version: '2020.1', period: periodEnd.toISOString().slice(0, 7), scope: { creditCodes: [COUNTED] } });
    expect(await publishRun(server, runId)).toBe('PUBLISHED');
    const IN_FORCE = gql`query($c: String!) { enterprise(creditCode: $c) { rating { level cause rating { evidence vetoes { id } } } } }`;
    const before = (await server.client(officer).request<any>(IN_FORCE, { c: COUNTED })).enterprise.rating;
    expect(before).toMatchObject({ level: 'YELLOW', cause: 'PUBLICATION', rating: { vetoes: [{ id: 'VETO_THREE_PENALTIES_IN_YEAR' }] } });
    expect(before.rating.evidence).not.toContain(oldest);

    const withdrawn = await server.client(officer).request<any>(WITHDRAW, { input: { id: oldest, reason: '警告决定撤销', source: 'review', sourceId: 'RV-J-1' } });
    expect(withdrawn.withdrawEvidence.correction).toMatchObject({ cause: 'CORRECTION', level: 'BLUE' });
  });

  it('an annual rating drafted before the withdrawal is re-rated without the record when it is published', async () => {
    const lastYear = String(Number(today().slice(0, 4)) - 1);
    const penalty = await recordViolation('W-4', 'FALSIFIED_MONITORING_DATA', 200000, ANNUAL, `${lastYear}-06-01`);
    const runId = await draftPastPublicity(server, { ruleSetId: 'linjiang', version: '2025.1', period: lastYear, scope: { creditCodes: [ANNUAL] } });
    // Annulled on review after the draft, before publication: the draft still rates it BLACK.
    await server.client(officer).request<any>(WITHDRAW, { input: { id: penalty, reason: '行政复议撤销', source: 'review', sourceId: 'RV-W-4' } });
    expect(await publishRun(server, runId)).toBe('PUBLISHED');
    const inForce = await server.client(officer).request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { rating { level cause period rating { evidence } } } }`, { c: ANNUAL });
    expect(inForce.enterprise.rating).toMatchObject({ cause: 'PUBLICATION', period: lastYear });
    expect(inForce.enterprise.rating.level).not.toBe('BLACK');
    expect(inForce.enterprise.rating.rating.evidence).not.toContain(penalty);
    expect((await server.client(bank).request<any>(CHECK, { c: ANNUAL })).creditCheck.blacklisted).toBe(false);
    // The re-rating read the evidence as of the database's clock, not the legal clock days ahead of it
    // (a replay as of a future instant would also see records written after the publication).
    const { rows } = await sql<{ ahead: boolean }>`
      select bool_or(evidence_known_at > clock_timestamp()) as ahead from ratings where credit_code = ${ANNUAL}`.execute(server.database.db);
    expect(rows).toEqual([{ ahead: false }]);
  });

  it.skipIf(!process.env.DATABASE_URL)('a withdrawal sent while the publication is being written waits for it, then corrects the published rating', async () => {
    const lastYear = String(Number(today().slice(0, 4)) - 1);
    // A large fine, no veto: nothing re-rates at once, the annual rating is the one that counts it.
    const penalty = await recordViolation('W-5', 'EXCEEDING_STANDARDS', 300000, RACED, `${lastYear}-07-01`);
    const runId = await draftPastPublicity(server, { ruleSetId: 'linjiang', version: '2025.1', period: lastYear, scope: { creditCodes: [RACED] } });
    // The schema owner locks the run's rating row, so the publication stops when it puts it into effect.
    const holder = new pg.Client({ connectionString: server.database.url!.replace(/\/\/[^@/]*@/, '//postgres@') });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select id from ratings where run_id = $1 for update', [Number(runId.replace('run:', ''))]);
      const publishing = publishRun(server, runId);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const withdrawing = server.client(officer).request<any>(WITHDRAW, { input: { id: penalty, reason: '行政复议撤销', source: 'review', sourceId: 'RV-W-5' } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await holder.query('commit');
      await publishing;
      expect((await withdrawing).withdrawEvidence.correction).toMatchObject({ cause: 'CORRECTION', period: lastYear });
    } finally {
      await holder.end();
    }
    const inForce = await server.client(officer).request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { rating { cause rating { evidence } } } }`, { c: RACED });
    expect(inForce.enterprise.rating.cause).toBe('CORRECTION');
    expect(inForce.enterprise.rating.rating.evidence).not.toContain(penalty);
  });
});

describe('a withdrawal while the service clock is behind the database clock', () => {
  it('is seen by the correction it triggers', async () => {
    const code = withCheckCharacter('91220681MA5000056');
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name: '临江市钟差化工有限公司', region: '大湖街道', industry: 'C22', keyDischargeUnit: true },
    });
    // Legal time back to the database's for the penalty (its rating takes effect now), then 0.5 s
    // behind it for the withdrawal, 1.5 s later: read as of the legal clock, the evidence would still
    // hold the penalty and not its withdrawal.
    const ahead = server.clock.now().getTime() - Date.now();
    server.clock.advance(-ahead);
    try {
      const falsified = await recordViolation('W-SKEW', 'FALSIFIED_MONITORING_DATA', 200000, code);
      expect((await server.client(bank).request<any>(CHECK, { c: code })).creditCheck.level).toBe('BLACK');
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      server.clock.advance(-500);
      const withdrawn = await server.client(officer).request<any>(WITHDRAW, { input: { id: falsified, reason: '行政复议决定撤销', source: 'review', sourceId: 'RV-W-SKEW' } });
      expect(withdrawn.withdrawEvidence.correction).toMatchObject({ cause: 'CORRECTION' });
      expect(withdrawn.withdrawEvidence.correction.level).not.toBe('BLACK');
    } finally {
      server.clock.advance(ahead + 500);
    }
  });
});

describe('withdrawing a withdrawal', () => {
  it('is refused with CONFLICT on input.id pointing to a correction, and stores no second withdrawal', async () => {
    const noise = await recordViolation('W-TWICE-1', 'NOISE', 3000, LISTED_BY_HAND);
    const first = await server.client(officer).request<any>(WITHDRAW, { input: { id: noise, reason: '处罚决定撤销', source: 'review', sourceId: 'RV-W-TWICE-1' } });
    const withdrawalId = first.withdrawEvidence.withdrawalId as string;
    const again = await server.client(officer).request(WITHDRAW, { input: { id: withdrawalId, reason: '撤销撤销?', source: 'review', sourceId: 'RV-W-TWICE-2' } }).catch((error) => error);
    expect(again.response?.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.id' });
    expect(again.response?.errors?.[0]?.message).toContain(`supersedesId ${withdrawalId}`);
    const stored = await server.database.db.selectFrom('violations').select('id').where('source_id', '=', 'RV-W-TWICE-2').execute();
    expect(stored).toEqual([]);
  });
});

describe('a withdrawal racing a correction of the same record', () => {
  it.skipIf(!process.env.DATABASE_URL)('loses with CONFLICT on input.id naming the latest record, not INTERNAL_SERVER_ERROR', async () => {
    const noise = await recordViolation('W-RACE-1', 'NOISE', 3000, LISTED_BY_HAND);
    const rowId = Number(noise.split(':')[1]);
    let withdrawal!: Promise<unknown>;
    let correctionId = 0;
    await server.database.owner.transaction().execute(async (trx) => {
      // Another clerk's correction, not yet committed: the withdrawal's checks cannot see it, and its
      // insert waits on the supersedes_id index until this commits.
      const { rows } = await sql<{ id: number }>`
        insert into violations (credit_code, source, source_id, recorded_by, supersedes_id, correction_reason, decision_number, decided_on, violation_type, legal_basis)
        values (${LISTED_BY_HAND}, 'other-clerk', 'W-RACE-1-C', 'clerk-2', ${rowId}, 'typo', 'N', ${today()}, 'NOISE', 'law') returning id`.execute(trx);
      correctionId = Number(rows[0]!.id);
      withdrawal = server.client(officer).request(WITHDRAW, { input: { id: noise, reason: '处罚决定撤销', source: 'review', sourceId: 'RV-W-RACE-1' } }).catch((error) => error);
      await new Promise((resolve) => setTimeout(resolve, 800));
    });
    const error = (await withdrawal) as { response?: { errors?: { extensions: Record<string, unknown> }[] } };
    expect(error.response?.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.id', latest: correctionId });
  });
});
