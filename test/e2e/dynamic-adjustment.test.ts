import { gql } from 'graphql-request';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enterpriseEffectsLockKey } from '../../src/db/locks.ts';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { listLeader } from '../../src/registers/store.ts';
import { draftPastPublicity, publishRun } from '../support/lifecycle.ts';
import { shippedVersionInForce } from '../support/rules.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// A dynamic adjustment acts on a serious event before the next annual rating: it may lower the level
// in force, never raise it.
let server: TestServer;
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-1' };
const bank = { role: 'bank' as const, org: 'bank-1', subject: 'loans' };
const CODE = withCheckCharacter('91220681MA5000041');
const DAY = 86_400_000;

const RECORD = gql`mutation($input: RecordViolationInput!) { recordViolation(input: $input) { record { id } dynamicAdjustment { level cause } } }`;
const IN_FORCE = gql`query($c: String!) { enterprise(creditCode: $c) { rating { level cause triggerEvidence } } }`;

const today = () => server.clock.now().toISOString().slice(0, 10);

beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: 'error' });
  await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
    input: { creditCode: CODE, name: '临江市北岸建材有限公司', region: '大湖街道', industry: 'C30', keyDischargeUnit: false },
  });
}, 60_000);

afterAll(() => server?.stop());

describe.skipIf(!process.env.DATABASE_URL)('dynamic adjustments recorded at the same moment (PostgreSQL)', () => {
  it('are weighed one after the other, each against the level the other left: the veto’s level stays in force', async () => {
    const code = withCheckCharacter('91220681MA5000071');
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name: '临江市并发测试有限公司', region: '大湖街道', industry: 'C30' },
    });
    // Another session holds the enterprise's effect lock, as a concurrent adjustment would.
    const holder = new pg.Client({ connectionString: server.database.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select pg_advisory_xact_lock(hashtext($1))', [enterpriseEffectsLockKey(code)]);
      const base = { creditCode: code, source: 'penalty-register', decidedOn: today(), legalBasis: '《环境影响评价法》', fineCny: 20000 };
      let settled = 0;
      const both = Promise.all([
        server.client(officer).request(RECORD, { input: { ...base, sourceId: 'EIA-71', decisionNumber: '临环罚〔2026〕711号', violationType: 'EIA_NOT_APPROVED' } }),
        server.client(officer).request(RECORD, { input: { ...base, sourceId: 'INC-71', decisionNumber: '临环罚〔2026〕712号', violationType: 'ENVIRONMENTAL_INCIDENT', incidentSeverity: 'GENERAL' } }),
      ].map((p) => p.finally(() => (settled += 1))));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(0); // both wait: neither reads the level in force before the other is done
      await holder.query('commit');
      await both;
    } finally {
      await holder.end();
    }
    const inForce = await server.client(officer).request<any>(IN_FORCE, { c: code });
    expect(inForce.enterprise.rating.level).toBe('RED');
  });
});

