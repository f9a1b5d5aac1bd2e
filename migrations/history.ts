import { sql, type Kysely } from 'kysely';

/**
 * Makes tables history: UPDATE, DELETE and TRUNCATE raise (via forbid_history_change(), created by
 * 0001). Shared by the migrations on purpose: this is the one rule every history table follows, and
 * the trigger names (`<table>_is_history`) are what `envcredit db grant-app-role` looks for.
 */
export async function protectHistory(db: Kysely<any>, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    await sql`
      create trigger ${sql.raw(`${table}_is_history`)} before update or delete on ${sql.table(table)}
      for each row execute function forbid_history_change()`.execute(db);
    await sql`
      create trigger ${sql.raw(`${table}_no_truncate`)} before truncate on ${sql.table(table)}
      for each statement execute function forbid_history_change()`.execute(db);
  }
}
