import type {
  AuditEvidence,
  ComplaintEvidence,
  DisclosureEvidence,
  EmissionEvidence,
  EvidenceSet,
  PermitReportEvidence,
  ViolationEvidence,
} from '../evidence/evidence-set.ts';
import { emptyEvidenceSet } from '../evidence/evidence-set.ts';
import { PENALTY_MEASURES } from '../evidence/vocabulary.ts';
import type {
  AuditLevel,
  ComplaintChannel,
  DisclosureStatus,
  IncidentSeverity,
  MonitoringSource,
  PermitReportType,
  ViolationType,
} from '../evidence/vocabulary.ts';
import { isIsoDate } from './dates.ts';
import { FIELD_CATALOGUE, type FieldSpec } from './fields.ts';
import type { Report } from './match.ts';
import type { PathSegment } from './problems.ts';
import type { CaseEvidence, RuleFile, SourceKind, TestCase } from './types.ts';

/** A rule file's test case turned into real engine input, checked when the file loads. */
export interface CompiledCase {
  index: number;
  name: string;
  evidence: EvidenceSet;
  period: { start: string; end: string };
  asOf: string;
  expect: TestCase['expect'];
}

const DEFAULT_CREDIT_CODE = '91310110666007217T';

/** Case evidence lists and the kind each holds. */
const CASE_LISTS: { list: keyof CaseEvidence; kind: SourceKind }[] = [
  { list: 'violations', kind: 'violation' },
  { list: 'emissions', kind: 'emission' },
  { list: 'audits', kind: 'audit' },
  { list: 'disclosures', kind: 'disclosure' },
  { list: 'complaints', kind: 'complaint' },
  { list: 'permit_reports', kind: 'permitReport' },
];

/** Fields the engine derives; a case gives the underlying values instead. */
const DERIVED_FIELDS = new Set(['id', 'date', 'exceeded', 'submitted', 'days_late', 'exceedance_ratio', 'exceedance_db']);

export function compileCases(file: RuleFile, report: Report): CompiledCase[] {
  const compiled: CompiledCase[] = [];
  const names = new Set<string>();
  file.cases.forEach((testCase, index) => {
    const path: PathSegment[] = ['cases', index];
    if (names.has(testCase.name)) report([...path, 'name'], `another case is already named "${testCase.name}"`, 'unique case names');
    names.add(testCase.name);
    const period = testCase.period ?? file.case_defaults?.period;
    const asOf = testCase.as_of ?? file.case_defaults?.as_of;
    if (!period || !asOf) {
      report(path, 'the case has no period or as_of', 'period and as_of on the case, or case_defaults at the top level');
      return;
    }
    checkCaseExpectations(file, testCase, path, report);
    compiled.push({ index, name: testCase.name, evidence: caseEvidenceSet(testCase, path, report), period, asOf, expect: testCase.expect });
  });
  return compiled;
}

function checkCaseExpectations(file: RuleFile, testCase: TestCase, path: PathSegment[], report: Report): void {
  const vetoIds = file.vetoes.map((v) => v.id);
  testCase.expect.vetoes?.forEach((id, i) => {
    if (!vetoIds.includes(id)) report([...path, 'expect', 'vetoes', i], `no veto "${id}" in this file`, vetoIds.join(', '));
  });
  const criteria = file.blacklist.criteria.map((c) => c.id);
  testCase.expect.blacklist?.forEach((id, i) => {
    if (!criteria.includes(id)) report([...path, 'expect', 'blacklist', i], `no blacklist criterion "${id}" in this file`, criteria.join(', '));
  });
}

