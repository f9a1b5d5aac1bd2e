import type { ColumnType, Generated, Kysely, Selectable } from 'kysely';

/**
 * The one typed picture of the database. Dates (`date`) travel as 'YYYY-MM-DD' strings and
 * numerics as strings (see connect.ts) so no time zone or float rounding sneaks into ratings.
 */

type Timestamp = ColumnType<Date, Date | string | undefined, never>;
type DateString = string;
type Numeric = ColumnType<string, string | number, never>;
type Immutable<T> = ColumnType<T, T, never>;

/** Columns every evidence table shares: provenance, idempotency key and correction chain. */
export interface EvidenceColumns {
  id: Generated<number>;
  credit_code: Immutable<string>;
  source: Immutable<string>;
  source_id: Immutable<string>;
  /** The earlier record this one corrects; the earlier one stops counting. */
  supersedes_id: Immutable<number | null>;
  /** True when this correction withdraws the earlier record (e.g. a penalty annulled on review). */
  revoked: ColumnType<boolean, boolean | undefined, never>;
  correction_reason: Immutable<string | null>;
  recorded_at: Timestamp;
  recorded_by: Immutable<string>;
}

export interface EnterprisesTable {
  credit_code: Immutable<string>;
  created_at: Timestamp;
  created_by: Immutable<string>;
}

export interface EnterpriseRevisionsTable {
  id: Generated<number>;
  credit_code: Immutable<string>;
  revision: Immutable<number>;
  name: Immutable<string>;
  region: Immutable<string>;
  industry: Immutable<string>;
  legal_representative: Immutable<string | null>;
  key_discharge_unit: Immutable<boolean>;
  permit_number: Immutable<string | null>;
  registered_on: Immutable<DateString | null>;
  closed_on: Immutable<DateString | null>;
  source: Immutable<string>;
  source_id: Immutable<string>;
  recorded_at: Timestamp;
  recorded_by: Immutable<string>;
}

/** The latest revision of every enterprise (a view). */
export interface EnterpriseCurrentView {
  credit_code: string;
  revision: number;
  name: string;
  region: string;
  industry: string;
  legal_representative: string | null;
  key_discharge_unit: boolean;
  permit_number: string | null;
  registered_on: DateString | null;
  closed_on: DateString | null;
  created_at: Date;
  updated_at: Date;
}

export interface ViolationsTable extends EvidenceColumns {
  decision_number: Immutable<string>;
  decided_on: Immutable<DateString>;
  violation_type: Immutable<string>;
  incident_severity: Immutable<string | null>;
  legal_basis: Immutable<string>;
  fine_cny: Numeric;
  measures: Immutable<string[]>;
  rectified_on: Immutable<DateString | null>;
  description: Immutable<string | null>;
}

export interface EmissionRecordsTable extends EvidenceColumns {
  period_start: Immutable<DateString>;
  period_end: Immutable<DateString>;
  outlet_code: Immutable<string>;
  pollutant: Immutable<string>;
  measured_value: Numeric;
  permitted_limit: Numeric;
  /** The lower bound of a limit that is a range (pH 6–9); null for a ceiling (migration 0018). */
  permitted_minimum: ColumnType<string | null, string | null | undefined, never>;
  unit: Immutable<string>;
  monitoring_source: Immutable<string>;
  /** (measured - limit) / limit for concentrations and loads; null for noise and for a pH range; derived by the database. */
  exceedance_ratio: ColumnType<string | null, never, never>;
  /** measured - limit for noise in dB(A); derived by the database. */
  exceedance_db: ColumnType<string | null, never, never>;
}

export interface CleanProductionAuditsTable extends EvidenceColumns {
  audit_date: Immutable<DateString>;
  level: Immutable<string>;
  accepted: Immutable<boolean>;
  accepted_on: Immutable<DateString | null>;
  auditor: Immutable<string | null>;
}

export interface InformationDisclosuresTable extends EvidenceColumns {
  year: Immutable<number>;
  status: Immutable<string>;
  checked_on: Immutable<DateString>;
}

