import type { Migration } from 'kysely';
import * as m0001 from './0001_enterprises_and_evidence.ts';
import * as m0002 from './0002_rule_versions.ts';
import * as m0003 from './0003_rating_runs.ts';

/**
 * Every migration, in order. Listed by hand rather than read from the folder so the same list
 * works under tsx, in the compiled build and inside the Docker image.
 */
export const migrations: Record<string, Migration> = {
  '0001_enterprises_and_evidence': m0001,
  '0002_rule_versions': m0002,
  '0003_rating_runs': m0003,
};
