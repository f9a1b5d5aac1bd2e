import { randomUUID } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { chinaDateTime, chinaDay, endOfChinaDay } from '../china-day.ts';
import type { Clock } from '../clock.ts';
import type { Db, RegisterKind } from '../db/database.ts';
import { checkCreditCode } from '../evidence/credit-code.ts';
import { findEnterprise } from '../evidence/enterprise-store.ts';
import type { Logger } from '../logger.ts';
import { transitionMatrix } from '../rating/analysis.ts';
import { effectiveRatingsAt, ratingHistory } from '../rating/effect-store.ts';
import { parsePeriod } from '../rating/period.ts';
import { registerHistory } from '../registers/read.ts';
import { registerStandingAt } from '../registers/standing.ts';
import type { RuleRegistry } from '../rules/index.ts';
import { barChart, stackedBarChart, transitionChart } from './charts.ts';
import { href, html, type SafeHtml } from './html.ts';
import { enterpriseLink, EVENT_LABELS, levelBadge, page, publicRegisterCause, ratingCauseLabel, REGISTER_LABELS, STYLESHEET } from './layout.ts';
import { INDUSTRY_SECTIONS, industrySection, LEVEL_INFO, LEVEL_ORDER, levelRank, NOT_RATED } from './levels.ts';
import {
  dynamicAdjustments,
  enterpriseCount,
  levelCountsAt,
  publishedRuns,
  registerChangeCounts,
  registerChanges,
  registerPage,
  runDistribution,
  searchEnterprises,
  type PublishedRun,
  type RegisterChange,
} from './queries.ts';
import { diffRuleFiles, renderDiff, renderRuleSet } from './rules-view.ts';

/**
 * The public disclosure site (city policy 六(三)): server-rendered HTML, no token, no script, a
 * strict Content-Security-Policy, short public caching. Every value from data reaches the markup
 * through the `html` template, which escapes it.
 */

export interface SiteDependencies {
  db: Db;
  clock: Clock;
  rules: RuleRegistry;
  logger: Logger;
}

export const SITE_CACHE_SECONDS = 60;
export const PAGE_SIZE = 50;
const MAX_QUERY_LENGTH = 100;
const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

