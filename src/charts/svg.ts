// Hand-written SVG line and bar charts: axes, ticks, legend, error bars. Output is a
// standalone SVG string (viewable in any browser, embeddable in a README). Points with a
// non-finite coordinate are left out and break the line, so no NaN reaches the markup.
import { formatTick, makeScale, niceDomain, type Scale, type ScaleKind } from './scale.js';

export interface Point {
  x: number;
  y: number;
  /** Error bar from lo to hi (both or neither). */
  lo?: number;
  hi?: number;
}

export interface LineSeries {
  name: string;
  points: Point[];
  color?: string;
  dash?: boolean;
  /** Draw a marker at each point (default true). */
  markers?: boolean;
}

export interface ReferenceLine {
  y: number;
  label: string;
}

export interface ChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  xScale?: ScaleKind;
  yScale?: ScaleKind;
  /** Explicit tick positions on x (e.g. the depths of a sweep). */
  xTicks?: number[];
  /** Fix either end of the y domain (otherwise from the data, padded to nice ticks). */
  yMin?: number;
  yMax?: number;
  /** Horizontal dashed lines, e.g. chance level. */
  references?: ReferenceLine[];
  /** Legend placement; 'auto' (line charts' default) picks the corner covering the fewest data; 'none' hides it. */
  legend?: LegendPlace | 'auto' | 'none';
}

type LegendPlace = 'top-right' | 'top-left' | 'bottom-right' | 'bottom-left';

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Two decimals are plenty at screen resolution and keep the files small. */
const n = (v: number): string => (Math.round(v * 100) / 100).toString();
const ok = (...vs: number[]): boolean => vs.every(Number.isFinite);

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function frame(opts: ChartOptions): Frame {
  const width = opts.width ?? 560;
  const height = opts.height ?? 360;
  return { width, height, left: 64, right: width - 16, top: opts.title ? 36 : 16, bottom: height - (opts.xLabel ? 52 : 36) };
}

function open(f: Frame): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="Helvetica, Arial, sans-serif" font-size="12">\n<rect width="${f.width}" height="${f.height}" fill="white"/>\n`;
}

function labels(f: Frame, opts: ChartOptions): string {
  let s = '';
  if (opts.title) s += `<text x="${n(f.width / 2)}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(opts.title)}</text>\n`;
  if (opts.xLabel) s += `<text x="${n((f.left + f.right) / 2)}" y="${n(f.height - 12)}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>\n`;
  if (opts.yLabel) {
    const cy = (f.top + f.bottom) / 2;
    s += `<text x="16" y="${n(cy)}" text-anchor="middle" transform="rotate(-90 16 ${n(cy)})">${escapeXml(opts.yLabel)}</text>\n`;
  }
  return s;
}

function yAxis(f: Frame, y: Scale): string {
  let s = '';
  for (const t of y.ticks()) {
    const py = y.map(t);
    if (!ok(py)) continue;
    s += `<line x1="${f.left}" y1="${n(py)}" x2="${f.right}" y2="${n(py)}" stroke="#e5e5e5"/>\n`;
    s += `<text x="${f.left - 6}" y="${n(py + 4)}" text-anchor="end">${escapeXml(formatTick(t, y.kind))}</text>\n`;
  }
  s += `<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.bottom}" stroke="black"/>\n`;
  return s;
}

interface LegendEntry {
  name: string;
  color: string;
  dash: boolean;
  box?: boolean;
}

function legendBox(f: Frame, entries: LegendEntry[], place: LegendPlace): { x0: number; y0: number; w: number; h: number } {
  const w = 28 + Math.max(...entries.map((e) => e.name.length)) * 6.6;
  const h = entries.length * 16 + 8;
  return { x0: place.endsWith('left') ? f.left + 8 : f.right - w - 8, y0: place.startsWith('top') ? f.top + 8 : f.bottom - h - 8, w, h };
}

/** The corner whose legend box covers the fewest drawn points (ties: top-right first). */
function emptiestCorner(f: Frame, entries: LegendEntry[], pixels: [number, number][]): LegendPlace {
  const corners: LegendPlace[] = ['top-right', 'top-left', 'bottom-right', 'bottom-left'];
  const cost = (p: LegendPlace): number => {
    const b = legendBox(f, entries, p);
    return pixels.filter(([x, y]) => x >= b.x0 - 4 && x <= b.x0 + b.w + 4 && y >= b.y0 - 4 && y <= b.y0 + b.h + 4).length;
  };
  return corners.reduce((best, c) => (cost(c) < cost(best) ? c : best));
}

