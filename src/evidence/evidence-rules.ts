import type { EvidenceKind } from '../db/database.ts';
import { isIsoDate as isCalendarDate } from '../rules/dates.ts';
import type { EnterpriseDetails } from './enterprise-store.ts';
import type { EvidenceValues } from './evidence-store.ts';
import { InputCheck } from './validate.ts';
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
} from './vocabulary.ts';

/**
 * The per-kind validation and mapping rules for evidence and enterprise records, shared by the
 * GraphQL mutations (src/evidence/*-schema.ts) and bulk import (src/import/). Pure: no database,
 * no GraphQL. `fields` describes each input field's type the way the GraphQL input type enforces
 * it (Date scalar, enums, Float, Int, Boolean); `coerceInput` applies those same checks to text
 * read from a file, so an imported row passes exactly the checks a mutation would.
 */

export type Input = Record<string, any>;

export type FieldType =
  | { kind: 'text' }
  | { kind: 'date' }
  | { kind: 'float' }
  | { kind: 'int' }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'enumList'; values: readonly string[] };

export interface FieldSpec {
  name: string;
  type: FieldType;
  required: boolean;
}

const text = { kind: 'text' } as const;
const date = { kind: 'date' } as const;
const float = { kind: 'float' } as const;
const int = { kind: 'int' } as const;
const boolean = { kind: 'boolean' } as const;
const oneOf = (values: readonly string[]) => ({ kind: 'enum', values }) as const;
const listOf = (values: readonly string[]) => ({ kind: 'enumList', values }) as const;
const req = (name: string, type: FieldType): FieldSpec => ({ name, type, required: true });
const opt = (name: string, type: FieldType): FieldSpec => ({ name, type, required: false });

export interface EvidenceRules {
  kind: EvidenceKind;
  /** The kind-specific input fields (the common ones are COMMON_EVIDENCE_FIELDS). */
  fields: readonly FieldSpec[];
  /** Cross-field and range checks beyond the field types. */
  validate: (input: Input, check: InputCheck) => void;
  /** Database values (snake_case) of a valid input. */
  toValues: (input: Input) => EvidenceValues;
}

/** Fields every evidence input has; supersedesId / correctionReason are GraphQL-only (corrections). */
export const COMMON_EVIDENCE_FIELDS: readonly FieldSpec[] = [req('creditCode', text), req('source', text), req('sourceId', text)];

/** Checks of the provenance fields every evidence record carries. */
export function checkProvenance(input: Input, check: InputCheck): InputCheck {
  return check.text(input.source, 'source', { max: 100 }).text(input.sourceId, 'sourceId', { max: 200 });
}

/**
 * Bounds of a monitored value and its limit, wide enough for every unit in EMISSION_UNITS (tonnes of a
 * total load, CFU/L counts, ug/m3 limits): outside them a value is a unit or typing error, and the
 * exceedance ratio (measured / limit) of extreme values would not be a finite number any more.
 */
const MAX_MEASURE = 1e12;
const MIN_LIMIT = 1e-6;
const inRange = (value: unknown, min: number, max: number): boolean => typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;

/** The pH scale: a pH value or bound outside it is a typing or unit error. */
const PH_SCALE = { min: 0, max: 14 } as const;

const hasMinimum = (input: Input): boolean => input.permittedMinimum !== undefined && input.permittedMinimum !== null;

/**
 * The lower bound of a limit that is a range (pH 6–9, GB 8978). pH is limited on both sides, so a
 * pH record needs both bounds: with only one, an acid discharge (pH 2 against 6–9) could not be told
 * from a compliant one. Noise limits are ceilings (GB 12348), so a minimum there is refused.
 */
function checkPermittedRange(input: Input, check: InputCheck): void {
  const minimum = input.permittedMinimum;
  if (input.unit === 'pH') {
    check.require(hasMinimum(input), 'permittedMinimum', 'is required for pH: its limit is a range, permittedMinimum to permittedLimit (GB 8978: 6 to 9)', 'the lower bound of the pH range, e.g. 6');
    checkOnPhScale(input, check);
  }
  if (!hasMinimum(input)) return;
  check
    .require(input.unit !== 'dB(A)', 'permittedMinimum', 'must be empty for noise (dB(A)): a noise limit is a ceiling', 'no value for dB(A)')
    .require(inRange(minimum, 0, MAX_MEASURE), 'permittedMinimum', `must be a number from 0 to ${MAX_MEASURE}`, `0 to ${MAX_MEASURE}`)
    .require(
      typeof input.permittedLimit !== 'number' || !(minimum >= input.permittedLimit),
      'permittedMinimum',
      `must be below permittedLimit (${input.permittedLimit}): the two bound a range`,
      `a number below ${input.permittedLimit}`,
    );
}