describe('dynamic adjustment', () => {
  let veto: string;
  it('a veto lowers the level at once', async () => {
    const recorded = await server.client(officer).request<any>(RECORD, {
      input: {
        creditCode: CODE, source: 'penalty-register', sourceId: 'EIA-41', decisionNumber: '临环罚〔2026〕41号', decidedOn: today(),
        violationType: 'EIA_NOT_APPROVED', legalBasis: '《中华人民共和国环境影响评价法》第三十一条', fineCny: 300000, measures: ['PRODUCTION_SUSPENSION'],
      },
    });
    expect(recorded.recordViolation.dynamicAdjustment).toEqual({ level: 'RED', cause: 'DYNAMIC_ADJUSTMENT' });
    veto = recorded.recordViolation.record.id;
  });

  it('publishing the annual rating of an earlier period keeps the newer adjustment in force', async () => {
    const previousYear = String(Number(today().slice(0, 4)) - 1);
    const runId = await draftPastPublicity(server, { ruleSetId: 'linjiang', version: shippedVersionInForce('linjiang', `${previousYear}-12-31`), period: previousYear, scope: { all: true } });
    expect(await publishRun(server, runId)).toBe('PUBLISHED');
    const inForce = await server.client(officer).request<any>(IN_FORCE, { c: CODE });
    expect(inForce.enterprise.rating).toEqual({ level: 'RED', cause: 'DYNAMIC_ADJUSTMENT', triggerEvidence: veto });
  });

  it('a veto dated in the rated period and recorded during the annual run’s publicity is not undone by publishing the run', async () => {
    const code = withCheckCharacter('91220681MA5000042');
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name: '临江市南岸化工有限公司', region: '大湖街道', industry: 'C26', keyDischargeUnit: true },
    });
    const previousYear = String(Number(today().slice(0, 4)) - 1);
    const runId = await draftPastPublicity(server, { ruleSetId: 'linjiang', version: shippedVersionInForce('linjiang', `${previousYear}-12-31`), period: previousYear, scope: { creditCodes: [code] } });
    // Decided in December of the rated year, entered after the draft read its evidence.
    const recorded = await server.client(officer).request<any>(RECORD, {
      input: {
        creditCode: code, source: 'penalty-register', sourceId: 'EIA-42', decisionNumber: `临环罚〔${previousYear}〕99号`, decidedOn: `${previousYear}-12-20`,
        violationType: 'EIA_NOT_APPROVED', legalBasis: '《中华人民共和国环境影响评价法》第三十一条', fineCny: 300000, measures: ['PRODUCTION_SUSPENSION'],
      },
    });
    expect(recorded.recordViolation.dynamicAdjustment).toEqual({ level: 'RED', cause: 'DYNAMIC_ADJUSTMENT' });
    expect(await publishRun(server, runId)).toBe('PUBLISHED');
    // The annual rating is made again on the evidence as it is now, and counts the veto.
    const inForce = await server.client(officer).request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { rating { level cause period rating { vetoes { id evidence } } } } }`, { c: code });
    expect(inForce.enterprise.rating).toMatchObject({ level: 'RED', cause: 'PUBLICATION', period: previousYear });
    expect(inForce.enterprise.rating.rating.vetoes.flatMap((v: { evidence: string[] }) => v.evidence)).toContain(recorded.recordViolation.record.id);
    const check = await server.client(bank).request<any>(gql`query($c: String!) { creditCheck(creditCode: $c, purpose: LOAN) { level } }`, { c: code });
    expect(check.creditCheck.level).toBe('RED');
    const published = await sql<{ detail: { reratedAtPublication: string[]; reratedAtPublicationCount: number } }>`
      select detail from rating_run_events where run_id = ${Number(runId.replace('run:', ''))} and status = 'PUBLISHED'`.execute(server.database.db);
    expect(published.rows[0]!.detail).toMatchObject({ reratedAtPublication: [code], reratedAtPublicationCount: 1 });
  });

  it('a milder adjustment made before the annual publication gives way to the annual rating: a small incident does not buy the enterprise out of last year’s YELLOW', async () => {
    const code = withCheckCharacter('91220681MA5000043');
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name: '临江市鸭绿江化工有限公司', region: '大湖街道', industry: 'C26', keyDischargeUnit: true, registeredOn: '2010-01-01' },
    });
    const previousYear = String(Number(today().slice(0, 4)) - 1);
    let n = 0;
    const penalty = (decidedOn: string, fields: Record<string, unknown>) =>
      server.client(officer).request<any>(RECORD, {
        input: { creditCode: code, source: 'penalty-register', sourceId: `P43-${(n += 1)}`, decisionNumber: `临环罚〔${decidedOn.slice(0, 4)}〕43${n}号`, decidedOn, legalBasis: '《环境保护法》', ...fields },
      });
    // Last year's offences, all in January and February: more than twelve months before today.
    await penalty(`${previousYear}-01-10`, { violationType: 'NO_PERMIT', fineCny: 500000, measures: ['PRODUCTION_SUSPENSION'] });
    await penalty(`${previousYear}-02-10`, { violationType: 'PERMIT_CONDITIONS', fineCny: 300000, measures: ['SEAL_UP_SEIZURE'] });
    await penalty(`${previousYear}-01-20`, { violationType: 'SOLID_WASTE', fineCny: 60000 });
    await penalty(`${previousYear}-01-25`, { violationType: 'HAZARDOUS_WASTE_MANAGEMENT', fineCny: 60000 });
    await penalty(`${previousYear}-02-01`, { violationType: 'OTHER', measures: ['SHUTDOWN_ORDER'] });
    await penalty(`${previousYear}-02-05`, { violationType: 'DISCLOSURE_FAILURE', fineCny: 50000 });
    await penalty(`${previousYear}-02-15`, { violationType: 'ECOLOGICAL_RED_LINE', fineCny: 100000 });
    // Today a general incident re-rates the twelve months ending now, which hold none of them.
    const incident = await penalty(today(), { violationType: 'ENVIRONMENTAL_INCIDENT', incidentSeverity: 'GENERAL', fineCny: 20000 });
    expect(incident.recordViolation.dynamicAdjustment).toEqual({ level: 'GREEN', cause: 'DYNAMIC_ADJUSTMENT' });

    const runId = await draftPastPublicity(server, { ruleSetId: 'linjiang', version: shippedVersionInForce('linjiang', `${previousYear}-12-31`), period: previousYear, scope: { creditCodes: [code] } });
    expect(await publishRun(server, runId)).toBe('PUBLISHED');
    const inForce = await server.client(officer).request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { rating { level cause period } } }`, { c: code });
    expect(inForce.enterprise.rating).toEqual({ level: 'YELLOW', cause: 'PUBLICATION', period: previousYear });
    const check = await server.client(bank).request<any>(gql`query($c: String!) { creditCheck(creditCode: $c, purpose: LOAN) { level verdict } }`, { c: code });
    expect(check.creditCheck).toEqual({ level: 'YELLOW', verdict: 'CAUTION' });
  });

  it('a smaller offence more than a year later does not raise the level, though its window no longer holds the veto', async () => {
    server.clock.advance(400 * DAY);
    const recorded = await server.client(officer).request<any>(RECORD, {
      input: {
        creditCode: CODE, source: 'incident-register', sourceId: 'INC-41', decisionNumber: '临环罚〔2027〕12号', decidedOn: today(),
        violationType: 'ENVIRONMENTAL_INCIDENT', incidentSeverity: 'GENERAL', legalBasis: '《突发环境事件应急管理办法》', fineCny: 20000,
      },
    });
    expect(recorded.recordViolation.dynamicAdjustment).toBeNull();
    const inForce = await server.client(officer).request<any>(IN_FORCE, { c: CODE });
    expect(inForce.enterprise.rating).toEqual({ level: 'RED', cause: 'DYNAMIC_ADJUSTMENT', triggerEvidence: veto });
    const check = await server.client(bank).request<any>(gql`query($c: String!) { creditCheck(creditCode: $c, purpose: LOAN) { level } }`, { c: CODE });
    expect(check.creditCheck.level).toBe('RED');
  });
});