function caseEvidenceSet(testCase: TestCase, path: PathSegment[], report: Report): EvidenceSet {
  const e = testCase.enterprise ?? {};
  const set = emptyEvidenceSet(
    e.credit_code ?? DEFAULT_CREDIT_CODE,
    {
      name: testCase.name,
      region: e.region ?? '220681',
      industry: e.industry ?? 'GENERAL',
      keyDischargeUnit: e.key_discharge_unit ?? false,
      registeredOn: e.registered_on ?? null,
      closedOn: null,
    },
    { leader: testCase.standing?.leader ?? false, creditCommitment: testCase.standing?.credit_commitment ?? false },
  );
  for (const { list, kind } of CASE_LISTS) {
    (testCase.evidence?.[list] ?? []).forEach((raw, i) => {
      const reader = new RecordReader(kind, raw, [...path, 'evidence', list, i], report);
      const id = `${kind}:${reader.optionalInteger('id') ?? i + 1}`;
      appendRecord(set, kind, id, reader);
      reader.rejectUnknownFields();
    });
  }
  return set;
}

function appendRecord(set: EvidenceSet, kind: SourceKind, id: string, r: RecordReader): void {
  switch (kind) {
    case 'violation':
      set.violations.push(violationFrom(id, r));
      return;
    case 'emission':
      set.emissions.push(emissionFrom(id, r));
      return;
    case 'audit': {
      const accepted = r.boolean('accepted', true);
      const auditDate = r.date('audit_date');
      const audit: AuditEvidence = { id, auditDate, level: r.code('level') as AuditLevel, accepted, acceptedOn: r.optionalDate('accepted_on', accepted ? auditDate : null) };
      set.audits.push(audit);
      return;
    }
    case 'disclosure': {
      const year = r.integer('year');
      const disclosure: DisclosureEvidence = { id, year, status: r.code('status') as DisclosureStatus, checkedOn: r.date('checked_on', `${year + 1}-03-31`) };
      set.disclosures.push(disclosure);
      return;
    }
    case 'complaint': {
      const verifiedOn = r.date('verified_on');
      const complaint: ComplaintEvidence = {
        id,
        receivedOn: r.date('received_on', verifiedOn),
        verifiedOn,
        channel: r.code('channel', 'HOTLINE') as ComplaintChannel,
        substantiated: r.boolean('substantiated', true),
      };
      set.complaints.push(complaint);
      return;
    }
    case 'permitReport': {
      const dueOn = r.date('due_on');
      const report: PermitReportEvidence = {
        id,
        reportType: r.code('report_type', 'ANNUAL') as PermitReportType,
        periodEnd: r.date('period_end', dueOn),
        dueOn,
        submittedOn: r.optionalDate('submitted_on', dueOn),
        complete: r.boolean('complete', true),
      };
      set.permitReports.push(report);
      return;
    }
  }
}

function violationFrom(id: string, r: RecordReader): ViolationEvidence {
  const fineCny = r.number('fine_cny', 0);
  const measures = new Set(r.codes('measures'));
  // As the evidence store does: a fine implies the FINE measure, so cases look like stored rows.
  if (fineCny > 0) measures.add('FINE');
  return {
    id,
    decisionNumber: r.text('decision_number', `case-${id}`),
    decidedOn: r.date('decided_on'),
    violationType: r.code('violation_type') as ViolationType,
    incidentSeverity: r.optionalCode('incident_severity') as IncidentSeverity | null,
    fineCny,
    measures: PENALTY_MEASURES.filter((m) => measures.has(m)),
    rectifiedOn: r.optionalDate('rectified_on', null),
  };
}

function emissionFrom(id: string, r: RecordReader): EmissionEvidence {
  const periodEnd = r.date('period_end');
  const unit = r.code('unit', 'mg/m3');
  const measuredValue = r.number('measured_value');
  const permittedLimit = r.number('permitted_limit');
  const permittedMinimum = r.optionalNumber('permitted_minimum');
  const isNoise = unit === 'dB(A)';
  const isPhRange = unit === 'pH' && permittedMinimum !== null;
  // Same derivation as the database's generated columns (migrations 0001, 0018), rounded the same way.
  const ratio = Math.round(((measuredValue - permittedLimit) / permittedLimit) * 1e6) / 1e6;
  return {
    id,
    periodStart: r.date('period_start', periodEnd),
    periodEnd,
    outletCode: r.text('outlet_code', 'DA001'),
    pollutant: r.text('pollutant', isNoise ? 'noise' : 'SO2'),
    measuredValue,
    permittedLimit,
    ...(permittedMinimum === null ? {} : { permittedMinimum }),
    unit,
    monitoringSource: r.code('monitoring_source', 'SUPERVISORY') as MonitoringSource,
    exceedanceRatio: isNoise || isPhRange ? null : ratio,
    exceedanceDb: isNoise ? measuredValue - permittedLimit : null,
  };
}

