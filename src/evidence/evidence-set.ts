import { sql, type RawBuilder } from 'kysely';
import type { Db, EvidenceKind } from '../db/database.ts';
import { EVIDENCE_TABLES } from '../db/database.ts';
import { evidenceRef } from './ids.ts';
import type {
  AuditLevel,
  ComplaintChannel,
  DisclosureStatus,
  IncidentSeverity,
  MonitoringSource,
  PenaltyMeasure,
  PermitReportType,
  ViolationType,
} from './vocabulary.ts';

/**
 * The rating engine's whole input about one enterprise: its current evidence (corrections applied,
 * withdrawals removed) in plain, serialisable values. Ids are evidence refs (`violation:12`) so a
 * rating can cite them; dates are 'YYYY-MM-DD'; amounts are numbers (the engine only compares them
 * with bands and never accumulates money, so doubles are exact enough).
 */
export interface EvidenceSet {
  creditCode: string;
  enterprise: EnterpriseFacts | null;
  /** Register standing the engine cannot see in evidence (kept by the registers, passed in). */
  standing: Standing;
  violations: ViolationEvidence[];
  emissions: EmissionEvidence[];
  audits: AuditEvidence[];
  disclosures: DisclosureEvidence[];
  complaints: ComplaintEvidence[];
  permitReports: PermitReportEvidence[];
}

export interface EnterpriseFacts {
  name: string;
  region: string;
  industry: string;
  keyDischargeUnit: boolean;
  registeredOn: string | null;
  closedOn: string | null;
}

export interface Standing {
  leader: boolean;
  creditCommitment: boolean;
}

export interface ViolationEvidence {
  id: string;
  decisionNumber: string;
  decidedOn: string;
  violationType: ViolationType;
  incidentSeverity: IncidentSeverity | null;
  fineCny: number;
  measures: PenaltyMeasure[];
  rectifiedOn: string | null;
}

export interface EmissionEvidence {
  id: string;
  periodStart: string;
  periodEnd: string;
  outletCode: string;
  pollutant: string;
  measuredValue: number;
  permittedLimit: number;
  unit: string;
  monitoringSource: MonitoringSource;
  exceedanceRatio: number | null;
  exceedanceDb: number | null;
}

export interface AuditEvidence {
  id: string;
  auditDate: string;
  level: AuditLevel;
  accepted: boolean;
  acceptedOn: string | null;
}

export interface DisclosureEvidence {
  id: string;
  year: number;
  status: DisclosureStatus;
  checkedOn: string;
}

export interface ComplaintEvidence {
  id: string;
  receivedOn: string;
  verifiedOn: string;
  channel: ComplaintChannel;
  substantiated: boolean;
}

export interface PermitReportEvidence {
  id: string;
  reportType: PermitReportType;
  periodEnd: string;
  dueOn: string;
  submittedOn: string | null;
  complete: boolean;
}

export const NO_STANDING: Standing = Object.freeze({ leader: false, creditCommitment: false });

export function emptyEvidenceSet(creditCode: string, enterprise: EnterpriseFacts | null = null, standing: Standing = NO_STANDING): EvidenceSet {
  return { creditCode, enterprise, standing, violations: [], emissions: [], audits: [], disclosures: [], complaints: [], permitReports: [] };
}

/** `datedOn` (./as-of.ts) in SQL, over an evidence table aliased `t`: a test holds the two to the same records. */
export const DATED_ON_SQL: Record<EvidenceKind, RawBuilder<string>> = {
  violation: sql`t.decided_on`,
  emission: sql`t.period_end`,
  audit: sql`coalesce(t.accepted_on, t.audit_date)`,
  disclosure: sql`make_date(t.year, 12, 31)`,
  complaint: sql`t.verified_on`,
  permitReport: sql`t.due_on`,
};

export type StandingOf = Standing | ((creditCode: string) => Standing);

export interface LoadEvidenceOptions {
  /** Register standing per enterprise (the evidence tables do not hold it); a promise is awaited alongside the queries. */
  standing?: StandingOf | Promise<StandingOf>;
  /**
   * Only records recorded at or before this instant, with only the corrections known by then:
   * re-running a rating later sees the evidence as it was.
   */
  knownAt?: Date;
  /**
   * Only records dated on or before this day (`datedOn`, ./as-of.ts), for a rating as of it: a run leaves
   * out what the engine would drop (the same ratings and fingerprints as without it, less to read).
   */
  datedBy?: string;
}

export async function loadEvidenceSet(db: Db, creditCode: string, options: LoadEvidenceOptions = {}): Promise<EvidenceSet> {
  const sets = await loadEvidenceSets(db, [creditCode], options);
  return sets.get(creditCode) ?? emptyEvidenceSet(creditCode, null, standingFor(await options.standing, creditCode));
}

