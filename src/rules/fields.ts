import { datedOn } from '../evidence/as-of.ts';
import type { EmissionEvidence, EvidenceSet } from '../evidence/evidence-set.ts';
import {
  AUDIT_LEVELS,
  COMPLAINT_CHANNELS,
  DISCLOSURE_STATUSES,
  EMISSION_UNITS,
  INCIDENT_SEVERITIES,
  MONITORING_SOURCES,
  PENALTY_MEASURES,
  PERMIT_REPORT_TYPES,
  VIOLATION_TYPES,
} from '../evidence/vocabulary.ts';
import { daysBetween } from './dates.ts';
import type { SourceKind } from './types.ts';

/**
 * What a rule may say about each kind of record: the field names (snake_case, as in the database),
 * their types and closed vocabularies. The loader checks every table and CEL condition against this
 * catalogue, so a misspelt field or code is refused at start-up rather than silently never matching.
 */
export type FieldType = 'string' | 'number' | 'bool' | 'date' | 'list';

export interface FieldSpec {
  type: FieldType;
  nullable?: boolean;
  vocabulary?: readonly string[];
  description: string;
}

export type FactValue = string | number | boolean | null | readonly string[];
/** One record as rules see it: `id` (evidence ref), `date` (the date it counts from) and its fields. */
export type Facts = Readonly<Record<string, FactValue>> & { readonly id: string; readonly date: string };

const COMMON: Record<string, FieldSpec> = {
  id: { type: 'string', description: 'Evidence id, e.g. violation:12' },
  date: { type: 'date', description: 'The date the record counts from (see each kind)' },
};

export const FIELD_CATALOGUE: Record<SourceKind, Record<string, FieldSpec>> = {
  violation: {
    ...COMMON,
    decision_number: { type: 'string', description: 'Penalty decision number' },
    decided_on: { type: 'date', description: 'Decision date (= date)' },
    violation_type: { type: 'string', vocabulary: VIOLATION_TYPES, description: 'Kind of violation' },
    incident_severity: { type: 'string', nullable: true, vocabulary: INCIDENT_SEVERITIES, description: 'Incident grade' },
    fine_cny: { type: 'number', description: 'Fine in CNY' },
    measures: { type: 'list', vocabulary: PENALTY_MEASURES, description: 'Penalty measures taken' },
    rectified_on: { type: 'date', nullable: true, description: 'Date rectification was confirmed' },
  },
  emission: {
    ...COMMON,
    period_start: { type: 'date', description: 'Monitoring period start' },
    period_end: { type: 'date', description: 'Monitoring period end (= date)' },
    outlet_code: { type: 'string', description: 'Outlet code from the permit' },
    pollutant: { type: 'string', description: 'Pollutant, e.g. SO2, COD, noise' },
    measured_value: { type: 'number', description: 'Measured value' },
    permitted_limit: { type: 'number', description: 'Permitted limit (the upper bound when permitted_minimum is set)' },
    permitted_minimum: { type: 'number', nullable: true, description: 'Lower bound of a limit that is a range (pH 6-9); null for a ceiling' },
    unit: { type: 'string', vocabulary: EMISSION_UNITS, description: 'Unit' },
    monitoring_source: { type: 'string', vocabulary: MONITORING_SOURCES, description: 'Who measured' },
    exceedance_ratio: {
      type: 'number',
      nullable: true,
      description: '(measured - limit) / limit, over the upper limit; null for noise and for pH with a range (a ratio of pH values means nothing: use exceeded)',
    },
    exceedance_db: { type: 'number', nullable: true, description: 'measured - limit in dB(A); noise only' },
    exceeded: { type: 'bool', description: 'Outside the permitted limits: above the limit (ratio or dB above 0; for pH, above the upper bound) or below permitted_minimum' },
  },
  audit: {
    ...COMMON,
    audit_date: { type: 'date', description: 'Audit date' },
    level: { type: 'string', vocabulary: AUDIT_LEVELS, description: 'Clean-production level I/II/III' },
    accepted: { type: 'bool', description: 'Accepted (验收)' },
    accepted_on: { type: 'date', nullable: true, description: 'Acceptance date (= date when accepted)' },
  },
  disclosure: {
    ...COMMON,
    year: { type: 'number', description: 'Year disclosed (date = 31 December of it)' },
    status: { type: 'string', vocabulary: DISCLOSURE_STATUSES, description: 'Check result' },
    checked_on: { type: 'date', description: 'Date of the check' },
  },
  complaint: {
    ...COMMON,
    received_on: { type: 'date', description: 'Date received' },
    verified_on: { type: 'date', description: 'Date verified (= date)' },
    channel: { type: 'string', vocabulary: COMPLAINT_CHANNELS, description: 'How it came in' },
    substantiated: { type: 'bool', description: 'Verification found it true' },
  },
  permitReport: {
    ...COMMON,
    report_type: { type: 'string', vocabulary: PERMIT_REPORT_TYPES, description: 'Report type' },
    period_end: { type: 'date', description: 'End of the period reported' },
    due_on: { type: 'date', description: 'Due date (= date)' },
    submitted_on: { type: 'date', nullable: true, description: 'Submission date; null if never submitted' },
    submitted: { type: 'bool', description: 'Submitted at all' },
    days_late: { type: 'number', nullable: true, description: 'Days after due_on it was submitted (0 if on time); null if not submitted' },
    complete: { type: 'bool', description: 'Content complete' },
  },
};

