import { canonicalJson } from '../rules/canonical-json.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import { PURPOSES, SITUATIONS, type FieldTest, type Indicator, type Match, type RevokeCondition, type RuleFile } from '../rules/types.ts';
import { html, type SafeHtml } from './html.ts';
import { levelBadge } from './layout.ts';

/** Rule files for a reader who is not a programmer, and a structural diff of two versions. */

const SOURCE_NAMES: Record<string, string> = {
  violation: '行政处罚 penalties',
  emission: '排放监测 emission records',
  audit: '清洁生产审核 clean-production audits',
  disclosure: '信息公开 disclosure',
  complaint: '投诉举报 complaints',
  permitReport: '排污许可执行报告 permit reports',
  enterprise: '企业信息 enterprise',
};
const PURPOSE_NAMES: Record<string, string> = { LOAN: '贷款 Loan', FISCAL_FUND: '财政资金 Fiscal fund', INSURANCE: '环责险 Insurance' };

const list = (values: readonly (string | number)[]) => values.join(', ');

/** One field test in words, e.g. `fine_cny ≥ 200000`, `violation_type ∈ {A, B}`. */
export function describeTest(field: string, test: FieldTest): string[] {
  const out: string[] = [];
  if (test.in) out.push(`${field} ∈ {${list(test.in)}}`);
  if (test.not_in) out.push(`${field} ∉ {${list(test.not_in)}}`);
  if (test.any) out.push(`${field} 含任一 any of {${list(test.any)}}`);
  if (test.none) out.push(`${field} 不含 none of {${list(test.none)}}`);
  if (test.equals !== undefined) out.push(`${field} = ${String(test.equals)}`);
  if (test.is_null !== undefined) out.push(test.is_null ? `${field} 为空 is empty` : `${field} 非空 is set`);
  if (test.min !== undefined) out.push(`${field} ≥ ${test.min}`);
  if (test.max !== undefined) out.push(`${field} ≤ ${test.max}`);
  if (test.above !== undefined) out.push(`${field} > ${test.above}`);
  if (test.below !== undefined) out.push(`${field} < ${test.below}`);
  return out;
}

export function describeMatch(match: Match | undefined): string {
  if (!match) return '全部记录 every record';
  const parts: string[] = [];
  for (const [field, test] of Object.entries(match)) {
    if (field === 'cel') parts.push(`条件 condition: ${String(test)}`);
    else if (test && typeof test === 'object') parts.push(...describeTest(field, test));
  }
  return parts.length ? parts.join(' 且 and ') : '全部记录 every record';
}

function indicatorRows(indicator: Indicator): SafeHtml {
  if (indicator.measure === 'per_record') {
    return html`<ul>${indicator.table.map((row) => html`<li>${describeMatch(row.when)} → <strong>${row.points}</strong> 分 points <code>${row.reason}</code>${row.window ? html` (${row.window})` : ''}</li>`)}</ul>${
      indicator.escalation
        ? html`<p class="note">重复违法加重 Repeats within ${indicator.escalation.lookback_months} months (same ${indicator.escalation.same}): ×${indicator.escalation.multipliers.join(' / ×')}</p>`
        : ''
    }${indicator.max_records ? html`<p class="note">最多计 At most ${indicator.max_records} record(s)</p>` : ''}`;
  }
  if (indicator.measure === 'rate') {
    return html`<p class="note">达标 Compliant when: ${describeMatch(indicator.compliant)}</p><ul>${indicator.bands.map((b) => html`<li>达标率 rate ≥ ${Math.round(b.min_rate * 100)}% → <strong>${b.points}</strong> 分 points <code>${b.reason}</code></li>`)}</ul>`;
  }
  return html`<p>${indicator.cel} → <strong>${indicator.points}</strong> 分 points <code>${indicator.reason}</code></p>`;
}

/** The revoke conditions a reader must see besides level and veto: each its reason, what it means, and the exact CEL. */
function revokeConditionsLine(conditions: readonly RevokeCondition[] | undefined): SafeHtml | string {
  if (!conditions) return '';
  return html`${conditions.map((c) => html` 或 or <code>${c.reason}</code>${c.description ? html`: ${c.description}` : ''} (<code>${c.cel}</code>)`)}`;
}

