import type { EvidenceKind } from '../db/database.ts';
import { EVIDENCE_TABLES } from '../db/database.ts';
import { checkCreditCode } from '../evidence/credit-code.ts';
import {
  checkEnterpriseInput,
  checkProvenance,
  coerceInput,
  COMMON_EVIDENCE_FIELDS,
  ENTERPRISE_FIELDS,
  EVIDENCE_RULES,
  type FieldSpec,
} from '../evidence/evidence-rules.ts';
import { InputCheck, type Problem } from '../evidence/validate.ts';

/** What `envcredit import --kind` accepts, and the evidence kind (or enterprises) each one loads. */
export const IMPORT_KINDS = ['violations', 'emissions', 'audits', 'disclosures', 'complaints', 'permit-reports', 'enterprises'] as const;
export type ImportKindName = (typeof IMPORT_KINDS)[number];

const EVIDENCE_KIND_OF: Record<Exclude<ImportKindName, 'enterprises'>, EvidenceKind> = {
  violations: 'violation',
  emissions: 'emission',
  audits: 'audit',
  disclosures: 'disclosure',
  complaints: 'complaint',
  'permit-reports': 'permitReport',
};

/** Domain columns of each evidence table, in the order the staging table and COPY use. */
const EVIDENCE_COLUMNS: Record<EvidenceKind, readonly string[]> = {
  violation: ['decision_number', 'decided_on', 'violation_type', 'incident_severity', 'legal_basis', 'fine_cny', 'measures', 'rectified_on', 'description'],
  emission: ['period_start', 'period_end', 'outlet_code', 'pollutant', 'measured_value', 'permitted_limit', 'permitted_minimum', 'unit', 'monitoring_source'],
  audit: ['audit_date', 'level', 'accepted', 'accepted_on', 'auditor'],
  disclosure: ['year', 'status', 'checked_on'],
  complaint: ['received_on', 'verified_on', 'channel', 'substantiated', 'summary'],
  permitReport: ['report_type', 'period_end', 'due_on', 'submitted_on', 'complete'],
};

export type CellValue = string | number | boolean | string[] | null;

export type PreparedRow = { ok: true; values: CellValue[] } | { ok: false; problems: Problem[] };

export interface ImportKindSpec {
  name: ImportKindName;
  /** The evidence kind, or null for enterprises. */
  evidenceKind: EvidenceKind | null;
  /** Target table (for enterprises: enterprise_revisions; enterprises rows are derived). */
  table: string;
  /** Input fields a file may carry (camelCase; snake_case headers are accepted too). */
  fields: readonly FieldSpec[];
  /** Staging columns after `line`, in the order `prepare` returns values. */
  columns: readonly string[];
  /** Staging columns that make up the content of a record (compared for replays and conflicts). */
  contentColumns: readonly string[];
  /** Validates one raw record with the GraphQL rules and returns its staging values. */
  /** `today` (YYYY-MM-DD, the China day, see chinaDay): when given, dates of things that happened may not be later. */
  prepare(raw: Record<string, unknown>, today?: string): PreparedRow;
}

function creditCodeProblem(value: unknown, check: InputCheck): string | null {
  if (typeof value !== 'string') return null; // already reported as missing or not text
  const result = checkCreditCode(value);
  if (result.valid) return result.code;
  check.require(false, 'creditCode', `${JSON.stringify(value)} is not a valid unified social credit code: ${result.message}`, 'GB 32100-2015 code');
  return null;
}

/** With the u flag a paired surrogate is one code point, so only a lone one matches. */
const LONE_SURROGATE = /\p{Surrogate}/u;
/** Any NUL or surrogate code unit: one quick scan, the exact checks only when it finds one (an astral character or worse). */
const SUSPECT = /[\u0000\uD800-\uDFFF]/;

/**
 * What makes a value text PostgreSQL cannot store as given: U+0000, which it refuses with a raw
 * error mid-import, or a lone surrogate (a JSON "\ud800" escape), which would be stored as U+FFFD.
 */
function unstorableText(value: unknown): { message: string; expected: string } | null {
  if (typeof value !== 'string' || !SUSPECT.test(value)) return null;
  if (value.includes('\u0000')) return { message: 'contains the NUL character (U+0000), which text cannot hold', expected: 'text without U+0000' };
  if (LONE_SURROGATE.test(value)) return { message: 'contains a lone surrogate (U+D800 to U+DFFF without its pair), which is not text', expected: 'valid Unicode text' };
  return null;
}

