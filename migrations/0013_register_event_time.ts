import { sql, type Kysely } from 'kysely';

/*
 * Register events get the guarantee evidence got in migration 0009: recorded_at is the moment the
 * row was written (clock_timestamp()), not its transaction's start. A rating reads register standing
 * (a leader in its term) as recorded by the instant it reads evidence at, so that its replay sees the
 * same events: events written later — the rating's own consequences (a leader revoked by the veto it
 * found), or a confirmation committing meanwhile — must carry a later recorded_at. Register writers
 * hold the leader register's write lock (src/db/locks.ts), which runs and adjustments wait for.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['leader_events', 'blacklist_events']) {
    await sql`alter table ${sql.table(table)} alter column recorded_at set default clock_timestamp()`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
