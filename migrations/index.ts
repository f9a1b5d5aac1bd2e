import type { Migration } from 'kysely';
import * as m0001 from './0001_enterprises_and_evidence.ts';
import * as m0002 from './0002_rule_versions.ts';
import * as m0003 from './0003_rating_runs.ts';
import * as m0004 from './0004_registers.ts';
import * as m0005 from './0005_lookups.ts';
import * as m0006 from './0006_audit.ts';
import * as m0007 from './0007_evidence_supersession_index.ts';
import * as m0008 from './0008_enterprise_current_by_enterprise.ts';
import * as m0009 from './0009_evidence_time_and_supersession.ts';
import * as m0010 from './0010_rating_corrections.ts';
import * as m0011 from './0011_recent_corrections_index.ts';
import * as m0012 from './0012_pending_adjustments.ts';
import * as m0013 from './0013_register_event_time.ts';
import * as m0014 from './0014_rating_result_lz4.ts';
import * as m0015 from './0015_leader_term_end_changes.ts';
import * as m0016 from './0016_evidence_recorded_at_brin.ts';
import * as m0017 from './0017_watches_by_role.ts';
import * as m0018 from './0018_emission_lower_limit.ts';

/**
 * Every migration, in order. Listed by hand rather than read from the folder so the same list
 * works under tsx, in the compiled build and inside the Docker image.
 */
export const migrations: Record<string, Migration> = {
  '0001_enterprises_and_evidence': m0001,
  '0002_rule_versions': m0002,
  '0003_rating_runs': m0003,
  '0004_registers': m0004,
  '0005_lookups': m0005,
  '0006_audit': m0006,
  '0007_evidence_supersession_index': m0007,
  '0008_enterprise_current_by_enterprise': m0008,
  '0009_evidence_time_and_supersession': m0009,
  '0010_rating_corrections': m0010,
  '0011_recent_corrections_index': m0011,
  '0012_pending_adjustments': m0012,
  '0013_register_event_time': m0013,
  '0014_rating_result_lz4': m0014,
  '0015_leader_term_end_changes': m0015,
  '0016_evidence_recorded_at_brin': m0016,
  '0017_watches_by_role': m0017,
  '0018_emission_lower_limit': m0018,
};