function indicatorBlock(indicator: Indicator, kind: 'deduction' | 'bonus'): SafeHtml {
  return html`<tr><td><code>${indicator.id}</code></td><td><strong>${indicator.title}</strong><br><span class="note">${indicator.basis}</span>
  <br>${indicator.measure === 'condition' ? '' : html`<span class="note">来源 Source: ${SOURCE_NAMES[indicator.source] ?? indicator.source}; 范围 which records: ${describeMatch(indicator.where)}</span>`}
  ${indicatorRows(indicator)}${indicator.dynamic ? html`<p class="note">新记录即时动态调整 A new record re-rates at once.</p>` : ''}</td>
  <td class="num">${indicator.points ?? '—'}</td><td class="num">${kind === 'bonus' ? '+' : '−'}</td></tr>`;
}

export function renderRuleSet(ruleSet: CompiledRuleSet): SafeHtml {
  const f = ruleSet.file;
  return html`
<dl class="facts">
  <dt>规则集 Rule set</dt><dd><code>${f.id}@${f.version}</code></dd>
  <dt>施行 In force</dt><dd>${f.effective_from} – ${f.effective_to ?? '至今 open'}</dd>
  <dt>评价周期 Period</dt><dd>${f.evaluation.period === 'CALENDAR_YEAR' ? '自然年 calendar year' : '滚动12个月 rolling 12 months'}; 公示 publicity ${f.evaluation.publicity_days ?? '—'} 天 days</dd>
  <dt>基础分 Base score</dt><dd>${f.scoring.base_score} (${f.scoring.min_score}–${f.scoring.max_score})</dd>
  <dt>内容哈希 Content hash</dt><dd><code>${ruleSet.contentHash}</code></dd>
</dl>
${f.description ? html`<p>${f.description}</p>` : ''}
<h2>依据 Legal basis</h2><ul>${f.legal_basis.map((b) => html`<li>${b}</li>`)}</ul>
<h2>等级划分 Levels</h2>
<div class="table-wrap"><table><thead><tr><th>等级 Level</th><th class="num">最低分 Min score</th><th>附加条件 Extra condition</th><th>说明 Description</th></tr></thead>
<tbody>${f.levels.map((l) => html`<tr><td>${levelBadge(l.level)}</td><td class="num">${l.min_score ?? '其余 otherwise'}</td><td>${l.cel ? html`<code>${l.cel}</code>` : '—'}</td><td>${l.description ?? ''}</td></tr>`)}</tbody></table></div>
<h2>扣分指标 Indicators (deductions)</h2>
${f.categories.map(
  (c) => html`<section><h3>${c.title} <span class="en">${c.weight_percent !== undefined ? html`权重 weight ${c.weight_percent}%` : ''}${c.max_deduction !== undefined ? html` · 最多扣 at most ${c.max_deduction} 分` : ''}</span></h3>
<div class="table-wrap"><table><thead><tr><th>编号 ID</th><th>指标 Indicator</th><th class="num">分值 Points</th><th class="num"></th></tr></thead><tbody>${c.indicators.map((i) => indicatorBlock(i, 'deduction'))}</tbody></table></div></section>`,
)}
<h2>加分指标 Bonuses ${f.bonuses.max_total !== undefined ? html`<span class="en">最多 at most +${f.bonuses.max_total}</span>` : ''}</h2>
<div class="table-wrap"><table><thead><tr><th>编号 ID</th><th>指标 Indicator</th><th class="num">分值 Points</th><th class="num"></th></tr></thead><tbody>${f.bonuses.indicators.map((i) => indicatorBlock(i, 'bonus'))}</tbody></table></div>
<h2>一票否决 Vetoes</h2>
<div class="table-wrap"><table><thead><tr><th>否决项 Veto</th><th>直接定为 Forces</th><th>触发条件 When</th></tr></thead>
<tbody>${f.vetoes.map((v) => html`<tr><td><strong>${v.title}</strong><br><code>${v.id}</code><br><span class="note">${v.basis}</span></td><td>${levelBadge(v.forces_level)}</td><td>${SOURCE_NAMES[v.source] ?? v.source}: ${describeMatch(v.where)}${v.cel ? html`<br><code>${v.cel}</code>` : ''}</td></tr>`)}</tbody></table></div>
<h2>黑名单标准 Blacklist criteria</h2>
<ul>${f.blacklist.criteria.map(
    (c) =>
      html`<li><strong>${c.cause}</strong> <code>${c.id}</code>: ${c.when.level_in ? html`等级 level ∈ {${list(c.when.level_in)}} ` : ''}${c.when.vetoes_any ? html`否决项任一 any veto of {${list(c.when.vetoes_any)}} ` : ''}${c.when.cel ? html`<code>${c.when.cel}</code> ` : ''}· 至少 at least ${c.minimum_months} 个月 months · ${c.automatic ? '自动列入 automatic' : '经局审核 bureau confirms'}</li>`,
  )}</ul>
<h2>环保领跑者 Leaders</h2>
<p>任期 Term ${f.leader.term_months} 个月 months. 推荐 Nominated when: ${f.leader.nominate.level_in ? `level ∈ {${list(f.leader.nominate.level_in)}}` : ''} ${f.leader.nominate.min_score !== undefined ? `score ≥ ${f.leader.nominate.min_score}` : ''} ${f.leader.nominate.clean_months !== undefined ? `${f.leader.nominate.clean_months} clean months` : ''} ${f.leader.nominate.bonuses_any ? `bonus any of {${list(f.leader.nominate.bonuses_any)}}` : ''}${f.leader.nominate.cel ? html` 且 and <code>${f.leader.nominate.cel}</code>` : ''}. 撤销 Revoked when: ${f.leader.revoke.level_in ? `level ∈ {${list(f.leader.revoke.level_in)}}` : ''} ${f.leader.revoke.any_veto ? '或任何否决项 or any veto' : ''}${revokeConditionsLine(f.leader.revoke.conditions)}.</p>
<h2>结果应用 What institutions do (lookup policy)</h2>
<div class="table-wrap"><table><thead><tr><th>情形 Situation</th>${PURPOSES.map((p) => html`<th>${PURPOSE_NAMES[p]}</th>`)}</tr></thead>
<tbody>${SITUATIONS.map((s) => html`<tr><th>${s}</th>${PURPOSES.map((p) => {
    const e = ruleSet.lookup[p][s];
    return html`<td><strong>${e.verdict}</strong>${e.premium_multiplier !== undefined ? html` ×${e.premium_multiplier}` : ''}<br><span class="note">${e.reason}</span></td>`;
  })}</tr>`)}</tbody></table></div>`;
}