class PageError extends Error {
  constructor(
    readonly status: 400 | 404,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

function send(res: Response, status: number, body: SafeHtml, maxAge = SITE_CACHE_SECONDS): void {
  res.status(status);
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', maxAge > 0 ? `public, max-age=${maxAge}` : 'no-store');
  res.setHeader('content-security-policy', CSP);
  res.send(body.value);
}

function errorPage(status: number, title: string, detail: string, errorId?: string): SafeHtml {
  return page({
    title,
    body: html`<p class="notice">${detail}</p>${errorId ? html`<p class="note">Error id: <code>${errorId}</code></p>` : ''}<p><a href="/">返回首页 Back to the home page</a></p>`,
  });
}

const handler =
  (logger: Logger, render: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  async (req, res) => {
    try {
      await render(req, res);
    } catch (error) {
      if (error instanceof PageError) {
        send(res, error.status, errorPage(error.status, error.title, error.detail), error.status === 404 ? SITE_CACHE_SECONDS : 0);
        return;
      }
      const errorId = randomUUID();
      (req.log ?? logger).error({ err: error, errorId }, 'public site page failed');
      send(res, 500, errorPage(500, '出错了 Something went wrong', '页面暂时无法显示。The page could not be shown; please try again later.', errorId), 0);
    }
  };

/** A single string query parameter (repeated or nested parameters are refused), trimmed. */
function param(req: Request, name: string, max = MAX_QUERY_LENGTH): string | null {
  const value = req.query[name];
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string') throw new PageError(400, '请求无效 Bad request', `参数 ${name} 只能出现一次 (the ${name} parameter must be given once)`);
  const trimmed = value.trim();
  if (trimmed.length > max) throw new PageError(400, '请求无效 Bad request', `参数 ${name} 过长 (at most ${max} characters)`);
  return trimmed || null;
}

function cursor(req: Request): string | null {
  const after = param(req, 'after', 18);
  if (after !== null && !/^[0-9A-Z]{1,18}$/.test(after)) throw new PageError(400, '请求无效 Bad request', '翻页参数无效 (after must be a credit code)');
  return after;
}

/** `asOf` from the date picker ('YYYY-MM-DD', China calendar): the end of that day, or now for today and by default. */
function asOfParam(req: Request, now: Date): { at: Date; day: string } {
  const value = param(req, 'asOf', 10);
  const today = chinaDay(now);
  if (value === null || value === today) return { at: now, day: today };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(endOfChinaDay(value).getTime()) || chinaDay(endOfChinaDay(value)) !== value) {
    throw new PageError(400, '日期无效 Invalid date', `“${value}”不是有效日期 (asOf must be a date, YYYY-MM-DD)`);
  }
  return { at: endOfChinaDay(value), day: value };
}

const levelTable = (counts: Map<string, number>) => {
  const total = [...counts.values()].reduce((s, n) => s + n, 0);
  return html`<div class="table-wrap"><table><caption class="note">各等级企业数 Enterprises per level</caption><thead><tr><th>等级 Level</th><th class="num">企业数 Count</th><th class="num">占比 Share</th></tr></thead><tbody>
${LEVEL_ORDER.map((l) => html`<tr><td>${levelBadge(l)}</td><td class="num">${counts.get(l) ?? 0}</td><td class="num">${total ? (((counts.get(l) ?? 0) / total) * 100).toFixed(1) : '0.0'}%</td></tr>`)}
<tr><th>合计 Total</th><th class="num">${total}</th><th class="num">100%</th></tr></tbody></table></div>`;
};

const levelBars = (counts: Map<string, number>, title: string) =>
  barChart(
    LEVEL_ORDER.map((l) => ({ label: LEVEL_INFO[l]!.zh, sublabel: l, value: counts.get(l) ?? 0, color: LEVEL_INFO[l]!.color })),
    { title },
  );

const changeRows = (changes: readonly RegisterChange[]) =>
  changes.length === 0
    ? html`<p class="note">暂无变动 No changes.</p>`
    : html`<div class="table-wrap"><table><thead><tr><th>日期 Date</th><th>名录 Register</th><th>变动 Change</th><th>企业 Enterprise</th><th class="hide-narrow">原因 Cause</th></tr></thead><tbody>
${changes.map((c) => html`<tr><td>${chinaDay(c.effectiveFrom)}</td><td>${REGISTER_LABELS[c.register]}</td><td>${EVENT_LABELS[c.event] ?? c.event}</td><td>${enterpriseLink(c.creditCode, c.name)}</td><td class="hide-narrow">${c.cause}</td></tr>`)}
</tbody></table></div>`;

export function siteRouter({ db, clock, rules, logger }: SiteDependencies): Router {
  const router = Router();
  const get = (path: string, render: (req: Request, res: Response) => Promise<void>) => router.get(path, handler(logger, render));

  router.get('/assets/site.css', (_req, res) => {
    res.setHeader('content-type', 'text/css; charset=utf-8');
    res.setHeader('cache-control', 'public, max-age=3600');
    res.send(STYLESHEET);
  });

  get('/', async (_req, res) => {
    const now = clock.now();
    const [runs, counts, population, changes, dynamic] = await Promise.all([
      publishedRuns(db, now, 10),
      levelCountsAt(db, now),
      enterpriseCount(db),
      registerChanges(db, { to: now }, 10),
      dynamicAdjustments(db, now, 10),
    ]);
    const current = runs[0];
    const rated = [...counts.values()].reduce((s, n) => s + n, 0);
    const downgrades = dynamic.filter((d) => levelRank(d.toLevel) > levelRank(d.fromLevel));
    const body = html`
<p>临江市生态环境局依法公开企业环境信用评价结果、环保失信黑名单和环保领跑者名录。Published results of Linjiang's enterprise environmental credit rating, the blacklist and the leader register.</p>
<form class="search" method="get" action="/enterprises" role="search">
  <label for="q">查询企业（名称或统一社会信用代码）<span class="en">Find an enterprise (name or credit code)</span><input id="q" name="q" type="search" maxlength="100" required></label>
  <button type="submit">查询 Search</button>
</form>
${current
  ? html`<h2>当前评价 Current period: ${current.period}</h2>
<p>依据 Rules <a href="/rules/${current.ruleSetId}/${current.ruleVersion}">${current.ruleSetId}@${current.ruleVersion}</a>, 发布于 published ${chinaDateTime(current.publishedAt)} · <a href="/reports/${current.period}">${current.period} 年度报告 report</a></p>
<div class="cards"><div class="card"><div class="big">${rated}</div>现行评价企业 rated now</div><div class="card"><div class="big">${population}</div>登记企业 registered</div><div class="card"><div class="big">${counts.get('GREEN') ?? 0}</div>${LEVEL_INFO.GREEN!.zh} green</div><div class="card"><div class="big">${(counts.get('RED') ?? 0) + (counts.get('BLACK') ?? 0)}</div>不良及严重失信 red + black</div></div>
${levelBars(counts, `现行信用等级分布 Levels in force (${rated} enterprises)`)}
${levelTable(counts)}`
  : html`<p class="notice">尚未发布评价结果 No rating has been published yet.</p>`}
<h2>最新名录变动 Latest register changes</h2>
${changeRows(changes)}
<p><a href="/blacklist">查看黑名单 Blacklist</a> · <a href="/leaders">查看领跑者 Leaders</a></p>
<h2>动态调整 Dynamic adjustments</h2>
${dynamic.length === 0
  ? html`<p class="note">暂无动态调整 No dynamic adjustments.</p>`
  : html`<p class="note">发布后因严重违法行为即时调整等级（其中降级 ${downgrades.length} 家）。Levels changed after publication on serious new violations (${downgrades.length} downgrades).</p><div class="table-wrap"><table><thead><tr><th>日期 Date</th><th>企业 Enterprise</th><th>原等级 From</th><th>新等级 To</th></tr></thead><tbody>
${dynamic.map((d) => html`<tr><td>${chinaDay(d.effectiveFrom)}</td><td>${enterpriseLink(d.creditCode, d.name)}</td><td>${levelBadge(d.fromLevel)}</td><td>${levelBadge(d.toLevel)}</td></tr>`)}</tbody></table></div>`}
<h2>更多 More</h2>
<ul><li><a href="/rules">评价规则 Rating rules</a></li><li><a href="/reports">年度报告 Periodic reports</a></li>${runs.length > 1 ? html`<li>往期 Earlier periods: ${[...new Set(runs.slice(1).map((r) => r.period))].map((p) => html`<a href="/reports/${p}">${p}</a> `)}</li>` : ''}</ul>`;
    send(res, 200, page({ title: '企业环境信用公示', titleEn: 'Environmental credit disclosure', active: '/', asOf: now, body }));
  });

  get('/enterprises', async (req, res) => {
    const q = param(req, 'q');
    const after = cursor(req);
    const hits = q ? await searchEnterprises(db, q, PAGE_SIZE, after) : [];
    const shown = hits.slice(0, PAGE_SIZE);
    const ratings = await effectiveRatingsAt(db, shown.map((h) => h.creditCode), clock.now());
    const body = html`
<form class="search" method="get" action="/enterprises" role="search">
  <label for="q">名称或统一社会信用代码 <span class="en">Name or credit code</span><input id="q" name="q" type="search" maxlength="100" value="${q ?? ''}" required></label>
  <button type="submit">查询 Search</button>
</form>
${q === null
  ? ''
  : shown.length === 0
    ? html`<p class="notice">未找到“${q}” No enterprise matches.</p>`
    : html`<div class="table-wrap"><table><thead><tr><th>企业 Enterprise</th><th>统一社会信用代码 Code</th><th class="hide-narrow">乡镇 Township</th><th>现行等级 Level</th></tr></thead><tbody>
${shown.map((h) => html`<tr><td>${enterpriseLink(h.creditCode, h.name)}</td><td><code>${h.creditCode}</code></td><td class="hide-narrow">${h.region}</td><td>${levelBadge(ratings.get(h.creditCode)?.level ?? null)}</td></tr>`)}
</tbody></table></div>
<nav class="pager" aria-label="翻页 Pages">${after ? html`<a href="${href('/enterprises', { q })}">« 第一页 First</a>` : ''}${hits.length > PAGE_SIZE ? html`<a href="${href('/enterprises', { q, after: shown[shown.length - 1]!.creditCode })}">下一页 Next »</a>` : ''}</nav>`}`;
    send(res, 200, page({ title: '查询企业', titleEn: 'Find an enterprise', body }));
  });

  get('/enterprises/:creditCode', async (req, res) => {
    const input = String(req.params.creditCode ?? '');
    const checked = checkCreditCode(input.slice(0, 40));
    if (!checked.valid) throw new PageError(400, '统一社会信用代码无效 Invalid credit code', `“${input.slice(0, 40)}”不是有效的统一社会信用代码：${checked.message}`);
    const code = checked.code;
    const now = clock.now();
    const enterprise = await findEnterprise(db, code);
    if (!enterprise) throw new PageError(404, '未找到企业 Enterprise not found', `没有统一社会信用代码为 ${code} 的登记企业。No registered enterprise has this code.`);
    const [current, history, standing, blacklistEvents, leaderEvents] = await Promise.all([
      effectiveRatingsAt(db, [code], now),
      ratingHistory(db, code, 50, null),
      registerStandingAt(db, [code], now),
      registerHistory(db, 'BLACKLIST', code, { limit: 100, after: null }),
      registerHistory(db, 'LEADER', code, { limit: 100, after: null }),
    ]);
    const rating = current.get(code);
    const published = history.filter((h) => h.effective_from <= now);
    const registerEvents = [...blacklistEvents, ...leaderEvents].filter((e) => e.effective_from <= now).sort((a, b) => b.effective_from.getTime() - a.effective_from.getTime());
    const s = standing.get(code)!;
    const vetoTitle = (ruleSetId: string, version: string, id: string) => rules.get(ruleSetId, version)?.file.vetoes.find((v) => v.id === id)?.title ?? id;
    const body = html`
<dl class="facts">
  <dt>统一社会信用代码 Credit code</dt><dd><code>${code}</code></dd>
  <dt>所在乡镇 Township</dt><dd>${enterprise.region}</dd>
  <dt>行业 Industry</dt><dd>${industrySection(enterprise.industry)} (<code>${enterprise.industry}</code>)</dd>
  <dt>重点排污单位 Key discharge unit</dt><dd>${enterprise.key_discharge_unit ? '是 yes' : '否 no'}</dd>
</dl>
<h2>现行信用等级 Level in force</h2>
${rating
  ? html`<p>${levelBadge(rating.level)} 得分 score ${Number(rating.score)} · ${rating.period} 年度 · ${ratingCauseLabel(rating.cause, 'full')} · 自 since ${chinaDay(rating.effective_from)}</p>
${rating.vetoes.length ? html`<p>一票否决 Veto: ${rating.vetoes.map((v) => html`<strong>${vetoTitle(rating.rule_set_id, rating.rule_version, v)}</strong> `)}</p>` : ''}`
  : html`<p>${levelBadge(null)} 尚无已发布的评价 No published rating.</p>`}
<h2>名录状态 Registers</h2>
<ul>
<li>环保失信黑名单 Blacklist: ${s.blacklisted ? html`<strong>已列入 listed</strong> 自 since ${s.listedSince ? chinaDay(s.listedSince) : ''}; 最早可申请移出 earliest removal ${s.earliestRemoval ?? '—'}` : '未列入 not listed'}</li>
<li>环保领跑者 Leader: ${s.leader ? html`<strong>是 yes</strong>, 任期至 term ends ${s.leaderTermEnd ?? '—'}` : '否 no'}</li>
</ul>
${registerEvents.length
  ? html`<div class="table-wrap"><table><thead><tr><th>日期 Date</th><th>名录 Register</th><th>变动 Change</th><th>公开原因 Public reason</th></tr></thead><tbody>
${registerEvents.map((e) => html`<tr><td>${chinaDay(e.effective_from)}</td><td>${REGISTER_LABELS[e.register]}</td><td>${EVENT_LABELS[e.event] ?? e.event}</td><td>${publicRegisterCause(e)}</td></tr>`)}</tbody></table></div>`
  : ''}
<h2>评价历史 Published level history</h2>
${published.length === 0
  ? html`<p class="note">无 None.</p>`
  : html`<div class="table-wrap"><table><thead><tr><th>生效 From</th><th>至 To</th><th>年度 Period</th><th>等级 Level</th><th class="num">得分 Score</th><th>方式 How</th><th class="hide-narrow">规则 Rules</th></tr></thead><tbody>
${published.map((h) => html`<tr><td>${chinaDay(h.effective_from)}</td><td>${h.effective_to && h.effective_to <= now ? chinaDay(h.effective_to) : '现行 in force'}</td><td>${h.period}</td><td>${levelBadge(h.level)}${h.vetoes.length ? html`<br><span class="note">否决 veto: ${h.vetoes.map((v) => vetoTitle(h.rule_set_id, h.rule_version, v)).join('; ')}</span>` : ''}</td><td class="num">${Number(h.score)}</td><td>${ratingCauseLabel(h.cause, 'short')}</td><td class="hide-narrow"><a href="/rules/${h.rule_set_id}/${h.rule_version}">${h.rule_set_id}@${h.rule_version}</a></td></tr>`)}
</tbody></table></div>`}
<p class="note">本页只显示公开信息：等级、得分、一票否决项名称和名录原因。证据明细仅向企业本人和生态环境部门提供。This page shows public information only; evidence details are available to the enterprise itself and the bureau.</p>`;
    send(res, 200, page({ title: enterprise.name, titleEn: 'Enterprise', asOf: now, body }));
  });

  const registerRoute = (path: '/blacklist' | '/leaders', register: RegisterKind) =>
    get(path, async (req, res) => {
      const now = clock.now();
      const q = param(req, 'q');
      const after = cursor(req);
      const { at, day } = asOfParam(req, now);
      const result = await registerPage(db, register, at, { q, after, limit: PAGE_SIZE });
      const blacklist = register === 'BLACKLIST';
      const name = blacklist ? 'blacklist' : 'leaders';
      const asOfQuery = day === chinaDay(now) ? null : day;
      const exportAt = at.toISOString();
      const body = html`
<p>${blacklist
        ? '环境失信企业依据《关于对环境保护领域失信生产经营单位及其有关人员开展联合惩戒的合作备忘录》列入黑名单，在市场准入、融资、财政资金等方面受到限制。Enterprises listed for serious environmental dishonesty face restrictions on market access, financing and fiscal funds.'
        : '环保领跑者为污染治理和清洁生产达到国内先进水平的企业，在任期内享受激励政策。Leaders are enterprises whose pollution control and clean production reach advanced domestic levels.'}</p>
<form class="search" method="get" action="${path}" role="search">
  <label for="q">名称或代码 <span class="en">Name or credit code</span><input id="q" name="q" type="search" maxlength="100" value="${q ?? ''}"></label>
  <label for="asOf">截至日期 <span class="en">As of</span><input id="asOf" name="asOf" type="date" value="${day}"></label>
  <button type="submit">查询 Search</button>
</form>
<p class="note">截至 As of ${day === chinaDay(now) ? chinaDateTime(at) : `${day} 23:59`} (UTC+8) · 下载 Download: <a href="${href(`/registers/${name}.csv`, { asOf: exportAt })}">CSV</a> · <a href="${href(`/registers/${name}.json`, { asOf: exportAt })}">JSON</a></p>
${result.truncated ? html`<p class="notice">名录过大，搜索只检查了前 ${50_000} 条。The register is large; the search read only the first entries.</p>` : ''}
${result.entries.length === 0
  ? html`<p class="notice">${q ? html`未找到“${q}” No entry matches.` : '名录为空 The register is empty on this date.'}</p>`
  : html`<div class="table-wrap"><table><thead><tr><th>企业 Enterprise</th><th>统一社会信用代码 Code</th><th>原因 Cause</th><th>列入日期 Listed</th><th>${blacklist ? '最早可移出 Earliest removal' : '任期届满 Term ends'}</th></tr></thead><tbody>
${result.entries.map((e) => html`<tr><td>${enterpriseLink(e.creditCode, e.enterpriseName)}</td><td><code>${e.creditCode}</code></td><td>${e.cause}</td><td>${chinaDay(e.listedSince)}</td><td>${(blacklist ? e.earliestRemoval : e.termEnd) ?? '—'}</td></tr>`)}
</tbody></table></div>`}
<nav class="pager" aria-label="翻页 Pages">${after ? html`<a href="${href(path, { q, asOf: asOfQuery })}">« 第一页 First</a>` : ''}${result.hasMore ? html`<a href="${href(path, { q, asOf: asOfQuery, after: result.entries[result.entries.length - 1]!.creditCode })}">下一页 Next »</a>` : ''}</nav>`;
      send(res, 200, page({ title: blacklist ? '环保失信黑名单' : '环保领跑者名录', titleEn: blacklist ? 'Blacklist' : 'Environmental leaders', active: path, asOf: now, body }));
    });
  registerRoute('/blacklist', 'BLACKLIST');
  registerRoute('/leaders', 'LEADER');

  get('/rules', async (_req, res) => {
    const today = chinaDay(clock.now());
    const sets = rules.setIds();
    const all = rules.list();
    const body = html`
<p>评价规则以版本化文件发布，每个评价结果都记录所用规则版本及其内容哈希。Rules are published as versioned files; every rating records the version and content hash it used.</p>
${sets.map((id) => {
  const versions = all.filter((s) => s.id === id);
  const inForce = rules.effectiveOn(id, today);
  return html`<h2><code>${id}</code></h2><div class="table-wrap"><table><thead><tr><th>版本 Version</th><th>标题 Title</th><th>施行 In force</th><th></th></tr></thead><tbody>
${versions.map((v) => html`<tr><td><a href="/rules/${v.id}/${v.version}">${v.version}</a>${inForce?.version === v.version ? html` <strong>(现行 current)</strong>` : ''}</td><td>${v.title}</td><td>${v.effectiveFrom} – ${v.effectiveTo ?? '至今'}</td><td>${versions.length > 1 && v !== versions[0] ? html`<a href="${href('/rules/diff', { a: `${versions[versions.indexOf(v) - 1]!.id}@${versions[versions.indexOf(v) - 1]!.version}`, b: `${v.id}@${v.version}` })}">与上一版比较 diff with previous</a>` : ''}</td></tr>`)}
</tbody></table></div>`;
})}
<h2>比较两个版本 Compare two versions</h2>
<form class="search" method="get" action="/rules/diff">
  <label for="a">旧版本 <span class="en">From</span><select id="a" name="a">${all.map((s) => html`<option value="${s.id}@${s.version}">${s.id}@${s.version}</option>`)}</select></label>
  <label for="b">新版本 <span class="en">To</span><select id="b" name="b">${all.map((s, i) => html`<option value="${s.id}@${s.version}"${i === all.length - 1 ? html` selected` : ''}>${s.id}@${s.version}</option>`)}</select></label>
  <button type="submit">比较 Compare</button>
</form>`;
    send(res, 200, page({ title: '评价规则', titleEn: 'Rating rules', active: '/rules', body }));
  });

  const ruleRef = (req: Request, name: 'a' | 'b') => {
    const value = param(req, name);
    const match = value ? /^([\w.-]{1,64})@([\w.-]{1,32})$/.exec(value) : null;
    if (!match) throw new PageError(400, '请求无效 Bad request', `参数 ${name} 应为“规则集@版本” (expected ${name}=<rule-set>@<version>, e.g. linjiang@2025.1)`);
    const ruleSet = rules.get(match[1]!, match[2]!);
    if (!ruleSet) throw new PageError(404, '未找到规则 Rules not found', `没有规则版本 ${value} (no such rule version)`);
    return ruleSet;
  };

  get('/rules/diff', async (req, res) => {
    const a = ruleRef(req, 'a');
    const b = ruleRef(req, 'b');
    const body = html`<p>从 From <a href="/rules/${a.id}/${a.version}"><code>${a.id}@${a.version}</code></a> 到 to <a href="/rules/${b.id}/${b.version}"><code>${b.id}@${b.version}</code></a>：按编号比较指标、否决项、等级、黑名单标准和结果应用。Indicators, vetoes, levels, criteria and lookup entries compared by id.</p>${renderDiff(diffRuleFiles(a.file, b.file))}`;
    send(res, 200, page({ title: '规则版本比较', titleEn: 'Rule versions compared', active: '/rules', body }));
  });

  get('/rules/:ruleSetId/:version', async (req, res) => {
    const ruleSet = rules.get(String(req.params.ruleSetId), String(req.params.version));
    if (!ruleSet) throw new PageError(404, '未找到规则 Rules not found', '没有这个规则版本 No such rule version.');
    send(res, 200, page({ title: ruleSet.title, titleEn: `${ruleSet.id}@${ruleSet.version}`, active: '/rules', body: renderRuleSet(ruleSet) }));
  });

  get('/reports', async (_req, res) => {
    const runs = await publishedRuns(db, clock.now(), 200);
    const periods = [...new Set(runs.map((r) => r.period))].sort().reverse();
    const body = periods.length
      ? html`<ul>${periods.map((p) => html`<li><a href="/reports/${p}">${p} 年度报告 report</a></li>`)}</ul>`
      : html`<p class="notice">尚未发布评价结果 No rating has been published yet.</p>`;
    send(res, 200, page({ title: '年度报告', titleEn: 'Periodic reports', active: '/reports', body }));
  });

  get('/reports/:period', async (req, res) => {
    const label = String(req.params.period).slice(0, 20);
    try {
      parsePeriod(label);
    } catch {
      throw new PageError(400, '评价年度无效 Invalid period', `“${label}”不是评价年度 (a period is YYYY or YYYY-MM)`);
    }
    const now = clock.now();
    const runs = await publishedRuns(db, now, 200);
    const run = runs.find((r) => r.period === label);
    if (!run) throw new PageError(404, '未找到报告 Report not found', `${label} 年度尚未发布评价结果 (no published rating for this period)`);
    const earlier = runs.filter((r) => r.period < label).sort((x, y) => (x.period === y.period ? y.publishedAt.getTime() - x.publishedAt.getTime() : x.period < y.period ? 1 : -1));
    const previous: PublishedRun | undefined = earlier[0];
    const next = runs.filter((r) => r.period !== label && r.publishedAt > run.publishedAt).sort((x, y) => x.publishedAt.getTime() - y.publishedAt.getTime())[0];
    const window = { from: run.publishedAt, to: next ? next.publishedAt : now };
    const [distribution, transitions, changeCounts, changes] = await Promise.all([
      runDistribution(db, run.id),
      previous ? transitionMatrix(db, previous.id, run.id) : Promise.resolve(null),
      registerChangeCounts(db, window),
      registerChanges(db, window, 100),
    ]);
    const totals = new Map<string, number>();
    for (const d of distribution) totals.set(d.level, (totals.get(d.level) ?? 0) + d.count);
    const grouped = (key: 'region' | 'section') => {
      const rows = new Map<string, Map<string, number>>();
      for (const d of distribution) {
        const k = d[key];
        if (!rows.has(k)) rows.set(k, new Map());
        rows.get(k)!.set(d.level, (rows.get(k)!.get(d.level) ?? 0) + d.count);
      }
      return [...rows.entries()]
        .map(([k, levels]) => ({ key: k, label: key === 'section' ? (INDUSTRY_SECTIONS[k] ?? k) : k, levels, total: [...levels.values()].reduce((s, n) => s + n, 0) }))
        .sort((x, y) => y.total - x.total || (x.key < y.key ? -1 : 1));
    };
    const keys = LEVEL_ORDER.map((l) => ({ key: l, label: `${LEVEL_INFO[l]!.zh} ${l}`, color: LEVEL_INFO[l]!.color }));
    const distributionSection = (title: string, key: 'region' | 'section') => {
      const rows = grouped(key);
      return html`<section><h2>${title}</h2>
${stackedBarChart(rows.map((r) => ({ label: r.label, segments: LEVEL_ORDER.map((l) => ({ key: l, value: r.levels.get(l) ?? 0 })) })), keys, { title, labelWidth: key === 'section' ? 230 : 110 })}
<div class="table-wrap"><table><thead><tr><th>${key === 'region' ? '乡镇街道 Township' : '行业门类 Industry section'}</th>${LEVEL_ORDER.map((l) => html`<th class="num">${LEVEL_INFO[l]!.zh}</th>`)}<th class="num">合计 Total</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td>${r.label}</td>${LEVEL_ORDER.map((l) => html`<td class="num">${r.levels.get(l) ?? 0}</td>`)}<td class="num">${r.total}</td></tr>`)}
</tbody></table></div></section>`;
    };
    const matrixLevels = [...LEVEL_ORDER.map((l) => ({ key: l as string | null, label: LEVEL_INFO[l]!.zh, color: LEVEL_INFO[l]!.color })), { key: null, label: NOT_RATED.zh, color: NOT_RATED.color }];
    const countOf = (register: RegisterKind, event: string) => changeCounts.filter((c) => c.register === register && c.event === event).reduce((s, c) => s + c.count, 0);
    const body = html`
<p>评价年度 Period <strong>${label}</strong> · 规则 Rules <a href="/rules/${run.ruleSetId}/${run.ruleVersion}">${run.ruleSetId}@${run.ruleVersion}</a> · 发布 Published ${chinaDateTime(run.publishedAt)} (UTC+8)</p>
<p class="note no-print">本页已设置打印样式，可直接用浏览器打印或存为 PDF。This page is formatted for printing.</p>
<section><h2>等级分布 Level distribution</h2>${levelBars(totals, `${label} 年度信用等级分布 Levels, period ${label}`)}${levelTable(totals)}</section>
${distributionSection('按乡镇街道 By township', 'region')}
${distributionSection('按行业 By industry', 'section')}
<section><h2>等级变动 Movement between periods</h2>
${previous && transitions
  ? html`<p>${previous.period} → ${label}: 行为上期等级，列为本期等级；对角线为等级未变。Rows: level in ${previous.period}; columns: level in ${label}; the outlined diagonal is unchanged.</p>
${transitionChart(transitions, matrixLevels, { title: `等级变动 ${previous.period} → ${label}`, fromLabel: previous.period, toLabel: label })}
<p>升级 Improved: <strong>${transitions.filter((t) => t.from && t.to && levelRank(t.to) < levelRank(t.from)).reduce((s, t) => s + t.count, 0)}</strong> · 降级 Worsened: <strong>${transitions.filter((t) => t.from && t.to && levelRank(t.to) > levelRank(t.from)).reduce((s, t) => s + t.count, 0)}</strong> · 未变 Unchanged: <strong>${transitions.filter((t) => t.from && t.from === t.to).reduce((s, t) => s + t.count, 0)}</strong></p>
<div class="table-wrap"><table><thead><tr><th>${previous.period} \\ ${label}</th>${matrixLevels.map((l) => html`<th class="num">${l.label}</th>`)}</tr></thead><tbody>
${matrixLevels.map((from) => html`<tr><th>${from.label}</th>${matrixLevels.map((to) => html`<td class="num">${transitions.filter((t) => t.from === from.key && t.to === to.key).reduce((s, t) => s + t.count, 0)}</td>`)}</tr>`)}
</tbody></table></div>`
  : html`<p class="note">没有更早的已发布年度可比较 No earlier published period to compare with.</p>`}
</section>
<section><h2>名录变动 Register changes</h2>
<p class="note">${chinaDay(window.from)} 至 to ${chinaDay(window.to)}</p>
<div class="table-wrap"><table><thead><tr><th>名录 Register</th><th class="num">列入 Listed</th><th class="num">延长 Extended</th><th class="num">移出 Removed</th><th class="num">撤销 Revoked</th></tr></thead><tbody>
${(['BLACKLIST', 'LEADER'] as const).map((r) => html`<tr><td>${REGISTER_LABELS[r]}</td><td class="num">${countOf(r, 'LISTED')}</td><td class="num">${countOf(r, 'EXTENDED')}</td><td class="num">${countOf(r, 'REMOVED')}</td><td class="num">${r === 'LEADER' ? countOf(r, 'REVOKED') : '—'}</td></tr>`)}
</tbody></table></div>
${changeRows(changes)}${changes.length === 100 ? html`<p class="note">仅显示最近 100 条 Showing the latest 100; see the <a href="/blacklist">blacklist</a> and <a href="/leaders">leaders</a> pages.</p>` : ''}
</section>`;
    send(res, 200, page({ title: `${label} 年度企业环境信用评价报告`, titleEn: `Report ${label}`, active: '/reports', asOf: now, body }));
  });

  return router;
}