function checkOnPhScale(input: Input, check: InputCheck): void {
  const expected = `${PH_SCALE.min} to ${PH_SCALE.max}`;
  for (const name of ['measuredValue', 'permittedLimit', 'permittedMinimum'] as const) {
    const value = input[name];
    if (typeof value !== 'number') continue;
    check.require(inRange(value, PH_SCALE.min, PH_SCALE.max), name, `must lie on the pH scale, ${expected}`, expected);
  }
}

export const EVIDENCE_RULES: Record<EvidenceKind, EvidenceRules> = {
  violation: {
    kind: 'violation',
    fields: [
      req('decisionNumber', text),
      req('decidedOn', date),
      req('violationType', oneOf(VIOLATION_TYPES)),
      opt('incidentSeverity', oneOf(INCIDENT_SEVERITIES)),
      req('legalBasis', text),
      opt('fineCny', float),
      opt('measures', listOf(PENALTY_MEASURES)),
      opt('rectifiedOn', date),
      opt('description', text),
    ],
    validate: (input, check) => {
      const measures: string[] = input.measures ?? [];
      check
        .text(input.decisionNumber, 'decisionNumber', { max: 100 })
        .text(input.legalBasis, 'legalBasis', { max: 500 })
        .text(input.description, 'description', { max: 4000 })
        .amount(input.fineCny, 'fineCny')
        .happened(input.decidedOn, 'decidedOn')
        .happened(input.rectifiedOn, 'rectifiedOn')
        .notBefore(input.rectifiedOn, input.decidedOn, 'rectifiedOn', 'decidedOn')
        .require(new Set(measures).size === measures.length, 'measures', 'lists a measure twice')
        .require(
          (input.violationType === 'ENVIRONMENTAL_INCIDENT') === Boolean(input.incidentSeverity),
          'incidentSeverity',
          'is required for ENVIRONMENTAL_INCIDENT and only for it',
          INCIDENT_SEVERITIES.join(' | '),
        )
        .require(!(measures.includes('FINE') && !(input.fineCny > 0)), 'fineCny', 'must be above 0 when measures include FINE');
    },
    toValues: (input) => {
      const measures = new Set<string>(input.measures ?? []);
      if (input.fineCny > 0) measures.add('FINE');
      return {
        decision_number: input.decisionNumber.trim(),
        decided_on: input.decidedOn,
        violation_type: input.violationType,
        incident_severity: input.incidentSeverity ?? null,
        legal_basis: input.legalBasis.trim(),
        fine_cny: (input.fineCny ?? 0).toFixed(2),
        // Canonical order, so the same decision re-sent with measures shuffled is still a replay.
        measures: PENALTY_MEASURES.filter((m) => measures.has(m)),
        rectified_on: input.rectifiedOn ?? null,
        description: input.description?.trim() || null,
      };
    },
  },
  emission: {
    kind: 'emission',
    fields: [
      req('periodStart', date),
      req('periodEnd', date),
      req('outletCode', text),
      req('pollutant', text),
      req('measuredValue', float),
      req('permittedLimit', float),
      opt('permittedMinimum', float),
      req('unit', text),
      req('monitoringSource', oneOf(MONITORING_SOURCES)),
    ],
    validate: (input, check) => {
      check
        .happened(input.periodStart, 'periodStart')
        .happened(input.periodEnd, 'periodEnd')
        .notBefore(input.periodEnd, input.periodStart, 'periodEnd', 'periodStart')
        .text(input.outletCode, 'outletCode', { max: 50 })
        .text(input.pollutant, 'pollutant', { max: 50 })
        .require(inRange(input.measuredValue, 0, MAX_MEASURE), 'measuredValue', `must be a number from 0 to ${MAX_MEASURE}`, `0 to ${MAX_MEASURE}`)
        .require(inRange(input.permittedLimit, MIN_LIMIT, MAX_MEASURE), 'permittedLimit', `must be a number from ${MIN_LIMIT} to ${MAX_MEASURE}`, `${MIN_LIMIT} to ${MAX_MEASURE}`)
        .require((EMISSION_UNITS as readonly string[]).includes(input.unit), 'unit', `unknown unit ${JSON.stringify(input.unit)}`, EMISSION_UNITS.join(' | '));
      checkPermittedRange(input, check);
    },
    toValues: (input) => ({
      period_start: input.periodStart,
      period_end: input.periodEnd,
      outlet_code: input.outletCode.trim(),
      pollutant: input.pollutant.trim(),
      measured_value: String(input.measuredValue),
      permitted_limit: String(input.permittedLimit),
      permitted_minimum: hasMinimum(input) ? String(input.permittedMinimum) : null,
      unit: input.unit,
      monitoring_source: input.monitoringSource,
    }),
  },
  audit: {
    kind: 'audit',
    fields: [req('auditDate', date), req('level', oneOf(AUDIT_LEVELS)), req('accepted', boolean), opt('acceptedOn', date), opt('auditor', text)],
    validate: (input, check) => {
      check
        .require(!input.accepted || Boolean(input.acceptedOn), 'acceptedOn', 'is required when accepted is true')
        .require(input.accepted || !input.acceptedOn, 'acceptedOn', 'must be empty when accepted is false')
        .happened(input.auditDate, 'auditDate')
        .happened(input.acceptedOn, 'acceptedOn')
        .notBefore(input.acceptedOn, input.auditDate, 'acceptedOn', 'auditDate')
        .text(input.auditor, 'auditor', { max: 200 });
    },
    toValues: (input) => ({
      audit_date: input.auditDate,
      level: input.level,
      accepted: input.accepted,
      accepted_on: input.acceptedOn ?? null,
      auditor: input.auditor?.trim() || null,
    }),
  },
  disclosure: {
    kind: 'disclosure',
    fields: [req('year', int), req('status', oneOf(DISCLOSURE_STATUSES)), req('checkedOn', date)],
    validate: (input, check) => {
      check.require(Number.isInteger(input.year) && input.year >= 2000 && input.year <= 2100, 'year', 'must be a year from 2000 to 2100');
      check.require(!input.checkedOn || Number(input.checkedOn.slice(0, 4)) >= input.year, 'checkedOn', 'cannot be before the year it checks');
      check.happened(input.checkedOn, 'checkedOn');
    },
    toValues: (input) => ({ year: input.year, status: input.status, checked_on: input.checkedOn }),
  },
  complaint: {
    kind: 'complaint',
    fields: [req('receivedOn', date), req('verifiedOn', date), req('channel', oneOf(COMPLAINT_CHANNELS)), req('substantiated', boolean), req('summary', text)],
    validate: (input, check) => {
      check
        .happened(input.receivedOn, 'receivedOn')
        .happened(input.verifiedOn, 'verifiedOn')
        .notBefore(input.verifiedOn, input.receivedOn, 'verifiedOn', 'receivedOn')
        .text(input.summary, 'summary', { max: 2000 });
    },
    toValues: (input) => ({
      received_on: input.receivedOn,
      verified_on: input.verifiedOn,
      channel: input.channel,
      substantiated: input.substantiated,
      summary: input.summary.trim(),
    }),
  },
  permitReport: {
    kind: 'permitReport',
    fields: [req('reportType', oneOf(PERMIT_REPORT_TYPES)), req('periodEnd', date), req('dueOn', date), opt('submittedOn', date), req('complete', boolean)],
    validate: (input, check) => {
      check
        // The due date may lie ahead; the period reported on and the submission may not.
        .happened(input.periodEnd, 'periodEnd')
        .happened(input.submittedOn, 'submittedOn')
        .notBefore(input.dueOn, input.periodEnd, 'dueOn', 'periodEnd')
        .require(Boolean(input.submittedOn) || !input.complete, 'complete', 'cannot be true for a report never submitted');
    },
    toValues: (input) => ({
      report_type: input.reportType,
      period_end: input.periodEnd,
      due_on: input.dueOn,
      submitted_on: input.submittedOn ?? null,
      complete: input.complete,
    }),
  },
};