export type DiffKind = 'added' | 'removed' | 'changed';

export interface DiffEntry {
  section: 'general' | 'categories' | 'indicators' | 'vetoes' | 'levels' | 'blacklist' | 'leader' | 'lookup';
  key: string;
  kind: DiffKind;
  /** For changed entries: each top-level field that differs, as compact JSON. */
  fields: { field: string; before: string | null; after: string | null }[];
}

const json = (v: unknown) => (v === undefined ? null : canonicalJson(v));

function compareKeyed<T>(section: DiffEntry['section'], a: Map<string, T>, b: Map<string, T>, out: DiffEntry[]): void {
  for (const [key, before] of a) {
    const after = b.get(key);
    if (after === undefined) out.push({ section, key, kind: 'removed', fields: [] });
    else {
      const fields = fieldDiff(before, after);
      if (fields.length) out.push({ section, key, kind: 'changed', fields });
    }
  }
  for (const key of b.keys()) if (!a.has(key)) out.push({ section, key, kind: 'added', fields: [] });
}

function fieldDiff(before: unknown, after: unknown): DiffEntry['fields'] {
  if (typeof before !== 'object' || before === null || typeof after !== 'object' || after === null || Array.isArray(before) || Array.isArray(after)) {
    return json(before) === json(after) ? [] : [{ field: '(value)', before: json(before), after: json(after) }];
  }
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .map((field) => ({ field, before: json((before as Record<string, unknown>)[field]), after: json((after as Record<string, unknown>)[field]) }))
    .filter((f) => f.before !== f.after);
}

