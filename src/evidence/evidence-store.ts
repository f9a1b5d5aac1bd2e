import { sql, type Transaction } from 'kysely';
import type { Database, Db, EvidenceKind } from '../db/database.ts';
import { EVIDENCE_TABLES } from '../db/database.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { lockEnterpriseForWrite, lockTableForSingleWrite } from '../db/locks.ts';
import { appError, notFound, validationFailed } from '../errors.ts';
import type { Page } from '../graphql/pagination.ts';
import { outsideExistenceSql } from './existence.ts';

/** Domain columns of one evidence row, in database form (snake_case). */
export type EvidenceValues = Record<string, string | number | boolean | string[] | null>;

export interface EvidenceWrite {
  creditCode: string;
  source: string;
  sourceId: string;
  recordedBy: string;
  supersedesId: number | null;
  correctionReason: string | null;
  values: EvidenceValues;
}

export interface StoredEvidence<Row = Record<string, unknown>> {
  row: Row;
  created: boolean;
}

type AnyTable = keyof Database & string;
// Kysely cannot type a table chosen at run time; the casts stay inside this module.
const table = (kind: EvidenceKind): AnyTable => EVIDENCE_TABLES[kind];

async function assertEnterpriseExists(trx: Transaction<Database>, code: string) {
  const found = await trx.selectFrom('enterprises').select('credit_code').where('credit_code', '=', code).executeTakeFirst();
  if (!found) throw notFound(`enterprise ${code}`, 'input.creditCode');
}

/**
 * Refuses the record just inserted (so the transaction rolls it back) when it is dated outside its
 * enterprise's existence, as the current revision of the enterprise gives it (src/evidence/existence.ts).
 */
async function refuseDatedOutsideExistence(trx: Transaction<Database>, kind: EvidenceKind, id: number) {
  const outside = outsideExistenceSql(kind);
  const { rows } = await sql<{ field: string; reason: string }>`
    select ${sql.raw(outside.field)} as field, ${sql.raw(outside.reason)} as reason
    from ${sql.table(table(kind))} t join enterprise_current e on e.credit_code = t.credit_code
    where t.id = ${id} and ${sql.raw(outside.where)}`.execute(trx);
  const row = rows[0];
  if (row) throw validationFailed(`input.${row.field}`, row.reason, 'a date on which the enterprise existed (from its registeredOn to its closedOn)');
}

/** `field`: the input naming the record corrected (supersedesId) or withdrawn (id). */
async function assertCorrectable(trx: Transaction<Database>, kind: EvidenceKind, id: number, code: string, field: string) {
  const t = table(kind);
  const target = await (trx as Db)
    .selectFrom(t as 'violations')
    .select(['id', 'credit_code'])
    .select((eb) =>
      eb
        .selectFrom(`${t} as later` as 'violations')
        .select('id')
        .whereRef('supersedes_id' as 'id', '=', `${t}.id` as 'id')
        .as('superseded_by'),
    )
    .where('id', '=', id)
    .executeTakeFirst();
  if (!target) throw notFound(`${kind} record ${id}`, field);
  if (target.credit_code !== code) {
    throw appError('VALIDATION_FAILED', `${field}: record ${id} belongs to enterprise ${target.credit_code}, not ${code}`, { field });
  }
  if (target.superseded_by !== null) {
    throw appError('CONFLICT', `${kind} record ${id} was already corrected or withdrawn by record ${target.superseded_by}; act on the latest one`, {
      field,
      latest: target.superseded_by,
    });
  }
}

/** The stored row with this source key if its content equals `write`; undefined if the content differs. */
async function findIdenticalReplay(trx: Transaction<Database>, kind: EvidenceKind, write: EvidenceWrite) {
  let query = (trx as Db)
    .selectFrom(table(kind) as 'violations')
    .selectAll()
    .where('source', '=', write.source)
    .where('source_id', '=', write.sourceId)
    .where(sql<boolean>`credit_code is not distinct from ${write.creditCode}`)
    .where(sql<boolean>`supersedes_id is not distinct from ${write.supersedesId}`)
    // The reason is part of a correction: the same key with another reason is not a replay.
    .where(sql<boolean>`correction_reason is not distinct from ${write.correctionReason}`);
  for (const [column, value] of Object.entries(write.values)) {
    query = query.where(sql<boolean>`${sql.ref(column)} is not distinct from ${value}`);
  }
  return query.executeTakeFirst();
}