function legend(f: Frame, entries: LegendEntry[], where: ChartOptions['legend'], pixels: [number, number][] = []): string {
  if (where === 'none' || entries.length === 0) return '';
  const rowH = 16;
  const place = where === undefined || where === 'auto' ? emptiestCorner(f, entries, pixels) : where;
  const { x0, y0, w, h } = legendBox(f, entries, place);
  let s = `<g class="legend"><rect x="${n(x0)}" y="${n(y0)}" width="${n(w)}" height="${h}" fill="white" fill-opacity="0.85" stroke="#bbb"/>\n`;
  entries.forEach((e, i) => {
    const cy = y0 + 12 + i * rowH;
    s += e.box
      ? `<rect x="${n(x0 + 6)}" y="${n(cy - 5)}" width="16" height="10" fill="${e.color}"/>`
      : `<line x1="${n(x0 + 6)}" y1="${n(cy)}" x2="${n(x0 + 22)}" y2="${n(cy)}" stroke="${e.color}" stroke-width="2"${e.dash ? ' stroke-dasharray="5,3"' : ''}/>`;
    s += `<text x="${n(x0 + 26)}" y="${n(cy + 4)}">${escapeXml(e.name)}</text>\n`;
  });
  return `${s}</g>\n`;
}

function yExtent(values: number[], opts: ChartOptions, kind: ScaleKind): [number, number] {
  const usable = values.filter((v) => Number.isFinite(v) && (kind === 'linear' || v > 0));
  let lo = opts.yMin ?? (usable.length ? Math.min(...usable) : 0);
  let hi = opts.yMax ?? (usable.length ? Math.max(...usable) : 1);
  if (kind === 'log' && lo <= 0) lo = hi > 0 ? hi / 10 : 1;
  if (hi < lo) hi = lo;
  const nice = niceDomain(lo, hi, kind);
  return [opts.yMin ?? nice[0], opts.yMax ?? nice[1]];
}

export function lineChart(series: LineSeries[], opts: ChartOptions = {}): string {
  const f = frame(opts);
  const xKind = opts.xScale ?? 'linear';
  const yKind = opts.yScale ?? 'linear';
  const xs = series.flatMap((s) => s.points.map((p) => p.x)).concat(opts.xTicks ?? []);
  const ys = series.flatMap((s) => s.points.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y])).concat((opts.references ?? []).map((r) => r.y));
  const xFinite = xs.filter((v) => Number.isFinite(v) && (xKind === 'linear' || v > 0));
  const xLo = xFinite.length ? Math.min(...xFinite) : 0;
  const xHi = xFinite.length ? Math.max(...xFinite) : 1;
  const xDomain: [number, number] = opts.xTicks ? (xLo === xHi ? [xLo - 1, xHi + 1] : [xLo, xHi]) : niceDomain(xLo, xHi, xKind);
  const pad = 12;
  const x = makeScale(xKind, xDomain, [f.left + pad, f.right - pad]);
  const y = makeScale(yKind, yExtent(ys, opts, yKind), [f.bottom, f.top]);

  let s = open(f) + labels(f, opts) + yAxis(f, y);
  s += `<line x1="${f.left}" y1="${f.bottom}" x2="${f.right}" y2="${f.bottom}" stroke="black"/>\n`;
  for (const t of opts.xTicks ?? x.ticks()) {
    const px = x.map(t);
    if (!ok(px)) continue;
    s += `<line x1="${n(px)}" y1="${f.bottom}" x2="${n(px)}" y2="${f.bottom + 5}" stroke="black"/><text x="${n(px)}" y="${f.bottom + 18}" text-anchor="middle">${escapeXml(formatTick(t, xKind))}</text>\n`;
  }
  for (const r of opts.references ?? []) {
    const py = y.map(r.y);
    if (!ok(py)) continue;
    s += `<line class="reference" x1="${f.left}" y1="${n(py)}" x2="${f.right}" y2="${n(py)}" stroke="#888" stroke-dasharray="2,3"/><text x="${f.left + 6}" y="${n(py - 4)}" fill="#666">${escapeXml(r.label)}</text>\n`;
  }
  const entries: LegendEntry[] = [];
  const pixels: [number, number][] = [];
  series.forEach((ser, i) => {
    const color = ser.color ?? PALETTE[i % PALETTE.length]!;
    const dash = ser.dash ?? false;
    entries.push({ name: ser.name, color, dash });
    // Split the polyline wherever a point cannot be drawn.
    const runs: string[][] = [[]];
    let prev: [number, number] | null = null;
    let marks = '';
    let bars = '';
    for (const p of [...ser.points].sort((a, b) => a.x - b.x)) {
      const px = x.map(p.x);
      const py = y.map(p.y);
      if (!ok(px, py)) {
        if (runs[runs.length - 1]!.length > 0) runs.push([]);
        prev = null;
        continue;
      }
      const run = runs[runs.length - 1]!;
      if (prev && run.length > 0) for (let k = 1; k < 8; k++) pixels.push([prev[0] + ((px - prev[0]) * k) / 8, prev[1] + ((py - prev[1]) * k) / 8]);
      pixels.push([px, py]);
      prev = [px, py];
      run.push(`${n(px)},${n(py)}`);
      if (ser.markers ?? true) marks += `<circle cx="${n(px)}" cy="${n(py)}" r="3" fill="${color}"/>`;
      if (p.lo !== undefined && p.hi !== undefined) {
        const plo = y.map(p.lo);
        const phi = y.map(p.hi);
        if (ok(plo, phi)) {
          bars += `<path class="errorbar" d="M${n(px)},${n(plo)}V${n(phi)}M${n(px - 4)},${n(plo)}H${n(px + 4)}M${n(px - 4)},${n(phi)}H${n(px + 4)}" stroke="${color}" fill="none"/>`;
        }
      }
    }
    s += `<g class="series" data-name="${escapeXml(ser.name)}">`;
    for (const run of runs) {
      if (run.length > 0) s += `<polyline points="${run.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash ? ' stroke-dasharray="5,3"' : ''}/>`;
    }
    s += `${bars}${marks}</g>\n`;
  });
  return `${s}${legend(f, entries, opts.legend, pixels)}</svg>\n`;
}

