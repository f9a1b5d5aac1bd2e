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
  /**
   * The lower bound of a limit that is a range (pH 6–9); absent, not null, for a ceiling, so the
   * evidence JSON (and fingerprint) of a record without one is what it was before minimums existed.
   */
  permittedMinimum?: number;
  unit: string;
  monitoringSource: MonitoringSource;
  /** Null for noise and for a pH record with a range (migrations/0018_emission_lower_limit.ts). */
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

/** The record type of each evidence kind. */
interface EvidenceByKind {
  violation: ViolationEvidence;
  emission: EmissionEvidence;
  audit: AuditEvidence;
  disclosure: DisclosureEvidence;
  complaint: ComplaintEvidence;
  permitReport: PermitReportEvidence;
}
type EvidenceOf<K extends EvidenceKind> = EvidenceByKind[K];

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
    currentRecords(db, 'violation', codes, options),
    currentRecords(db, 'emission', codes, options),
    currentRecords(db, 'audit', codes, options),
    currentRecords(db, 'disclosure', codes, options),
    currentRecords(db, 'complaint', codes, options),
    currentRecords(db, 'permitReport', codes, options),
  ]);
  for (const code of codes) sets.set(code, emptyEvidenceSet(code, enterprises.get(code) ?? null, standingFor(standing, code)));
  for (const [code, record] of violations) sets.get(code)?.violations.push(record);
  for (const [code, record] of emissions) sets.get(code)?.emissions.push(record);
  for (const [code, record] of audits) sets.get(code)?.audits.push(record);
  for (const [code, record] of disclosures) sets.get(code)?.disclosures.push(record);
  for (const [code, record] of complaints) sets.get(code)?.complaints.push(record);
  for (const [code, record] of permitReports) sets.get(code)?.permitReports.push(record);
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

/**
 * One evidence row as the loader reads it: `[id, credit_code, ...the kind's columns]`, each row one
 * JSON array built by PostgreSQL (`json_build_array`). A rating run reads every evidence row of its
 * population, and one text value per row costs the driver a fraction of a dozen columns each parsed
 * into a row object (docs/PERFORMANCE.md, row b): JSON also carries nulls, booleans, numbers and
 * arrays exactly, and dates as ISO strings whatever the session's DateStyle.
 */
type Cells = readonly unknown[];

/** A kind's columns (after id and credit_code) and how its record is read from them, in that order. */
interface KindReader<T> {
  columns: readonly string[];
  read: (cells: Cells) => T;
}

const text = (value: unknown): string => String(value);
const optionalText = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const optionalNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

