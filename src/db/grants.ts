import { sql } from 'kysely';
import type { Db } from './database.ts';

/**
 * Privileges of the application's own database role (issue 7, item 4; docs/SECURITY.md "Database
 * role"). The service runs as a role that owns nothing and may not rewrite history:
 *
 * - history tables — every table guarded by the `forbid_history_change()` trigger (evidence, ratings
 *   and runs, register events, the inquiry log, the audit log, …), found from the catalogue so a new
 *   history table is covered without editing this file: SELECT and INSERT only;
 * - Kysely's migration bookkeeping: SELECT only (the app checks that no migration is pending; migrating
 *   is the owner's job, `envcredit migrate`);
 * - every other table (current-state tables such as watch lists): SELECT, INSERT, UPDATE, DELETE;
 * - sequences: USAGE and SELECT; the schema: USAGE.
 *
 * The triggers already refuse UPDATE and DELETE to everyone; the grants add a second, independent
 * wall that a trigger-disabling statement cannot get past, since only the owner can disable triggers.
 * Idempotent: it revokes everything first, then grants, so running it after every migration is safe.
 */

export interface GrantReport {
  role: string;
  created: boolean;
  historyTables: string[];
  readOnlyTables: string[];
  readWriteTables: string[];
}

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Tables in the schema with a row trigger calling forbid_history_change(). */
export async function historyTables(db: Db, schema = 'public'): Promise<string[]> {
  const { rows } = await sql<{ table: string }>`
    select distinct c.relname as "table"
    from pg_trigger t
    join pg_class c on c.oid = t.tgrelid
    join pg_namespace n on n.oid = c.relnamespace
    join pg_proc p on p.oid = t.tgfoid
    where n.nspname = ${schema} and p.proname = 'forbid_history_change' and not t.tgisinternal
    order by 1`.execute(db);
  return rows.map((r) => r.table);
}

export async function grantAppRole(db: Db, role: string, options: { create?: boolean; schema?: string } = {}): Promise<GrantReport> {
  if (!ROLE_NAME.test(role)) throw new Error(`role name ${JSON.stringify(role)}: use lower-case letters, digits and _ (at most 63)`);
  const schema = options.schema ?? 'public';
  return db.transaction().execute(async (trx) => {
    const exists = await sql<{ n: number }>`select count(*)::int as n from pg_roles where rolname = ${role}`.execute(trx);
    let created = false;
    if (exists.rows[0]!.n === 0) {
      if (!options.create) throw new Error(`role ${role} does not exist (create it with LOGIN and a password, or pass --create for a NOLOGIN role)`);
      await sql`create role ${sql.id(role)} nologin`.execute(trx);
      created = true;
    }
    const { rows } = await sql<{ table: string }>`
      select c.relname as "table" from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v', 'm') order by 1`.execute(trx);
    const history = new Set(await historyTables(trx as unknown as Db, schema));
    const report: GrantReport = { role, created, historyTables: [], readOnlyTables: [], readWriteTables: [] };
    const r = sql.id(role);
    const s = sql.id(schema);
    await sql`revoke all on all tables in schema ${s} from ${r}`.execute(trx);
    await sql`revoke all on all sequences in schema ${s} from ${r}`.execute(trx);
    await sql`grant usage on schema ${s} to ${r}`.execute(trx);
    await sql`grant usage, select on all sequences in schema ${s} to ${r}`.execute(trx);
    for (const { table } of rows) {
      const t = sql.table(`${schema}.${table}`);
      if (history.has(table)) {
        await sql`grant select, insert on ${t} to ${r}`.execute(trx);
        report.historyTables.push(table);
      } else if (table.startsWith('kysely_')) {
        await sql`grant select on ${t} to ${r}`.execute(trx);
        report.readOnlyTables.push(table);
      } else {
        await sql`grant select, insert, update, delete on ${t} to ${r}`.execute(trx);
        report.readWriteTables.push(table);
      }
    }
    // Tables a later migration creates start as history (read and append only) until this runs again.
    await sql`alter default privileges in schema ${s} grant select, insert on tables to ${r}`.execute(trx);
    await sql`alter default privileges in schema ${s} grant usage, select on sequences to ${r}`.execute(trx);
    return report;
  });
}