describe('dynamic adjustment with the service clock behind the database clock', () => {
  it('weighs the violation that triggered it, and records the database instant it read the evidence at', async () => {
    const code = withCheckCharacter('91220681MA5000091');
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name: '临江市时钟测试有限公司', region: '大湖街道', industry: 'C30' },
    });
    // recorded_at is stamped by the database; the service's legal clock runs five minutes behind it.
    const lag = server.clock.now().getTime() - Date.now() + 5 * 60_000;
    server.clock.advance(-lag);
    try {
      const recorded = await server.client(officer).request<any>(RECORD, {
        input: {
          creditCode: code, source: 'penalty-register', sourceId: 'EIA-91', decisionNumber: '临环罚〔2026〕91号', decidedOn: today(),
          violationType: 'EIA_NOT_APPROVED', legalBasis: '《中华人民共和国环境影响评价法》第三十一条', fineCny: 300000,
        },
      });
      expect(recorded.recordViolation.dynamicAdjustment).toEqual({ level: 'RED', cause: 'DYNAMIC_ADJUSTMENT' });
    } finally {
      server.clock.advance(lag);
    }
    const { rows } = await sql<{ saw_it: boolean }>`
      select r.evidence_known_at >= v.recorded_at as saw_it from ratings r join violations v on v.credit_code = r.credit_code
      where r.credit_code = ${code}`.execute(server.database.db);
    expect(rows).toEqual([{ saw_it: true }]);
  });
});

