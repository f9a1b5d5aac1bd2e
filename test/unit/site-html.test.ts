import { describe, expect, it } from 'vitest';
import { escapeHtml, href, html, raw, SafeHtml } from '../../src/site/html.ts';
import { barChart, stackedBarChart, transitionChart } from '../../src/site/charts.ts';
import { diffRuleFiles, renderRuleSet } from '../../src/site/rules-view.ts';
import { publicRegisterCause } from '../../src/site/layout.ts';
import { loadRuleRegistry } from '../../src/rules/index.ts';
import { lifecycleRulesDir } from '../support/rules.ts';

const ATTACK = `<script>alert(1)</script><img src=x onerror="a('b')">&\``;

describe('the html tagged template', () => {
  it('escapes every interpolation by default', () => {
    const out = html`<p title="${ATTACK}">${ATTACK}</p>`.value;
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<img');
    expect(out).toBe(`<p title="${escapeHtml(ATTACK)}">${escapeHtml(ATTACK)}</p>`);
    expect(escapeHtml(ATTACK)).toBe('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;&#96;');
  });

  it('nests templates without double escaping, joins arrays, drops null, undefined and false', () => {
    const items = ['a<b', 'c&d'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.value).toBe('<ul><li>a&lt;b</li><li>c&amp;d</li></ul>0');
  });

  it('passes raw() markup through and escapes strings that only look like SafeHtml', () => {
    expect(html`${raw('<br>')}`.value).toBe('<br>');
    expect(html`${{ value: '<b>' } as unknown as string}`.value).toBe('[object Object]');
    expect(new SafeHtml('<i>').toString()).toBe('<i>');
  });

  it('renders dates as ISO and numbers as text', () => {
    expect(html`${new Date('2026-01-02T03:04:05Z')} ${1.5}`.value).toBe('2026-01-02T03:04:05.000Z 1.5');
  });

  it('href encodes query parameters and skips empty ones', () => {
    expect(href('/blacklist', { q: 'a&b <c>', asOf: null, after: '' })).toBe('/blacklist?q=a%26b%20%3Cc%3E');
    expect(html`<a href="${href('/x', { q: '"><script>' })}">`.value).toBe('<a href="/x?q=%22%3E%3Cscript%3E">');
  });
});

describe('SVG charts', () => {
  it('a bar chart has a title, a description stating the data, one bar per item, and escaped labels', () => {
    const svg = barChart(
      [
        { label: 'GREEN', value: 30, color: '#2e7d32' },
        { label: '<b>RED</b>', value: 10, color: '#c62828' },
      ],
      { title: 'Levels & counts' },
    ).value;
    expect(svg).toMatch(/^<svg[^>]*role="img"[^>]*aria-labelledby="(bar-\d+)-t \1-d"/);
    expect(svg).toContain('<title id=');
    expect(svg).toContain('Levels &amp; counts');
    expect(svg).toContain('GREEN: 30 (75.0%); &lt;b&gt;RED&lt;/b&gt;: 10 (25.0%)');
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(svg).not.toContain('<b>');
  });

  it('bar heights are proportional, and an all-zero chart still renders', () => {
    const svg = barChart([{ label: 'a', value: 10, color: '#000' }, { label: 'b', value: 5, color: '#000' }], { title: 't', height: 240 }).value;
    const heights = [...svg.matchAll(/height="([\d.]+)" fill/g)].map((m) => Number(m[1]));
    expect(heights[0]).toBeCloseTo(heights[1]! * 2);
    expect(barChart([{ label: 'a', value: 0, color: '#000' }], { title: 't' }).value).toContain('a: 0 (0%)');
  });

  it('a stacked chart lists every row in its description', () => {
    const svg = stackedBarChart(
      [{ label: '花山镇', segments: [{ key: 'GREEN', value: 3 }, { key: 'RED', value: 1 }] }],
      [{ key: 'GREEN', label: '诚信', color: '#0f0' }, { key: 'RED', label: '不良', color: '#f00' }],
      { title: 'By township' },
    ).value;
    expect(svg).toContain('花山镇 (4): 诚信 3, 不良 1');
  });

  it('a transition chart prints every non-empty cell and describes the moves', () => {
    const levels = [{ key: 'GREEN', label: 'G', color: '#0f0' }, { key: 'RED', label: 'R', color: '#f00' }, { key: null, label: 'none', color: '#999' }];
    const svg = transitionChart([{ from: 'GREEN', to: 'RED', count: 4 }, { from: 'GREEN', to: 'GREEN', count: 9 }, { from: null, to: 'RED', count: 1 }], levels, { title: 'moves', fromLabel: '2024', toLabel: '2025' }).value;
    expect(svg).toContain('G → R: 4; G → G: 9; none → R: 1');
    expect(svg.match(/<rect x="\d+(\.\d+)?" y="\d+(\.\d+)?" width="50"/g)).toHaveLength(9);
    expect(svg).toMatch(/>9<\/text>/);
  });
});

