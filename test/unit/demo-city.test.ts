import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TOWNSHIP_NAMES } from '../../src/demo/city-data.ts';
import { countRows, DEMO_TABLES, generateDemoCity, severeCaseCount, type DemoCity } from '../../src/demo/demo-city.ts';
import { deriveSeed, Rng } from '../../src/demo/prng.ts';
import { checkCreditCode } from '../../src/evidence/credit-code.ts';
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
} from '../../src/evidence/vocabulary.ts';

const REF = '2026-10-31';
const VETO_TYPES = new Set([
  'FALSIFIED_MONITORING_DATA',
  'BYPASS_OR_HIDDEN_DISCHARGE',
  'ILLEGAL_HAZARDOUS_WASTE',
  'EIA_NOT_APPROVED',
  'OPERATING_BEFORE_ACCEPTANCE',
  'MAJOR_CHANGE_WITHOUT_APPROVAL',
  'EXCEEDING_TOTAL_LOAD',
  'HEAVY_POLLUTION_WEATHER_NONCOMPLIANCE',
  'OVERDUE_RECTIFICATION',
  'REFUSING_INSPECTION',
]);

let city: DemoCity;
beforeAll(() => {
  city = generateDemoCity({ seed: 220681 });
});
afterEach(() => {
  vi.restoreAllMocks();
});

function evidenceRows(c: DemoCity) {
  const t = c.tables;
  return [
    ...t.violations,
    ...t.emission_records,
    ...t.clean_production_audits,
    ...t.information_disclosures,
    ...t.verified_complaints,
    ...t.permit_execution_reports,
  ];
}

