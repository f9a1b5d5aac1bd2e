/**
 * fast-check arbitraries for evidence sets: dates from 2022 into mid-2025 (before, inside and after
 * the periods the tests rate), every closed list, and the combinations the rule files react to.
 */
import fc from 'fast-check';
import type {
  AuditEvidence,
  ComplaintEvidence,
  DisclosureEvidence,
  EmissionEvidence,
  EvidenceSet,
  PermitReportEvidence,
  ViolationEvidence,
} from '../../src/evidence/evidence-set.ts';
import {
  AUDIT_LEVELS,
  COMPLAINT_CHANNELS,
  DISCLOSURE_STATUSES,
  INCIDENT_SEVERITIES,
  MONITORING_SOURCES,
  PENALTY_MEASURES,
  VIOLATION_TYPES,
} from '../../src/evidence/vocabulary.ts';

const dayFrom = (offset: number): string => new Date(Date.UTC(2022, 0, 1 + offset)).toISOString().slice(0, 10);
const date = fc.integer({ min: 0, max: 1260 }).map(dayFrom);
const subsetOf = <T>(values: readonly T[]) => fc.subarray([...values], { maxLength: 3 });

export const violationFields = fc.record({
  decidedOn: date,
  violationType: fc.constantFrom(...VIOLATION_TYPES),
  incidentSeverity: fc.constantFrom(...INCIDENT_SEVERITIES),
  fineCny: fc.constantFrom(0, 5000, 49999.99, 50000, 199999, 200000, 1000000),
  measures: subsetOf(PENALTY_MEASURES),
  rectifiedOn: fc.option(date, { nil: null }),
});
export type ViolationFields = typeof violationFields extends fc.Arbitrary<infer T> ? T : never;

export function toViolation(id: number, f: ViolationFields): ViolationEvidence {
  const isIncident = f.violationType === 'ENVIRONMENTAL_INCIDENT';
  return { id: `violation:${id}`, decisionNumber: `d${id}`, ...f, incidentSeverity: isIncident ? f.incidentSeverity : null };
}

const emission = fc
  .record({ end: date, noise: fc.boolean(), measured: fc.integer({ min: 1, max: 400 }), limit: fc.constantFrom(50, 100), outlet: fc.constantFrom('DA001', 'DA002', 'DW001'), source: fc.constantFrom(...MONITORING_SOURCES) })
  .map(({ end, noise, measured, limit, outlet, source }) => (id: number): EmissionEvidence => ({
    id: `emission:${id}`,
    periodStart: end,
    periodEnd: end,
    outletCode: outlet,
    pollutant: noise ? 'noise' : 'SO2',
    measuredValue: noise ? 40 + (measured % 40) : measured,
    permittedLimit: noise ? 55 : limit,
    unit: noise ? 'dB(A)' : 'mg/m3',
    monitoringSource: source,
    exceedanceRatio: noise ? null : Math.round(((measured - limit) / limit) * 1e6) / 1e6,
    exceedanceDb: noise ? 40 + (measured % 40) - 55 : null,
  }));

const audit = fc.record({ auditDate: date, level: fc.constantFrom(...AUDIT_LEVELS), accepted: fc.boolean() }).map((a) => (id: number): AuditEvidence => ({
  id: `audit:${id}`,
  ...a,
  acceptedOn: a.accepted ? a.auditDate : null,
}));
const disclosure = fc
  .record({ year: fc.integer({ min: 2022, max: 2025 }), status: fc.constantFrom(...DISCLOSURE_STATUSES), days: fc.integer({ min: 1, max: 120 }) })
  .map((d) => (id: number): DisclosureEvidence => ({ id: `disclosure:${id}`, year: d.year, status: d.status, checkedOn: new Date(Date.UTC(d.year + 1, 0, d.days)).toISOString().slice(0, 10) }));
const complaint = fc
  .record({ verifiedOn: date, channel: fc.constantFrom(...COMPLAINT_CHANNELS), substantiated: fc.boolean() })
  .map((c) => (id: number): ComplaintEvidence => ({ id: `complaint:${id}`, receivedOn: c.verifiedOn, ...c }));
const permitReport = fc
  .record({ dueOn: date, late: fc.option(fc.integer({ min: -5, max: 60 }), { nil: null }), complete: fc.boolean() })
  .map((p) => (id: number): PermitReportEvidence => ({
    id: `permitReport:${id}`,
    reportType: 'ANNUAL',
    periodEnd: p.dueOn,
    dueOn: p.dueOn,
    submittedOn: p.late === null ? null : addDays(p.dueOn, p.late),
    complete: p.complete,
  }));

export function addDays(value: string, days: number): string {
  const [y, m, d] = value.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

const numbered = <T>(makers: ((id: number) => T)[]): T[] => makers.map((make, i) => make(i + 1));

export const evidenceSet: fc.Arbitrary<EvidenceSet> = fc
  .record({
    violations: fc.array(violationFields, { maxLength: 8 }),
    emissions: fc.array(emission, { maxLength: 8 }),
    audits: fc.array(audit, { maxLength: 3 }),
    disclosures: fc.array(disclosure, { maxLength: 3 }),
    complaints: fc.array(complaint, { maxLength: 6 }),
    permitReports: fc.array(permitReport, { maxLength: 4 }),
    leader: fc.boolean(),
    creditCommitment: fc.boolean(),
    registeredOn: fc.option(date, { nil: null }),
  })
  .map((e) => ({
    creditCode: '91220681MA2000001X',
    enterprise: { name: 'p', region: '220681', industry: 'C26', keyDischargeUnit: true, registeredOn: e.registeredOn, closedOn: null },
    standing: { leader: e.leader, creditCommitment: e.creditCommitment },
    violations: e.violations.map((v, i) => toViolation(i + 1, v)),
    emissions: numbered(e.emissions),
    audits: numbered(e.audits),
    disclosures: numbered(e.disclosures),
    complaints: numbered(e.complaints),
    permitReports: numbered(e.permitReports),
  }));

