import { sql, type Kysely } from 'kysely';
import { protectHistory } from './history.ts';

/*
 * Enterprises and the six kinds of evidence. Every row is history: a trigger refuses UPDATE,
 * DELETE and TRUNCATE, and a correction is a new row naming the one it supersedes.
 * The closed lists are written out here on purpose: a migration is a snapshot and must not
 * change when application code does.
 */

const VIOLATION_TYPES = [
  'EXCEEDING_STANDARDS', 'EXCEEDING_TOTAL_LOAD', 'NO_PERMIT', 'PERMIT_CONDITIONS', 'FALSIFIED_MONITORING_DATA',
  'BYPASS_OR_HIDDEN_DISCHARGE', 'MONITORING_EQUIPMENT_NOT_OPERATED', 'REFUSING_INSPECTION', 'ILLEGAL_HAZARDOUS_WASTE',
  'HAZARDOUS_WASTE_MANAGEMENT', 'SOLID_WASTE', 'NOISE', 'EIA_NOT_APPROVED', 'OPERATING_BEFORE_ACCEPTANCE',
  'MAJOR_CHANGE_WITHOUT_APPROVAL', 'HEAVY_POLLUTION_WEATHER_NONCOMPLIANCE', 'OVERDUE_RECTIFICATION',
  'ENVIRONMENTAL_INCIDENT', 'ECOLOGICAL_RED_LINE', 'DISCLOSURE_FAILURE', 'OTHER',
];
const MEASURES = [
  'WARNING', 'CORRECTION_ORDER', 'FINE', 'DAILY_CONTINUOUS_PENALTY', 'PRODUCTION_RESTRICTION', 'PRODUCTION_SUSPENSION',
  'SEAL_UP_SEIZURE', 'PERMIT_REVOKED', 'SHUTDOWN_ORDER', 'SUPERVISED_RECTIFICATION', 'ADMINISTRATIVE_DETENTION',
  'CRIMINAL_REFERRAL',
];

