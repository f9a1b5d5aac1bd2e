import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { RuleRegistry } from '../rules/index.ts';
import { adjustForStoredViolations, type StoredViolation } from './dynamic.ts';

/**
 * Dynamic adjustments an import owes, made durable. A violations import records, in its own
 * transaction, which of the violations it stored await their adjustment (`pending_adjustments`,
 * written by src/import/importer.ts); once it has committed the adjustments are made and a
 * completion is recorded (`pending_adjustment_completions`). Both are append-only: nothing is
 * updated or deleted. A process that dies between the commit and the completion leaves a pending
 * record without one, which the next start-up of the service, or the next `envcredit import`, applies.
 *
 * Applying twice cannot adjust twice: each violation goes through applyDynamicAdjustment, which
 * (inside its enterprise's lock) skips one an effect already names — the same check that makes a
 * replayed `recordViolation` retry only what failed. So a retry after an attempt that died half-way
 * makes just the missing ones. Appliers are serialised besides (one advisory lock held for the whole
 * pass, see APPLIER_LOCK), so two of them never weigh the same enterprise's violations in turn.
 */

/** What applying pending adjustments needs: the database and rules, the instant, and who applies them. */
export interface PendingAdjustmentServices {
  db: Db;
  rules: RuleRegistry;
  defaultRuleSetId: string;
  logger: Logger;
  /** The adjustments' instant: effective from it, on the evidence recorded by it. */
  now: Date;
  /** Recorded with each completion: the import that owed them, or the start-up that retried them. */
  appliedBy: string;
}

/** What one pass made of the pending records it found. */
export interface PendingAdjustmentPass {
  /** Pending record id → adjustments this pass put into effect for it. */
  completed: Map<number, number>;
  /** Pending record id → why its adjustments could not be made (it stays pending). */
  failed: Map<number, Error>;
}

/**
 * The advisory lock every applier holds for its whole pass, at session level on the one connection
 * the pass runs on (a session lock outlives the pass's own transactions, and dies with its process).
 */
const APPLIER_LOCK = 'envcredit:pending-adjustments';

interface PendingRecord {
  id: number;
  adjust_as: string;
}

export async function hasPendingAdjustments(db: Db): Promise<boolean> {
  return (await unfinished(db)).length > 0;
}

/**
 * Makes the adjustments of every pending record without a completion, oldest first, and records each
 * completion. The pass holds APPLIER_LOCK on a connection of its own and runs all its work on it, so
 * it needs one connection whatever the pool (on the embedded PGlite, the one there is). A record whose
 * adjustments fail is logged and left pending; the others go on.
 *
 * With nothing pending it takes no lock. `unlessBusy` (start-up): when another applier holds the lock
 * — an `envcredit import` making its adjustments, which can take minutes — this pass makes nothing
 * instead of waiting; that applier makes the pending ones, and whatever is left waits for the next
 * start-up or import.
 */
