import { sql, type Kysely } from 'kysely';
import { protectHistory } from './history.ts';

/*
 * The blacklist (环保失信黑名单) and the leader register (环保领跑者), with credit repair (信用修复).
 * Everything here is history, like the evidence and the ratings:
 * - a register is a sequence of events per enterprise (LISTED, EXTENDED, REMOVED and, for leaders,
 *   REVOKED); whether an enterprise is listed at an instant is derived from the events effective by then;
 * - a rating's proposal (a criterion of the rule file met) is a row of register_proposals; the bureau's
 *   confirmation or dismissal is a row of register_proposal_decisions (automatic criteria are listed at
 *   once and carry no decision);
 * - a credit repair application and its decision are two rows; an approval points at the REMOVED event.
 * A trigger refuses UPDATE, DELETE and TRUNCATE on every table.
 */

const REGISTERS = `register in ('BLACKLIST', 'LEADER')`;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('register_proposals')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('register', 'text', (c) => c.notNull().check(sql.raw(REGISTERS)))
    /** LIST for a blacklist criterion or a leader nomination, REVOKE for a leader's revocation. */
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('LIST', 'REVOKE')`))
    .addColumn('credit_code', sql`char(18)`, (c) => c.notNull().references('enterprises.credit_code'))
    .addColumn('cause_code', 'text', (c) => c.notNull().check(sql`length(cause_code) between 1 and 100`))
    .addColumn('cause', 'text', (c) => c.notNull().check(sql`length(cause) between 1 and 2000`))
    .addColumn('evidence_ids', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('rule_set_id', 'text', (c) => c.notNull())
    .addColumn('rule_version', 'text', (c) => c.notNull())
    .addColumn('rule_hash', 'text', (c) => c.notNull())
    .addColumn('rating_id', 'bigint', (c) => c.notNull().references('ratings.id'))
    /** The term the rule file gives: minimum_months for the blacklist, term_months for leaders. */
    .addColumn('term_months', 'integer', (c) => c.check(sql`term_months >= 0`))
    .addColumn('automatic', 'boolean', (c) => c.notNull())
    .addColumn('proposed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint('register_proposals_rule_version', ['rule_set_id', 'rule_version'], 'rule_versions', ['rule_set_id', 'version'])
    .addUniqueConstraint('register_proposals_once', ['rating_id', 'register', 'action', 'cause_code'])
    .execute();
  await db.schema.createIndex('register_proposals_code').on('register_proposals').columns(['credit_code', 'id']).execute();

  await db.schema
    .createTable('register_proposal_decisions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('proposal_id', 'bigint', (c) => c.notNull().unique().references('register_proposals.id'))
    .addColumn('decision', 'text', (c) => c.notNull().check(sql`decision in ('CONFIRMED', 'DISMISSED')`))
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`length(reason) between 1 and 10000`))
    .addColumn('decided_by', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('repair_applications')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('credit_code', sql`char(18)`, (c) => c.notNull().references('enterprises.credit_code'))
    .addColumn('statement', 'text', (c) => c.notNull().check(sql`length(statement) between 1 and 10000`))
    /** Rectification evidence: evidence ids (`violation:12`) or document references. */
    .addColumn('evidence_ids', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('applied_by', 'text', (c) => c.notNull())
    .addColumn('applied_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('repair_applications_code').on('repair_applications').columns(['credit_code', 'id']).execute();

  await db.schema
    .createTable('repair_decisions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('application_id', 'bigint', (c) => c.notNull().unique().references('repair_applications.id'))
    .addColumn('decision', 'text', (c) => c.notNull().check(sql`decision in ('APPROVED', 'REJECTED')`))
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`length(reason) between 1 and 10000`))
    .addColumn('decided_by', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  for (const [table, events, termColumn] of [
    ['blacklist_events', `'LISTED', 'EXTENDED', 'REMOVED'`, 'earliest_removal'],
    ['leader_events', `'LISTED', 'EXTENDED', 'REMOVED', 'REVOKED'`, 'term_end'],
  ] as const) {
    await db.schema
      .createTable(table)
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('credit_code', sql`char(18)`, (c) => c.notNull().references('enterprises.credit_code'))
      .addColumn('event', 'text', (c) => c.notNull().check(sql.raw(`event in (${events})`)))
      .addColumn('cause_code', 'text', (c) => c.notNull().check(sql`length(cause_code) between 1 and 100`))
      .addColumn('cause', 'text', (c) => c.notNull().check(sql`length(cause) between 1 and 2000`))
      .addColumn('evidence_ids', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      /** Set when a rule proposed the event; all three or none. */
      .addColumn('rule_set_id', 'text')
      .addColumn('rule_version', 'text')
      .addColumn('rule_hash', 'text')
      .addColumn('source_rating_id', 'bigint', (c) => c.references('ratings.id'))
      .addColumn('proposal_id', 'bigint', (c) => c.references('register_proposals.id'))
      .addColumn('repair_application_id', 'bigint', (c) => c.references('repair_applications.id'))
      .addColumn('decided_by', 'text', (c) => c.notNull())
      .addColumn('decided_at', 'timestamptz', (c) => c.notNull())
      .addColumn('effective_from', 'timestamptz', (c) => c.notNull())
      /** earliest_removal (blacklist): the first day credit repair may be applied for; term_end (leader): the first day no longer a leader. */
      .addColumn(termColumn, 'date')
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addCheckConstraint(
        `${table}_rule`,
        sql`(rule_set_id is null) = (rule_version is null) and (rule_set_id is null) = (rule_hash is null)`,
      )
      .addCheckConstraint(`${table}_term`, sql.raw(`event not in ('LISTED', 'EXTENDED') or ${termColumn} is not null`))
      .execute();
    await db.schema.createIndex(`${table}_code_from`).on(table).columns(['credit_code', 'effective_from', 'id']).execute();
    await db.schema.createIndex(`${table}_from`).on(table).columns(['effective_from']).execute();
  }

  await protectHistory(db, [
    'register_proposals',
    'register_proposal_decisions',
    'repair_applications',
    'repair_decisions',
    'blacklist_events',
    'leader_events',
  ]);
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only: register events are history and are never dropped');
}
