import { html, type SafeHtml } from './html.ts';

/**
 * Server-rendered SVG charts, pure functions of their data. Every chart is an <svg role="img"> with
 * a <title> and a <desc> that states the data in words (the text alternative); the pages also print
 * the same numbers in a table. Text inside the SVG goes through `html`, so it is escaped like any
 * other data.
 */

export interface Bar {
  label: string;
  sublabel?: string;
  value: number;
  color: string;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const percent = (part: number, total: number) => (total === 0 ? '0%' : `${((part / total) * 100).toFixed(1)}%`);
let ids = 0;
const nextId = (prefix: string) => `${prefix}-${++ids}`;

/** Vertical bars, one per category (counts per level). */
export function barChart(bars: readonly Bar[], options: { title: string; width?: number; height?: number }): SafeHtml {
  const width = options.width ?? 480;
  const height = options.height ?? 240;
  const top = 24;
  const bottom = 44;
  const left = 8;
  const plot = height - top - bottom;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const total = bars.reduce((s, b) => s + b.value, 0);
  const slot = (width - left * 2) / Math.max(1, bars.length);
  const barWidth = Math.min(64, slot * 0.7);
  const id = nextId('bar');
  const desc = bars.map((b) => `${b.label}: ${b.value} (${percent(b.value, total)})`).join('; ');
  const items = bars.map((b, i) => {
    const h = (b.value / max) * plot;
    const x = left + slot * i + (slot - barWidth) / 2;
    const y = top + plot - h;
    const cx = left + slot * i + slot / 2;
    return html`<g><rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(barWidth)}" height="${fmt(h)}" fill="${b.color}" stroke="#333" stroke-width="0.5"></rect><text x="${fmt(cx)}" y="${fmt(y - 6)}" text-anchor="middle" font-size="13">${b.value}</text><text x="${fmt(cx)}" y="${fmt(top + plot + 18)}" text-anchor="middle" font-size="13">${b.label}</text>${b.sublabel ? html`<text x="${fmt(cx)}" y="${fmt(top + plot + 34)}" text-anchor="middle" font-size="10" fill="#555">${b.sublabel}</text>` : ''}</g>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="${id}-t ${id}-d" xmlns="http://www.w3.org/2000/svg"><title id="${id}-t">${options.title}</title><desc id="${id}-d">${desc}</desc><line x1="${left}" y1="${top + plot}" x2="${width - left}" y2="${top + plot}" stroke="#333"></line>${items}</svg>`;
}

export interface StackedRow {
  label: string;
  segments: readonly { key: string; value: number }[];
}

/** Horizontal 100% stacked bars (distribution of levels per township or industry). */
export function stackedBarChart(rows: readonly StackedRow[], keys: readonly { key: string; label: string; color: string }[], options: { title: string; width?: number; labelWidth?: number }): SafeHtml {
  const width = options.width ?? Math.max(640, (options.labelWidth ?? 170) + keys.length * 120 + 8);
  const labelWidth = options.labelWidth ?? 170;
  const rowHeight = 22;
  const legendHeight = 28;
  const plotWidth = width - labelWidth - 56;
  const height = legendHeight + rows.length * rowHeight + 8;
  const id = nextId('stack');
  const colorOf = new Map(keys.map((k) => [k.key, k.color]));
  const labelOf = new Map(keys.map((k) => [k.key, k.label]));
  const desc = rows
    .map((r) => {
      const total = r.segments.reduce((s, x) => s + x.value, 0);
      return `${r.label} (${total}): ${r.segments.filter((s) => s.value > 0).map((s) => `${labelOf.get(s.key) ?? s.key} ${s.value}`).join(', ')}`;
    })
    .join('; ');
  const legend = keys.map((k, i) => html`<g><rect x="${labelWidth + i * 120}" y="6" width="12" height="12" fill="${k.color}" stroke="#333" stroke-width="0.5"></rect><text x="${labelWidth + i * 120 + 16}" y="16" font-size="11">${k.label}</text></g>`);
  const bars = rows.map((r, i) => {
    const total = r.segments.reduce((s, x) => s + x.value, 0);
    const y = legendHeight + i * rowHeight;
    let x = labelWidth;
    const parts = r.segments.map((s) => {
      const w = total === 0 ? 0 : (s.value / total) * plotWidth;
      const part = html`<rect x="${fmt(x)}" y="${y + 3}" width="${fmt(w)}" height="${rowHeight - 6}" fill="${colorOf.get(s.key) ?? '#999'}"><title>${r.label} · ${labelOf.get(s.key) ?? s.key}: ${s.value}</title></rect>`;
      x += w;
      return part;
    });
    return html`<g><text x="${labelWidth - 6}" y="${y + rowHeight / 2 + 4}" text-anchor="end" font-size="12">${r.label}</text>${parts}<text x="${labelWidth + plotWidth + 6}" y="${y + rowHeight / 2 + 4}" font-size="11" fill="#333">${total}</text></g>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="${id}-t ${id}-d" xmlns="http://www.w3.org/2000/svg"><title id="${id}-t">${options.title}</title><desc id="${id}-d">${desc}</desc>${legend}${bars}</svg>`;
}

export interface TransitionCell {
  from: string | null;
  to: string | null;
  count: number;
}

/**
 * A transition matrix as a heat map: rows are the earlier period's levels, columns the later one's;
 * the cell shade grows with the count, the diagonal (no change) is outlined, and every non-empty
 * cell prints its number.
 */
export function transitionChart(cells: readonly TransitionCell[], levels: readonly { key: string | null; label: string; color: string }[], options: { title: string; fromLabel: string; toLabel: string }): SafeHtml {
  const cell = 52;
  const labelWidth = 96;
  const top = 48;
  const n = levels.length;
  const width = labelWidth + n * cell + 16;
  const height = top + n * cell + 16;
  const id = nextId('transition');
  const count = (from: string | null, to: string | null) => cells.filter((c) => c.from === from && c.to === to).reduce((s, c) => s + c.count, 0);
  const max = Math.max(1, ...cells.map((c) => c.count));
  const label = (key: string | null) => levels.find((l) => l.key === key)?.label ?? String(key);
  const desc = cells
    .filter((c) => c.count > 0)
    .map((c) => `${label(c.from)} → ${label(c.to)}: ${c.count}`)
    .join('; ');
  const headers = levels.map(
    (l, j) =>
      html`<text x="${labelWidth + j * cell + cell / 2}" y="${top - 8}" text-anchor="middle" font-size="11">${l.label}</text><rect x="${labelWidth + j * cell + 4}" y="${top - 4}" width="${cell - 8}" height="3" fill="${l.color}"></rect>`,
  );
  const rows = levels.map((from, i) => {
    const y = top + i * cell;
    const row = levels.map((to, j) => {
      const value = count(from.key, to.key);
      const x = labelWidth + j * cell;
      const shade = value === 0 ? 0 : 0.12 + 0.78 * Math.sqrt(value / max);
      const diagonal = i === j;
      return html`<g><rect x="${x + 1}" y="${y + 1}" width="${cell - 2}" height="${cell - 2}" fill="#0b5394" fill-opacity="${shade.toFixed(2)}" stroke="${diagonal ? '#000' : '#ccc'}" stroke-width="${diagonal ? 1.5 : 0.5}"><title>${from.label} → ${to.label}: ${value}</title></rect>${value > 0 ? html`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="12" fill="${shade > 0.5 ? '#fff' : '#000'}">${value}</text>` : ''}</g>`;
    });
    return html`<g><rect x="4" y="${y + cell / 2 - 8}" width="4" height="16" fill="${from.color}"></rect><text x="${labelWidth - 6}" y="${y + cell / 2 + 4}" text-anchor="end" font-size="11">${from.label}</text>${row}</g>`;
  });
  return html`<svg class="chart chart-matrix" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="${id}-t ${id}-d" xmlns="http://www.w3.org/2000/svg"><title id="${id}-t">${options.title}</title><desc id="${id}-d">${options.fromLabel} → ${options.toLabel}. ${desc || '—'}</desc><text x="${labelWidth}" y="14" font-size="11" fill="#555">${options.toLabel} →</text><text x="4" y="${top - 8}" font-size="11" fill="#555">${options.fromLabel} ↓</text>${headers}${rows}</svg>`;
}