/**
 * The one definition of an emission record's `exceeded`: outside what the permit allows, above its
 * limit or below its minimum. Above is read from the stored derivations where they exist (a ratio
 * rounded to 0 is not an exceedance, as it never was); a pH range has no ratio, so its value is
 * compared with the bound.
 */
export function exceedsPermit(e: EmissionEvidence): boolean {
  return isAboveLimit(e) || isBelowMinimum(e);
}

function isAboveLimit(e: EmissionEvidence): boolean {
  if (e.exceedanceDb !== null) return e.exceedanceDb > 0;
  if (e.exceedanceRatio !== null) return e.exceedanceRatio > 0;
  return e.measuredValue > e.permittedLimit;
}

function isBelowMinimum(e: EmissionEvidence): boolean {
  return e.permittedMinimum !== undefined && e.measuredValue < e.permittedMinimum;
}

/** Names of the evidence lists in CEL and in test cases, per kind. */
export const LIST_NAMES: Record<SourceKind, string> = {
  violation: 'violations',
  emission: 'emissions',
  audit: 'audits',
  disclosure: 'disclosures',
  complaint: 'complaints',
  permitReport: 'permit_reports',
};

export function factsOf(evidence: EvidenceSet): Record<SourceKind, Facts[]> {
  return {
    violation: evidence.violations.map((v) => ({
      id: v.id,
      date: datedOn.violation(v),
      decision_number: v.decisionNumber,
      decided_on: v.decidedOn,
      violation_type: v.violationType,
      incident_severity: v.incidentSeverity,
      fine_cny: v.fineCny,
      measures: v.measures,
      rectified_on: v.rectifiedOn,
    })),
    emission: evidence.emissions.map((e) => ({
      id: e.id,
      date: datedOn.emission(e),
      period_start: e.periodStart,
      period_end: e.periodEnd,
      outlet_code: e.outletCode,
      pollutant: e.pollutant,
      measured_value: e.measuredValue,
      permitted_limit: e.permittedLimit,
      permitted_minimum: e.permittedMinimum ?? null,
      unit: e.unit,
      monitoring_source: e.monitoringSource,
      exceedance_ratio: e.exceedanceRatio,
      exceedance_db: e.exceedanceDb,
      exceeded: exceedsPermit(e),
    })),
    audit: evidence.audits.map((a) => ({
      id: a.id,
      date: datedOn.audit(a),
      audit_date: a.auditDate,
      level: a.level,
      accepted: a.accepted,
      accepted_on: a.acceptedOn,
    })),
    disclosure: evidence.disclosures.map((d) => ({
      id: d.id,
      date: datedOn.disclosure(d),
      year: d.year,
      status: d.status,
      checked_on: d.checkedOn,
    })),
    complaint: evidence.complaints.map((c) => ({
      id: c.id,
      date: datedOn.complaint(c),
      received_on: c.receivedOn,
      verified_on: c.verifiedOn,
      channel: c.channel,
      substantiated: c.substantiated,
    })),
    permitReport: evidence.permitReports.map((p) => ({
      id: p.id,
      date: datedOn.permitReport(p),
      report_type: p.reportType,
      period_end: p.periodEnd,
      due_on: p.dueOn,
      submitted_on: p.submittedOn,
      submitted: p.submittedOn !== null,
      days_late: p.submittedOn === null ? null : Math.max(0, daysBetween(p.dueOn, p.submittedOn)),
      complete: p.complete,
    })),
  };
}
