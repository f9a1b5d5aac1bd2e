import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/**
 * The audit chain (migration 0006). Each row's `hash` is SHA-256 over its canonical content — a JSON
 * array of fixed order, so no key ordering or whitespace question arises — which includes its id,
 * its time and the previous row's hash. Changing any field of any row, deleting a row or inserting
 * one in the middle breaks the chain at that row; `verifyAuditChain` names the first such row.
 */

export const GENESIS_HASH = '0'.repeat(64);
/** Appends hold this transaction-scoped advisory lock, so two appends never chain to the same row. */
export const AUDIT_LOCK_KEY = 0x656e7663; // 'envc'
const CANONICAL_VERSION = 'envcredit-audit-v1';

export interface AuditEntryInput {
  at: Date;
  actor: string;
  role: string | null;
  org: string | null;
  operationType: 'query' | 'mutation' | 'subscription';
  operationName: string | null;
  rootFields: string[];
  documentDigest: string;
  variablesDigest: string;
  status: 'OK' | 'ERROR' | 'PARTIAL';
  errorCode: string | null;
  requestId: string;
}

export interface AuditRow extends AuditEntryInput {
  id: number;
  prevHash: string;
  hash: string;
}

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** The exact text a row's hash is computed over. */
export function canonicalContent(id: number, entry: AuditEntryInput, prevHash: string): string {
  return JSON.stringify([
    CANONICAL_VERSION,
    id,
    entry.at.toISOString(),
    entry.actor,
    entry.role,
    entry.org,
    entry.operationType,
    entry.operationName,
    entry.rootFields,
    entry.documentDigest,
    entry.variablesDigest,
    entry.status,
    entry.errorCode,
    entry.requestId,
    prevHash,
  ]);
}

export const rowHash = (id: number, entry: AuditEntryInput, prevHash: string): string =>
  sha256(canonicalContent(id, entry, prevHash));

/**
 * Appends one row at the head of the chain. The advisory lock serialises appenders across
 * connections and processes; under READ COMMITTED the head is read after the lock is held, so it
 * sees the row the previous holder committed. The id comes from the sequence inside the lock, so ids
 * increase along the chain.
 */
export async function appendAudit(db: Db, entry: AuditEntryInput): Promise<AuditRow> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`.execute(trx);
    const head = await trx.selectFrom('audit_log').select(['hash']).orderBy('id', 'desc').limit(1).executeTakeFirst();
    const prevHash = head?.hash ?? GENESIS_HASH;
    const { rows } = await sql<{ id: number }>`select nextval(pg_get_serial_sequence('audit_log', 'id'))::bigint as id`.execute(trx);
    const id = Number(rows[0]!.id);
    const hash = rowHash(id, entry, prevHash);
    await trx
      .insertInto('audit_log')
      .values({
        id,
        at: entry.at,
        actor: entry.actor,
        role: entry.role,
        org: entry.org,
        operation_type: entry.operationType,
        operation_name: entry.operationName,
        root_fields: entry.rootFields,
        document_digest: entry.documentDigest,
        variables_digest: entry.variablesDigest,
        status: entry.status,
        error_code: entry.errorCode,
        request_id: entry.requestId,
        prev_hash: prevHash,
        hash,
      })
      .execute();
    return { ...entry, id, prevHash, hash };
  });
}

type StoredRow = {
  id: number;
  at: Date;
  actor: string;
  role: string | null;
  org: string | null;
  operation_type: 'query' | 'mutation' | 'subscription';
  operation_name: string | null;
  root_fields: string[];
  document_digest: string;
  variables_digest: string;
  status: 'OK' | 'ERROR' | 'PARTIAL';
  error_code: string | null;
  request_id: string;
  prev_hash: string;
  hash: string;
};

export function fromStored(row: StoredRow): AuditRow {
  return {
    id: Number(row.id),
    at: row.at instanceof Date ? row.at : new Date(row.at),
    actor: row.actor,
    role: row.role,
    org: row.org,
    operationType: row.operation_type,
    operationName: row.operation_name,
    rootFields: row.root_fields,
    documentDigest: row.document_digest,
    variablesDigest: row.variables_digest,
    status: row.status,
    errorCode: row.error_code,
    requestId: row.request_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export type VerifyResult =
  | { intact: true; rows: number; headHash: string }
  | {
      intact: false;
      rows: number;
      /** The first row whose link or content does not check out. */
      brokenAt: number;
      problem: 'prev_hash' | 'hash';
      expected: string;
      found: string;
    };

/**
 * Walks the whole chain in id order, a page at a time. A row is broken when its `prev_hash` is not
 * the previous row's `hash` (a row removed, inserted or re-hashed before it) or its `hash` is not the
 * hash of its own content (the row was edited). `rows` counts the rows checked up to the break.
 */
export async function verifyAuditChain(db: Db, pageSize = 1000): Promise<VerifyResult> {
  let expectedPrev = GENESIS_HASH;
  let after = 0;
  let rows = 0;
  for (;;) {
    const page = await db.selectFrom('audit_log').selectAll().where('id', '>', after).orderBy('id').limit(pageSize).execute();
    for (const stored of page) {
      const row = fromStored(stored as StoredRow);
      rows += 1;
      if (row.prevHash !== expectedPrev) {
        return { intact: false, rows, brokenAt: row.id, problem: 'prev_hash', expected: expectedPrev, found: row.prevHash };
      }
      const recomputed = rowHash(row.id, row, row.prevHash);
      if (recomputed !== row.hash) {
        return { intact: false, rows, brokenAt: row.id, problem: 'hash', expected: recomputed, found: row.hash };
      }
      expectedPrev = row.hash;
      after = row.id;
    }
    if (page.length < pageSize) return { intact: true, rows, headHash: expectedPrev };
  }
}

export function formatVerifyResult(result: VerifyResult): string {
  if (result.intact) return `${result.rows} rows, chain intact (head ${result.headHash})`;
  const what = result.problem === 'hash' ? 'content does not match its hash (row edited)' : 'prev_hash does not match the previous row (row removed, inserted or re-hashed before it)';
  return `chain broken at row ${result.brokenAt}: ${what}; expected ${result.expected}, found ${result.found}`;
}