/** Evidence for many enterprises: one query per table whatever the number of codes. */
export async function loadEvidenceSets(db: Db, creditCodes: readonly string[], options: LoadEvidenceOptions = {}): Promise<Map<string, EvidenceSet>> {
  const codes = [...new Set(creditCodes)].sort();
  const sets = new Map<string, EvidenceSet>();
  if (codes.length === 0) return sets;
  // Every query at once: on a pool they run side by side, and a rating run's next batch is in the
  // database's hands while this thread evaluates the current one.
  const [standing, enterprises, violations, emissions, audits, disclosures, complaints, permitReports] = await Promise.all([
    options.standing,
    loadEnterpriseFacts(db, codes, options.knownAt),
    currentRows(db, 'violation', codes, options),
    currentRows(db, 'emission', codes, options),
    currentRows(db, 'audit', codes, options),
    currentRows(db, 'disclosure', codes, options),
    currentRows(db, 'complaint', codes, options),
    currentRows(db, 'permitReport', codes, options),
  ]);
  for (const code of codes) sets.set(code, emptyEvidenceSet(code, enterprises.get(code) ?? null, standingFor(standing, code)));
  for (const row of violations) sets.get(code(row))?.violations.push(toViolation(row));
  for (const row of emissions) sets.get(code(row))?.emissions.push(toEmission(row));
  for (const row of audits) sets.get(code(row))?.audits.push(toAudit(row));
  for (const row of disclosures) sets.get(code(row))?.disclosures.push(toDisclosure(row));
  for (const row of complaints) sets.get(code(row))?.complaints.push(toComplaint(row));
  for (const row of permitReports) sets.get(code(row))?.permitReports.push(toPermitReport(row));
  return sets;
}

function standingFor(standing: StandingOf | undefined, creditCode: string): Standing {
  const given = typeof standing === 'function' ? standing(creditCode) : standing;
  return given ?? NO_STANDING;
}

interface FactsRow {
  credit_code: string;
  name: string;
  region: string;
  industry: string;
  key_discharge_unit: boolean;
  registered_on: string | null;
  closed_on: string | null;
}

/**
 * Each enterprise's registration as it stood at `knownAt` (its latest revision recorded by then), or
 * as it stands now without one: a run and its replay must read the same facts, whatever revisions
 * were recorded in between.
 */
async function loadEnterpriseFacts(db: Db, codes: string[], knownAt: Date | undefined): Promise<Map<string, EnterpriseFacts>> {
  // `bpchar[]`: the column's own type, so the index is usable.
  const rows = knownAt
    ? (
        await sql<FactsRow>`
          select e.credit_code, r.name, r.region, r.industry, r.key_discharge_unit, r.registered_on, r.closed_on
          from enterprises e
          cross join lateral (
            select * from enterprise_revisions latest
            where latest.credit_code = e.credit_code and latest.recorded_at <= ${knownAt}
            order by latest.revision desc
            limit 1
          ) r
          where e.credit_code = any(${codes}::bpchar[])`.execute(db)
      ).rows
    : await db
        .selectFrom('enterprise_current')
        .select(['credit_code', 'name', 'region', 'industry', 'key_discharge_unit', 'registered_on', 'closed_on'])
        .where(sql<boolean>`credit_code = any(${codes}::bpchar[])`)
        .execute();
  return new Map(
    rows.map((r) => [
      r.credit_code.trim(),
      {
        name: r.name,
        region: r.region,
        industry: r.industry,
        keyDischargeUnit: r.key_discharge_unit,
        registeredOn: r.registered_on,
        closedOn: r.closed_on,
      },
    ]),
  );
}

type RawRow = Record<string, unknown> & { id: number; credit_code: string };

/**
 * The columns the mappers below read, per kind (besides id and credit_code): a rating run reads
 * every evidence row of the population, and `t.*` would also carry free text, provenance and
 * timestamps (parsed into Dates) that an EvidenceSet never holds. Keep in step with the mappers.
 */
const MAPPED_COLUMNS: Record<EvidenceKind, readonly string[]> = {
  violation: ['decision_number', 'decided_on', 'violation_type', 'incident_severity', 'fine_cny', 'measures', 'rectified_on'],
  emission: ['period_start', 'period_end', 'outlet_code', 'pollutant', 'measured_value', 'permitted_limit', 'unit', 'monitoring_source', 'exceedance_ratio', 'exceedance_db'],
  audit: ['audit_date', 'level', 'accepted', 'accepted_on'],
  disclosure: ['year', 'status', 'checked_on'],
  complaint: ['received_on', 'verified_on', 'channel', 'substantiated'],
  permitReport: ['report_type', 'period_end', 'due_on', 'submitted_on', 'complete'],
};
const SELECT_LISTS = Object.fromEntries(
  Object.entries(MAPPED_COLUMNS).map(([kind, columns]) => [kind, sql.join(['id', 'credit_code', ...columns].map((c) => sql.ref(`t.${c}`)))]),
) as Record<EvidenceKind, ReturnType<typeof sql.join>>;