/**
 * Appends one evidence record. The same source record sent again is an idempotent no-op that
 * returns the stored row; the same source key with different content is a CONFLICT, because a
 * change to a recorded fact must be a correction that names what it supersedes.
 */
export async function recordEvidence(db: Db, kind: EvidenceKind, write: EvidenceWrite): Promise<StoredEvidence> {
  try {
    return await db.transaction().execute(async (trx) => {
      await assertEnterpriseExists(trx, write.creditCode);
      const inserted = await insertUnlessKnown(trx, kind, write);
      if (inserted) {
        await refuseDatedOutsideExistence(trx, kind, Number(inserted.id));
        return { row: inserted, created: true };
      }
      const replay = await findIdenticalReplay(trx, kind, write);
      if (replay) return { row: replay, created: false };
      throw appError(
        'CONFLICT',
        `source ${write.source}/${write.sourceId} is already recorded with different content; to change it, record a correction with supersedesId`,
        { field: 'input.sourceId' },
      );
    });
  } catch (error) {
    if (isSupersessionRace(error)) {
      throw appError('CONFLICT', `${kind} record ${write.supersedesId} was corrected concurrently; reload and correct the latest`, {
        field: 'input.supersedesId',
      });
    }
    throw error;
  }
}

/**
 * Two writers that both found a record current (a correction and a withdrawal of it) both insert a
 * row superseding it; the unique supersedes_id stops the second, which is a CONFLICT, not a fault.
 */
const isSupersessionRace = (error: unknown): boolean =>
  isUniqueViolation(error) && String((error as { constraint?: string }).constraint).endsWith('supersedes_id_key');

/** The id of the record that supersedes `id` (its correction or withdrawal), if any. */
async function supersededBy(db: Db, kind: EvidenceKind, id: number): Promise<number | undefined> {
  const row = await (db as Db).selectFrom(table(kind) as 'violations').select('id').where('supersedes_id', '=', id).executeTakeFirst();
  return row ? Number(row.id) : undefined;
}