const READERS: { [K in EvidenceKind]: KindReader<EvidenceOf<K>> } = {
  violation: {
    columns: ['decision_number', 'decided_on', 'violation_type', 'incident_severity', 'fine_cny', 'measures', 'rectified_on'],
    read: ([id, , decisionNumber, decidedOn, violationType, incidentSeverity, fineCny, measures, rectifiedOn]) => ({
      id: evidenceRef('violation', Number(id)),
      decisionNumber: text(decisionNumber),
      decidedOn: text(decidedOn),
      violationType: text(violationType) as ViolationType,
      incidentSeverity: optionalText(incidentSeverity) as IncidentSeverity | null,
      fineCny: Number(fineCny),
      measures: (measures as string[]).map((m) => m as PenaltyMeasure),
      rectifiedOn: optionalText(rectifiedOn),
    }),
  },
  emission: {
    columns: [
      'period_start', 'period_end', 'outlet_code', 'pollutant', 'measured_value', 'permitted_limit', 'permitted_minimum', 'unit', 'monitoring_source',
      'exceedance_ratio', 'exceedance_db',
    ],
    read: ([id, , periodStart, periodEnd, outletCode, pollutant, measuredValue, permittedLimit, permittedMinimum, unit, monitoringSource, exceedanceRatio, exceedanceDb]) => ({
      id: evidenceRef('emission', Number(id)),
      periodStart: text(periodStart),
      periodEnd: text(periodEnd),
      outletCode: text(outletCode),
      pollutant: text(pollutant),
      measuredValue: Number(measuredValue),
      permittedLimit: Number(permittedLimit),
      permittedMinimum: optionalNumber(permittedMinimum) ?? undefined,
      unit: text(unit),
      monitoringSource: text(monitoringSource) as MonitoringSource,
      exceedanceRatio: optionalNumber(exceedanceRatio),
      exceedanceDb: optionalNumber(exceedanceDb),
    }),
  },
  audit: {
    columns: ['audit_date', 'level', 'accepted', 'accepted_on'],
    read: ([id, , auditDate, level, accepted, acceptedOn]) => ({
      id: evidenceRef('audit', Number(id)),
      auditDate: text(auditDate),
      level: text(level) as AuditLevel,
      accepted: Boolean(accepted),
      acceptedOn: optionalText(acceptedOn),
    }),
  },
  disclosure: {
    columns: ['year', 'status', 'checked_on'],
    read: ([id, , year, status, checkedOn]) => ({
      id: evidenceRef('disclosure', Number(id)),
      year: Number(year),
      status: text(status) as DisclosureStatus,
      checkedOn: text(checkedOn),
    }),
  },
  complaint: {
    columns: ['received_on', 'verified_on', 'channel', 'substantiated'],
    read: ([id, , receivedOn, verifiedOn, channel, substantiated]) => ({
      id: evidenceRef('complaint', Number(id)),
      receivedOn: text(receivedOn),
      verifiedOn: text(verifiedOn),
      channel: text(channel) as ComplaintChannel,
      substantiated: Boolean(substantiated),
    }),
  },
  permitReport: {
    columns: ['report_type', 'period_end', 'due_on', 'submitted_on', 'complete'],
    read: ([id, , reportType, periodEnd, dueOn, submittedOn, complete]) => ({
      id: evidenceRef('permitReport', Number(id)),
      reportType: text(reportType) as PermitReportType,
      periodEnd: text(periodEnd),
      dueOn: text(dueOn),
      submittedOn: optionalText(submittedOn),
      complete: Boolean(complete),
    }),
  },
};

/** `[id, credit_code, ...columns]` of each kind as one JSON array per row. */
const ROW_ARRAYS = Object.fromEntries(
  (Object.keys(READERS) as EvidenceKind[]).map((kind) => [
    kind,
    sql`json_build_array(${sql.join(['id', 'credit_code', ...READERS[kind].columns].map((c) => sql.ref(`t.${c}`)))})::text`,
  ]),
) as Record<EvidenceKind, RawBuilder<string>>;

/**
 * The current records of one kind for the codes, each as its credit code and evidence: rows that
 * count now, not a withdrawal themselves and not superseded by any later row (a withdrawal supersedes
 * its target too, so both drop out). Ordered by credit code, then id, for stable output.
 */
async function currentRecords<K extends EvidenceKind>(db: Db, kind: K, codes: string[], { knownAt, datedBy }: LoadEvidenceOptions): Promise<[string, EvidenceOf<K>][]> {
  const table = sql.table(EVIDENCE_TABLES[kind]);
  const knownFilter = knownAt ? sql`and t.recorded_at <= ${knownAt}` : sql``;
  const datedFilter = datedBy ? sql`and ${DATED_ON_SQL[kind]} <= ${datedBy}::date` : sql``;
  const laterKnownFilter = knownAt ? sql`and later.recorded_at <= ${knownAt}` : sql``;
  // The codes arrive sorted: the range lets the credit_code index serve a batch of neighbouring codes
  // (a rating run's batch) and `bpchar[]` keeps the comparison on the column's own type, so the index
  // stays usable; `supersedes_id is not null` lets the partial index answer the anti-join.
  const result = await sql<{ r: string }>`
    select ${ROW_ARRAYS[kind]} as r from ${table} t
    where t.credit_code between ${codes[0]} and ${codes[codes.length - 1]}
      and t.credit_code = any(${codes}::bpchar[])
      and not t.revoked
      ${knownFilter}
      ${datedFilter}
      and not exists (
        select 1 from ${table} later
        where later.supersedes_id = t.id and later.supersedes_id is not null ${laterKnownFilter})
    order by t.credit_code, t.id`.execute(db);
  const read = READERS[kind].read;
  return result.rows.map(({ r }) => {
    const cells = JSON.parse(r) as Cells;
    return [String(cells[1]).trim(), read(cells)];
  });
}