export interface VerifiedComplaintsTable extends EvidenceColumns {
  received_on: Immutable<DateString>;
  verified_on: Immutable<DateString>;
  channel: Immutable<string>;
  substantiated: Immutable<boolean>;
  summary: Immutable<string>;
}

export interface PermitExecutionReportsTable extends EvidenceColumns {
  report_type: Immutable<string>;
  period_end: Immutable<DateString>;
  due_on: Immutable<DateString>;
  submitted_on: Immutable<DateString | null>;
  complete: Immutable<boolean>;
}

export interface RuleVersionsTable {
  rule_set_id: Immutable<string>;
  version: Immutable<string>;
  content_hash: Immutable<string>;
  first_used_at: Timestamp;
  first_used_by: Immutable<string>;
}

export type RunMode = 'DRAFT' | 'SIMULATION' | 'DYNAMIC';
export type RunStatus = 'RUNNING' | 'DRAFTED' | 'FAILED' | 'PUBLICITY' | 'PUBLISHED' | 'WITHDRAWN';
type Json = ColumnType<unknown, string, never>;

export interface RatingRunsTable {
  id: Generated<number>;
  rule_set_id: Immutable<string>;
  rule_version: Immutable<string>;
  rule_hash: Immutable<string>;
  period: Immutable<string>;
  period_start: Immutable<DateString>;
  period_end: Immutable<DateString>;
  mode: Immutable<RunMode>;
  scope: Json;
  started_by: Immutable<string>;
  started_at: Timestamp;
}

export interface RatingRunEventsTable {
  id: Generated<number>;
  run_id: Immutable<number>;
  status: Immutable<RunStatus>;
  actor: Immutable<string>;
  at: Timestamp;
  detail: ColumnType<unknown, string | undefined, never>;
}

export interface RatingsTable {
  id: Generated<number>;
  run_id: Immutable<number>;
  credit_code: Immutable<string>;
  score: Numeric;
  level: Immutable<string>;
  vetoes: Immutable<string[]>;
  result: Immutable<string>;
  result_hash: Immutable<string>;
  evidence_fingerprint: Immutable<string>;
  evidence_known_at: ColumnType<Date, Date, never>;
  supersedes_id: Immutable<number | null>;
  created_at: Timestamp;
}

export interface RatingEffectsTable {
  id: Generated<number>;
  credit_code: Immutable<string>;
  rating_id: Immutable<number>;
  effective_from: ColumnType<Date, Date | string, never>;
  cause: Immutable<'PUBLICATION' | 'DYNAMIC_ADJUSTMENT' | 'CORRECTION'>;
  trigger_evidence: Immutable<string | null>;
  decided_by: Immutable<string>;
  recorded_at: Timestamp;
}

/** Violations an import stored, owed their dynamic adjustment (migration 0012). */
export interface PendingAdjustmentsTable {
  id: Generated<number>;
  /** bigint[], written by the import's own SQL and read through unnest (drivers hand int8 arrays back as text). */
  violation_ids: ColumnType<unknown, never, never>;
  adjust_as: Immutable<string>;
  recorded_at: Timestamp;
}

/** A pending_adjustments row whose adjustments were made. */
export interface PendingAdjustmentCompletionsTable {
  pending_id: Immutable<number>;
  adjusted: Immutable<number>;
  completed_by: Immutable<string>;
  completed_at: Timestamp;
}

export interface ObjectionsTable {
  id: Generated<number>;
  run_id: Immutable<number>;
  credit_code: Immutable<string>;
  rating_id: Immutable<number>;
  grounds: Immutable<string>;
  evidence_refs: ColumnType<string[], string[] | undefined, never>;
  filed_by: Immutable<string>;
  filed_at: Timestamp;
}

