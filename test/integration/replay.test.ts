/**
 * A run and its replay (`verifyRun`) read the same evidence and the same enterprise facts: nothing
 * recorded while the run was starting or after it may change what a replay recomputes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCity } from '../../src/demo/seed.ts';
import { findEnterprise, registerEnterprise, reviseEnterprise } from '../../src/evidence/enterprise-store.ts';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { createLogger } from '../../src/logger.ts';
import { verifyRun } from '../../src/rating/analysis.ts';
import { parsePeriod } from '../../src/rating/period.ts';
import { RunTracker, startRatingRun } from '../../src/rating/runner.ts';
import { findRun } from '../../src/rating/run-store.ts';
import { loadRuleRegistry } from '../../src/rules/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { lifecycleRulesDir } from '../support/rules.ts';

let database: TestDatabase;
const rules = loadRuleRegistry(new URL('../../rules', import.meta.url).pathname);

beforeAll(async () => {
  database = await createTestDatabase();
  await seedDemoCity(database.db, { seed: 11, enterprises: 40 });
}, 60_000);
afterAll(() => database?.dispose());

async function rateAll(ruleSetId: string, version: string, period: string, codes?: string[]): Promise<number> {
  const tracker = new RunTracker();
  const runId = await startRatingRun(
    { db: database.db, rules, tracker, logger: createLogger({ logLevel: 'silent' }) },
    { ruleSetId, version, period: parsePeriod(period), scope: codes ? { kind: 'CODES', codes } : { kind: 'ALL' }, mode: 'DRAFT', actor: 'test' },
  );
  await tracker.completion(runId);
  return runId;
}

describe('replaying a run', () => {
  it('counts every rating that would differ and lists only the first ones (an engine change can touch them all)', async () => {
    const runId = await rateAll('linjiang', '2025.1', '2025');
    // The same version read from a file edited behind the registry's back: every score moves by the base.
    const edited = lifecycleRulesDir(10);
    const path = join(edited, 'linjiang', '2025.1.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('base_score: 100', 'base_score: 99'));
    const changed = loadRuleRegistry(edited);
    const run = (await findRun(database.db, runId))!;
    const all = await verifyRun(database.db, changed, run);
    expect(all.differing).toBe(all.checked);
    expect(all.differences).toHaveLength(all.checked);
    const codes = all.differences.map((d) => d.creditCode);
    expect(codes).toEqual([...codes].sort());
    const capped = await verifyRun(database.db, changed, run, 3);
    expect(capped).toMatchObject({ checked: all.checked, differing: all.checked });
    expect(capped.differences).toEqual(all.differences.slice(0, 3));
  });

  it('reads each enterprise as registered when the run started, not as revised since', async () => {
    // The Jiangsu point system starts new entrants lower: the registration date moves the score.
    const runId = await rateAll('jiangsu-points', '2020.1', '2025-12');
    const [rated] = (await sql<{ credit_code: string; result: string }>`select trim(credit_code) as credit_code, result from ratings where run_id = ${runId} order by credit_code limit 1`.execute(database.db)).rows;
    const enterprise = (await findEnterprise(database.db, rated!.credit_code))!;
    await reviseEnterprise(
      database.db,
      rated!.credit_code,
      { name: enterprise.name, region: enterprise.region, industry: enterprise.industry, legalRepresentative: enterprise.legal_representative, keyDischargeUnit: enterprise.key_discharge_unit, permitNumber: enterprise.permit_number, registeredOn: '2025-06-01', closedOn: enterprise.closed_on },
      { source: 'test', sourceId: `revision-${rated!.credit_code}`, recordedBy: 'test' },
    );
    const verification = await verifyRun(database.db, rules, (await findRun(database.db, runId))!);
    expect(verification.differences).toEqual([]);
    expect(verification.checked).toBeGreaterThan(0);
    // The revision itself does count for a run started after it.
    const later = await rateAll('jiangsu-points', '2020.1', '2025-12', [rated!.credit_code]);
    const [again] = (await sql<{ result: string }>`select result from ratings where run_id = ${later}`.execute(database.db)).rows;
    expect(again!.result).not.toBe(rated!.result);
  });

  it.skipIf(!process.env.DATABASE_URL)('waits for an evidence write in progress when it starts, so the replay sees what the run saw', async () => {
    const code = (await sql<{ code: string }>`select trim(credit_code) as code from enterprise_current order by credit_code desc limit 1`.execute(database.db)).rows[0]!.code;
    const writer = new pg.Client({ connectionString: database.url });
    await writer.connect();
    try {
      // A single write as the service makes it: the table's shared write lock, then the row, not yet committed.
      await writer.query('begin');
      await writer.query(`select pg_advisory_xact_lock_shared(hashtext('envcredit:writes:violations'))`);
      const inserted = await writer.query<{ id: string }>(
        `insert into violations (credit_code, source, source_id, recorded_by, decision_number, decided_on, violation_type, legal_basis, fine_cny, measures)
         values ($1, 'test', 'in-flight-1', 'test', '临环罚〔2025〕900号', '2025-06-01', 'FALSIFIED_MONITORING_DATA', '《大气污染防治法》', 100000, '{FINE}') returning id`,
        [code],
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      const run = rateAll('linjiang', '2025.1', '2025');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await writer.query('commit');
      const runId = await run;

      const [rating] = (await sql<{ level: string; result: string }>`select level, result from ratings where run_id = ${runId} and credit_code = ${code}`.execute(database.db)).rows;
      expect(rating!.level).toBe('BLACK');
      expect(JSON.parse(rating!.result).evidence).toContain(`violation:${inserted.rows[0]!.id}`);
      const verification = await verifyRun(database.db, rules, (await findRun(database.db, runId))!);
      expect(verification.differences).toEqual([]);
    } finally {
      await writer.end();
    }
  });

  it.skipIf(!process.env.DATABASE_URL)('while it waits for an import of one table, writes to the other tables go on', async () => {
    const importer = new pg.Client({ connectionString: database.url });
    const writer = new pg.Client({ connectionString: database.url });
    await Promise.all([importer.connect(), writer.connect()]);
    try {
      // An import of violations holds that table's write lock exclusively until it commits.
      await importer.query('begin');
      await importer.query(`select pg_advisory_xact_lock(hashtext('envcredit:writes:violations'))`);
      let started = false;
      const run = rateAll('linjiang', '2025.1', '2025').then((id) => ((started = true), id));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(started).toBe(false); // the run waits for the import
      // A single write to another table takes its shared lock at once (it would time out if the run held it).
      await writer.query('begin');
      await writer.query(`set local lock_timeout = '1s'`);
      await writer.query(`select pg_advisory_xact_lock_shared(hashtext('envcredit:writes:emission_records'))`);
      await writer.query(`select pg_advisory_xact_lock_shared(hashtext('envcredit:writes:enterprise_revisions'))`);
      await writer.query('commit');
      await importer.query('commit');
      const runId = await run;
      expect((await findRun(database.db, runId))!.status).toBe('DRAFTED');
    } finally {
      await Promise.all([importer.end(), writer.end()]);
    }
  });

  it.skipIf(!process.env.DATABASE_URL)('rates only enterprises registered by its start, not one registered while it waits', async () => {
    const importer = new pg.Client({ connectionString: database.url });
    await importer.connect();
    const latecomer = withCheckCharacter('91220681MA7000001');
    try {
      // The run waits for an import of violations; meanwhile an enterprise is registered.
      await importer.query('begin');
      await importer.query(`select pg_advisory_xact_lock(hashtext('envcredit:writes:violations'))`);
      const run = rateAll('linjiang', '2025.1', '2025');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await registerEnterprise(
        database.db,
        latecomer,
        { name: '临江市迟到化工有限公司', region: '大湖街道', industry: 'C26', legalRepresentative: null, keyDischargeUnit: false, permitNumber: null, registeredOn: '2020-01-01', closedOn: null },
        { source: 'test', sourceId: 'latecomer', recordedBy: 'test' },
      );
      await importer.query('commit');
      const runId = await run;
      const rated = await sql<{ n: string }>`select count(*) as n from ratings where run_id = ${runId} and credit_code = ${latecomer}`.execute(database.db);
      expect(Number(rated.rows[0]!.n)).toBe(0);
      expect((await verifyRun(database.db, rules, (await findRun(database.db, runId))!)).differences).toEqual([]);
    } finally {
      await importer.end();
    }
  });

  it('the database refuses a correction that supersedes another enterprise’s record', async () => {
    const [a, b] = (await sql<{ id: string; credit_code: string }>`
      select distinct on (credit_code) id, credit_code from violations order by credit_code, id limit 2`.execute(database.db)).rows;
    const attempt = sql`
      insert into violations (credit_code, source, source_id, recorded_by, decision_number, decided_on, violation_type, legal_basis, supersedes_id, correction_reason, revoked)
      values (${b!.credit_code}, 'test', 'hide-1', 'test', 'x', '2025-01-01', 'NOISE', 'x', ${a!.id}, 'hide it', true)`;
    await expect(attempt.execute(database.db)).rejects.toThrow(/another enterprise/);
    await expect(attempt.execute(database.owner)).rejects.toThrow(/another enterprise/);
  });
});
