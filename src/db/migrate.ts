import { Migrator, type MigrationResultSet } from 'kysely';
import { migrations } from '../../migrations/index.ts';
import type { Db } from './database.ts';
import { grantAppRole, type GrantReport } from './grants.ts';

function migrator(db: Db): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/** Applies every pending migration; throws with the failing migration's name if one fails. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const result: MigrationResultSet = await migrator(db).migrateToLatest();
  const failed = result.results?.find((r) => r.status === 'Error');
  if (result.error || failed) {
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${cause}`);
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Migrates, then (when the service has its own role, DATABASE_APP_ROLE) re-applies that role's
 * grants, so a table a migration adds is never left with the owner's privileges or none at all.
 * Runs as the owner; the service's own role can do neither and has nothing pending to do.
 */
export async function migrateAndGrant(db: Db, appRole: string | undefined): Promise<{ applied: string[]; granted?: GrantReport }> {
  const applied = await migrateToLatest(db);
  if (!appRole) return { applied };
  return { applied, granted: await grantAppRole(db, appRole) };
}

/** Names of known migrations not yet applied (empty when the database is current). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}