// ---------------------------------------------------------------------------------------------
// Enterprises

/** The attributes an enterprise revision carries: the store's own type, so the two cannot drift apart. */
export type EnterpriseDetailValues = EnterpriseDetails;

export const ENTERPRISE_FIELDS: readonly FieldSpec[] = [
  req('creditCode', text),
  req('name', text),
  req('region', text),
  req('industry', text),
  opt('legalRepresentative', text),
  opt('keyDischargeUnit', boolean),
  opt('permitNumber', text),
  opt('registeredOn', date),
  opt('closedOn', date),
  opt('source', text),
  opt('sourceId', text),
];

/** Enterprises registered before the evidence this service keeps begins (state enterprises of the 1950s). */
const EARLIEST_REGISTRATION_DATE = '1949-10-01';

/** GB/T 4754: a section letter, optionally a division, group or class. */
export const INDUSTRY_CODE = /^[A-T](\d{2}|\d{3}|\d{4})?$/;

/** Checks an enterprise input (credit code excluded: callers check it first) and returns its details. */
export function checkEnterpriseInput(input: Input, check: InputCheck): EnterpriseDetailValues {
  const industry = String(input.industry ?? '').trim().toUpperCase();
  check
    .text(input.name, 'name', { max: 200 })
    .text(input.region, 'region', { max: 100 })
    .require(INDUSTRY_CODE.test(industry), 'industry', `${JSON.stringify(input.industry)} is not a GB/T 4754 code`, 'a section letter A-T, optionally followed by 2-4 digits (C, C20, C2011)')
    .text(input.legalRepresentative, 'legalRepresentative', { max: 100 })
    .text(input.permitNumber, 'permitNumber', { max: 60 })
    .happened(input.registeredOn, 'registeredOn', EARLIEST_REGISTRATION_DATE)
    .happened(input.closedOn, 'closedOn', EARLIEST_REGISTRATION_DATE)
    .notBefore(input.closedOn, input.registeredOn, 'closedOn', 'registeredOn')
    .text(input.source, 'source', { max: 100 })
    .text(input.sourceId, 'sourceId', { max: 200 });
  return {
    name: String(input.name ?? '').trim(),
    region: String(input.region ?? '').trim(),
    industry,
    legalRepresentative: input.legalRepresentative?.trim() || null,
    keyDischargeUnit: input.keyDischargeUnit ?? false,
    permitNumber: input.permitNumber?.trim() || null,
    registeredOn: input.registeredOn ?? null,
    closedOn: input.closedOn ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Coercion of text (CSV cells, NDJSON values) into the typed input GraphQL would have produced.

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1', '是']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0', '否']);
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads `raw` (strings from a CSV row, or JSON values from an NDJSON line) into an input object
 * with the types the GraphQL input type would give, recording a problem for every value that the
 * GraphQL type would refuse (bad date, unknown enum value, not a number, missing required field).
 * Empty cells count as absent. List cells are separated by `|`, `;` or `,`.
 */