export interface ObjectionDecisionsTable {
  id: Generated<number>;
  objection_id: Immutable<number>;
  decision: Immutable<'ACCEPTED' | 'REJECTED'>;
  reason: Immutable<string>;
  rerating_id: Immutable<number | null>;
  decided_by: Immutable<string>;
  decided_at: Timestamp;
}

export type RegisterKind = 'BLACKLIST' | 'LEADER';

export interface RegisterProposalsTable {
  id: Generated<number>;
  register: Immutable<RegisterKind>;
  action: Immutable<'LIST' | 'REVOKE'>;
  credit_code: Immutable<string>;
  cause_code: Immutable<string>;
  cause: Immutable<string>;
  evidence_ids: ColumnType<string[], string[] | undefined, never>;
  rule_set_id: Immutable<string>;
  rule_version: Immutable<string>;
  rule_hash: Immutable<string>;
  rating_id: Immutable<number>;
  term_months: Immutable<number | null>;
  automatic: Immutable<boolean>;
  proposed_at: ColumnType<Date, Date, never>;
  recorded_at: Timestamp;
}

export interface RegisterProposalDecisionsTable {
  id: Generated<number>;
  proposal_id: Immutable<number>;
  decision: Immutable<'CONFIRMED' | 'DISMISSED'>;
  reason: Immutable<string>;
  decided_by: Immutable<string>;
  decided_at: ColumnType<Date, Date, never>;
  recorded_at: Timestamp;
}

export interface RepairApplicationsTable {
  id: Generated<number>;
  credit_code: Immutable<string>;
  statement: Immutable<string>;
  evidence_ids: ColumnType<string[], string[] | undefined, never>;
  applied_by: Immutable<string>;
  applied_at: ColumnType<Date, Date, never>;
  recorded_at: Timestamp;
}

export interface RepairDecisionsTable {
  id: Generated<number>;
  application_id: Immutable<number>;
  decision: Immutable<'APPROVED' | 'REJECTED'>;
  reason: Immutable<string>;
  decided_by: Immutable<string>;
  decided_at: ColumnType<Date, Date, never>;
  recorded_at: Timestamp;
}

/** Columns both register event tables share. */
export interface RegisterEventColumns {
  id: Generated<number>;
  credit_code: Immutable<string>;
  cause_code: Immutable<string>;
  cause: Immutable<string>;
  evidence_ids: ColumnType<string[], string[] | undefined, never>;
  rule_set_id: Immutable<string | null>;
  rule_version: Immutable<string | null>;
  rule_hash: Immutable<string | null>;
  source_rating_id: Immutable<number | null>;
  proposal_id: Immutable<number | null>;
  repair_application_id: Immutable<number | null>;
  decided_by: Immutable<string>;
  decided_at: ColumnType<Date, Date, never>;
  effective_from: ColumnType<Date, Date, never>;
  recorded_at: Timestamp;
}

export interface BlacklistEventsTable extends RegisterEventColumns {
  event: Immutable<'LISTED' | 'EXTENDED' | 'REMOVED'>;
  /** The first day credit repair may be applied for ('YYYY-MM-DD'). */
  earliest_removal: Immutable<DateString | null>;
}

export interface LeaderEventsTable extends RegisterEventColumns {
  event: Immutable<'LISTED' | 'EXTENDED' | 'REMOVED' | 'REVOKED'>;
  /** The first day the enterprise is no longer a leader ('YYYY-MM-DD'). */
  term_end: Immutable<DateString | null>;
}

/** The inquiry log (migration 0005): one row per enterprise an institution checked. */
export interface CreditInquiriesTable {
  id: Generated<number>;
  institution_role: Immutable<string>;
  institution_org: Immutable<string>;
  subject: Immutable<string>;
  purpose: Immutable<'LOAN' | 'FISCAL_FUND' | 'INSURANCE'>;
  credit_code: Immutable<string>;
  as_of: ColumnType<Date, Date, never>;
  verdict: Immutable<string>;
  rated: Immutable<boolean>;
  level: Immutable<string | null>;
  batch: Immutable<boolean>;
  request_id: Immutable<string>;
  asked_at: ColumnType<Date, Date, never>;
  recorded_at: Timestamp;
}