export interface BarSeries {
  name: string;
  values: number[];
  /** Symmetric error per category (drawn as ±). */
  errors?: number[];
  color?: string;
}

/** Grouped bars: one group per category, one bar per series. */
export function barChart(categories: string[], series: BarSeries[], opts: ChartOptions = {}): string {
  const f = frame(opts);
  const yKind = opts.yScale ?? 'linear';
  const ys = series.flatMap((s) => s.values.flatMap((v, i) => [v, v + (s.errors?.[i] ?? 0), v - (s.errors?.[i] ?? 0)]));
  const y = makeScale(yKind, yExtent(yKind === 'linear' ? ys.concat(0) : ys, opts, yKind), [f.bottom, f.top]);
  const base = yKind === 'log' ? f.bottom : Math.min(f.bottom, Math.max(f.top, y.map(0)));
  const groupW = (f.right - f.left) / Math.max(categories.length, 1);
  const barW = (groupW * 0.8) / Math.max(series.length, 1);
  let s = open(f) + labels(f, opts) + yAxis(f, y);
  s += `<line x1="${f.left}" y1="${n(base)}" x2="${f.right}" y2="${n(base)}" stroke="black"/>\n`;
  categories.forEach((c, i) => {
    s += `<text x="${n(f.left + groupW * (i + 0.5))}" y="${f.bottom + 18}" text-anchor="middle">${escapeXml(c)}</text>\n`;
  });
  const entries: LegendEntry[] = [];
  series.forEach((ser, j) => {
    const color = ser.color ?? PALETTE[j % PALETTE.length]!;
    entries.push({ name: ser.name, color, dash: false, box: true });
    s += `<g class="series" data-name="${escapeXml(ser.name)}">`;
    ser.values.forEach((v, i) => {
      const py = y.map(v);
      if (!ok(py) || i >= categories.length) return;
      const px = f.left + groupW * i + groupW * 0.1 + barW * j;
      s += `<rect x="${n(px)}" y="${n(Math.min(py, base))}" width="${n(barW * 0.92)}" height="${n(Math.abs(base - py))}" fill="${color}"/>`;
      const e = ser.errors?.[i];
      if (e !== undefined) {
        const plo = y.map(v - e);
        const phi = y.map(v + e);
        const cx = px + barW * 0.46;
        if (ok(plo, phi)) s += `<path class="errorbar" d="M${n(cx)},${n(plo)}V${n(phi)}M${n(cx - 3)},${n(plo)}H${n(cx + 3)}M${n(cx - 3)},${n(phi)}H${n(cx + 3)}" stroke="black" fill="none"/>`;
      }
    });
    s += '</g>\n';
  });
  return `${s}${legend(f, entries, opts.legend ?? 'top-right')}</svg>\n`;
}

/** Several charts side by side in one SVG (nested <svg> elements), `columns` per row. */
export function panelGrid(panels: string[], columns: number, opts: { title?: string } = {}): string {
  const sizes = panels.map((p) => {
    const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(p);
    return m ? { w: Number(m[1]), h: Number(m[2]) } : { w: 560, h: 360 };
  });
  const cols = Math.max(1, Math.min(columns, panels.length || 1));
  const colW = Math.max(0, ...sizes.map((s) => s.w));
  const rowH = Math.max(0, ...sizes.map((s) => s.h));
  const top = opts.title ? 30 : 0;
  const width = cols * colW;
  const height = top + Math.ceil(panels.length / cols) * rowH;
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">\n<rect width="${width}" height="${height}" fill="white"/>\n`;
  if (opts.title) s += `<text x="${n(width / 2)}" y="20" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(opts.title)}</text>\n`;
  panels.forEach((p, i) => {
    const x = (i % cols) * colW;
    const y = top + Math.floor(i / cols) * rowH;
    s += p.replace(/^<svg /, `<svg x="${x}" y="${y}" `);
  });
  return `${s}</svg>\n`;
}