export function coerceInput(fields: readonly FieldSpec[], raw: Record<string, unknown>, check: InputCheck): Input {
  const input: Input = {};
  for (const spec of fields) {
    let value = raw[spec.name];
    if (typeof value === 'string' && spec.type.kind !== 'text') value = value.trim();
    if (value === undefined || value === null || value === '') {
      check.require(!spec.required, spec.name, 'is required');
      continue;
    }
    switch (spec.type.kind) {
      case 'text':
        if (typeof value === 'string') input[spec.name] = value;
        else if (typeof value === 'number') input[spec.name] = String(value);
        else check.require(false, spec.name, 'must be text');
        break;
      case 'date':
        if (typeof value === 'string' && isCalendarDate(value)) input[spec.name] = value;
        else check.require(false, spec.name, `is not a calendar date: ${JSON.stringify(value)}`, 'YYYY-MM-DD');
        break;
      case 'float':
      case 'int': {
        const n = typeof value === 'number' ? value : typeof value === 'string' && DECIMAL.test(value) ? Number(value) : Number.NaN;
        if (!Number.isFinite(n)) check.require(false, spec.name, `is not a number: ${JSON.stringify(value)}`, 'a decimal number');
        else if (spec.type.kind === 'int' && !Number.isInteger(n)) check.require(false, spec.name, `is not an integer: ${JSON.stringify(value)}`, 'an integer');
        else input[spec.name] = n;
        break;
      }
      case 'boolean': {
        const word = typeof value === 'boolean' ? value : TRUE_WORDS.has(String(value).toLowerCase()) ? true : FALSE_WORDS.has(String(value).toLowerCase()) ? false : null;
        if (word === null) check.require(false, spec.name, `is not true or false: ${JSON.stringify(value)}`, 'true | false');
        else input[spec.name] = word;
        break;
      }
      case 'enum': {
        if (typeof value === 'string' && spec.type.values.includes(value)) input[spec.name] = value;
        else check.require(false, spec.name, `unknown value ${JSON.stringify(value)}`, spec.type.values.join(' | '));
        break;
      }
      case 'enumList': {
        const items = Array.isArray(value) ? value : String(value).split(/[|;,]/);
        const list = items.map((item) => String(item).trim()).filter(Boolean);
        const allowed = spec.type.values;
        const unknown = list.filter((item) => !allowed.includes(item));
        if (unknown.length > 0) check.require(false, spec.name, `unknown value(s) ${unknown.map((u) => JSON.stringify(u)).join(', ')}`, (spec.type as { values: readonly string[] }).values.join(' | '));
        else input[spec.name] = list;
        break;
      }
    }
  }
  return input;
}