/** Until a session sleeps in the test's slow-insert trigger: its row is stamped, its transaction open. */
async function untilAnInsertSleeps(): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 20) {
    const { rows } = await sql<{ n: string }>`select count(*) as n from pg_stat_activity where wait_event = 'PgSleep' and datname = current_database()`.execute(server.database.owner);
    if (Number(rows[0]!.n) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no insert reached the slow trigger');
}

describe.skipIf(!process.env.DATABASE_URL)('a write of the enterprise in flight when an adjustment would read (PostgreSQL)', () => {
  it('is waited for and seen: the adjustment reads once no write of the enterprise is in flight', async () => {
    const code = withCheckCharacter('91220681MA5000092');
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name: '临江市在途测试有限公司', region: '大湖街道', industry: 'C30' },
    });
    // The schema owner slows one insert down: the row is stamped (recorded_at) and then sleeps before
    // its transaction commits, as a write on a busy connection would.
    const owner = server.database.owner;
    await sql`create function test_slow_insert() returns trigger language plpgsql as $$ begin perform pg_sleep(1.5); return new; end $$`.execute(owner);
    await sql`create trigger test_slow_insert before insert on violations for each row when (new.source_id = 'SLOW-92') execute function test_slow_insert()`.execute(owner);
    try {
      const base = { creditCode: code, source: 'penalty-register', decidedOn: today(), legalBasis: '《噪声污染防治法》' };
      const slow = server.client(officer).request<any>(RECORD, { input: { ...base, sourceId: 'SLOW-92', decisionNumber: '临环罚〔2026〕921号', violationType: 'NOISE', fineCny: 8000 } });
      await untilAnInsertSleeps();
      const veto = await server.client(officer).request<any>(RECORD, {
        input: { ...base, sourceId: 'EIA-92', decisionNumber: '临环罚〔2026〕922号', violationType: 'EIA_NOT_APPROVED', legalBasis: '《环境影响评价法》', fineCny: 300000 },
      });
      expect(veto.recordViolation.dynamicAdjustment).toEqual({ level: 'RED', cause: 'DYNAMIC_ADJUSTMENT' });
      const slowId = (await slow).recordViolation.record.id;
      const inForce = await server.client(officer).request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { rating { triggerEvidence rating { evidence } } } }`, { c: code });
      expect(inForce.enterprise.rating.triggerEvidence).toBe(veto.recordViolation.record.id);
      expect(inForce.enterprise.rating.rating.evidence).toContain(slowId);
    } finally {
      await sql`drop trigger test_slow_insert on violations`.execute(owner);
      await sql`drop function test_slow_insert()`.execute(owner);
    }
  });
});

describe.skipIf(!process.env.DATABASE_URL)('an import in flight when an adjustment would read (PostgreSQL)', () => {
  it('is waited for and seen: the adjustment reads once no bulk write is in progress', async () => {
    const code = withCheckCharacter('91220681MA5000093');
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name: '临江市批量在途有限公司', region: '大湖街道', industry: 'C30', keyDischargeUnit: true },
    });
    // The import's row is stamped, then sleeps before the import commits.
    const owner = server.database.owner;
    await sql`create function test_slow_insert() returns trigger language plpgsql as $$ begin perform pg_sleep(1.5); return new; end $$`.execute(owner);
    await sql`create trigger test_slow_insert before insert on emission_records for each row when (new.source_id = 'EM-SLOW-93') execute function test_slow_insert()`.execute(owner);
    try {
      const day = today();
      const emission = { creditCode: code, source: 'monitoring', sourceId: 'EM-SLOW-93', periodStart: day, periodEnd: day, outletCode: 'DA001', pollutant: 'SO2', measuredValue: 350, permittedLimit: 100, unit: 'mg/m3', monitoringSource: 'SUPERVISORY' };
      const importing = server.client(officer).request<any>(gql`mutation ($content: String!) { importEvidence(kind: EMISSIONS, format: NDJSON, content: $content) { applied } }`, { content: JSON.stringify(emission) });
      await untilAnInsertSleeps();
      const veto = await server.client(officer).request<any>(RECORD, {
        input: { creditCode: code, source: 'penalty-register', sourceId: 'EIA-93', decisionNumber: '临环罚〔2026〕93号', decidedOn: day, violationType: 'EIA_NOT_APPROVED', legalBasis: '《环境影响评价法》', fineCny: 300000 },
      });
      expect(veto.recordViolation.dynamicAdjustment).toEqual({ level: 'RED', cause: 'DYNAMIC_ADJUSTMENT' });
      expect((await importing).importEvidence.applied).toBe(1);
      const stored = await server.database.db.selectFrom('emission_records').select('id').where('source_id', '=', 'EM-SLOW-93').executeTakeFirstOrThrow();
      const inForce = await server.client(officer).request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { rating { rating { evidence } } } }`, { c: code });
      expect(inForce.enterprise.rating.rating.evidence).toContain(`emission:${stored.id}`);
    } finally {
      await sql`drop trigger test_slow_insert on emission_records`.execute(owner);
      await sql`drop function test_slow_insert()`.execute(owner);
    }
  });
});