/**
 * Rows that count now: not a withdrawal themselves, and not superseded by any later row (a
 * withdrawal supersedes its target too, so both drop out). Ordered by id for stable output.
 */
async function currentRows(db: Db, kind: EvidenceKind, codes: string[], { knownAt, datedBy }: LoadEvidenceOptions): Promise<RawRow[]> {
  const table = sql.table(EVIDENCE_TABLES[kind]);
  const knownFilter = knownAt ? sql`and t.recorded_at <= ${knownAt}` : sql``;
  const datedFilter = datedBy ? sql`and ${DATED_ON_SQL[kind]} <= ${datedBy}::date` : sql``;
  const laterKnownFilter = knownAt ? sql`and later.recorded_at <= ${knownAt}` : sql``;
  // The codes arrive sorted: the range lets the credit_code index serve a batch of neighbouring codes
  // (a rating run's batch) and `bpchar[]` keeps the comparison on the column's own type, so the index
  // stays usable; `supersedes_id is not null` lets the partial index answer the anti-join.
  const result = await sql<RawRow>`
    select ${SELECT_LISTS[kind]} from ${table} t
    where t.credit_code between ${codes[0]} and ${codes[codes.length - 1]}
      and t.credit_code = any(${codes}::bpchar[])
      and not t.revoked
      ${knownFilter}
      ${datedFilter}
      and not exists (
        select 1 from ${table} later
        where later.supersedes_id = t.id and later.supersedes_id is not null ${laterKnownFilter})
    order by t.credit_code, t.id`.execute(db);
  return result.rows;
}

const code = (row: RawRow): string => String(row.credit_code).trim();
const text = (value: unknown): string => String(value);
const optionalText = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const optionalNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function toViolation(row: RawRow): ViolationEvidence {
  return {
    id: evidenceRef('violation', Number(row.id)),
    decisionNumber: text(row.decision_number),
    decidedOn: text(row.decided_on),
    violationType: text(row.violation_type) as ViolationType,
    incidentSeverity: optionalText(row.incident_severity) as IncidentSeverity | null,
    fineCny: Number(row.fine_cny),
    measures: (row.measures as string[]).map((m) => m as PenaltyMeasure),
    rectifiedOn: optionalText(row.rectified_on),
  };
}

function toEmission(row: RawRow): EmissionEvidence {
  return {
    id: evidenceRef('emission', Number(row.id)),
    periodStart: text(row.period_start),
    periodEnd: text(row.period_end),
    outletCode: text(row.outlet_code),
    pollutant: text(row.pollutant),
    measuredValue: Number(row.measured_value),
    permittedLimit: Number(row.permitted_limit),
    unit: text(row.unit),
    monitoringSource: text(row.monitoring_source) as MonitoringSource,
    exceedanceRatio: optionalNumber(row.exceedance_ratio),
    exceedanceDb: optionalNumber(row.exceedance_db),
  };
}

function toAudit(row: RawRow): AuditEvidence {
  return {
    id: evidenceRef('audit', Number(row.id)),
    auditDate: text(row.audit_date),
    level: text(row.level) as AuditLevel,
    accepted: Boolean(row.accepted),
    acceptedOn: optionalText(row.accepted_on),
  };
}

function toDisclosure(row: RawRow): DisclosureEvidence {
  return {
    id: evidenceRef('disclosure', Number(row.id)),
    year: Number(row.year),
    status: text(row.status) as DisclosureStatus,
    checkedOn: text(row.checked_on),
  };
}

function toComplaint(row: RawRow): ComplaintEvidence {
  return {
    id: evidenceRef('complaint', Number(row.id)),
    receivedOn: text(row.received_on),
    verifiedOn: text(row.verified_on),
    channel: text(row.channel) as ComplaintChannel,
    substantiated: Boolean(row.substantiated),
  };
}

function toPermitReport(row: RawRow): PermitReportEvidence {
  return {
    id: evidenceRef('permitReport', Number(row.id)),
    reportType: text(row.report_type) as PermitReportType,
    periodEnd: text(row.period_end),
    dueOn: text(row.due_on),
    submittedOn: optionalText(row.submitted_on),
    complete: Boolean(row.complete),
  };
}