export async function applyPendingAdjustments(services: PendingAdjustmentServices, options: { unlessBusy?: boolean } = {}): Promise<PendingAdjustmentPass> {
  if (!(await hasPendingAdjustments(services.db))) return { completed: new Map(), failed: new Map() };
  return services.db.connection().execute(async (db) => {
    if (options.unlessBusy) {
      const { rows } = await sql<{ taken: boolean }>`select pg_try_advisory_lock(hashtext(${APPLIER_LOCK})) as taken`.execute(db);
      if (!rows[0]!.taken) return { completed: new Map(), failed: new Map() };
    } else {
      await sql`select pg_advisory_lock(hashtext(${APPLIER_LOCK}))`.execute(db);
    }
    try {
      // Listed once the lock is held: a record whose applier finished meanwhile has its completion.
      return await applyEach({ ...services, db }, await unfinished(db));
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${APPLIER_LOCK}))`.execute(db);
    }
  });
}

async function applyEach(services: PendingAdjustmentServices, records: PendingRecord[]): Promise<PendingAdjustmentPass> {
  const pass: PendingAdjustmentPass = { completed: new Map(), failed: new Map() };
  for (const record of records) {
    try {
      pass.completed.set(record.id, await complete(services, record));
    } catch (error) {
      services.logger.error({ err: error, pendingAdjustments: record.id }, 'dynamic adjustments of an import failed; they stay pending');
      pass.failed.set(record.id, error as Error);
    }
  }
  return pass;
}

async function complete(services: PendingAdjustmentServices, record: PendingRecord): Promise<number> {
  const { db } = services;
  const violations = await owedViolations(db, record.id);
  const adjusted = await adjustForStoredViolations({ ...services, actor: record.adjust_as }, violations);
  await db.insertInto('pending_adjustment_completions').values({ pending_id: record.id, adjusted, completed_by: services.appliedBy }).execute();
  return adjusted;
}

async function unfinished(db: Db): Promise<PendingRecord[]> {
  const rows = await db
    .selectFrom('pending_adjustments as p')
    .select(['p.id', 'p.adjust_as'])
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('pending_adjustment_completions as c').select('c.pending_id').whereRef('c.pending_id', '=', 'p.id'))))
    .orderBy('p.id')
    .execute();
  return rows.map((r) => ({ id: Number(r.id), adjust_as: r.adjust_as }));
}

async function owedViolations(db: Db, pendingId: number): Promise<StoredViolation[]> {
  const { rows } = await sql<{ id: number | string; credit_code: string; decided_on: string }>`
    select v.id, v.credit_code, v.decided_on::text as decided_on
    from pending_adjustments p
    cross join unnest(p.violation_ids) as owed(id)
    join violations v on v.id = owed.id
    where p.id = ${pendingId}`.execute(db);
  return rows.map((r) => ({ id: Number(r.id), credit_code: r.credit_code, decided_on: r.decided_on }));
}

/**
 * After an import committed: makes the adjustments it recorded as pending (and any another process
 * left behind) and returns how many of its own took effect. Throws when its own could not be made;
 * they stay pending for the next start-up or import.
 */
export async function adjustAfterImport(services: PendingAdjustmentServices, pendingId: number): Promise<number> {
  const pass = await applyPendingAdjustments(services);
  const failure = pass.failed.get(pendingId);
  if (failure) throw new PendingAdjustmentsError(pendingId, failure);
  const made = pass.completed.get(pendingId);
  if (made !== undefined) return made;
  // Another applier (a start-up, a concurrent import) took it between the commit and this pass.
  const completion = await services.db.selectFrom('pending_adjustment_completions').select('adjusted').where('pending_id', '=', pendingId).executeTakeFirst();
  if (!completion) throw new PendingAdjustmentsError(pendingId, new Error(`pending adjustments ${pendingId} were neither found nor completed`));
  return completion.adjusted;
}

/** Pending adjustments left by a process that died: applied and logged (start-up, the start of an import). */
export async function retryPendingAdjustments(services: PendingAdjustmentServices, options: { unlessBusy?: boolean } = {}): Promise<PendingAdjustmentPass> {
  const pass = await applyPendingAdjustments(services, options);
  if (pass.completed.size > 0) {
    services.logger.warn({ pendingAdjustments: [...pass.completed.keys()], adjusted: [...pass.completed.values()].reduce((a, b) => a + b, 0) }, 'dynamic adjustments an earlier import left pending were made');
  }
  return pass;
}

/** An import committed, but the dynamic adjustments it owes could not be made now. */
export class PendingAdjustmentsError extends Error {
  constructor(
    readonly pendingId: number,
    cause: Error,
  ) {
    super(
      `the import was committed, but its dynamic adjustments could not be made (${cause.message}); ` +
        'they stay pending and are made at the next start-up of the service or the next envcredit import',
      { cause },
    );
    this.name = 'PendingAdjustmentsError';
  }
}
