/**
 * The dynamic adjustments a violations import owes outlive the process that made the import
 * (src/rating/pending-adjustments.ts): the import records them as pending in its own transaction,
 * and what its process did not get to make after the commit — it died, or the adjustments failed —
 * the next start-up of the service or the next `envcredit import` makes, each exactly once.
 * On PostgreSQL when DATABASE_URL is set (as the app role with DATABASE_APP_ROLE), on PGlite otherwise.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { importFileAndAdjust, type ImportAdjusting } from '../../src/import/cli.ts';
import { runImport } from '../../src/import/importer.ts';
import { fromString } from '../../src/import/read-records.ts';
import { createLogger } from '../../src/logger.ts';
import { applyDynamicAdjustment } from '../../src/rating/dynamic.ts';
import { applyPendingAdjustments, PendingAdjustmentsError, type PendingAdjustmentServices } from '../../src/rating/pending-adjustments.ts';
import { loadRuleRegistry } from '../../src/rules/index.ts';
import { startService } from '../../src/service.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { TEST_JWT_SECRET } from '../support/server.ts';

const rules = loadRuleRegistry(new URL('../../rules', import.meta.url).pathname);
const logger = createLogger({ logLevel: 'silent' });
const config = loadConfig({ NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, SEED_DEMO: 'false' });
const IMPORTED_BY = 'dynamic-adjustment (imported by test)';
const DECIDED_ON = '2026-03-02';
const code = (n: number) => withCheckCharacter(`91220681MA30000${String(n).padStart(2, '0')}`);

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  const enterprises = ['creditCode,name,region,industry', ...Array.from({ length: 12 }, (_, i) => `${code(i + 1)},临江市待调整${i + 1}号化工有限公司,六道沟镇,C2614`)].join('\n');
  expect(await runImport(target(), fromString(enterprises), { kind: 'enterprises', format: 'csv', actor: 'test' })).toMatchObject({ applied: 12, rejected: 0 });
});
afterAll(() => database?.dispose());

function target() {
  return database.pool ? { pool: database.pool } : { db: database.db };
}

function services(appliedBy: string): PendingAdjustmentServices {
  return { db: database.db, rules, defaultRuleSetId: 'linjiang', logger, now: new Date(), appliedBy };
}

/** A veto-class violation (falsified monitoring data: the enterprise goes to BLACK at once), or a noise one that triggers nothing. */
function violationsCsv(rows: { n: number; kind: 'veto' | 'noise' }[]): string {
  const lines = rows.map(({ n, kind }) =>
    kind === 'veto'
      ? `${code(n)},penalty-register,PA-${n}-veto,临环罚〔2026〕${n}号,${DECIDED_ON},FALSIFIED_MONITORING_DATA,《大气污染防治法》,200000`
      : `${code(n)},penalty-register,PA-${n}-noise,临环罚〔2026〕${100 + n}号,${DECIDED_ON},NOISE,《噪声污染防治法》,5000`,
  );
  return ['creditCode,source,sourceId,decisionNumber,decidedOn,violationType,legalBasis,fineCny', ...lines].join('\n') + '\n';
}

/** A violations import that records the adjustments it owes and stops there, as a process killed right after the commit does. */
async function importAndDie(csv: string): Promise<number> {
  let pendingId: number | undefined;
  const report = await runImport(target(), fromString(csv), {
    kind: 'violations',
    format: 'csv',
    actor: 'test',
    adjustments: { actor: IMPORTED_BY, recorded: (id) => (pendingId = id) },
  });
  expect(report.rejected).toBe(0);
  expect(pendingId).toBeDefined();
  return pendingId!;
}

/** Dynamic adjustments in effect per enterprise (numbers as in `code`). */
async function adjustmentsPerEnterprise(): Promise<Record<string, number>> {
  const { rows } = await sql<{ code: string; n: string }>`
    select trim(credit_code) as code, count(*) as n from rating_effects where cause = 'DYNAMIC_ADJUSTMENT' group by credit_code`.execute(database.db);
  return Object.fromEntries(rows.map((r) => [r.code, Number(r.n)]));
}