/** An institution's current watch list (a subscription: unwatch deletes the row), keyed by (institution_role, institution_org, credit_code). */
export interface WatchesTable {
  institution_role: string;
  institution_org: string;
  credit_code: string;
  watched_by: string;
  watched_at: Timestamp;
}

/** The change feed, written by triggers on rating_effects and the register event tables. */
export interface CreditChangesTable {
  id: Generated<number>;
  txid: ColumnType<string, never, never>;
  credit_code: Immutable<string>;
  source_table: Immutable<string>;
  source_id: Immutable<number>;
  effective_at: ColumnType<Date, Date, never>;
  recorded_at: Timestamp;
}

/** The hash-chained audit log (migration 0006, src/audit/). */
export interface AuditLogTable {
  id: ColumnType<number, number, never>;
  at: ColumnType<Date, Date, never>;
  actor: Immutable<string>;
  role: Immutable<string | null>;
  org: Immutable<string | null>;
  operation_type: Immutable<'query' | 'mutation' | 'subscription'>;
  operation_name: Immutable<string | null>;
  root_fields: ColumnType<string[], string[], never>;
  document_digest: Immutable<string>;
  variables_digest: Immutable<string>;
  status: Immutable<'OK' | 'ERROR' | 'PARTIAL'>;
  error_code: Immutable<string | null>;
  request_id: Immutable<string>;
  prev_hash: Immutable<string>;
  hash: Immutable<string>;
}

export interface Database {
  enterprises: EnterprisesTable;
  enterprise_revisions: EnterpriseRevisionsTable;
  enterprise_current: EnterpriseCurrentView;
  violations: ViolationsTable;
  emission_records: EmissionRecordsTable;
  clean_production_audits: CleanProductionAuditsTable;
  information_disclosures: InformationDisclosuresTable;
  verified_complaints: VerifiedComplaintsTable;
  permit_execution_reports: PermitExecutionReportsTable;
  rule_versions: RuleVersionsTable;
  rating_runs: RatingRunsTable;
  rating_run_events: RatingRunEventsTable;
  ratings: RatingsTable;
  rating_effects: RatingEffectsTable;
  pending_adjustments: PendingAdjustmentsTable;
  pending_adjustment_completions: PendingAdjustmentCompletionsTable;
  objections: ObjectionsTable;
  objection_decisions: ObjectionDecisionsTable;
  register_proposals: RegisterProposalsTable;
  register_proposal_decisions: RegisterProposalDecisionsTable;
  repair_applications: RepairApplicationsTable;
  repair_decisions: RepairDecisionsTable;
  blacklist_events: BlacklistEventsTable;
  leader_events: LeaderEventsTable;
  credit_inquiries: CreditInquiriesTable;
  watches: WatchesTable;
  credit_changes: CreditChangesTable;
  audit_log: AuditLogTable;
}

export type Db = Kysely<Database>;

export type EnterpriseRow = Selectable<EnterpriseCurrentView>;
export type ViolationRow = Selectable<ViolationsTable>;
export type EmissionRecordRow = Selectable<EmissionRecordsTable>;
export type CleanProductionAuditRow = Selectable<CleanProductionAuditsTable>;
export type InformationDisclosureRow = Selectable<InformationDisclosuresTable>;
export type VerifiedComplaintRow = Selectable<VerifiedComplaintsTable>;
export type PermitExecutionReportRow = Selectable<PermitExecutionReportsTable>;

/** The evidence tables, by the name the rest of the code uses for each kind. */
export const EVIDENCE_TABLES = {
  violation: 'violations',
  emission: 'emission_records',
  audit: 'clean_production_audits',
  disclosure: 'information_disclosures',
  complaint: 'verified_complaints',
  permitReport: 'permit_execution_reports',
} as const satisfies Record<string, keyof Database>;

export type EvidenceKind = keyof typeof EVIDENCE_TABLES;