describe('an adjustment that revokes a leader', () => {
  it('reads register standing as recorded at its instant, so its replay agrees though the revocation takes effect from the legal clock', async () => {
    const code = withCheckCharacter('91220681MA5000094');
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name: '临江市领跑回放有限公司', region: '大湖街道', industry: 'C30' },
    });
    // The legal clock agrees with the database's; the enterprise has led since yesterday.
    const ahead = server.clock.now().getTime() - Date.now();
    server.clock.advance(-ahead);
    try {
      const yesterday = new Date(Date.now() - DAY);
      await server.database.owner.transaction().execute((trx) =>
        listLeader(trx as never, { creditCode: code, causeCode: 'LEADER_NOMINATION', cause: 'test', evidenceIds: [], decidedBy: 'test', decidedAt: yesterday, effectiveFrom: yesterday }, 36));
      const recorded = await server.client(officer).request<any>(RECORD, {
        input: {
          creditCode: code, source: 'penalty-register', sourceId: 'EIA-94', decisionNumber: '临环罚〔2026〕94号', decidedOn: today(),
          violationType: 'EIA_NOT_APPROVED', legalBasis: '《环境影响评价法》', fineCny: 300000,
        },
      });
      expect(recorded.recordViolation.dynamicAdjustment).toMatchObject({ cause: 'DYNAMIC_ADJUSTMENT' });
    } finally {
      server.clock.advance(ahead);
    }
    // The adjustment saw a leader (the bonus, and a revocation), and wrote the revocation effective
    // from the request's legal instant, a moment before the instant it read at.
    const leader = await server.database.db.selectFrom('leader_events').select('event').where('credit_code', '=', code).orderBy('id').execute();
    expect(leader.map((e) => e.event)).toEqual(['LISTED', 'REVOKED']);
    const rating = await server.database.db.selectFrom('ratings').select(['run_id', 'result']).where('credit_code', '=', code).executeTakeFirstOrThrow();
    expect(JSON.parse(rating.result).leader.action).toBe('REVOKE');
    const verified = await server.client(officer).request<any>(gql`query($id: ID!) { verifyRatingRun(id: $id) { checked differences { creditCode } } }`, { id: `run:${rating.run_id}` });
    expect(verified.verifyRatingRun).toEqual({ checked: 1, differences: [] });
  });
});

