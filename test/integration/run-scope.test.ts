/**
 * A run's scope is fixed by its start: which enterprises it rates is decided from each enterprise's
 * registration as it stood when the run started, as its evidence and facts are. A revision recorded
 * while the run is under way (moving a closing date across the period, or an enterprise to another
 * township) neither adds an enterprise to the run nor drops one from it.
 *
 * The run is paused between its start and its first read of the scope by holding back its lease
 * (RunTracker takes the lease before the run reads anything), which is where a long run stands when
 * a revision arrives before it has reached that enterprise's page of codes.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCity } from '../../src/demo/seed.ts';
import { findEnterprise, reviseEnterprise, type EnterpriseDetails } from '../../src/evidence/enterprise-store.ts';
import { listLeader } from '../../src/registers/store.ts';
import { createLogger } from '../../src/logger.ts';
import { verifyRun } from '../../src/rating/analysis.ts';
import { parsePeriod } from '../../src/rating/period.ts';
import { RunLeases } from '../../src/rating/run-leases.ts';
import { findRun, type RunScope } from '../../src/rating/run-store.ts';
import { RunTracker, startRatingRun } from '../../src/rating/runner.ts';
import { loadRuleRegistry } from '../../src/rules/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let database: TestDatabase;
const rules = loadRuleRegistry(new URL('../../rules', import.meta.url).pathname);
const PERIOD = '2025';

beforeAll(async () => {
  database = await createTestDatabase();
  await seedDemoCity(database.db, { seed: 12, enterprises: 40 });
}, 60_000);
afterAll(() => database?.dispose());

/** Leases that keep the run waiting before it reads its scope until `release()` is called. */
class HeldBackLeases extends RunLeases {
  private resume!: () => void;
  private readonly resumed = new Promise<void>((resolve) => (this.resume = resolve));
  constructor() {
    super(undefined as never); // no pool: neither method below touches one
  }
  override async hold(): Promise<() => Promise<void>> {
    await this.resumed;
    return async () => {};
  }
  override async isHeldElsewhere(): Promise<boolean> {
    return false;
  }
  release(): void {
    this.resume();
  }
}

/** Starts a run (its start, and so its as-of instant, fixed on return), runs `meanwhile`, then lets it rate. */
async function rateWith(scope: RunScope, meanwhile: () => Promise<void>): Promise<number> {
  const leases = new HeldBackLeases();
  const tracker = new RunTracker({ leases });
  const runId = await startRatingRun(
    { db: database.db, rules, tracker, logger: createLogger({ logLevel: 'silent' }) },
    { ruleSetId: 'linjiang', version: '2025.1', period: parsePeriod(PERIOD), scope, mode: 'DRAFT', actor: 'test' },
  );
  try {
    await meanwhile();
  } finally {
    leases.release();
  }
  await tracker.completion(runId);
  const run = (await findRun(database.db, runId))!;
  expect(run.status, JSON.stringify(run.status_detail)).toBe('DRAFTED');
  return runId;
}

async function ratedCodes(runId: number): Promise<string[]> {
  const { rows } = await sql<{ code: string }>`select trim(credit_code) as code from ratings where run_id = ${runId} order by credit_code`.execute(database.db);
  return rows.map((r) => r.code);
}

async function details(code: string): Promise<EnterpriseDetails> {
  const e = (await findEnterprise(database.db, code))!;
  return { name: e.name, region: e.region, industry: e.industry, legalRepresentative: e.legal_representative, keyDischargeUnit: e.key_discharge_unit, permitNumber: e.permit_number, registeredOn: e.registered_on, closedOn: e.closed_on };
}

let revisions = 0;
async function revise(code: string, change: Partial<EnterpriseDetails>): Promise<void> {
  revisions += 1;
  const revised = await reviseEnterprise(database.db, code, { ...(await details(code)), ...change }, { source: 'test', sourceId: `run-scope-${revisions}`, recordedBy: 'test' });
  expect(revised.created).toBe(true);
}

/** Enterprises open throughout the period, in code order. */
async function openThroughout(): Promise<{ code: string; region: string }[]> {
  const { rows } = await sql<{ code: string; region: string }>`
    select trim(credit_code) as code, region from enterprise_current
    where closed_on is null and (registered_on is null or registered_on < '2025-01-01') order by credit_code`.execute(database.db);
  return rows;
}