function firstUnstorable(values: readonly unknown[]): { message: string; expected: string } | null {
  for (const value of values) {
    const problem = unstorableText(value);
    if (problem) return problem;
  }
  return null;
}

/** Checked on the raw values before anything else, so such a row is rejected naming the field like any other bad value. */
function checkStorableText(fields: readonly FieldSpec[], raw: Record<string, unknown>, check: InputCheck): void {
  for (const spec of fields) {
    const value = raw[spec.name];
    const problem = Array.isArray(value) ? firstUnstorable(value) : unstorableText(value);
    if (problem) check.require(false, spec.name, problem.message, problem.expected);
  }
}

function evidenceSpec(name: Exclude<ImportKindName, 'enterprises'>): ImportKindSpec {
  const kind = EVIDENCE_KIND_OF[name];
  const rules = EVIDENCE_RULES[kind];
  const fields = [...COMMON_EVIDENCE_FIELDS, ...rules.fields];
  const domain = EVIDENCE_COLUMNS[kind];
  return {
    name,
    evidenceKind: kind,
    table: EVIDENCE_TABLES[kind],
    fields,
    columns: ['credit_code', 'source', 'source_id', ...domain],
    contentColumns: ['credit_code', ...domain],
    prepare(raw, today) {
      const check = new InputCheck('', today);
      checkStorableText(fields, raw, check);
      if (check.problems.length > 0) return { ok: false, problems: check.problems };
      const input = coerceInput(fields, raw, check);
      const code = creditCodeProblem(input.creditCode, check);
      // As in GraphQL: a value of the wrong type stops the record before the cross-field rules run.
      if (check.problems.length > 0) return { ok: false, problems: check.problems };
      checkProvenance(input, check);
      rules.validate(input, check);
      if (check.problems.length > 0) return { ok: false, problems: check.problems };
      const values = rules.toValues(input);
      return { ok: true, values: [code, input.source.trim(), input.sourceId.trim(), ...domain.map((c) => values[c] ?? null)] };
    },
  };
}

const ENTERPRISE_COLUMNS = ['credit_code', 'name', 'region', 'industry', 'legal_representative', 'key_discharge_unit', 'permit_number', 'registered_on', 'closed_on', 'source', 'source_id'] as const;

/** The source recorded for an enterprise row whose file has no source column. */
export const DEFAULT_ENTERPRISE_SOURCE = 'import';

const enterpriseSpec: ImportKindSpec = {
  name: 'enterprises',
  evidenceKind: null,
  table: 'enterprise_revisions',
  fields: ENTERPRISE_FIELDS,
  columns: ENTERPRISE_COLUMNS,
  contentColumns: ENTERPRISE_COLUMNS.filter((c) => c !== 'source' && c !== 'source_id' && c !== 'credit_code'),
  prepare(raw, today) {
    const check = new InputCheck('', today);
    checkStorableText(ENTERPRISE_FIELDS, raw, check);
    if (check.problems.length > 0) return { ok: false, problems: check.problems };
    const input = coerceInput(ENTERPRISE_FIELDS, raw, check);
    const code = creditCodeProblem(input.creditCode, check);
    if (check.problems.length > 0) return { ok: false, problems: check.problems };
    const d = checkEnterpriseInput(input, check);
    if (check.problems.length > 0) return { ok: false, problems: check.problems };
    return {
      ok: true,
      values: [
        code,
        d.name,
        d.region,
        d.industry,
        d.legalRepresentative,
        d.keyDischargeUnit,
        d.permitNumber,
        d.registeredOn,
        d.closedOn,
        input.source?.trim() || DEFAULT_ENTERPRISE_SOURCE,
        input.sourceId?.trim() || `${code}#registration`,
      ],
    };
  },
};

export function importKindSpec(name: ImportKindName): ImportKindSpec {
  return name === 'enterprises' ? enterpriseSpec : evidenceSpec(name);
}

export function isImportKind(value: string): value is ImportKindName {
  return (IMPORT_KINDS as readonly string[]).includes(value);
}
