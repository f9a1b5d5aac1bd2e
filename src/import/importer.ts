import { CompiledQuery } from 'kysely';
import type pg from 'pg';
import { arrayLiteral, copyLine, openCopyIn, writeChunk } from '../db/copy-text.ts';
import { BULK_WRITE_LOCK_SQL, tableWriteLockKey } from '../db/locks.ts';
import type { Db } from '../db/database.ts';
import { chinaDay } from '../china-day.ts';
import { outsideExistenceSql } from '../evidence/existence.ts';
import { importKindSpec, type CellValue, type ImportKindName, type ImportKindSpec } from './kinds.ts';
import { ImportFileError, readRecords, type ImportFormat } from './read-records.ts';

/**
 * Bulk import of evidence and enterprises. One transaction per import:
 *
 *   1. every record is read (CSV or NDJSON), checked with the same rules as the GraphQL mutations
 *      (src/evidence/evidence-rules.ts) and, if valid, streamed into a temporary staging table —
 *      through COPY on PostgreSQL, multi-row INSERT on PGlite;
 *   2. the staging rows are checked against the database: the enterprise must be registered, and a
 *      source key (source + sourceId) already stored, or repeated in the file, with different
 *      content is a conflict (a change to a recorded fact is a correction, not a re-import);
 *   3. every remaining row is applied in one INSERT, leaving out rows already stored with the same
 *      content (or repeated identically in the file): importing the same file twice adds nothing.
 *
 * The staging table is `on commit drop` and everything happens inside the transaction, so a killed
 * import (the connection goes away) leaves nothing behind; `dryRun` rolls back at the end, after
 * computing the exact report.
 */

export interface ImportRejection {
  line: number;
  field: string;
  reason: string;
}

export interface ImportReport {
  kind: ImportKindName;
  format: ImportFormat;
  dryRun: boolean;
  /** Data records read (header and blank lines excluded). */
  rows: number;
  /** Records inserted (in a dry run: that would be inserted). */
  applied: number;
  /** Valid records already stored with the same content, or repeated identically in the file. */
  unchanged: number;
  /** Records refused (each has at least one entry in `rejections`). */
  rejected: number;
  /** Of the rejected records, those refused because their source key is stored with other content. */
  conflicts: number;
  /** Every problem, ordered by line. */
  rejections: ImportRejection[];
  /** For enterprises: enterprises newly registered. */
  enterprisesCreated?: number;
  /** For violations, set by the caller after the commit: dynamic adjustments the stored violations made. */
  dynamicAdjustments?: number;
}

export interface ImportOptions {
  kind: ImportKindName;
  format: ImportFormat;
  /** Who is recorded as having recorded each row. */
  actor: string;
  dryRun?: boolean;
  /** Refuse the import once this many data records were read (GraphQL bounds its imports). */
  maxRows?: number;
  onProgress?: (rowsRead: number) => void;
  /** The clock's now (the service's, in a mutation): no row may date something after its day. */
  now?: Date;
  /**
   * Violations only, not in a dry run: the violations the apply stores are recorded, in the import's
   * own transaction, as owed their dynamic adjustment (made as `actor`), so the debt survives a
   * process that dies after the commit (src/rating/pending-adjustments.ts). `recorded` gets the
   * pending record's id before the commit (not called when nothing was stored); make the
   * adjustments once runImport has returned, when the violations are committed.
   */
  adjustments?: PendingAdjustmentRequest;
  /** Test hook: called inside the transaction just before the apply statement. */
  beforeApply?: () => Promise<void>;
}

/** Who an import's dynamic adjustments are made as, and where it reports the record of them it made. */
export interface PendingAdjustmentRequest {
  actor: string;
  recorded: (pendingId: number) => void;
}

/** Where the import runs: PostgreSQL through a pg pool (COPY), or any Kysely database (INSERT). */
export type ImportTarget = { pool: pg.Pool } | { db: Db };

export class ImportRowLimitError extends Error {
  constructor(readonly maxRows: number) {
    super(`the import has more than ${maxRows} records; split it or use the envcredit import command`);
    this.name = 'ImportRowLimitError';
  }
}

class DryRunRollback extends Error {}

interface Session {
  query(text: string, params?: readonly unknown[]): Promise<{ rows: any[]; rowCount: number }>;
  /** Opens a writer into the staging table. */
  stager(columns: readonly string[]): Stager;
}