/** Indicators, vetoes, levels, criteria and lookup entries compared by their ids; changed ones list the fields that differ. */
export function diffRuleFiles(a: RuleFile, b: RuleFile): DiffEntry[] {
  const out: DiffEntry[] = [];
  const general = (f: RuleFile) => ({ title: f.title, effective_from: f.effective_from, effective_to: f.effective_to, evaluation: f.evaluation, scoring: f.scoring, bonuses_max_total: f.bonuses.max_total, legal_basis: f.legal_basis });
  const g = fieldDiff(general(a), general(b));
  if (g.length) out.push({ section: 'general', key: 'rule set', kind: 'changed', fields: g });
  const categories = (f: RuleFile) => new Map(f.categories.map((c) => [c.id, { title: c.title, weight_percent: c.weight_percent, max_deduction: c.max_deduction, indicators: c.indicators.map((i) => i.id) }]));
  compareKeyed('categories', categories(a), categories(b), out);
  const indicators = (f: RuleFile) => new Map<string, unknown>([...f.categories.flatMap((c) => c.indicators), ...f.bonuses.indicators.map((i) => ({ ...i, bonus: true }))].map((i) => [i.id, i]));
  compareKeyed('indicators', indicators(a), indicators(b), out);
  compareKeyed('vetoes', new Map(a.vetoes.map((v) => [v.id, v])), new Map(b.vetoes.map((v) => [v.id, v])), out);
  compareKeyed('levels', new Map(a.levels.map((l) => [l.level, l])), new Map(b.levels.map((l) => [l.level, l])), out);
  compareKeyed('blacklist', new Map(a.blacklist.criteria.map((c) => [c.id, c])), new Map(b.blacklist.criteria.map((c) => [c.id, c])), out);
  const leader = fieldDiff(a.leader, b.leader);
  if (leader.length) out.push({ section: 'leader', key: 'leader policy', kind: 'changed', fields: leader });
  const lookup = (f: RuleFile) => new Map(PURPOSES.flatMap((p) => SITUATIONS.map((s) => [`${p} / ${s}`, f.lookup[p]?.[s]] as [string, unknown])).filter(([, v]) => v !== undefined));
  compareKeyed('lookup', lookup(a), lookup(b), out);
  return out;
}

const SECTION_NAMES: Record<DiffEntry['section'], string> = {
  general: '总体 General',
  categories: '指标类别 Categories',
  indicators: '指标 Indicators',
  vetoes: '一票否决 Vetoes',
  levels: '等级 Levels',
  blacklist: '黑名单标准 Blacklist criteria',
  leader: '领跑者 Leaders',
  lookup: '结果应用 Lookup policy',
};
const KIND_NAMES: Record<DiffKind, string> = { added: '新增 added', removed: '删除 removed', changed: '修改 changed' };

export function renderDiff(entries: readonly DiffEntry[]): SafeHtml {
  if (entries.length === 0) return html`<p class="notice">两个版本的规则内容相同 The two versions have the same rules.</p>`;
  const sections = [...new Set(entries.map((e) => e.section))];
  return html`${sections.map(
    (section) => html`<h2>${SECTION_NAMES[section]}</h2>
<div class="table-wrap"><table><thead><tr><th>项目 Item</th><th>变化 Change</th><th>字段 Field</th><th>旧 Before</th><th>新 After</th></tr></thead><tbody>
${entries
  .filter((e) => e.section === section)
  .map((e) =>
    e.fields.length === 0
      ? html`<tr class="diff-${e.kind}"><td><code>${e.key}</code></td><td>${KIND_NAMES[e.kind]}</td><td colspan="3"></td></tr>`
      : e.fields.map(
          (f, i) => html`<tr class="diff-${e.kind}">${i === 0 ? html`<td rowspan="${e.fields.length}"><code>${e.key}</code></td><td rowspan="${e.fields.length}">${KIND_NAMES[e.kind]}</td>` : ''}<td><code>${f.field}</code></td><td><code>${f.before ?? '—'}</code></td><td><code>${f.after ?? '—'}</code></td></tr>`,
        ),
  )}</tbody></table></div>`,
  )}`;
}