const inList = (column: string, values: readonly string[]) =>
  sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`);

const EVIDENCE_TABLES = [
  'violations',
  'emission_records',
  'clean_production_audits',
  'information_disclosures',
  'verified_complaints',
  'permit_execution_reports',
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function forbid_history_change() returns trigger language plpgsql as $$
    begin
      raise exception 'envcredit: % rows are history and cannot be changed by %; record a correction instead',
        tg_table_name, tg_op using errcode = 'P0001';
    end $$`.execute(db);

  await db.schema
    .createTable('enterprises')
    .addColumn('credit_code', sql`char(18)`, (c) => c.primaryKey().check(sql`credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('enterprise_revisions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('credit_code', sql`char(18)`, (c) => c.notNull().references('enterprises.credit_code'))
    .addColumn('revision', 'integer', (c) => c.notNull().check(sql`revision >= 1`))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 200`))
    .addColumn('region', 'text', (c) => c.notNull().check(sql`length(region) between 1 and 100`))
    .addColumn('industry', 'text', (c) => c.notNull().check(sql`industry ~ '^[A-T]([0-9]{2,4})?$'`))
    .addColumn('legal_representative', 'text')
    .addColumn('key_discharge_unit', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('permit_number', 'text')
    .addColumn('registered_on', 'date')
    .addColumn('closed_on', 'date')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('enterprise_revisions_code_revision', ['credit_code', 'revision'])
    .addUniqueConstraint('enterprise_revisions_source', ['source', 'source_id'])
    .execute();
  await db.schema.createIndex('enterprise_revisions_region').on('enterprise_revisions').columns(['region']).execute();

  await sql`
    create view enterprise_current as
    select distinct on (r.credit_code)
      r.credit_code, r.revision, r.name, r.region, r.industry, r.legal_representative, r.key_discharge_unit,
      r.permit_number, r.registered_on, r.closed_on, e.created_at, r.recorded_at as updated_at
    from enterprise_revisions r join enterprises e using (credit_code)
    order by r.credit_code, r.revision desc`.execute(db);

  const evidenceTable = (name: string) =>
    db.schema
      .createTable(name)
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('credit_code', sql`char(18)`, (c) => c.notNull().references('enterprises.credit_code'))
      .addColumn('source', 'text', (c) => c.notNull().check(sql`length(source) between 1 and 100`))
      .addColumn('source_id', 'text', (c) => c.notNull().check(sql`length(source_id) between 1 and 200`))
      .addColumn('supersedes_id', 'bigint', (c) => c.unique().references(`${name}.id`))
      .addColumn('revoked', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('correction_reason', 'text')
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('recorded_by', 'text', (c) => c.notNull())
      .addUniqueConstraint(`${name}_source`, ['source', 'source_id'])
      .addCheckConstraint(`${name}_correction`, sql`(supersedes_id is null) = (correction_reason is null) and (not revoked or supersedes_id is not null)`);

  await evidenceTable('violations')
    .addColumn('decision_number', 'text', (c) => c.notNull())
    .addColumn('decided_on', 'date', (c) => c.notNull())
    .addColumn('violation_type', 'text', (c) => c.notNull().check(inList('violation_type', VIOLATION_TYPES)))
    .addColumn('incident_severity', 'text', (c) =>
      c.check(sql`incident_severity is null or incident_severity in ('GENERAL', 'LARGER', 'MAJOR', 'EXTRAORDINARY')`),
    )
    .addColumn('legal_basis', 'text', (c) => c.notNull())
    .addColumn('fine_cny', sql`numeric(14,2)`, (c) => c.notNull().defaultTo(0).check(sql`fine_cny >= 0`))
    .addColumn('measures', sql`text[]`, (c) =>
      c.notNull().defaultTo(sql`'{}'`).check(sql`measures <@ array[${sql.raw(MEASURES.map((m) => `'${m}'`).join(','))}]::text[]`),
    )
    .addColumn('rectified_on', 'date')
    .addColumn('description', 'text')
    .execute();

  await evidenceTable('emission_records')
    .addColumn('period_start', 'date', (c) => c.notNull())
    .addColumn('period_end', 'date', (c) => c.notNull())
    .addColumn('outlet_code', 'text', (c) => c.notNull())
    .addColumn('pollutant', 'text', (c) => c.notNull())
    .addColumn('measured_value', 'numeric', (c) => c.notNull())
    .addColumn('permitted_limit', 'numeric', (c) => c.notNull().check(sql`permitted_limit > 0`))
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('monitoring_source', 'text', (c) =>
      c.notNull().check(sql`monitoring_source in ('ONLINE_AUTOMATIC', 'MANUAL', 'SUPERVISORY')`),
    )
    .addColumn('exceedance_ratio', 'numeric', (c) =>
      c.generatedAlwaysAs(sql`case when unit <> 'dB(A)' then round((measured_value - permitted_limit) / permitted_limit, 6) end`).stored(),
    )
    .addColumn('exceedance_db', 'numeric', (c) =>
      c.generatedAlwaysAs(sql`case when unit = 'dB(A)' then measured_value - permitted_limit end`).stored(),
    )
    .addCheckConstraint('emission_records_period', sql`period_end >= period_start`)
    .execute();

  await evidenceTable('clean_production_audits')
    .addColumn('audit_date', 'date', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull().check(sql`level in ('I', 'II', 'III')`))
    .addColumn('accepted', 'boolean', (c) => c.notNull())
    .addColumn('accepted_on', 'date')
    .addColumn('auditor', 'text')
    .execute();

  await evidenceTable('information_disclosures')
    .addColumn('year', 'integer', (c) => c.notNull().check(sql`year between 2000 and 2100`))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('COMPLETE', 'INCOMPLETE', 'LATE', 'NOT_DISCLOSED')`),
    )
    .addColumn('checked_on', 'date', (c) => c.notNull())
    .execute();

  await evidenceTable('verified_complaints')
    .addColumn('received_on', 'date', (c) => c.notNull())
    .addColumn('verified_on', 'date', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('HOTLINE', 'ONLINE', 'NGO', 'MEDIA', 'OTHER')`))
    .addColumn('substantiated', 'boolean', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addCheckConstraint('verified_complaints_dates', sql`verified_on >= received_on`)
    .execute();

  await evidenceTable('permit_execution_reports')
    .addColumn('report_type', 'text', (c) => c.notNull().check(sql`report_type in ('ANNUAL', 'QUARTERLY', 'MONTHLY')`))
    .addColumn('period_end', 'date', (c) => c.notNull())
    .addColumn('due_on', 'date', (c) => c.notNull())
    .addColumn('submitted_on', 'date')
    .addColumn('complete', 'boolean', (c) => c.notNull())
    .execute();

  for (const table of ['enterprise_revisions', ...EVIDENCE_TABLES]) {
    await db.schema.createIndex(`${table}_credit_code`).on(table).columns(['credit_code']).execute();
  }
  await protectHistory(db, ['enterprises', 'enterprise_revisions', ...EVIDENCE_TABLES]);
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only: evidence is history and is never dropped');
}
