import { chinaDateTime } from '../china-day.ts';
import { CREDIT_REPAIR, CREDIT_REPAIR_APPROVED_CAUSE } from '../registers/store.ts';
import { html, raw, type HtmlValue, type SafeHtml } from './html.ts';
import { levelInfo } from './levels.ts';

/** The page shell, shared formatting and the stylesheet of the public site. */

const NAV: [string, string, string][] = [
  ['/', '首页', 'Home'],
  ['/blacklist', '黑名单', 'Blacklist'],
  ['/leaders', '领跑者', 'Leaders'],
  ['/rules', '评价规则', 'Rules'],
  ['/reports', '年度报告', 'Reports'],
];

export function page(options: { title: string; titleEn?: string; active?: string; asOf?: Date; body: HtmlValue }): SafeHtml {
  const nav = NAV.map(
    ([path, zh, en]) => html`<li><a href="${path}"${options.active === path ? raw(' aria-current="page"') : ''}>${zh} <span class="en">${en}</span></a></li>`,
  );
  return html`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · 临江市企业环境信用公示</title>
<link rel="stylesheet" href="/assets/site.css">
<link rel="icon" href="data:,">
</head>
<body>
<a class="skip" href="#main">跳到正文 Skip to content</a>
<header class="site">
  <div class="brand"><a href="/">临江市企业环境信用公示</a> <span class="en">Linjiang enterprise environmental credit</span></div>
  <nav aria-label="主导航 Main"><ul>${nav}</ul></nav>
</header>
<main id="main">
<h1>${options.title}${options.titleEn ? html` <span class="en">${options.titleEn}</span>` : ''}</h1>
${options.body}
</main>
<footer class="site">
  <p>临江市生态环境局 · Linjiang Ecology and Environment Bureau. 依据《企业环境信用评价办法（试行）》公开. ${options.asOf ? html`数据截至 Data as of ${chinaDateTime(options.asOf)} (UTC+8).` : ''}</p>
  <p><a href="/graphql">GraphQL API</a> · <a href="/registers/blacklist.csv">blacklist.csv</a> · <a href="/registers/leaders.csv">leaders.csv</a></p>
</footer>
</body>
</html>`;
}

export const levelBadge = (level: string | null): SafeHtml => {
  const info = levelInfo(level);
  return html`<span class="badge lv-${level ?? 'NONE'}">${info.zh} <span class="en">${level ?? 'NOT RATED'}</span></span>`;
};

export const enterpriseLink = (code: string, name: string | null): SafeHtml =>
  html`<a href="/enterprises/${code}">${name ?? code}</a>`;

export const EVENT_LABELS: Record<string, string> = {
  LISTED: '列入 listed',
  EXTENDED: '延长 extended',
  REMOVED: '移出 removed',
  REVOKED: '撤销 revoked',
};
export const REGISTER_LABELS: Record<string, string> = { BLACKLIST: '黑名单 Blacklist', LEADER: '领跑者 Leader' };

/**
 * A register event's cause as the public sees it. A removal by credit repair always shows the fixed
 * cause: removals approved before it was fixed carry the bureau's private decision reason in their
 * cause, and register events are history (never rewritten).
 */
export const publicRegisterCause = (e: { event: string; cause_code: string; cause: string }): string =>
  e.event === 'REMOVED' && e.cause_code === CREDIT_REPAIR ? CREDIT_REPAIR_APPROVED_CAUSE : e.cause;

/** How a rating came into effect (rating_effects.cause), in full and in a table cell. */
const RATING_CAUSE_LABELS: Record<string, { full: string; short: string }> = {
  PUBLICATION: { full: '年度评价发布 annual publication', short: '年度发布 annual' },
  DYNAMIC_ADJUSTMENT: { full: '动态调整 dynamic adjustment', short: '动态调整 dynamic' },
  CORRECTION: { full: '复核更正 corrected on review', short: '更正 corrected' },
};
export const ratingCauseLabel = (cause: string, form: 'full' | 'short'): string => RATING_CAUSE_LABELS[cause]?.[form] ?? cause;

