import { sql, type Kysely } from 'kysely';
import { protectHistory } from './history.ts';

/*
 * Rating runs and ratings. Everything here is history:
 * - a run's own row never changes; its lifecycle (RUNNING, DRAFTED, FAILED, PUBLICITY, PUBLISHED,
 *   WITHDRAWN) is a sequence of rating_run_events, the current status being the latest;
 * - ratings are appended (a re-rating after an accepted objection is a new rating superseding one);
 * - rating_effects says from when a rating is the enterprise's effective one; its end is the next
 *   effect's start (derived), so publishing never edits the rating it replaces.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rating_runs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('rule_set_id', 'text', (c) => c.notNull())
    .addColumn('rule_version', 'text', (c) => c.notNull())
    .addColumn('rule_hash', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('period_start', 'date', (c) => c.notNull())
    .addColumn('period_end', 'date', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('DRAFT', 'SIMULATION', 'DYNAMIC')`))
    .addColumn('scope', 'jsonb', (c) => c.notNull())
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint('rating_runs_rule_version', ['rule_set_id', 'rule_version'], 'rule_versions', ['rule_set_id', 'version'])
    .addCheckConstraint('rating_runs_period', sql`period_end >= period_start`)
    .execute();

  await db.schema
    .createTable('rating_run_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'bigint', (c) => c.notNull().references('rating_runs.id'))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('RUNNING', 'DRAFTED', 'FAILED', 'PUBLICITY', 'PUBLISHED', 'WITHDRAWN')`),
    )
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('rating_run_events_run').on('rating_run_events').columns(['run_id', 'id']).execute();

  await db.schema
    .createTable('ratings')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'bigint', (c) => c.notNull().references('rating_runs.id'))
    .addColumn('credit_code', sql`char(18)`, (c) => c.notNull().references('enterprises.credit_code'))
    .addColumn('score', 'numeric', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull().check(sql`level in ('GREEN', 'BLUE', 'YELLOW', 'RED', 'BLACK')`))
    .addColumn('vetoes', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    /** The engine's canonical JSON output, byte for byte. */
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('result_hash', 'text', (c) => c.notNull())
    .addColumn('evidence_fingerprint', 'text', (c) => c.notNull())
    /** The instant whose evidence the rating read: replaying it with the same rules gives the same bytes. */
    .addColumn('evidence_known_at', 'timestamptz', (c) => c.notNull())
    .addColumn('supersedes_id', 'bigint', (c) => c.unique().references('ratings.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('ratings_run_code').on('ratings').columns(['run_id', 'credit_code']).execute();
  await db.schema.createIndex('ratings_code').on('ratings').columns(['credit_code']).execute();

  await db.schema
    .createTable('rating_effects')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('credit_code', sql`char(18)`, (c) => c.notNull().references('enterprises.credit_code'))
    .addColumn('rating_id', 'bigint', (c) => c.notNull().references('ratings.id'))
    .addColumn('effective_from', 'timestamptz', (c) => c.notNull())
    .addColumn('cause', 'text', (c) => c.notNull().check(sql`cause in ('PUBLICATION', 'DYNAMIC_ADJUSTMENT')`))
    .addColumn('trigger_evidence', 'text')
    .addColumn('decided_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('rating_effects_code_from').on('rating_effects').columns(['credit_code', 'effective_from']).execute();

  await db.schema
    .createTable('objections')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'bigint', (c) => c.notNull().references('rating_runs.id'))
    .addColumn('credit_code', sql`char(18)`, (c) => c.notNull().references('enterprises.credit_code'))
    .addColumn('rating_id', 'bigint', (c) => c.notNull().references('ratings.id'))
    .addColumn('grounds', 'text', (c) => c.notNull().check(sql`length(grounds) between 1 and 10000`))
    .addColumn('evidence_refs', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('filed_by', 'text', (c) => c.notNull())
    .addColumn('filed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('objection_decisions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('objection_id', 'bigint', (c) => c.notNull().unique().references('objections.id'))
    .addColumn('decision', 'text', (c) => c.notNull().check(sql`decision in ('ACCEPTED', 'REJECTED')`))
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`length(reason) between 1 and 10000`))
    .addColumn('rerating_id', 'bigint', (c) => c.references('ratings.id'))
    .addColumn('decided_by', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await protectHistory(db, ['rating_runs', 'rating_run_events', 'ratings', 'rating_effects', 'objections', 'objection_decisions']);
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