async function dynamicRuns(): Promise<number> {
  return Number((await sql<{ n: string }>`select count(*) as n from rating_runs where mode = 'DYNAMIC'`.execute(database.db)).rows[0]!.n);
}

async function completionOf(pendingId: number) {
  return database.db.selectFrom('pending_adjustment_completions').selectAll().where('pending_id', '=', pendingId).execute();
}

async function startAndStop(): Promise<void> {
  const service = await startService({ config, database, rules, logger });
  await service.stop();
}

describe('adjustments an import owes', () => {
  it('are left pending by an import whose process dies after the commit, and the next start-up makes each once', async () => {
    const pendingId = await importAndDie(violationsCsv([{ n: 1, kind: 'veto' }, { n: 2, kind: 'veto' }, { n: 3, kind: 'veto' }, { n: 4, kind: 'noise' }]));
    const pending = await sql<{ owed: number }>`select cardinality(violation_ids) as owed from pending_adjustments where id = ${pendingId}`.execute(database.db);
    expect(pending.rows[0]!.owed).toBe(4);
    expect(await completionOf(pendingId)).toEqual([]);
    expect(await dynamicRuns()).toBe(0);

    // The dead process had made the first adjustment before it died.
    const first = await database.db.selectFrom('violations').select(['id', 'credit_code', 'decided_on']).where('source_id', '=', 'PA-1-veto').executeTakeFirstOrThrow();
    expect(await applyDynamicAdjustment({ ...services('test'), actor: IMPORTED_BY }, { ...first, id: Number(first.id) })).toBe(true);

    await startAndStop();
    expect(await adjustmentsPerEnterprise()).toEqual({ [code(1)]: 1, [code(2)]: 1, [code(3)]: 1 });
    expect(await dynamicRuns()).toBe(3);
    expect(await completionOf(pendingId)).toEqual([expect.objectContaining({ adjusted: 2, completed_by: 'system (start-up)' })]);
    const made = await sql<{ decided_by: string; level: string }>`
      select f.decided_by, r.level from rating_effects f join ratings r on r.id = f.rating_id where f.credit_code = ${code(2)}`.execute(database.db);
    expect(made.rows).toEqual([{ decided_by: IMPORTED_BY, level: 'BLACK' }]);

    // Another start-up finds nothing left to do.
    await startAndStop();
    expect(await adjustmentsPerEnterprise()).toEqual({ [code(1)]: 1, [code(2)]: 1, [code(3)]: 1 });
    expect(await dynamicRuns()).toBe(3);
    expect(await completionOf(pendingId)).toHaveLength(1);
  });

  it('stay pending when they fail after the commit, and the next envcredit import makes them, once', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'envcredit-pending-')), 'violations.csv');
    writeFileSync(file, violationsCsv([{ n: 5, kind: 'veto' }, { n: 6, kind: 'veto' }]));
    const adjusting: ImportAdjusting = { adjustAs: IMPORTED_BY, services: () => services('envcredit import (test)') };
    const importOnce = () => importFileAndAdjust(database, file, { kind: 'violations', format: 'csv', dryRun: false, actor: 'test' }, adjusting);

    // Every adjustment fails once the import has committed (the owner refuses new effects for a while).
    await sql`create function test_refuse_effects() returns trigger language plpgsql as $$ begin raise exception 'injected: effects refused'; end $$`.execute(database.owner);
    await sql`create trigger test_refuse_effects before insert on rating_effects for each row execute function test_refuse_effects()`.execute(database.owner);
    let failed;
    try {
      failed = await importOnce();
    } finally {
      await sql`drop trigger test_refuse_effects on rating_effects`.execute(database.owner);
      await sql`drop function test_refuse_effects()`.execute(database.owner);
    }
    expect(failed.report).toMatchObject({ applied: 2, rejected: 0 });
    expect(failed.report.dynamicAdjustments).toBeUndefined();
    expect(failed.pending).toBeInstanceOf(PendingAdjustmentsError);
    expect(failed.pending!.message).toMatch(/import was committed.*injected: effects refused.*stay pending/);
    expect(await completionOf(failed.pending!.pendingId)).toEqual([]);
    expect(await adjustmentsPerEnterprise()).not.toHaveProperty(code(5));

    // The same file again stores nothing, but the import first makes what the last one left pending.
    const again = await importOnce();
    expect(again.pending).toBeUndefined();
    expect(again.report).toMatchObject({ applied: 0, unchanged: 2, dynamicAdjustments: 0 });
    expect(await adjustmentsPerEnterprise()).toMatchObject({ [code(5)]: 1, [code(6)]: 1 });
    expect(await completionOf(failed.pending!.pendingId)).toEqual([expect.objectContaining({ adjusted: 2, completed_by: 'envcredit import (test)' })]);

    // And the one after makes nothing more.
    const runs = await dynamicRuns();
    expect((await importOnce()).report).toMatchObject({ applied: 0, dynamicAdjustments: 0 });
    expect(await dynamicRuns()).toBe(runs);
    expect(await adjustmentsPerEnterprise()).toMatchObject({ [code(5)]: 1, [code(6)]: 1 });
  });

  it('made by an import itself are counted in its report and leave nothing pending', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'envcredit-pending-')), 'violations.csv');
    writeFileSync(file, violationsCsv([{ n: 7, kind: 'veto' }, { n: 8, kind: 'noise' }]));
    const { report, pending } = await importFileAndAdjust(
      database,
      file,
      { kind: 'violations', format: 'csv', dryRun: false, actor: 'test' },
      { adjustAs: IMPORTED_BY, services: () => services('envcredit import (test)') },
    );
    expect(pending).toBeUndefined();
    expect(report).toMatchObject({ applied: 2, dynamicAdjustments: 1 });
    expect(await adjustmentsPerEnterprise()).toMatchObject({ [code(7)]: 1 });
    const pass = await applyPendingAdjustments(services('test'));
    expect([pass.completed.size, pass.failed.size]).toEqual([0, 0]);
  });

  it.skipIf(!process.env.DATABASE_URL)('are made by one applier at a time: a second waits, then finds them done', async () => {
    const pendingId = await importAndDie(violationsCsv([{ n: 9, kind: 'veto' }, { n: 10, kind: 'veto' }]));
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      // Another applier is at work: both passes below wait for it.
      await holder.query(`select pg_advisory_lock(hashtext('envcredit:pending-adjustments'))`);
      const passes = Promise.all([applyPendingAdjustments(services('applier-1')), applyPendingAdjustments(services('applier-2'))]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await completionOf(pendingId)).toEqual([]);
      expect(await adjustmentsPerEnterprise()).not.toHaveProperty(code(9));
      await holder.query(`select pg_advisory_unlock(hashtext('envcredit:pending-adjustments'))`);
      const [a, b] = await passes;
      // The first to get the lock made both adjustments; the second found the record completed.
      expect([a.completed.get(pendingId), b.completed.get(pendingId)].sort()).toEqual([2, undefined]);
      expect(await completionOf(pendingId)).toHaveLength(1);
      expect(await adjustmentsPerEnterprise()).toMatchObject({ [code(9)]: 1, [code(10)]: 1 });
    } finally {
      await holder.end();
    }
  });

  it.skipIf(!process.env.DATABASE_URL)('do not hold up a start-up while another applier is at work: it starts, and that applier makes them', async () => {
    const pendingId = await importAndDie(violationsCsv([{ n: 11, kind: 'veto' }]));
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query(`select pg_advisory_lock(hashtext('envcredit:pending-adjustments'))`);
      await startAndStop(); // would wait for the lock for as long as the holder keeps it
      expect(await completionOf(pendingId)).toEqual([]);
    } finally {
      await holder.end();
    }
    const pass = await applyPendingAdjustments(services('applier'));
    expect(pass.completed.get(pendingId)).toBe(1);
  });
});