interface Stager {
  write(row: readonly CellValue[]): Promise<void> | void;
  end(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// COPY text format

class CopyStager implements Stager {
  private buffer: string[] = [];
  private size = 0;
  private readonly copy: ReturnType<typeof openCopyIn>;

  constructor(client: pg.PoolClient, columns: readonly string[]) {
    this.copy = openCopyIn(client, 'import_staging', ['line', ...columns]);
  }

  async write(row: readonly CellValue[]): Promise<void> {
    const line = copyLine(row);
    this.buffer.push(line);
    this.size += line.length;
    if (this.size >= 1 << 16) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = this.buffer.join('');
    this.buffer = [];
    this.size = 0;
    await writeChunk(this.copy, chunk);
  }

  async end(): Promise<void> {
    await this.flush();
    this.copy.stream.end();
    await this.copy.done;
  }
}

/** Multi-row INSERT with bind parameters (PGlite, and the GraphQL path on any database). */
class InsertStager implements Stager {
  private rows: unknown[][] = [];
  private readonly perStatement: number;

  constructor(
    private readonly session: Pick<Session, 'query'>,
    private readonly columns: readonly string[],
  ) {
    this.perStatement = Math.max(1, Math.floor(30_000 / (columns.length + 1)));
  }

  async write(row: readonly CellValue[]): Promise<void> {
    this.rows.push(row.map((v) => (Array.isArray(v) ? arrayLiteral(v) : v)));
    if (this.rows.length >= this.perStatement) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const width = this.columns.length + 1;
    const params: unknown[] = [];
    const tuples = this.rows.map((row) => {
      const at = params.length;
      params.push(...row);
      return `(${Array.from({ length: width }, (_, i) => `$${at + i + 1}`).join(', ')})`;
    });
    this.rows = [];
    await this.session.query(`insert into import_staging (line, ${this.columns.join(', ')}) values ${tuples.join(', ')}`, params);
  }

  end(): Promise<void> {
    return this.flush();
  }
}

// ---------------------------------------------------------------------------------------------

async function inPgTransaction<T>(pool: pg.Pool, work: (session: Session) => Promise<T>, commit: boolean): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('begin');
    const session: Session = {
      query: async (text, params) => {
        const result = await client.query(text, params as unknown[]);
        return { rows: result.rows, rowCount: result.rowCount ?? 0 };
      },
      stager: (columns) => new CopyStager(client, columns),
    };
    const result = await work(session);
    await client.query(commit ? 'commit' : 'rollback');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

async function inKyselyTransaction<T>(db: Db, work: (session: Session) => Promise<T>, commit: boolean): Promise<T> {
  let result: T | undefined;
  try {
    await db.transaction().execute(async (trx) => {
      const session: Session = {
        query: async (text, params = []) => {
          const r = await trx.executeQuery(CompiledQuery.raw(text, [...params]));
          return { rows: r.rows as any[], rowCount: Number(r.numAffectedRows ?? BigInt(r.rows.length)) };
        },
        stager: (columns) => new InsertStager(session, columns),
      };
      result = await work(session);
      if (!commit) throw new DryRunRollback();
    });
  } catch (error) {
    if (!(error instanceof DryRunRollback)) throw error;
  }
  return result as T;
}

/** Runs one import; see the module comment. Throws ImportFileError for a file it cannot read at all. */
export async function runImport(target: ImportTarget, chunks: AsyncIterable<string>, options: ImportOptions): Promise<ImportReport> {
  const spec = importKindSpec(options.kind);
  const work = (session: Session) => importInSession(session, spec, chunks, options);
  const commit = !options.dryRun;
  return 'pool' in target ? inPgTransaction(target.pool, work, commit) : inKyselyTransaction(target.db, work, commit);
}

/**
 * The apply statement of a violations import, recording in the same statement (so in the same
 * transaction) which of the violations it stored are owed their dynamic adjustment. Returns how many
 * it stored; rows already stored (`unchanged`) were owed theirs when they were first stored.
 */
async function insertViolationsOwingAdjustments(session: Session, insert: string, actor: string, owed: PendingAdjustmentRequest): Promise<number> {
  const result = await session.query(
    `with stored as (${insert} returning id)
     insert into pending_adjustments (violation_ids, adjust_as)
     select array_agg(id order by id), $2 from stored having count(*) > 0
     returning id, cardinality(violation_ids) as stored`,
    [actor, owed.actor],
  );
  const pending = result.rows[0] as { id: number | string; stored: number | string } | undefined;
  if (!pending) return 0;
  owed.recorded(Number(pending.id));
  return Number(pending.stored);
}

async function importInSession(session: Session, spec: ImportKindSpec, chunks: AsyncIterable<string>, options: ImportOptions): Promise<ImportReport> {
  const rejections: ImportRejection[] = [];
  const today = chinaDay(options.now ?? new Date());
  const rejectedLines = new Set<number>();
  const reject = (line: number, field: string, reason: string) => {
    rejections.push({ line, field, reason });
    rejectedLines.add(line);
  };

  await session.query(
    `create temp table import_staging on commit drop as select 0::integer as line, ${spec.columns.join(', ')} from ${spec.table} with no data`,
  );
  const known = new Set(spec.fields.map((f) => f.name));
  const required = spec.fields.filter((f) => f.required).map((f) => f.name);
  const stager = session.stager(spec.columns);
  let rows = 0;
  let staged = 0;
  try {
    for await (const item of readRecords(options.format, chunks)) {
      if (!item.ok) {
        rows++;
        for (const problem of item.problems) reject(problem.line, problem.field, problem.reason);
        continue;
      }
      const { line, values } = item.record;
      if (line === 0) {
        const header = values.__header as string[];
        const unknown = header.filter((h) => !known.has(h));
        const missing = required.filter((r) => !header.includes(r));
        if (unknown.length || missing.length) {
          throw new ImportFileError(
            [
              unknown.length ? `unknown column(s) ${unknown.join(', ')}` : '',
              missing.length ? `missing required column(s) ${missing.join(', ')}` : '',
            ].filter(Boolean).join('; ') + ` for ${spec.name}; the columns are ${spec.fields.map((f) => f.name + (f.required ? '' : '?')).join(', ')} (see docs/IMPORT.md)`,
          );
        }
        continue;
      }
      rows++;
      if (options.maxRows !== undefined && rows > options.maxRows) throw new ImportRowLimitError(options.maxRows);
      if (rows % 5000 === 0) options.onProgress?.(rows);
      for (const key of Object.keys(values)) if (!known.has(key)) reject(line, key, 'is not a column of this kind');
      const prepared = spec.prepare(values, today);
      if (!prepared.ok) {
        for (const p of prepared.problems) reject(line, p.field, p.expected ? `${p.message} (expected ${p.expected})` : p.message);
        continue;
      }
      if (rejectedLines.has(line)) continue;
      await stager.write([line, ...prepared.values]);
      staged++;
    }
  } catch (error) {
    await stager.end().catch(() => {}); // the transaction rolls back anyway; report the first error
    throw error;
  }
  await stager.end();
  options.onProgress?.(rows);

  let conflicts = 0;
  let applied = 0;
  let enterprisesCreated: number | undefined;
  if (staged > 0) {
    // No ANALYZE of the staging table: the planner's size-based estimate already picks hash joins for
    // the checks below, and on 176,769 emission rows ANALYZE cost more (~150-190 ms) than it saved.
    await session.query('create temp table import_refused (line integer not null, field text not null, reason text not null, conflict boolean not null) on commit drop');
    await session.query(BULK_WRITE_LOCK_SQL, [tableWriteLockKey(spec.table)]);
    const s = (c: string) => `s.${c}`;
    const t = (c: string) => `t.${c}`;
    const content = spec.contentColumns;
    const sameContent = (a: (c: string) => string, b: (c: string) => string) => `(${content.map(a).join(', ')}) is not distinct from (${content.map(b).join(', ')})`;

    if (spec.evidenceKind) {
      // Lines whose record is stored already (the same source key with the same content, from an
      // earlier import or from an earlier line of this file) are left out of the apply: that is what
      // makes importing the same file twice add nothing. Found here, with the conflicts, so the apply
      // is a plain INSERT: ON CONFLICT DO NOTHING costs a speculative insertion per row (0.45 s of
      // 2.9 s on 176,913 emission rows), and no other writer can add a source key meanwhile, since
      // this transaction holds the table's bulk-write lock (src/db/locks.ts).
      await session.query('create temp table import_present (line integer not null) on commit drop');
      await session.query(`
        insert into import_refused (line, field, reason, conflict)
        select s.line, 'creditCode', 'enterprise ' || s.credit_code || ' is not registered', false
        from import_staging s where not exists (select 1 from enterprises e where e.credit_code = s.credit_code)`);
      await session.query(`
        with stored as (
          select s.line, t.id, s.source, s.source_id, (${sameContent(s, t)} and t.supersedes_id is null) as same
          from import_staging s join ${spec.table} t on t.source = s.source and t.source_id = s.source_id),
        refused as (
          insert into import_refused (line, field, reason, conflict)
          select line, 'sourceId',
            'source ' || source || '/' || source_id || ' is already recorded with different content (record ' || id || '); to change it, record a correction', true
          from stored where not same)
        insert into import_present (line) select line from stored where same`);
      await session.query(`
        with repeated as (
          select s.line, f.line as first_line, s.source, s.source_id, ${sameContent(s, (c) => `f.${c}`)} as same
          from (select source, source_id, min(line) as first_line from import_staging group by source, source_id having count(*) > 1) d
          join import_staging s on s.source = d.source and s.source_id = d.source_id and s.line > d.first_line
          join import_staging f on f.line = d.first_line),
        refused as (
          insert into import_refused (line, field, reason, conflict)
          select line, 'sourceId', 'source ' || source || '/' || source_id || ' appears on line ' || first_line || ' with different content', true
          from repeated where not same)
        insert into import_present (line) select line from repeated where same`);
      // Lines stored already stay `unchanged` even if the enterprise's dates were revised since.
      const outside = outsideExistenceSql(spec.evidenceKind);
      await session.query(`
        insert into import_refused (line, field, reason, conflict)
        select t.line, ${outside.field}, ${outside.reason}, false
        from import_staging t join enterprise_current e on e.credit_code = t.credit_code
        where ${outside.where} and not exists (select 1 from import_present p where p.line = t.line)`);
      await options.beforeApply?.();
      const insert = `
        insert into ${spec.table} (${spec.columns.join(', ')}, recorded_by)
        select ${spec.columns.map(s).join(', ')}, $1 from import_staging s
        where not exists (select 1 from import_refused r where r.line = s.line)
          and not exists (select 1 from import_present p where p.line = s.line)
        order by s.line`;
      const owed = spec.evidenceKind === 'violation' && !options.dryRun ? options.adjustments : undefined;
      if (owed) {
        applied = await insertViolationsOwingAdjustments(session, insert, options.actor, owed);
      } else {
        applied = (await session.query(insert, [options.actor])).rowCount;
      }
    } else {
      // Registered already with other details: a change is a revision (reviseEnterprise), not a registration.
      await session.query(`
        insert into import_refused (line, field, reason, conflict)
        select s.line, 'creditCode', 'enterprise ' || s.credit_code || ' is already registered with different details; use reviseEnterprise to record a change', true
        from import_staging s join enterprise_current t on t.credit_code = s.credit_code
        where not (${sameContent(s, t)})`);
      await session.query(`
        insert into import_refused (line, field, reason, conflict)
        select s.line, 'sourceId', 'source ' || s.source || '/' || s.source_id || ' is already used for enterprise ' || t.credit_code, true
        from import_staging s join enterprise_revisions t on t.source = s.source and t.source_id = s.source_id
        where t.credit_code <> s.credit_code`);
      // A source key names one record: two enterprises under one new key in the file would break its
      // unique constraint mid-apply, and neither is more likely the one the source meant, so both go.
      // (A key already stored has its owner; the check above refuses only the other enterprises' lines.)
      await session.query(`
        insert into import_refused (line, field, reason, conflict)
        select s.line, 'sourceId', 'source ' || s.source || '/' || s.source_id || ' is used for more than one enterprise in this file (lines ' || d.lines || ')', true
        from (select source, source_id, string_agg(line::text, ', ' order by line) as lines from import_staging
              group by source, source_id having count(distinct credit_code) > 1) d
        join import_staging s on s.source = d.source and s.source_id = d.source_id
        where not exists (select 1 from enterprise_revisions t where t.source = d.source and t.source_id = d.source_id)`);
      await session.query(`
        insert into import_refused (line, field, reason, conflict)
        select s.line, 'creditCode', 'enterprise ' || s.credit_code || ' appears on line ' || f.line || ' with different details', true
        from (select credit_code, min(line) as first_line from import_staging group by credit_code having count(*) > 1) d
        join import_staging s on s.credit_code = d.credit_code and s.line > d.first_line
        join import_staging f on f.line = d.first_line
        where not (${sameContent(s, (c) => `f.${c}`)} and s.source = f.source and s.source_id = f.source_id)`);
      await options.beforeApply?.();
      const ok = `not exists (select 1 from import_refused r where r.line = s.line)`;
      const created = await session.query(`
        insert into enterprises (credit_code, created_by)
        select distinct s.credit_code, $1 from import_staging s
        where ${ok} and not exists (select 1 from enterprises e where e.credit_code = s.credit_code)
        on conflict (credit_code) do nothing`, [options.actor]);
      enterprisesCreated = created.rowCount;
      const inserted = await session.query(`
        insert into enterprise_revisions (${spec.columns.join(', ')}, revision, recorded_by)
        select distinct on (s.credit_code) ${spec.columns.map(s).join(', ')}, 1, $1 from import_staging s
        where ${ok} and not exists (select 1 from enterprise_revisions r where r.credit_code = s.credit_code)
        order by s.credit_code, s.line`, [options.actor]);
      applied = inserted.rowCount;
    }
    const refused = await session.query('select line, field, reason, conflict from import_refused order by line');
    const conflictLines = new Set<number>();
    for (const r of refused.rows) {
      reject(Number(r.line), r.field, r.reason);
      if (r.conflict) conflictLines.add(Number(r.line));
    }
    conflicts = conflictLines.size;
  }
  rejections.sort((a, b) => a.line - b.line);
  return {
    kind: spec.name,
    format: options.format,
    dryRun: Boolean(options.dryRun),
    rows,
    applied,
    unchanged: rows - rejectedLines.size - applied,
    rejected: rejectedLines.size,
    conflicts,
    rejections,
    ...(enterprisesCreated !== undefined ? { enterprisesCreated } : {}),
  };
}