describe('a run rates the scope as it stood when the run started', () => {
  it('keeps an enterprise closed before the period by a revision recorded during the run, and leaves out one reopened meanwhile', async () => {
    const [kept, reopened] = await openThroughout();
    // Before the run: `reopened` is recorded as closed before the period began.
    await revise(reopened!.code, { closedOn: '2024-06-30' });

    const runId = await rateWith({ kind: 'ALL' }, async () => {
      await revise(kept!.code, { closedOn: '2024-12-31' });
      await revise(reopened!.code, { closedOn: null });
    });
    const rated = await ratedCodes(runId);
    expect(rated).toContain(kept!.code);
    expect(rated).not.toContain(reopened!.code);
    // The run and its replay agree: both read the registrations as they stood at its start.
    expect((await verifyRun(database.db, rules, (await findRun(database.db, runId))!)).differences).toEqual([]);

    // A run started after the revisions follows them.
    const later = await ratedCodes(await rateWith({ kind: 'ALL' }, async () => {}));
    expect(later).not.toContain(kept!.code);
    expect(later).toContain(reopened!.code);
  });

  it('keeps to the township and the list of codes as they stood at its start', async () => {
    const open = await openThroughout();
    const [stays, arrives] = [open[0]!, open.find((e) => e.region !== open[0]!.region)!];
    const township = stays.region;

    const byTownship = await rateWith({ kind: 'REGION', region: township }, async () => {
      await revise(stays.code, { region: arrives.region });
      await revise(arrives.code, { region: township });
    });
    const rated = await ratedCodes(byTownship);
    expect(rated).toContain(stays.code);
    expect(rated).not.toContain(arrives.code);

    // A list of codes still leaves out an enterprise that had not existed during the period at the run's start.
    const [listed, closedBefore] = [open[2]!, open[3]!];
    await revise(closedBefore.code, { closedOn: '2024-03-31' });
    const byCodes = await rateWith({ kind: 'CODES', codes: [listed.code, closedBefore.code] }, async () => {
      await revise(closedBefore.code, { closedOn: null });
      await revise(listed.code, { closedOn: '2024-12-31' });
    });
    expect(await ratedCodes(byCodes)).toEqual([listed.code]);
  });
});

describe('a leader listed while a run is under way', () => {
  it('does not count for that run (its standing is the register as recorded at its start), and the replay agrees', async () => {
    const [code] = (await sql<{ code: string }>`
      select trim(e.credit_code) as code from enterprise_current e
      where (e.closed_on is null or e.closed_on >= '2025-01-01') and (e.registered_on is null or e.registered_on <= '2025-12-31')
        and not exists (select 1 from leader_events l where l.credit_code = e.credit_code)
        and not exists (select 1 from blacklist_events b where b.credit_code = e.credit_code)
      order by e.credit_code limit 1`.execute(database.db)).rows.map((r) => r.code);
    const runStart = new Date();
    const runId = await rateWith({ kind: 'CODES', codes: [code!] }, async () => {
      // Effective from before the run started (a decision back-dated to the day before), recorded now.
      const dayBefore = new Date(runStart.getTime() - 86_400_000);
      await database.db.transaction().execute((trx) =>
        listLeader(trx as never, { creditCode: code!, causeCode: 'LEADER_NOMINATION', cause: 'test', evidenceIds: [], decidedBy: 'test', decidedAt: dayBefore, effectiveFrom: dayBefore }, 36));
    });
    const { rows } = await sql<{ result: string }>`select result from ratings where run_id = ${runId}`.execute(database.db);
    const leaderBonus = JSON.parse(rows[0]!.result).bonuses.indicators.find((i: { id: string }) => i.id === 'B2_ENVIRONMENTAL_LEADER');
    expect(leaderBonus.points).toBe(0);
    expect((await verifyRun(database.db, rules, (await findRun(database.db, runId))!)).differences).toEqual([]);
    // A run started afterwards counts the leadership.
    const later = await rateWith({ kind: 'CODES', codes: [code!] }, async () => {});
    const after = await sql<{ result: string }>`select result from ratings where run_id = ${later}`.execute(database.db);
    expect(JSON.parse(after.rows[0]!.result).bonuses.indicators.find((i: { id: string }) => i.id === 'B2_ENVIRONMENTAL_LEADER').points).toBeGreaterThan(0);
  });
});