async function insertUnlessKnown(trx: Transaction<Database>, kind: EvidenceKind, write: EvidenceWrite, targetField = 'input.supersedesId') {
  await lockTableForSingleWrite(trx, table(kind));
  await lockEnterpriseForWrite(trx, write.creditCode);
  const known = await (trx as Db)
    .selectFrom(table(kind) as 'violations')
    .select('id')
    .where('source', '=', write.source)
    .where('source_id', '=', write.sourceId)
    .executeTakeFirst();
  if (known) return undefined;
  if (write.supersedesId !== null) await assertCorrectable(trx, kind, write.supersedesId, write.creditCode, targetField);
  return (trx as Db)
    .insertInto(table(kind) as 'violations')
    .values({
      ...(write.values as object),
      credit_code: write.creditCode,
      source: write.source,
      source_id: write.sourceId,
      recorded_by: write.recordedBy,
      supersedes_id: write.supersedesId,
      correction_reason: write.correctionReason,
    } as never)
    .onConflict((oc) => oc.columns(['source', 'source_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

/**
 * The evidence ids among `refs` that are not records of this enterprise (unknown ids, or another
 * enterprise's records), so an input citing evidence can be refused instead of storing a dangling or
 * foreign reference. `refs` are parsed ids (`parseEvidenceRef`).
 */
export async function refsNotOf(db: Db, code: string, refs: readonly { kind: EvidenceKind; id: number }[]): Promise<string[]> {
  const missing: string[] = [];
  for (const kind of new Set(refs.map((r) => r.kind))) {
    const ids = refs.filter((r) => r.kind === kind).map((r) => r.id);
    const found = await db.selectFrom(table(kind)).select('id').where('credit_code', '=', code).where('id', 'in', ids).execute();
    const present = new Set(found.map((row) => Number(row.id)));
    missing.push(...ids.filter((id) => !present.has(id)).map((id) => `${kind}:${id}`));
  }
  return missing;
}

export interface WithdrawEvidence {
  id: number;
  source: string;
  sourceId: string;
  reason: string;
  recordedBy: string;
}

/**
 * Withdraws a record (e.g. a penalty decision annulled on administrative review): a new row that
 * copies the record, supersedes it and is marked revoked, so neither counts any more.
 */
export async function withdrawEvidence(db: Db, kind: EvidenceKind, withdrawal: WithdrawEvidence): Promise<StoredEvidence> {
  try {
    return await insertWithdrawal(db, kind, withdrawal);
  } catch (error) {
    if (!isSupersessionRace(error)) throw error;
    const latest = await supersededBy(db, kind, withdrawal.id);
    throw appError('CONFLICT', `${kind} record ${withdrawal.id} was corrected or withdrawn concurrently${latest ? ` by record ${latest}` : ''}; act on the latest one`, {
      field: 'input.id',
      ...(latest ? { latest } : {}),
    });
  }
}

async function insertWithdrawal(db: Db, kind: EvidenceKind, withdrawal: WithdrawEvidence): Promise<StoredEvidence> {
  return db.transaction().execute(async (trx) => {
    const original = await (trx as Db)
      .selectFrom(table(kind) as 'violations')
      .selectAll()
      .where('id', '=', withdrawal.id)
      .executeTakeFirst();
    if (!original) throw notFound(`${kind} record ${withdrawal.id}`, 'input.id');
    if (original.revoked) {
      // A withdrawal of a withdrawal would store a second revoked copy and restore nothing.
      throw appError('CONFLICT', `${kind} record ${withdrawal.id} is itself a withdrawal (of record ${original.supersedes_id}); to restore the record, record a correction with supersedesId ${kind}:${withdrawal.id}`, {
        field: 'input.id',
      });
    }
    const { id, credit_code, source, source_id, supersedes_id, revoked, correction_reason, recorded_at, recorded_by, ...domain } =
      original as unknown as Record<string, unknown>;
    const generated = ['exceedance_ratio', 'exceedance_db'];
    const values = Object.fromEntries(Object.entries(domain).filter(([k]) => !generated.includes(k))) as EvidenceValues;
    const write: EvidenceWrite = {
      creditCode: String(credit_code),
      source: withdrawal.source,
      sourceId: withdrawal.sourceId,
      recordedBy: withdrawal.recordedBy,
      supersedesId: withdrawal.id,
      correctionReason: withdrawal.reason,
      values: { ...values, revoked: true },
    };
    const inserted = await insertUnlessKnown(trx, kind, write, 'input.id');
    if (inserted) return { row: inserted, created: true };
    const replay = await findIdenticalReplay(trx, kind, write);
    if (replay) return { row: replay, created: false };
    throw appError('CONFLICT', `source ${withdrawal.source}/${withdrawal.sourceId} is already used by another record`, {
      field: 'input.sourceId',
    });
  });
}

export interface EvidencePageOptions {
  /** Include superseded and withdrawn rows (the full history). */
  includeHistory: boolean;
  page: Page<number>;
}

export type EvidenceListRow = Record<string, unknown> & { id: number; credit_code: string; superseded_by_id: number | null };

/**
 * One page of evidence for each of many enterprises in a single query (newest first), so a list of
 * enterprises with their evidence costs one round trip per evidence kind, not one per enterprise.
 */
export async function pageEvidenceByEnterprise(
  db: Db,
  kind: EvidenceKind,
  codes: readonly string[],
  options: EvidencePageOptions,
): Promise<Map<string, EvidenceListRow[]>> {
  const t = table(kind);
  const { page, includeHistory } = options;
  const ranked = (db as Db)
    .selectFrom(`${t} as e` as 'violations as e')
    .selectAll('e')
    .select(sql<number | null>`(select s.id from ${sql.table(t)} s where s.supersedes_id = e.id)`.as('superseded_by_id'))
    .select(sql<number>`row_number() over (partition by e.credit_code order by e.id desc)`.as('position'))
    .where('e.credit_code', 'in', [...codes])
    .$if(page.after !== null, (q) => q.where('e.id', '<', page.after!))
    .$if(!includeHistory, (q) =>
      q.where('e.revoked', '=', false).where(sql<boolean>`not exists (select 1 from ${sql.table(t)} s where s.supersedes_id = e.id)`),
    );
  const rows = (await db
    .selectFrom(ranked.as('ranked'))
    .selectAll()
    .where('position', '<=', page.limit + 1)
    .orderBy('credit_code')
    .orderBy('id', 'desc')
    .execute()) as unknown as EvidenceListRow[];
  const byCode = new Map<string, EvidenceListRow[]>(codes.map((code) => [code, []]));
  for (const row of rows) byCode.get(row.credit_code)?.push(row);
  return byCode;
}