describe('the seeded generator', () => {
  it('is a pure function of its seed: same seed, same rows; other seed, other rows', () => {
    const again = generateDemoCity({ seed: 220681, enterprises: 1500, referenceDate: REF });
    expect(again).toEqual(city);
    const other = generateDemoCity({ seed: 7 });
    expect(other.tables.enterprises.map((e) => e.credit_code)).not.toEqual(city.tables.enterprises.map((e) => e.credit_code));
    expect(countRows(other.tables)).not.toEqual(countRows(city.tables));
  });

  it('uses neither Math.random nor the clock', () => {
    const random = vi.spyOn(Math, 'random').mockImplementation(() => {
      throw new Error('Math.random used');
    });
    const now = vi.spyOn(Date, 'now').mockImplementation(() => {
      throw new Error('Date.now used');
    });
    const small = generateDemoCity({ seed: 1, enterprises: 200 });
    expect(small.tables.enterprises).toHaveLength(200);
    expect(random).not.toHaveBeenCalled();
    expect(now).not.toHaveBeenCalled();
  });

  it('keeps an enterprise the same when the city grows (one stream per enterprise)', () => {
    const small = generateDemoCity({ seed: 220681, enterprises: 100 });
    expect(small.tables.enterprises).toEqual(city.tables.enterprises.slice(0, 100));
  });

  it('the PRNG is uniform enough and reproducible', () => {
    const a = new Rng(deriveSeed(42, 1));
    const b = new Rng(deriveSeed(42, 1));
    const xs = Array.from({ length: 10_000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 10_000 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(deriveSeed(42, 1)).not.toBe(deriveSeed(42, 2));
  });

  it('closes no enterprise after the reference date (seed 56 once drew a closing day past it for one registered late)', () => {
    const city = generateDemoCity({ seed: 56, enterprises: 500 });
    const closings = city.tables.enterprise_revisions.map((r) => r.closed_on).filter((d): d is string => d !== null);
    expect(closings.length).toBeGreaterThan(0);
    expect(closings.filter((d) => d > city.referenceDate)).toEqual([]);
  });

  it('rejects bad options', () => {
    expect(() => generateDemoCity({ seed: 1.5 })).toThrow(RangeError);
    expect(() => generateDemoCity({ seed: 1, enterprises: 0 })).toThrow(RangeError);
    expect(() => generateDemoCity({ seed: 1, referenceDate: '2026-02-30' })).toThrow(RangeError);
    expect(() => generateDemoCity({ seed: 1, referenceDate: '2023-06-01' })).toThrow(RangeError);
  });
});

describe('enterprises', () => {
  it('have valid, unique credit codes of the city (division 220681), mostly enterprises', () => {
    const codes = city.tables.enterprises.map((e) => e.credit_code);
    expect(codes).toHaveLength(1500);
    expect(new Set(codes).size).toBe(codes.length);
    const kinds = new Map<string, number>();
    for (const code of codes) {
      const result = checkCreditCode(code);
      expect(result, code).toMatchObject({ valid: true, code, organisationCodeWarning: null });
      expect(code.slice(2, 8)).toBe('220681');
      kinds.set(code.slice(0, 2), (kinds.get(code.slice(0, 2)) ?? 0) + 1);
    }
    expect([...kinds.keys()].sort()).toEqual(['91', '92', '93']);
    expect(kinds.get('91')!).toBeGreaterThan(codes.length * 0.5);
  });

  it('have plausible revisions: names, townships, GB/T 4754 classes, permits for key units', () => {
    const t = city.tables;
    const codes = new Set(t.enterprises.map((e) => e.credit_code));
    const byCode = new Map<string, number[]>();
    for (const r of t.enterprise_revisions) {
      expect(codes.has(r.credit_code)).toBe(true);
      byCode.set(r.credit_code, [...(byCode.get(r.credit_code) ?? []), r.revision]);
      expect(r.name.length).toBeGreaterThan(4);
      expect(r.name.length).toBeLessThanOrEqual(200);
      expect(r.name).toMatch(/^(临江市|吉林省临江)/);
      expect(TOWNSHIP_NAMES).toContain(r.region);
      expect(r.industry).toMatch(/^[A-T]([0-9]{2,4})?$/);
      expect(r.legal_representative).toMatch(/^[\u4e00-\u9fff]{2,3}$/);
      if (r.key_discharge_unit) expect(r.permit_number).toBe(`${r.credit_code}001P`);
      if (r.permit_number !== null) expect(r.permit_number).toMatch(/^[0-9A-HJ-NPQRTUWXY]{18}\d{3}P$/);
      if (r.credit_code.startsWith('92')) expect(r.name).not.toMatch(/公司$/);
      if (r.credit_code.startsWith('93')) expect(r.name).toMatch(/合作社$/);
      expect(r.registered_on! <= REF).toBe(true);
      if (r.closed_on !== null) expect(r.closed_on > r.registered_on!).toBe(true);
    }
    for (const [code, revisions] of byCode) expect(revisions, code).toEqual(revisions.map((_, i) => i + 1));
    expect(byCode.size).toBe(codes.size);
    const firsts = t.enterprise_revisions.filter((r) => r.revision === 1);
    expect(new Set(firsts.map((r) => r.name)).size).toBe(firsts.length);
    const key = firsts.filter((r) => r.key_discharge_unit).length;
    expect(key).toBeGreaterThan(50);
    expect(key).toBeLessThan(250);
    const industries = new Set(firsts.map((r) => r.industry.slice(0, 3)));
    for (const expected of ['B08', 'B09', 'B10', 'C20', 'C27', 'C13', 'C14', 'C15', 'D44', 'C30']) expect(industries).toContain(expected);
    expect(new Set(firsts.map((r) => r.region)).size).toBe(TOWNSHIP_NAMES.length);
  });
});

describe('evidence', () => {
  it('is sized for a demo: 20-40k rows for 1,500 enterprises', () => {
    const n = evidenceRows(city).length;
    expect(n).toBeGreaterThan(20_000);
    expect(n).toBeLessThan(40_000);
  });

  it('refers only to generated enterprises, within their lifetime and the evidence window', () => {
    const life = new Map<string, { from: string; to: string }>();
    for (const r of city.tables.enterprise_revisions) {
      const prev = life.get(r.credit_code);
      life.set(r.credit_code, { from: r.registered_on!, to: r.closed_on ?? prev?.to ?? REF });
    }
    const t = city.tables;
    const dated: Array<[string, string]> = [
      ...t.violations.map((v) => [v.credit_code, v.decided_on] as [string, string]),
      ...t.emission_records.map((e) => [e.credit_code, e.period_end] as [string, string]),
      ...t.clean_production_audits.map((a) => [a.credit_code, a.accepted_on ?? a.audit_date] as [string, string]),
      ...t.information_disclosures.map((d) => [d.credit_code, d.checked_on] as [string, string]),
      ...t.verified_complaints.map((c) => [c.credit_code, c.verified_on] as [string, string]),
      ...t.permit_execution_reports.map((p) => [p.credit_code, p.submitted_on ?? p.due_on] as [string, string]),
    ];
    for (const [code, day] of dated) {
      const l = life.get(code);
      expect(l, code).toBeDefined();
      expect(day >= '2023-01-01' && day >= l!.from && day <= l!.to, `${code} ${day}`).toBe(true);
    }
  });

  it('carries provenance: source demo-city, unique deterministic source ids, recorded by seed-demo', () => {
    for (const table of DEMO_TABLES) {
      if (table === 'enterprises') continue;
      const rows = city.tables[table] as Array<{ source: string; source_id: string; recorded_by: string }>;
      expect(rows.every((r) => r.source === 'demo-city' && r.recorded_by === 'seed-demo'), table).toBe(true);
      expect(new Set(rows.map((r) => r.source_id)).size, table).toBe(rows.length);
      expect(rows.every((r) => r.source_id.length >= 1 && r.source_id.length <= 200)).toBe(true);
    }
    expect(city.tables.enterprises.every((e) => e.created_by === 'seed-demo')).toBe(true);
  });

  it('uses only closed-list values, consistently', () => {
    const t = city.tables;
    for (const v of t.violations) {
      expect(VIOLATION_TYPES).toContain(v.violation_type);
      if (v.incident_severity !== null) {
        expect(INCIDENT_SEVERITIES).toContain(v.incident_severity);
        expect(v.violation_type).toBe('ENVIRONMENTAL_INCIDENT');
      }
      if (v.violation_type === 'ENVIRONMENTAL_INCIDENT') expect(v.incident_severity).not.toBeNull();
      for (const m of v.measures) expect(PENALTY_MEASURES).toContain(m);
      expect(new Set(v.measures).size).toBe(v.measures.length);
      expect(v.measures).toEqual(PENALTY_MEASURES.filter((m) => v.measures.includes(m)));
      expect(v.measures.includes('FINE')).toBe(Number(v.fine_cny) > 0);
      expect(v.fine_cny).toMatch(/^\d+\.\d\d$/);
      expect(v.decision_number).toMatch(/^临环罚〔(\d{4})〕[1-9]\d*号$/);
      expect(v.decision_number.slice(4, 8)).toBe(v.decided_on.slice(0, 4));
      expect(v.legal_basis).toMatch(/^《.+》第.+条/);
      if (v.rectified_on !== null) expect(v.rectified_on > v.decided_on).toBe(true);
    }
    expect(new Set(t.violations.map((v) => v.decision_number)).size).toBe(t.violations.length);
    const pollutants = ['SO2', 'NOx', 'PM', 'COD', 'NH3-N', 'noise'];
    const badEmissions = t.emission_records.filter(
      (e) =>
        !MONITORING_SOURCES.includes(e.monitoring_source) ||
        !EMISSION_UNITS.includes(e.unit) ||
        !(Number(e.permitted_limit) > 0) ||
        !(Number(e.measured_value) > 0) ||
        e.period_end < e.period_start ||
        !pollutants.includes(e.pollutant) ||
        !/^(DA|DW|ZS)\d{2,3}$/.test(e.outlet_code),
    );
    expect(badEmissions).toEqual([]);
    for (const a of t.clean_production_audits) {
      expect(AUDIT_LEVELS).toContain(a.level);
      expect(a.accepted).toBe(a.accepted_on !== null);
      if (a.accepted_on) expect(a.accepted_on > a.audit_date).toBe(true);
    }
    for (const d of t.information_disclosures) expect(DISCLOSURE_STATUSES).toContain(d.status);
    for (const c of t.verified_complaints) {
      expect(COMPLAINT_CHANNELS).toContain(c.channel);
      expect(c.verified_on >= c.received_on).toBe(true);
    }
    for (const p of t.permit_execution_reports) {
      expect(PERMIT_REPORT_TYPES).toContain(p.report_type);
      expect(p.due_on > p.period_end).toBe(true);
      if (p.submitted_on === null) expect(p.complete).toBe(false);
    }
  });

  it('is mostly clean, with a long tail of repeat offenders', () => {
    const perEnterprise = new Map<string, number>();
    for (const v of city.tables.violations) perEnterprise.set(v.credit_code, (perEnterprise.get(v.credit_code) ?? 0) + 1);
    const clean = 1 - perEnterprise.size / city.tables.enterprises.length;
    expect(clean).toBeGreaterThan(0.8);
    expect(clean).toBeLessThan(0.95);
    const counts = [...perEnterprise.values()];
    const once = counts.filter((n) => n === 1).length;
    const repeat = counts.filter((n) => n >= 3).length;
    expect(once).toBeGreaterThan(counts.length / 2);
    expect(repeat).toBeGreaterThanOrEqual(5);
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(6);

    const exceeding = city.tables.emission_records.filter((e) => Number(e.measured_value) > Number(e.permitted_limit));
    expect(exceeding.length).toBeGreaterThan(0);
    expect(exceeding.length / city.tables.emission_records.length).toBeLessThan(0.03);
    expect(new Set(city.tables.emission_records.map((e) => e.monitoring_source)).size).toBe(3);
  });

  it('has a handful of severe cases, and only they are referred to prosecutors or carry veto-class types', () => {
    const severe = city.severeCases;
    expect(severe.length).toBe(severeCaseCount(1500));
    expect(severe.length).toBeGreaterThanOrEqual(5);
    expect(severe.length).toBeLessThanOrEqual(10);
    const severeCodes = new Set(severe.map((s) => s.creditCode));
    expect(severeCodes.size).toBe(severe.length);
    const v = city.tables.violations;
    for (const row of v) {
      if (row.measures.includes('CRIMINAL_REFERRAL') || row.measures.includes('ADMINISTRATIVE_DETENTION') || row.measures.includes('SHUTDOWN_ORDER')) {
        expect(severeCodes.has(row.credit_code), row.decision_number).toBe(true);
      }
      if (VETO_TYPES.has(row.violation_type)) expect(severeCodes.has(row.credit_code), row.decision_number).toBe(true);
      if (row.incident_severity !== null && row.incident_severity !== 'GENERAL') expect(severeCodes.has(row.credit_code)).toBe(true);
    }
    for (const code of severeCodes) {
      const veto = v.some((row) => row.credit_code === code && (VETO_TYPES.has(row.violation_type) || row.incident_severity === 'LARGER'));
      expect(veto, code).toBe(true);
    }
    const types = new Set(v.map((row) => row.violation_type));
    for (const t of ['FALSIFIED_MONITORING_DATA', 'BYPASS_OR_HIDDEN_DISCHARGE', 'ILLEGAL_HAZARDOUS_WASTE', 'ENVIRONMENTAL_INCIDENT']) expect(types).toContain(t);
    expect(v.some((row) => row.incident_severity === 'LARGER')).toBe(true);
    expect(v.some((row) => row.measures.includes('CRIMINAL_REFERRAL'))).toBe(true);
  });

  it('gives key units monitoring, disclosures and permit reports (some late or missing)', () => {
    const keyCodes = new Set(city.tables.enterprise_revisions.filter((r) => r.key_discharge_unit).map((r) => r.credit_code));
    const monitored = new Set(city.tables.emission_records.map((e) => e.credit_code));
    const keyMonitored = [...keyCodes].filter((c) => monitored.has(c)).length;
    expect(keyMonitored / keyCodes.size).toBeGreaterThan(0.9);
    for (const d of city.tables.information_disclosures) expect(keyCodes.has(d.credit_code)).toBe(true);
    const reports = city.tables.permit_execution_reports;
    expect(reports.some((r) => r.submitted_on === null)).toBe(true);
    expect(reports.some((r) => r.submitted_on !== null && r.submitted_on > r.due_on)).toBe(true);
    expect(reports.filter((r) => r.submitted_on !== null && r.submitted_on <= r.due_on).length / reports.length).toBeGreaterThan(0.8);
    const levels = new Set(city.tables.clean_production_audits.map((a) => a.level));
    expect([...levels].sort()).toEqual(['I', 'II', 'III']);
    expect(city.tables.clean_production_audits.some((a) => !a.accepted)).toBe(true);
    expect(city.tables.verified_complaints.length).toBeGreaterThan(50);
  });

  it('respects another reference date and a smaller city', () => {
    const small = generateDemoCity({ seed: 3, enterprises: 120, referenceDate: '2025-06-30' });
    const days = evidenceRows(small).flatMap((r) =>
      Object.entries(r)
        .filter(([k, v]) => typeof v === 'string' && /(_on|_date|period_end|period_start)$/.test(k))
        .map(([, v]) => v as string),
    );
    expect(days.length).toBeGreaterThan(0);
    expect(days.every((d) => d >= '2023-01-01' && d <= '2025-06-30')).toBe(true);
    expect(small.severeCases.length).toBe(1);
  });
});