describe.skipIf(!process.env.DATABASE_URL)('a write of the enterprise in flight when an accepted objection re-rates it (PostgreSQL)', () => {
  it('is waited for and seen by the re-rating', async () => {
    const code = withCheckCharacter('91220681MA5000095');
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: code, name: '临江市异议在途有限公司', region: '大湖街道', industry: 'C30' },
    });
    const year = String(Number(today().slice(0, 4)) - 1);
    const version = shippedVersionInForce('linjiang', `${year}-12-31`);
    const base = { creditCode: code, source: 'penalty-register', legalBasis: '《噪声污染防治法》', violationType: 'NOISE', fineCny: 8000 };
    const disputed = await server.client(officer).request<any>(RECORD, { input: { ...base, sourceId: 'OBJ-95-1', decisionNumber: '临环罚〔2025〕951号', decidedOn: `${year}-03-01` } });
    const admin = { role: 'bureau_admin' as const, org: 'linjiang-eeb', subject: 'admin-1' };
    const started = await server.client(officer).request<any>(gql`mutation($input: StartRatingRunInput!) { startRatingRun(input: $input) { id } }`, {
      input: { ruleSetId: 'linjiang', version, period: year, scope: { creditCodes: [code] }, mode: 'DRAFT' },
    });
    const runId = started.startRatingRun.id as string;
    await server.service.tracker.completion(Number(runId.replace('run:', '')));
    await server.client(admin).request(gql`mutation($id: ID!) { beginPublicity(runId: $id) { status } }`, { id: runId });
    const filed = await server.client({ role: 'enterprise', creditCode: code }).request<any>(gql`mutation($input: FileObjectionInput!) { fileObjection(input: $input) { id } }`, {
      input: { runId, creditCode: code, grounds: '处罚金额有误', evidenceRefs: [disputed.recordViolation.record.id] },
    });
    const owner = server.database.owner;
    await sql`create function test_slow_insert() returns trigger language plpgsql as $$ begin perform pg_sleep(1.5); return new; end $$`.execute(owner);
    await sql`create trigger test_slow_insert before insert on violations for each row when (new.source_id = 'OBJ-95-SLOW') execute function test_slow_insert()`.execute(owner);
    try {
      const slow = server.client(officer).request<any>(RECORD, { input: { ...base, sourceId: 'OBJ-95-SLOW', decisionNumber: '临环罚〔2025〕952号', decidedOn: `${year}-04-01` } });
      await untilAnInsertSleeps();
      const decided = await server.client(officer).request<any>(gql`mutation($input: DecideObjectionInput!) { decideObjection(input: $input) { status reratingId } }`, {
        input: { objectionId: filed.fileObjection.id, accept: true, reason: '复核后重新评价' },
      });
      expect(decided.decideObjection.status).toBe('ACCEPTED');
      const slowId = (await slow).recordViolation.record.id;
      const rerating = await server.database.db.selectFrom('ratings').select('result').where('id', '=', Number(decided.decideObjection.reratingId.replace('rating:', ''))).executeTakeFirstOrThrow();
      expect(JSON.parse(rerating.result).evidence).toContain(slowId);
    } finally {
      await sql`drop trigger test_slow_insert on violations`.execute(owner);
      await sql`drop function test_slow_insert()`.execute(owner);
    }
  });
});
