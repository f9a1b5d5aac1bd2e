import {
  AUDITORS,
  CITY_NAME,
  DIVISION_CODE,
  EMISSION_PROFILES,
  GIVEN_NAME_CHARS,
  INDUSTRIES,
  LOCAL_TRADE_NAMES,
  POLLUTANT_LABELS,
  SURNAMES,
  TOWNSHIPS,
  TRADE_NAME_FIRST,
  TRADE_NAME_SECOND,
  type IndustryProfile,
  type SeriesSpec,
} from './city-data.ts';
import { deriveSeed, Rng } from './prng.ts';
import { LAW, ordinaryViolation } from './violation-specs.ts';
import { CREDIT_CODE_CHARSET, withCheckCharacter } from '../evidence/credit-code.ts';
import {
  PENALTY_MEASURES,
  type AuditLevel,
  type ComplaintChannel,
  type DisclosureStatus,
  type EmissionUnit,
  type IncidentSeverity,
  type MonitoringSource,
  type PenaltyMeasure,
  type PermitReportType,
  type ViolationType,
} from '../evidence/vocabulary.ts';

/**
 * The deterministic demo city: about 1,500 enterprises of 临江市 with three and a half years of
 * evidence. A pure function of its options: no Math.random, no clock, the same seed gives the same
 * rows (each enterprise draws from its own stream derived from the seed and its index).
 */

export const DEMO_SOURCE = 'demo-city';
export const DEMO_RECORDED_BY = 'seed-demo';
export const DEMO_DEFAULT_ENTERPRISES = 1500;
export const DEMO_DEFAULT_REFERENCE_DATE = '2026-10-31';
/** Evidence starts here; enterprises are older. */
export const DEMO_EVIDENCE_START = '2023-01-01';

export interface DemoCityOptions {
  seed: number;
  enterprises?: number;
  /** The last day evidence may carry ('YYYY-MM-DD'). */
  referenceDate?: string;
}

interface Provenance {
  source: string;
  source_id: string;
  recorded_by: string;
}
interface EvidenceBase extends Provenance {
  credit_code: string;
}

export interface DemoEnterpriseRow {
  credit_code: string;
  created_by: string;
}
export interface DemoEnterpriseRevisionRow extends Provenance {
  credit_code: string;
  revision: number;
  name: string;
  region: string;
  industry: string;
  legal_representative: string | null;
  key_discharge_unit: boolean;
  permit_number: string | null;
  registered_on: string | null;
  closed_on: string | null;
}
export interface DemoViolationRow extends EvidenceBase {
  decision_number: string;
  decided_on: string;
  violation_type: ViolationType;
  incident_severity: IncidentSeverity | null;
  legal_basis: string;
  fine_cny: string;
  measures: PenaltyMeasure[];
  rectified_on: string | null;
  description: string | null;
}
export interface DemoEmissionRecordRow extends EvidenceBase {
  period_start: string;
  period_end: string;
  outlet_code: string;
  pollutant: string;
  measured_value: string;
  permitted_limit: string;
  unit: EmissionUnit;
  monitoring_source: MonitoringSource;
}
export interface DemoCleanProductionAuditRow extends EvidenceBase {
  audit_date: string;
  level: AuditLevel;
  accepted: boolean;
  accepted_on: string | null;
  auditor: string | null;
}
export interface DemoInformationDisclosureRow extends EvidenceBase {
  year: number;
  status: DisclosureStatus;
  checked_on: string;
}
export interface DemoVerifiedComplaintRow extends EvidenceBase {
  received_on: string;
  verified_on: string;
  channel: ComplaintChannel;
  substantiated: boolean;
  summary: string;
}
export interface DemoPermitExecutionReportRow extends EvidenceBase {
  report_type: PermitReportType;
  period_end: string;
  due_on: string;
  submitted_on: string | null;
  complete: boolean;
}

/** Rows per table, keyed by the table's name, in insertion order (enterprises first). */
export interface DemoTables {
  enterprises: DemoEnterpriseRow[];
  enterprise_revisions: DemoEnterpriseRevisionRow[];
  violations: DemoViolationRow[];
  emission_records: DemoEmissionRecordRow[];
  clean_production_audits: DemoCleanProductionAuditRow[];
  information_disclosures: DemoInformationDisclosureRow[];
  verified_complaints: DemoVerifiedComplaintRow[];
  permit_execution_reports: DemoPermitExecutionReportRow[];
}
export type DemoTableName = keyof DemoTables;
export const DEMO_TABLES: readonly DemoTableName[] = [
  'enterprises',
  'enterprise_revisions',
  'violations',
  'emission_records',
  'clean_production_audits',
  'information_disclosures',
  'verified_complaints',
  'permit_execution_reports',
];

export type SevereScenario =
  | 'FALSIFIED_ONLINE_DATA'
  | 'HIDDEN_PIPE'
  | 'ILLEGAL_HAZARDOUS_WASTE'
  | 'TAILINGS_INCIDENT'
  | 'SEEPAGE_PIT'
  | 'OVERDUE_RECTIFICATION'
  | 'OBSTRUCTION'
  | 'SEWAGE_DATA_DILUTED';

export interface DemoSevereCase {
  creditCode: string;
  name: string;
  scenario: SevereScenario;
}

export interface DemoCity {
  seed: number;
  referenceDate: string;
  tables: DemoTables;
  /** The designed severe cases (veto-class violations), for documentation and tests. */
  severeCases: DemoSevereCase[];
}

// ---------------------------------------------------------------------------------------------
// Dates as day numbers (UTC, no clock involved).

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
function toDay(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(ms).toISOString().slice(0, 10) !== date) throw new RangeError(`not a calendar date: ${date}`);
  return ms / DAY_MS;
}
const fromDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
const ymd = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d) / DAY_MS;
const yearOf = (day: number): number => new Date(day * DAY_MS).getUTCFullYear();
const monthOf = (day: number): number => new Date(day * DAY_MS).getUTCMonth() + 1;

// ---------------------------------------------------------------------------------------------
// The plan of one enterprise, before its evidence.

interface Plan {
  index: number;
  code: string;
  entity: '91' | '92' | '93';
  profile: IndustryProfile;
  name: string;
  township: string;
  legalRep: string;
  formerLegalRep: string | null;
  legalRepChangedOn: number | null;
  key: boolean;
  permit: string | null;
  registered: number;
  closed: number | null;
  /** First and last day evidence may fall on. */
  from: number;
  to: number;
  /** Number of ordinary violations (0 for the clean majority). */
  offences: number;
  severe: SevereScenario | null;
}

