import { sql } from 'kysely';
import type { Db } from './database.ts';

/**
 * The database's own clock: the clock `recorded_at` is stamped with (migration 0009). Evidence is
 * read "as recorded by" an instant of this clock, never the service's, which may run apart from it
 * (another host, or a test's moved legal clock): a record stamped a moment ago must be seen by the
 * adjustment it triggers, and a replay must find exactly the records the rating saw.
 */
export async function databaseNow(db: Db): Promise<Date> {
  const { rows } = await sql<{ now: Date | string }>`select clock_timestamp() as now`.execute(db);
  return new Date(rows[0]!.now);
}