export const STYLESHEET = `
:root { --fg:#1b1b1b; --muted:#555; --line:#d0d7de; --bg:#fff; --accent:#0b5394; font-family: system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }
* { box-sizing: border-box; }
body { margin:0; color:var(--fg); background:var(--bg); line-height:1.5; font-size:16px; }
a { color:var(--accent); }
.en { color:var(--muted); font-size:.85em; font-weight:normal; }
.skip { position:absolute; left:-999px; } .skip:focus { left:8px; top:8px; background:#fff; padding:4px; }
header.site { background:#0b3d2e; color:#fff; padding:.6rem 1rem; }
header.site a { color:#fff; } header.site .en { color:#cfe3da; }
.brand a { font-weight:700; text-decoration:none; font-size:1.1rem; }
nav ul { list-style:none; margin:.4rem 0 0; padding:0; display:flex; flex-wrap:wrap; gap:.2rem 1rem; }
nav a[aria-current=page] { text-decoration:underline; font-weight:700; }
main { max-width:980px; margin:0 auto; padding:1rem; }
h1 { font-size:1.5rem; margin:.5rem 0 1rem; } h2 { font-size:1.2rem; margin-top:1.8rem; border-bottom:1px solid var(--line); } h3 { font-size:1.05rem; }
table { border-collapse:collapse; width:100%; margin:.5rem 0 1rem; font-size:.92rem; }
th, td { border-bottom:1px solid var(--line); padding:.35rem .4rem; text-align:left; vertical-align:top; }
th { background:#f3f5f7; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.table-wrap { overflow-x:auto; }
.badge { display:inline-block; padding:.05rem .45rem; border-radius:.3rem; font-size:.85rem; white-space:nowrap; }
.badge .en { color:inherit; opacity:.85; }
.lv-GREEN { background:#2e7d32; color:#fff; } .lv-BLUE { background:#1565c0; color:#fff; } .lv-YELLOW { background:#f2b705; color:#000; }
.lv-RED { background:#c62828; color:#fff; } .lv-BLACK { background:#212121; color:#fff; } .lv-NONE { background:#e0e0e0; color:#000; }
.cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(150px, 1fr)); gap:.6rem; margin:1rem 0; }
.card { border:1px solid var(--line); border-radius:.4rem; padding:.6rem .8rem; }
.card .big { font-size:1.6rem; font-weight:700; }
.chart { max-width:min(100%, 640px); height:auto; display:block; margin:.5rem 0; }
.chart-matrix { max-width:420px; }
form.search { display:flex; flex-wrap:wrap; gap:.5rem; align-items:end; margin:1rem 0; padding:.7rem; background:#f3f5f7; border-radius:.4rem; }
form.search label { display:flex; flex-direction:column; font-size:.85rem; }
input, select, button { font:inherit; padding:.35rem .5rem; border:1px solid #8c959f; border-radius:.3rem; }
button { background:var(--accent); color:#fff; border-color:var(--accent); cursor:pointer; }
.pager { display:flex; gap:1rem; margin:1rem 0; }
.note { color:var(--muted); font-size:.9rem; }
.notice { background:#fff8e1; border-left:4px solid #f2b705; padding:.5rem .8rem; }
.diff-added { background:#e6ffec; } .diff-removed { background:#ffebe9; } .diff-changed { background:#fff8c5; }
code { font-size:.88em; background:#f3f5f7; padding:0 .2rem; border-radius:.2rem; word-break:break-word; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:.2rem 1rem; } dl.facts dt { color:var(--muted); }
footer.site { border-top:1px solid var(--line); margin-top:2rem; padding:1rem; font-size:.85rem; color:var(--muted); text-align:center; }
@media (max-width: 600px) { body { font-size:15px; } main { padding:.6rem; } th, td { padding:.3rem .25rem; } .hide-narrow { display:none; } }
@media print {
  header.site nav, form.search, .pager, .skip, .no-print { display:none !important; }
  header.site { background:none; color:#000; border-bottom:2px solid #000; } header.site a { color:#000; }
  body { font-size:11pt; } main { max-width:none; padding:0; } a { color:#000; text-decoration:none; }
  h2 { break-after:avoid; } table, .chart, section { break-inside:avoid; }
  .badge { border:1px solid #000; -webkit-print-color-adjust:exact; print-color-adjust:exact; }
  .chart { -webkit-print-color-adjust:exact; print-color-adjust:exact; }
}
`;