const MISSING = Symbol('missing');

/** Reads one case record field by field, reporting each wrong or missing value at its path. */
class RecordReader {
  private readonly used = new Set<string>(['id']);

  constructor(
    private readonly kind: SourceKind,
    private readonly raw: Record<string, unknown>,
    private readonly path: PathSegment[],
    private readonly report: Report,
  ) {}

  private spec(field: string): FieldSpec | undefined {
    return FIELD_CATALOGUE[this.kind][field];
  }

  private take<T>(field: string, fallback: T | typeof MISSING, accept: (v: unknown) => v is T, expected: string): T {
    this.used.add(field);
    const value = this.raw[field];
    if (value === undefined) {
      if (fallback !== MISSING) return fallback;
      this.report(this.path, `missing field "${field}"`, expected);
      return undefined as T;
    }
    if (!accept(value)) {
      this.report([...this.path, field], `${JSON.stringify(value)} is not valid here`, expected);
      return (fallback === MISSING ? undefined : fallback) as T;
    }
    return value;
  }

  text(field: string, fallback: string | typeof MISSING = MISSING): string {
    return this.take(field, fallback, (v): v is string => typeof v === 'string', 'text');
  }
  number(field: string, fallback: number | typeof MISSING = MISSING): number {
    return this.take(field, fallback, (v): v is number => typeof v === 'number' && Number.isFinite(v), 'a number');
  }
  optionalNumber(field: string): number | null {
    return this.take(field, null, (v): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v)), 'a number or null');
  }
  integer(field: string): number {
    return this.take(field, MISSING, (v): v is number => Number.isInteger(v), 'a whole number');
  }
  optionalInteger(field: string): number | null {
    return this.take(field, null, (v): v is number => Number.isInteger(v) && (v as number) > 0, 'a positive whole number');
  }
  boolean(field: string, fallback: boolean | typeof MISSING = MISSING): boolean {
    return this.take(field, fallback, (v): v is boolean => typeof v === 'boolean', 'true or false');
  }
  date(field: string, fallback: string | typeof MISSING = MISSING): string {
    return this.take(field, fallback, (v): v is string => typeof v === 'string' && isIsoDate(v), 'a date YYYY-MM-DD');
  }
  optionalDate(field: string, fallback: string | null): string | null {
    return this.take(field, fallback, (v): v is string | null => v === null || (typeof v === 'string' && isIsoDate(v)), 'a date YYYY-MM-DD or null');
  }
  code(field: string, fallback: string | typeof MISSING = MISSING): string {
    const vocabulary = this.spec(field)?.vocabulary ?? [];
    return this.take(field, fallback, (v): v is string => typeof v === 'string' && vocabulary.includes(v), vocabulary.join(' | '));
  }
  optionalCode(field: string): string | null {
    const vocabulary = this.spec(field)?.vocabulary ?? [];
    return this.take(field, null, (v): v is string | null => v === null || (typeof v === 'string' && vocabulary.includes(v)), `null or ${vocabulary.join(' | ')}`);
  }
  codes(field: string): string[] {
    const vocabulary = this.spec(field)?.vocabulary ?? [];
    const isCodeList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string' && vocabulary.includes(x));
    return this.take(field, [] as string[], isCodeList, `a list of ${vocabulary.join(' | ')}`);
  }

  rejectUnknownFields(): void {
    for (const field of Object.keys(this.raw)) {
      if (this.used.has(field)) continue;
      const hint = DERIVED_FIELDS.has(field) ? `"${field}" is derived by the engine; give the values it comes from` : `${this.kind} records have no field "${field}"`;
      this.report([...this.path, field], hint, Object.keys(FIELD_CATALOGUE[this.kind]).filter((f) => !DERIVED_FIELDS.has(f)).join(', '));
    }
  }
}