describe('the structural rule diff', () => {
  it('finds the changed thresholds of two versions and nothing else in the rules', () => {
    const registry = loadRuleRegistry(lifecycleRulesDir(10));
    const a = registry.get('linjiang', '2025.1')!.file;
    const b = registry.get('linjiang', '2025.2')!.file;
    const diff = diffRuleFiles(a, b);
    const levels = diff.filter((d) => d.section === 'levels');
    expect(levels.map((d) => d.key).sort()).toEqual(['BLUE', 'GREEN']);
    expect(levels.find((d) => d.key === 'GREEN')!.fields).toEqual([{ field: 'min_score', before: '90', after: '98' }]);
    expect(diff.filter((d) => ['indicators', 'vetoes', 'lookup', 'blacklist'].includes(d.section))).toEqual([]);
    expect(diffRuleFiles(a, a)).toEqual([]);
  });

  it('reports added and removed items', () => {
    const registry = loadRuleRegistry(lifecycleRulesDir(10));
    const a = registry.get('linjiang', '2025.1')!.file;
    const b = { ...a, vetoes: a.vetoes.slice(1), bonuses: { ...a.bonuses, indicators: [...a.bonuses.indicators, { ...a.bonuses.indicators[0]!, id: 'B9_NEW' }] } };
    const diff = diffRuleFiles(a, b);
    expect(diff).toContainEqual({ section: 'vetoes', key: a.vetoes[0]!.id, kind: 'removed', fields: [] });
    expect(diff).toContainEqual({ section: 'indicators', key: 'B9_NEW', kind: 'added', fields: [] });
  });
});

describe('register causes on the site', () => {
  it('shows the fixed cause for a removal by credit repair, even one recorded with the decision reason in its cause', () => {
    const removal = { event: 'REMOVED', cause_code: 'CREDIT_REPAIR', cause: 'Credit repair approved: 内部意见 FIN-778812' };
    expect(publicRegisterCause(removal)).toBe('信用修复 Credit repair approved');
    expect(publicRegisterCause({ event: 'LISTED', cause_code: 'BUREAU_DECISION', cause: '拒不执行整改决定' })).toBe('拒不执行整改决定');
  });
});

describe('the public rules page', () => {
  it('states every leader criterion of a version, the nomination condition and the revoke conditions included', () => {
    const page = renderRuleSet(loadRuleRegistry('rules').get('linjiang', '2027.1')!).value;
    expect(page).toContain(escapeHtml("!emissions.exists(e, e.exceeded && e.monitoring_source == 'SUPERVISORY' && e.date > add_months(as_of, -24))"));
    expect(page).toContain('SERIOUS_VIOLATION_12_MONTHS');
    expect(page).toContain('BL_ENVIRONMENTAL_CRIME');
  });
});