const HEAVY_GROUPS = new Set(['mining', 'wood', 'medicine', 'food', 'beverage', 'power', 'building', 'sewage']);
const STREAMS = { plan: 1, violations: 2, emissions: 3, audits: 4, disclosures: 5, reports: 6, severe: 7, complaints: 8 } as const;

function weightedTownship(rng: Rng, profile: IndustryProfile): string {
  if (profile.townships && rng.chance(0.9)) return rng.pick(profile.townships);
  return rng.weighted(TOWNSHIPS.map((t) => [t.name, t.weight] as const));
}

const ORG_CHARSET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];
/** The GB 11714 check character of an 8-character organisation code body. */
function orgCheck(body: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += ORG_CHARSET.indexOf(body[i]!) * ORG_WEIGHTS[i]!;
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

function organisationBody(rng: Rng, entity: string, registered: number): string {
  // Before the unified code (October 2015) enterprises had numeric organisation codes; since then
  // the registration authority issues 'MA...' bodies. Individual businesses only got codes then.
  if (entity !== '92' && registered < ymd(2015, 10, 1)) {
    const year = yearOf(registered);
    const lead = year < 2003 ? '7' : year < 2009 ? rng.pick(['6', '7']) : rng.pick(['5', '3']);
    let body = lead;
    for (let i = 0; i < 7; i++) body += String(rng.int(0, 9));
    return body;
  }
  let body = 'MA';
  const tail = CREDIT_CODE_CHARSET;
  body += rng.pick(['0', '1', '1', '0']);
  for (let i = 0; i < 5; i++) body += rng.chance(0.6) ? String(rng.int(0, 9)) : tail[rng.int(10, tail.length - 1)]!;
  return body;
}

function creditCode(rng: Rng, entity: string, registered: number): string {
  const body = organisationBody(rng, entity, registered);
  return withCheckCharacter(`${entity}${DIVISION_CODE}${body}${orgCheck(body)}`);
}

function personName(rng: Rng): string {
  const surname = rng.weighted(SURNAMES);
  const chars = [...GIVEN_NAME_CHARS];
  const given = rng.chance(0.75) ? rng.pick(chars) + rng.pick(chars) : rng.pick(chars);
  return surname + given;
}

function tradeName(rng: Rng): string {
  if (rng.chance(0.18)) return rng.pick(LOCAL_TRADE_NAMES);
  const a = rng.pick([...TRADE_NAME_FIRST]);
  let b = rng.pick([...TRADE_NAME_SECOND]);
  if (b === a) b = rng.pick([...TRADE_NAME_SECOND]);
  return a + b;
}

function nameEnding(rng: Rng, entity: string, profile: IndustryProfile): string {
  const endings = profile.names.filter((n) =>
    entity === '93' ? n.includes('合作社') : entity === '92' ? !n.includes('公司') && !n.includes('合作社') : !n.includes('合作社'),
  );
  if (endings.length > 0) return rng.pick(endings);
  if (entity === '93') return '农副产品专业合作社';
  if (entity === '92') return '经营部';
  return '有限公司';
}

function registeredDay(rng: Rng, entity: string, profile: IndustryProfile, ref: number): number {
  const heavy = HEAVY_GROUPS.has(profile.group) || profile.group === 'quarry';
  const r = rng.next();
  const pOld = entity === '92' ? 0.25 : heavy ? 0.68 : 0.42;
  if (r < pOld) return rng.int(entity === '93' ? ymd(2008, 1, 1) : ymd(1996, 1, 1), ymd(2015, 9, 30));
  if (r < 0.93) return rng.int(ymd(2015, 10, 1), ymd(2022, 12, 31));
  return rng.int(ymd(2023, 1, 1), ref - 90);
}

function makePlans(seed: number, count: number, ref: number): Plan[] {
  const start = toDay(DEMO_EVIDENCE_START);
  const industryWeights = INDUSTRIES.map((p) => [p, p.weight] as const);
  const codes = new Set<string>();
  const names = new Set<string>();
  const plans: Plan[] = [];
  for (let index = 0; index < count; index++) {
    const rng = new Rng(deriveSeed(seed, index, STREAMS.plan));
    const profile = rng.weighted(industryWeights);
    const entity = rng.weighted(profile.entity);
    const registered = registeredDay(rng, entity, profile, ref);
    let code = creditCode(rng, entity, registered);
    while (codes.has(code)) code = creditCode(rng, entity, registered);
    codes.add(code);

    const township = weightedTownship(rng, profile);
    const ending = nameEnding(rng, entity, profile);
    let name = '';
    for (let attempt = 0; attempt < 40 && (name === '' || names.has(name)); attempt++) {
      const prefix = entity === '91' && ending.endsWith('公司') && attempt < 30 && rng.chance(0.08) ? '吉林省临江' : attempt < 20 ? CITY_NAME : `${CITY_NAME}${township}`;
      const trade = entity === '92' && rng.chance(0.25) ? `${rng.weighted(SURNAMES)}${rng.pick(['记', '家', '氏'])}` : tradeName(rng);
      name = `${prefix}${trade}${ending}`;
    }
    for (let n = 2; names.has(name); n++) name = `${CITY_NAME}${township}${tradeName(rng)}${n > 50 ? n : ''}${ending}`;
    names.add(name);

    const key = entity === '91' && rng.chance(profile.keyShare);
    const permit = key || ((entity !== '92' || profile.group === 'quarry') && rng.chance(profile.permitShare)) ? `${code}001P` : null;
    const closed = rng.chance(entity === '92' ? 0.04 : 0.015) ? rng.int(Math.max(start + 90, registered + 180), ref - 15) : null;
    const legalRep = personName(rng);
    const changed = rng.chance(0.04) ? rng.int(Math.max(start, registered + 30), ref - 10) : null;

    // Propensity to offend: a base rate scaled by the industry and by being a key unit; those who
    // offend do so a heavy-tailed number of times (most once, a few again and again).
    const p = Math.min(0.75, 0.13 * profile.risk * (key ? 1.5 : 1));
    const offences = rng.chance(p) ? Math.min(15, 1 + Math.floor(rng.lomax(2.1))) : 0;

    plans.push({
      index,
      code,
      entity,
      profile,
      name,
      township,
      legalRep: changed !== null ? personName(rng) : legalRep,
      formerLegalRep: changed !== null ? legalRep : null,
      legalRepChangedOn: changed,
      key,
      permit,
      registered,
      // An enterprise registered within half a year of the reference date draws a closing day past it
      // (the range is empty); it is still open then. Filtered, not redrawn, so every later draw is unchanged.
      closed: closed !== null && closed > registered && closed <= ref ? closed : null,
      from: 0,
      to: 0,
      offences,
      severe: null,
    });
  }
  return plans;
}

// ---------------------------------------------------------------------------------------------
// Evidence builders.

interface ViolationDraft {
  plan: Plan;
  decided: number;
  type: ViolationType;
  severity: IncidentSeverity | null;
  legalBasis: string;
  fine: number;
  measures: Set<PenaltyMeasure>;
  rectified: number | null;
  description: string;
}

class Collector {
  readonly violations: ViolationDraft[] = [];
  readonly emissions: DemoEmissionRecordRow[] = [];
  private readonly emissionIds = new Set<string>();
  readonly audits: DemoCleanProductionAuditRow[] = [];
  readonly disclosures: DemoInformationDisclosureRow[] = [];
  readonly reports: DemoPermitExecutionReportRow[] = [];

  emission(
    plan: Plan,
    series: SeriesSpec,
    start: number,
    end: number,
    value: number,
    source: MonitoringSource,
  ): boolean {
    if (start < plan.from || end > plan.to) return false;
    const tag = source === 'ONLINE_AUTOMATIC' ? 'online' : source === 'MANUAL' ? 'manual' : 'supervisory';
    const sourceId = `emission/${plan.code}/${series.outlet}/${series.pollutant}/${fromDay(start)}/${fromDay(end)}/${tag}`;
    if (this.emissionIds.has(sourceId)) return false;
    this.emissionIds.add(sourceId);
    this.emissions.push({
      credit_code: plan.code,
      source: DEMO_SOURCE,
      source_id: sourceId,
      recorded_by: DEMO_RECORDED_BY,
      period_start: fromDay(start),
      period_end: fromDay(end),
      outlet_code: series.outlet,
      pollutant: series.pollutant,
      measured_value: value.toFixed(series.decimals),
      permitted_limit: String(series.limit),
      unit: series.unit,
      monitoring_source: source,
    });
    return true;
  }
}

const isNoise = (s: SeriesSpec) => s.unit === 'dB(A)';

/** A value comfortably under the limit (or, when `exceed`, over it by the given ratio). */
function measured(rng: Rng, series: SeriesSpec, level: number, exceed: number | null): number {
  if (isNoise(series)) {
    if (exceed !== null) return series.limit + Math.max(0.5, (exceed - 1) * 20);
    return Math.min(series.limit - 0.3, series.limit - 9 + level * 8 + rng.normal() * 1.2);
  }
  if (exceed !== null) return series.limit * exceed;
  const v = series.limit * level * Math.exp(0.18 * rng.normal());
  return Math.min(v, series.limit * 0.97);
}

/** The series an enterprise is monitored on; units without a profile get one generic outlet. */
function seriesOf(plan: Plan): readonly SeriesSpec[] {
  return plan.profile.emission ? EMISSION_PROFILES[plan.profile.emission] : [];
}

function fallbackSeries(plan: Plan, noise: boolean, pollutant = 'PM'): SeriesSpec {
  if (pollutant === 'COD') return { outlet: 'DW001', pollutant: 'COD', unit: 'mg/L', limit: 100, online: false, decimals: 1 };
  if (noise) return { outlet: 'ZS01', pollutant: 'noise', unit: 'dB(A)', limit: plan.profile.group === 'catering' ? 60 : 65, online: false, decimals: 1 };
  return { outlet: 'DA001', pollutant: 'PM', unit: 'mg/m3', limit: 120, online: false, decimals: 1 };
}

function exceedanceText(series: SeriesSpec, value: number, sampled: number): string {
  const label = POLLUTANT_LABELS[series.pollutant] ?? series.pollutant;
  const v = value.toFixed(series.decimals);
  if (isNoise(series)) {
    return `${fromDay(sampled)}监督性监测：厂界昼间噪声${v}dB(A)，超过排放限值${series.limit}dB(A)`;
  }
  const pct = Math.round((value / series.limit - 1) * 100);
  return `${fromDay(sampled)}监督性监测：${series.outlet}排放口${label}浓度${v}${series.unit}，超过排放限值${series.limit}${series.unit}（超标${pct}%）`;
}

/** Ordinary violations of an offender, with the supervisory sample behind each exceedance. */
function ordinaryViolations(seed: number, plan: Plan, out: Collector): void {
  if (plan.offences === 0 || plan.to - plan.from < 60) return;
  const rng = new Rng(deriveSeed(seed, plan.index, STREAMS.violations));
  const series = seriesOf(plan);
  for (let i = 0; i < plan.offences; i++) {
    const decided = rng.int(plan.from + 45, plan.to);
    const type = rng.weighted(plan.profile.violations);
    let exceedance: string | undefined;
    let water = series.some((s) => s.unit === 'mg/L') && (!series.some((s) => s.unit === 'mg/m3') || rng.chance(0.5));
    if (type === 'EXCEEDING_STANDARDS' || type === 'NOISE') {
      const candidates = series.filter((s) => (type === 'NOISE' ? isNoise(s) : !isNoise(s)));
      const s = candidates.length > 0 ? rng.pick(candidates) : fallbackSeries(plan, type === 'NOISE');
      water = s.unit === 'mg/L';
      const sampled = Math.max(plan.from, decided - rng.int(20, 75));
      const ratio = rng.chance(0.7) ? rng.real(1.05, 1.6) : rng.real(1.6, 3.2);
      const value = measured(rng, s, 0, ratio);
      out.emission(plan, s, sampled, sampled, value, 'SUPERVISORY');
      exceedance = exceedanceText(s, value, sampled);
    }
    const content = ordinaryViolation(rng, {
      type,
      other: plan.profile.other,
      water,
      group: plan.profile.group,
      ...(exceedance ? { exceedance } : {}),
    });
    const rectified = rng.chance(0.82) ? decided + rng.int(10, 120) : null;
    out.violations.push({
      plan,
      decided,
      type,
      severity: type === 'ENVIRONMENTAL_INCIDENT' ? 'GENERAL' : null,
      ...content,
      rectified: rectified !== null && rectified <= plan.to ? rectified : null,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Severe cases.

interface SevereSpec {
  scenario: SevereScenario;
  industries: readonly string[];
  /** Needs an online-monitored key unit. */
  key: boolean;
  build(rng: Rng, plan: Plan, d0: number, out: Collector): { closeOn?: number };
}

const RIVERS = ['三道沟河', '四道沟河', '五道沟河', '六道沟河', '七道沟河', '闹枝沟河', '苇沙河', '大栗子沟河'];

function push(out: Collector, plan: Plan, d: Omit<ViolationDraft, 'plan'>): void {
  // With a short evidence window the build-up of a case may predate it: those decisions are left out.
  if (d.decided < plan.from || d.decided > plan.to) return;
  out.violations.push({ plan, ...d, rectified: d.rectified !== null && d.rectified <= plan.to ? d.rectified : null });
}

function supervisoryExceedance(rng: Rng, plan: Plan, out: Collector, day: number, pollutant: string, ratio: number): string {
  const s = seriesOf(plan).find((x) => x.pollutant === pollutant) ?? fallbackSeries(plan, false, pollutant);
  const value = measured(rng, s, 0, ratio);
  out.emission(plan, s, day, day, value, 'SUPERVISORY');
  return exceedanceText(s, value, day);
}

const M = (...m: PenaltyMeasure[]) => new Set<PenaltyMeasure>(m);

const SEVERE_SPECS: readonly SevereSpec[] = [
  {
    scenario: 'FALSIFIED_ONLINE_DATA',
    industries: ['D4430', 'D4412', 'C3099', 'C3031', 'C2022', 'C2021'],
    key: true,
    build(rng, plan, d0, out) {
      push(out, plan, {
        decided: d0 - rng.int(150, 220), type: 'EXCEEDING_TOTAL_LOAD', severity: null,
        legalBasis: `${LAW.air}第九十九条第（二）项`, fine: 200_000, measures: M('CORRECTION_ORDER', 'FINE', 'PRODUCTION_RESTRICTION'),
        rectified: d0 - 90, description: '二氧化硫年排放量超过排污许可证载明的重点大气污染物排放总量控制指标',
      });
      const sample = supervisoryExceedance(rng, plan, out, d0 - rng.int(20, 40), 'SO2', rng.real(1.8, 2.6));
      push(out, plan, {
        decided: d0, type: 'FALSIFIED_MONITORING_DATA', severity: null,
        legalBasis: `${LAW.air}第九十九条第（三）项；${LAW.epl}第六十三条第（三）项`, fine: 680_000,
        measures: M('CORRECTION_ORDER', 'FINE', 'PRODUCTION_SUSPENSION', 'ADMINISTRATIVE_DETENTION', 'CRIMINAL_REFERRAL'),
        rectified: rng.chance(0.5) ? d0 + rng.int(120, 200) : null,
        description: `修改自动监测设备量程和标气参数，篡改二氧化硫、氮氧化物自动监测数据，逃避监管；${sample}。涉嫌污染环境罪，移送公安机关`,
      });
      return {};
    },
  },
  {
    scenario: 'HIDDEN_PIPE',
    industries: ['C2022', 'C2021', 'C1351', 'C2740', 'C1515', 'C1492'],
    key: false,
    build(rng, plan, d0, out) {
      const investment = rng.int(6, 15) * 1_000_000;
      push(out, plan, {
        decided: d0 - rng.int(180, 260), type: 'MAJOR_CHANGE_WITHOUT_APPROVAL', severity: null,
        legalBasis: `${LAW.eia}第二十四条第一款、第三十一条第一款`, fine: Math.round(investment * 0.02),
        measures: M('CORRECTION_ORDER', 'FINE'), rectified: d0 - 60,
        description: `生产规模扩大30%以上属重大变动，未重新报批环境影响评价文件即擅自建设（项目总投资${investment}元）`,
      });
      const sample = supervisoryExceedance(rng, plan, out, d0 - rng.int(5, 15), 'COD', rng.real(3, 6));
      push(out, plan, {
        decided: d0, type: 'BYPASS_OR_HIDDEN_DISCHARGE', severity: null,
        legalBasis: `${LAW.water}第八十三条第（三）项；${LAW.epl}第六十三条第（三）项`, fine: 850_000,
        measures: M('CORRECTION_ORDER', 'FINE', 'PRODUCTION_SUSPENSION', 'ADMINISTRATIVE_DETENTION'),
        rectified: d0 + rng.int(60, 120),
        description: `私设暗管将未经处理的生产废水直接排入${rng.pick(RIVERS)}（鸭绿江支流）；${sample}`,
      });
      return {};
    },
  },
  {
    scenario: 'ILLEGAL_HAZARDOUS_WASTE',
    industries: ['O8111', 'B0921', 'C2740', 'B0810', 'C2110'],
    key: false,
    build(rng, plan, d0, out) {
      push(out, plan, {
        decided: d0 - rng.int(250, 330), type: 'HAZARDOUS_WASTE_MANAGEMENT', severity: null,
        legalBasis: `${LAW.solid}第一百一十二条第一款第（一）项`, fine: 100_000, measures: M('CORRECTION_ORDER', 'FINE'),
        rectified: null, description: '危险废物贮存场所未设置识别标志，未建立危险废物管理台账',
      });
      const tonnes = (rng.int(35, 180) / 10).toFixed(1);
      push(out, plan, {
        decided: d0, type: 'ILLEGAL_HAZARDOUS_WASTE', severity: null,
        legalBasis: `${LAW.solid}第一百一十二条第一款第（四）项、第二款`, fine: 900_000,
        measures: M('CORRECTION_ORDER', 'FINE', 'SEAL_UP_SEIZURE', 'CRIMINAL_REFERRAL'),
        rectified: d0 + rng.int(90, 160),
        description: `将${plan.profile.group === 'medicine' ? '废有机溶剂、蒸馏残渣' : plan.profile.code === 'B0921' ? '含氰废渣' : '废矿物油'}等危险废物约${tonnes}吨交由无危险废物经营许可证的个人收集处置，涉嫌污染环境罪，移送公安机关`,
      });
      return {};
    },
  },
  {
    scenario: 'TAILINGS_INCIDENT',
    industries: ['B0810', 'B0911', 'B0921'],
    key: false,
    build(rng, plan, d0, out) {
      const sample = supervisoryExceedance(rng, plan, out, d0 - rng.int(120, 160), 'COD', rng.real(1.2, 1.5));
      push(out, plan, {
        decided: d0 - rng.int(90, 110), type: 'EXCEEDING_STANDARDS', severity: null,
        legalBasis: `${LAW.water}第八十三条第（二）项`, fine: 150_000, measures: M('CORRECTION_ORDER', 'FINE'),
        rectified: d0 - 30, description: sample,
      });
      const loss = rng.int(800, 1600) * 10_000;
      push(out, plan, {
        decided: d0, type: 'ENVIRONMENTAL_INCIDENT', severity: 'LARGER',
        legalBasis: `${LAW.water}第九十四条第一款、第二款`, fine: Math.round(loss * 0.2),
        measures: M('CORRECTION_ORDER', 'FINE', 'PRODUCTION_SUSPENSION', 'SUPERVISED_RECTIFICATION'),
        rectified: rng.chance(0.5) ? d0 + rng.int(180, 260) : null,
        description: `尾矿库排洪设施损坏致尾矿浆约${rng.int(18, 45) / 10}万立方米泄漏进入${rng.pick(RIVERS)}，鸭绿江入河口断面总铁、悬浮物超标，构成较大突发环境事件，直接经济损失${loss}元`,
      });
      return {};
    },
  },
  {
    scenario: 'SEEPAGE_PIT',
    industries: ['B0911', 'B0810', 'B1099', 'B0921'],
    key: false,
    build(rng, plan, d0, out) {
      const investment = rng.int(8, 20) * 1_000_000;
      push(out, plan, {
        decided: d0 - rng.int(200, 280), type: 'EIA_NOT_APPROVED', severity: null,
        legalBasis: `${LAW.eia}第三十一条第一款`, fine: Math.round(investment * 0.015),
        measures: M('CORRECTION_ORDER', 'FINE', 'PRODUCTION_SUSPENSION'), rectified: null,
        description: `扩建选矿车间及尾矿库，环境影响报告书未经批准擅自开工建设（项目总投资${investment}元）`,
      });
      push(out, plan, {
        decided: d0, type: 'BYPASS_OR_HIDDEN_DISCHARGE', severity: null,
        legalBasis: `${LAW.water}第八十三条第（三）项；${LAW.epl}第六十三条第（三）项`, fine: 1_000_000,
        measures: M('CORRECTION_ORDER', 'FINE', 'SHUTDOWN_ORDER', 'CRIMINAL_REFERRAL'), rectified: null,
        description: '利用渗坑排放含重金属的选矿废水，逃避监管，情节严重，报经临江市人民政府批准责令关闭；涉嫌污染环境罪，移送公安机关',
      });
      return { closeOn: d0 + rng.int(60, 120) };
    },
  },
  {
    scenario: 'OVERDUE_RECTIFICATION',
    industries: ['C3031', 'C3099', 'D4430', 'C3011'],
    key: false,
    build(rng, plan, d0, out) {
      push(out, plan, {
        decided: d0 - rng.int(260, 300), type: 'HEAVY_POLLUTION_WEATHER_NONCOMPLIANCE', severity: null,
        legalBasis: `${LAW.air}第一百二十一条第二款`, fine: 50_000, measures: M('CORRECTION_ORDER', 'FINE'), rectified: null,
        description: '重污染天气橙色预警期间未按应急减排清单落实停产、限产措施',
      });
      const first = d0 - rng.int(170, 200);
      const sample = supervisoryExceedance(rng, plan, out, first - 30, 'PM', rng.real(1.9, 2.6));
      push(out, plan, {
        decided: first, type: 'EXCEEDING_STANDARDS', severity: null,
        legalBasis: `${LAW.air}第九十九条第（二）项`, fine: 300_000,
        measures: M('CORRECTION_ORDER', 'FINE', 'PRODUCTION_RESTRICTION', 'SUPERVISED_RECTIFICATION'), rectified: null,
        description: `${sample}；挂牌督办，限期三个月完成整改`,
      });
      const recheck = first + rng.int(25, 35);
      const again = supervisoryExceedance(rng, plan, out, recheck, 'PM', rng.real(1.5, 2));
      const days = rng.int(15, 30);
      push(out, plan, {
        decided: recheck + 20, type: 'EXCEEDING_STANDARDS', severity: null,
        legalBasis: `${LAW.epl}第五十九条；${LAW.air}第九十九条第（二）项`, fine: 150_000 * days,
        measures: M('CORRECTION_ORDER', 'FINE', 'DAILY_CONTINUOUS_PENALTY'), rectified: null,
        description: `复查仍超标排放（${again}），按原处罚数额按日连续处罚${days}日`,
      });
      push(out, plan, {
        decided: d0, type: 'OVERDUE_RECTIFICATION', severity: null,
        legalBasis: `${LAW.epl}第六十条`, fine: 0,
        measures: M('CORRECTION_ORDER', 'PRODUCTION_SUSPENSION', 'SUPERVISED_RECTIFICATION'), rectified: null,
        description: '挂牌督办期满逾期未完成整改任务，责令停产整治',
      });
      return {};
    },
  },
  {
    scenario: 'OBSTRUCTION',
    industries: ['C3099', 'B1099', 'C3031', 'C2740', 'C2022'],
    key: false,
    build(rng, plan, d0, out) {
      push(out, plan, {
        decided: d0 - rng.int(50, 80), type: 'OPERATING_BEFORE_ACCEPTANCE', severity: null,
        legalBasis: `${LAW.construction}第二十三条第一款`, fine: rng.int(30, 60) * 10_000,
        measures: M('CORRECTION_ORDER', 'FINE'), rectified: null,
        description: '煅烧生产线配套除尘、脱硫设施未经验收即投入生产',
      });
      push(out, plan, {
        decided: d0, type: 'REFUSING_INSPECTION', severity: null,
        legalBasis: `${LAW.air}第九十八条第一款`, fine: 200_000,
        measures: M('CORRECTION_ORDER', 'FINE', 'ADMINISTRATIVE_DETENTION'), rectified: d0 + rng.int(30, 60),
        description: '关闭厂门阻挠执法人员进入现场检查，并转移、隐匿生产和环境管理台账；相关责任人由公安机关依法处以行政拘留',
      });
      return {};
    },
  },
  {
    scenario: 'SEWAGE_DATA_DILUTED',
    industries: ['D4620', 'C2740', 'C1351', 'D4430'],
    key: true,
    build(rng, plan, d0, out) {
      const sample = supervisoryExceedance(rng, plan, out, d0 - rng.int(20, 40), 'COD', rng.real(1.4, 2.2));
      push(out, plan, {
        decided: d0, type: 'FALSIFIED_MONITORING_DATA', severity: null,
        legalBasis: `${LAW.water}第八十三条第（三）项；${LAW.epl}第六十三条第（三）项`, fine: 500_000,
        measures: M('CORRECTION_ORDER', 'FINE', 'ADMINISTRATIVE_DETENTION'), rectified: d0 + rng.int(40, 90),
        description: `运维人员向在线监测采样桶注入清水稀释水样，致化学需氧量、氨氮自动监测数据失真；${sample}`,
      });
      return {};
    },
  },
];

/** About one severe case per 200 enterprises, at least one, at most one per scenario. */
export function severeCaseCount(enterprises: number): number {
  return Math.max(1, Math.min(SEVERE_SPECS.length, Math.round(enterprises / 200)));
}

function assignSevere(seed: number, plans: Plan[], ref: number, start: number): Array<{ plan: Plan; spec: SevereSpec; d0: number; rng: Rng }> {
  const rng = new Rng(deriveSeed(seed, STREAMS.severe));
  const count = severeCaseCount(plans.length);
  const taken = new Set<number>();
  const chosen: Array<{ plan: Plan; spec: SevereSpec; d0: number; rng: Rng }> = [];
  const eligible = (p: Plan) => !taken.has(p.index) && p.entity === '91' && p.registered < start - 365 && p.closed === null;
  for (const spec of SEVERE_SPECS.slice(0, count)) {
    const tiers = [
      plans.filter((p) => eligible(p) && spec.industries.includes(p.profile.code) && (!spec.key || p.key)),
      plans.filter((p) => eligible(p) && spec.industries.includes(p.profile.code)),
      plans.filter((p) => eligible(p) && HEAVY_GROUPS.has(p.profile.group)),
      plans.filter((p) => eligible(p)),
    ];
    const pool = tiers.find((t) => t.length > 0);
    if (!pool) break;
    const plan = rng.pick(pool);
    taken.add(plan.index);
    plan.severe = spec.scenario;
    plan.offences = 0;
    // Late enough for the build-up, early enough for the follow-up (and a closure) before the reference date.
    const d0 = rng.int(Math.min(start + 330, ref - 200), ref - 160);
    chosen.push({ plan, spec, d0, rng: new Rng(deriveSeed(seed, plan.index, STREAMS.severe)) });
  }
  return chosen;
}

// ---------------------------------------------------------------------------------------------
// Routine monitoring, audits, disclosure and permit reports.

function monthsBetween(from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let y = yearOf(from);
  let m = monthOf(from);
  for (;;) {
    const s = ymd(y, m, 1);
    const e = ymd(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, 1) - 1;
    if (s > to) break;
    if (s >= from && e <= to) out.push([s, e]);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

function periods(from: number, to: number, months: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let y = yearOf(from); y <= yearOf(to); y++) {
    for (let m = 1; m <= 12; m += months) {
      const s = ymd(y, m, 1);
      const e = ymd(m + months > 12 ? y + 1 : y, m + months > 12 ? 1 : m + months, 1) - 1;
      if (s >= from && e <= to) out.push([s, e]);
    }
  }
  return out;
}

function routineEmissions(seed: number, plan: Plan, out: Collector): void {
  const all = seriesOf(plan);
  if (all.length === 0 || (!plan.key && plan.permit === null)) return;
  const rng = new Rng(deriveSeed(seed, plan.index, STREAMS.emissions));
  const risky = plan.offences > 0 || plan.severe !== null;
  const spike = risky ? 0.02 : 0.003;
  // Self-monitoring starts with the first full period after the evidence window opens.
  const from = plan.from;
  for (const s of all) {
    const level = risky ? rng.real(0.45, 0.85) : rng.real(0.25, 0.7);
    const value = () => measured(rng, s, level, rng.chance(spike) ? rng.real(1.03, 1.45) : null);
    if (plan.key && s.online) {
      for (const [ps, pe] of monthsBetween(from, plan.to)) out.emission(plan, s, ps, pe, value(), 'ONLINE_AUTOMATIC');
    } else if (plan.key) {
      for (const [ps, pe] of periods(from, plan.to, 3)) out.emission(plan, s, ps, pe, value(), 'MANUAL');
    } else {
      // Simplified-management permit holders: contracted self-monitoring each quarter.
      for (const [ps, pe] of periods(from, plan.to, 3)) out.emission(plan, s, ps, pe, value(), 'MANUAL');
    }
  }
  // Supervisory monitoring: key units once or twice a year, permit holders now and then.
  for (let y = yearOf(from); y <= yearOf(plan.to); y++) {
    const samples = plan.key ? rng.int(1, 2) : rng.chance(0.3) ? 1 : 0;
    for (let i = 0; i < samples; i++) {
      const day = rng.int(Math.max(from, ymd(y, 3, 1)), Math.min(plan.to, ymd(y, 11, 30)));
      if (day < from || day > plan.to) continue;
      const outlet = rng.pick(all).outlet;
      for (const s of all.filter((x) => x.outlet === outlet)) {
        const level = risky ? rng.real(0.5, 0.9) : rng.real(0.25, 0.75);
        out.emission(plan, s, day, day, measured(rng, s, level, rng.chance(spike) ? rng.real(1.03, 1.3) : null), 'SUPERVISORY');
      }
    }
  }
}

function audits(seed: number, plan: Plan, out: Collector): void {
  const heavy = HEAVY_GROUPS.has(plan.profile.group);
  const p = plan.key ? (heavy ? 0.55 : 0.3) : plan.permit !== null && heavy ? 0.08 : 0;
  const rng = new Rng(deriveSeed(seed, plan.index, STREAMS.audits));
  if (!rng.chance(p) || plan.to - plan.from < 120) return;
  const risky = plan.offences > 0 || plan.severe !== null;
  let day = rng.int(plan.from + 30, Math.max(plan.from + 30, plan.to - 60));
  for (let round = 0; round < 2; round++) {
    const level: AuditLevel = risky ? rng.weighted([['II', 0.2], ['III', 0.8]] as const) : rng.weighted([['I', 0.07], ['II', 0.35], ['III', 0.58]] as const);
    const acceptedOn = day + rng.int(30, 150);
    const accepted = acceptedOn <= plan.to && rng.chance(plan.severe ? 0.3 : risky ? 0.65 : 0.9);
    out.audits.push({
      credit_code: plan.code,
      source: DEMO_SOURCE,
      source_id: `audit/${plan.code}/${fromDay(day)}`,
      recorded_by: DEMO_RECORDED_BY,
      audit_date: fromDay(day),
      level,
      accepted,
      accepted_on: accepted ? fromDay(acceptedOn) : null,
      auditor: rng.pick(AUDITORS),
    });
    // A failed audit is usually redone within a year or so.
    const next = day + rng.int(300, 420);
    if (accepted || next > plan.to - 60 || !rng.chance(0.6)) break;
    day = next;
  }
}

function disclosures(seed: number, plan: Plan, out: Collector): void {
  if (!plan.key) return;
  const rng = new Rng(deriveSeed(seed, plan.index, STREAMS.disclosures));
  const risky = plan.offences > 0 || plan.severe !== null;
  for (let year = yearOf(plan.from); year < yearOf(plan.to); year++) {
    if (plan.registered > ymd(year, 12, 31)) continue;
    const checked = ymd(year + 1, 4, 1) + rng.int(0, 75);
    if (checked > plan.to) continue;
    const status: DisclosureStatus = rng.weighted(
      risky
        ? ([['COMPLETE', 0.62], ['INCOMPLETE', 0.18], ['LATE', 0.12], ['NOT_DISCLOSED', 0.08]] as const)
        : ([['COMPLETE', 0.9], ['INCOMPLETE', 0.05], ['LATE', 0.04], ['NOT_DISCLOSED', 0.01]] as const),
    );
    out.disclosures.push({
      credit_code: plan.code,
      source: DEMO_SOURCE,
      source_id: `disclosure/${plan.code}/${year}`,
      recorded_by: DEMO_RECORDED_BY,
      year,
      status,
      checked_on: fromDay(checked),
    });
    if (status === 'NOT_DISCLOSED' && rng.chance(0.6)) {
      const decided = checked + rng.int(30, 90);
      if (decided <= plan.to) {
        const content = ordinaryViolation(rng, { type: 'DISCLOSURE_FAILURE', other: plan.profile.other, water: false, group: plan.profile.group });
        const rectified = decided + rng.int(10, 40);
        out.violations.push({
          plan,
          decided,
          type: 'DISCLOSURE_FAILURE',
          severity: null,
          ...content,
          description: `未按规定披露${year}年度企业环境信息`,
          rectified: rectified <= plan.to ? rectified : null,
        });
      }
    }
  }
}

function permitReports(seed: number, plan: Plan, out: Collector): void {
  if (plan.permit === null) return;
  const rng = new Rng(deriveSeed(seed, plan.index, STREAMS.reports));
  const risky = plan.offences > 0 || plan.severe !== null;
  const onTime = risky ? 0.72 : 0.93;
  const kinds: Array<[PermitReportType, Array<[number, number]>, (end: number) => number]> = [
    ['ANNUAL', periods(ymd(yearOf(plan.from), 1, 1), plan.to, 12), (end) => end + 31],
  ];
  if (plan.key) kinds.push(['QUARTERLY', periods(ymd(yearOf(plan.from), 1, 1), plan.to, 3), (end) => end + 15]);
  if (plan.key && plan.profile.monthlyReports) kinds.push(['MONTHLY', monthsBetween(plan.from, plan.to), (end) => end + 10]);
  for (const [type, list, dueOf] of kinds) {
    for (const [, end] of list) {
      if (end < plan.from || end < plan.registered + 60) continue;
      const due = dueOf(end);
      if (due > plan.to) continue;
      const r = rng.next();
      let submitted: number | null;
      let complete: boolean;
      if (r < onTime) {
        submitted = due - rng.int(0, 12);
        complete = rng.chance(0.96);
      } else if (r < onTime + (1 - onTime) * 0.65) {
        submitted = due + rng.int(1, 60);
        complete = rng.chance(0.8);
        if (submitted > plan.to) submitted = null;
      } else {
        submitted = null;
        complete = false;
      }
      if (submitted === null) complete = false;
      out.reports.push({
        credit_code: plan.code,
        source: DEMO_SOURCE,
        source_id: `permit-report/${plan.code}/${type}/${fromDay(end)}`,
        recorded_by: DEMO_RECORDED_BY,
        report_type: type,
        period_end: fromDay(end),
        due_on: fromDay(due),
        submitted_on: submitted === null ? null : fromDay(submitted),
        complete,
      });
    }
  }
}

const COMPLAINT_TOPICS: Record<string, readonly string[]> = {
  catering: ['餐饮油烟直排扰民', '夜间经营噪声扰民'],
  construction: ['施工扬尘污染', '夜间施工噪声扰民'],
  wood: ['锯木加工噪声扰民', '烘干窑烟尘污染'],
  mining: ['运矿车辆及堆场扬尘', '选矿废水排入河道', '爆破噪声扰民'],
  quarry: ['采砂破坏河道、扬尘污染', '碎石机噪声扰民'],
  building: ['窑炉冒黑烟', '厂区粉尘污染'],
  power: ['烟囱冒黑烟', '灰渣堆场扬尘'],
  sewage: ['污水处理厂异味', '排放口出水浑浊'],
  food: ['生产废水排放异味', '厂区异味扰民'],
  beverage: ['生产废水排入沟渠'],
  medicine: ['中药提取废渣堆放异味', '生产废水排放异味'],
  auto: ['喷漆异味扰民', '废机油随意倾倒'],
  fuel: ['加油站油气味大'],
  hospital: ['医疗废物暂存不规范'],
  hydro: ['电站废油污染河道'],
  agriculture: ['养殖粪污异味', '粪水外溢污染农田'],
  trade: ['物料堆场扬尘'],
};
const COMPLAINT_WEIGHT: Record<string, number> = {
  catering: 1.2, construction: 1.2, wood: 1.5, mining: 2, quarry: 2, building: 2, power: 2, sewage: 2,
  food: 1, beverage: 0.5, medicine: 1, auto: 1, fuel: 0.3, hospital: 0.5, hydro: 0.2, agriculture: 0.6, trade: 0.1,
};
const CHANNEL_WORDING: Record<ComplaintChannel, string> = {
  HOTLINE: '群众经12369环保举报热线反映',
  ONLINE: '群众通过网上信访平台反映',
  NGO: '环保公益组织来函反映',
  MEDIA: '媒体报道',
  OTHER: '群众经12345政务服务热线反映（转办）',
};

function complaints(seed: number, plans: readonly Plan[]): DemoVerifiedComplaintRow[] {
  const rng = new Rng(deriveSeed(seed, STREAMS.complaints));
  const total = Math.round(plans.length * 0.08);
  const weights = plans.map((p) => [p, (COMPLAINT_WEIGHT[p.profile.group] ?? 0.5) * (p.offences > 0 || p.severe ? 4 : 1) * (p.to - p.from > 60 ? 1 : 0)] as const);
  const drafts: Array<{ plan: Plan; received: number; verified: number; channel: ComplaintChannel; substantiated: boolean; summary: string }> = [];
  for (let i = 0; i < total; i++) {
    const plan = rng.weighted(weights);
    if (plan.to - plan.from <= 60) continue;
    const received = rng.int(plan.from, plan.to - 25);
    const verified = received + rng.int(2, 20);
    const channel = rng.weighted([['HOTLINE', 50], ['ONLINE', 25], ['OTHER', 15], ['MEDIA', 6], ['NGO', 4]] as const);
    const substantiated = rng.chance(plan.offences > 0 || plan.severe ? 0.7 : 0.35);
    const topic = rng.pick(COMPLAINT_TOPICS[plan.profile.group] ?? ['环境污染问题']);
    drafts.push({
      plan,
      received,
      verified,
      channel,
      substantiated,
      summary: `${CHANNEL_WORDING[channel]}${topic}；经现场核查，${substantiated ? '情况属实，已责令限期整改' : '未发现所反映的问题'}`,
    });
  }
  drafts.sort((a, b) => a.received - b.received || a.plan.index - b.plan.index);
  const seq = new Map<number, number>();
  return drafts.map((d) => {
    const year = yearOf(d.received);
    const n = (seq.get(year) ?? 0) + 1;
    seq.set(year, n);
    return {
      credit_code: d.plan.code,
      source: DEMO_SOURCE,
      source_id: `complaint/${year}/${String(n).padStart(4, '0')}`,
      recorded_by: DEMO_RECORDED_BY,
      received_on: fromDay(d.received),
      verified_on: fromDay(d.verified),
      channel: d.channel,
      substantiated: d.substantiated,
      summary: d.summary,
    };
  });
}

// ---------------------------------------------------------------------------------------------

function revisions(plan: Plan): DemoEnterpriseRevisionRow[] {
  const base = {
    credit_code: plan.code,
    name: plan.name,
    region: plan.township,
    industry: plan.profile.code,
    key_discharge_unit: plan.key,
    permit_number: plan.permit,
    registered_on: fromDay(plan.registered),
    source: DEMO_SOURCE,
    recorded_by: DEMO_RECORDED_BY,
  };
  const rows: DemoEnterpriseRevisionRow[] = [];
  const add = (legal: string, closed: number | null) => {
    const revision = rows.length + 1;
    rows.push({ ...base, revision, source_id: `enterprise/${plan.code}/r${revision}`, legal_representative: legal, closed_on: closed === null ? null : fromDay(closed) });
  };
  // A change of legal representative after the closure never happened.
  const changed = plan.formerLegalRep !== null && (plan.closed === null || (plan.legalRepChangedOn ?? 0) < plan.closed);
  let legal = plan.formerLegalRep ?? plan.legalRep;
  add(legal, null);
  if (changed) {
    legal = plan.legalRep;
    add(legal, null);
  }
  if (plan.closed !== null) add(legal, plan.closed);
  return rows;
}

/** Generates the demo city: plain rows ready to insert, in dependency order. */
export function generateDemoCity(options: DemoCityOptions): DemoCity {
  const seed = options.seed;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer; got ${seed}`);
  const count = options.enterprises ?? DEMO_DEFAULT_ENTERPRISES;
  if (!Number.isInteger(count) || count < 1 || count > 200_000) throw new RangeError(`enterprises must be an integer in 1..200000; got ${count}`);
  const referenceDate = options.referenceDate ?? DEMO_DEFAULT_REFERENCE_DATE;
  const ref = toDay(referenceDate);
  const start = toDay(DEMO_EVIDENCE_START);
  if (ref < start + 400) throw new RangeError(`referenceDate must be after ${fromDay(start + 400)}; got ${referenceDate}`);

  const plans = makePlans(seed, count, ref);
  const severe = assignSevere(seed, plans, ref, start);
  const out = new Collector();

  // Severe cases first: they may close the enterprise, which ends its other evidence.
  for (const plan of plans) {
    plan.from = Math.max(start, plan.registered + 1);
    plan.to = plan.closed ?? ref;
  }
  for (const { plan, spec, d0, rng } of severe) {
    const { closeOn } = spec.build(rng, plan, d0, out);
    if (closeOn !== undefined && closeOn <= ref) {
      plan.closed = closeOn;
      plan.to = closeOn;
    }
  }
  for (const plan of plans) {
    ordinaryViolations(seed, plan, out);
    routineEmissions(seed, plan, out);
    audits(seed, plan, out);
    disclosures(seed, plan, out);
    permitReports(seed, plan, out);
  }

  // Decision numbers run per year in date order, as a bureau's register does.
  out.violations.sort((a, b) => a.decided - b.decided || a.plan.index - b.plan.index);
  const seq = new Map<number, number>();
  const violations: DemoViolationRow[] = out.violations.map((v) => {
    const year = yearOf(v.decided);
    const n = (seq.get(year) ?? 0) + 1;
    seq.set(year, n);
    return {
      credit_code: v.plan.code,
      source: DEMO_SOURCE,
      source_id: `violation/${year}/${String(n).padStart(4, '0')}`,
      recorded_by: DEMO_RECORDED_BY,
      decision_number: `临环罚〔${year}〕${n}号`,
      decided_on: fromDay(v.decided),
      violation_type: v.type,
      incident_severity: v.severity,
      legal_basis: v.legalBasis,
      fine_cny: v.fine.toFixed(2),
      measures: PENALTY_MEASURES.filter((m) => v.measures.has(m)),
      rectified_on: v.rectified === null || v.rectified <= v.decided ? null : fromDay(v.rectified),
      description: v.description,
    };
  });

  const tables: DemoTables = {
    enterprises: plans.map((p) => ({ credit_code: p.code, created_by: DEMO_RECORDED_BY })),
    enterprise_revisions: plans.flatMap(revisions),
    violations,
    emission_records: out.emissions,
    clean_production_audits: out.audits,
    information_disclosures: out.disclosures,
    verified_complaints: complaints(seed, plans),
    permit_execution_reports: out.reports,
  };
  return {
    seed,
    referenceDate,
    tables,
    severeCases: severe.map(({ plan, spec }) => ({ creditCode: plan.code, name: plan.name, scenario: spec.scenario })),
  };
}

/** Rows per table. */
export function countRows(tables: DemoTables): Record<DemoTableName, number> {
  return Object.fromEntries(DEMO_TABLES.map((t) => [t, tables[t].length])) as Record<DemoTableName, number>;
}
