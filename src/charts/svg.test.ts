import { describe, expect, it } from 'vitest';
import { barChart, lineChart, panelGrid, escapeXml, type LineSeries } from './index.js';
import { formatTick, makeScale, niceDomain } from './scale.js';
import { coordinateValues, findAll, parseXml, type XmlElement } from '../../test/charts/xml.js';

const series = (root: XmlElement): XmlElement[] => findAll(root, (e) => e.name === 'g' && e.attrs.class === 'series');
const noNaN = (root: XmlElement): void => {
  for (const v of coordinateValues(root)) expect(v).not.toMatch(/NaN|Infinity|undefined/);
};

describe('xml test helper', () => {
  it('rejects malformed markup', () => {
    expect(() => parseXml('<a><b></a>')).toThrow(/does not match/);
    expect(() => parseXml('<a x=1/>')).toThrow(/not quoted/);
    expect(() => parseXml('<a>Q&A</a>')).toThrow(/bare &/);
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow(/duplicate/);
    expect(parseXml('<a x="1">b &amp; c<c/></a>').children).toHaveLength(1);
  });
});

describe('lineChart', () => {
  const depthSeries: LineSeries[] = [
    { name: 'plain', points: [{ x: 1, y: 80, lo: 79, hi: 81 }, { x: 4, y: 70, lo: 65, hi: 75 }, { x: 16, y: 50, lo: 49, hi: 51 }] },
    { name: 'highway', dash: true, points: [{ x: 1, y: 81 }, { x: 4, y: 82 }, { x: 16, y: 81 }] },
  ];

  it('is well-formed SVG with one group per series, a legend entry each, and error bars', () => {
    const svg = lineChart(depthSeries, { title: 'Accuracy <vs> depth & more', xLabel: 'layers', yLabel: 'accuracy (%)', xTicks: [1, 2, 4, 8, 16], references: [{ y: 50, label: 'chance' }] });
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(series(root).map((g) => g.attrs['data-name'])).toEqual(['plain', 'highway']);
    expect(findAll(root, (e) => e.attrs.class === 'legend')[0]!.children.filter((e) => e.name === 'text').map((t) => t.text)).toEqual(['plain', 'highway']);
    expect(findAll(root, (e) => e.attrs.class === 'errorbar')).toHaveLength(3);
    expect(findAll(root, (e) => e.name === 'circle')).toHaveLength(6);
    expect(svg).toContain('Accuracy &lt;vs&gt; depth &amp; more');
    expect(findAll(root, (e) => e.attrs.class === 'reference')).toHaveLength(1);
    noNaN(root);
  });

  it('maps larger values higher and keeps points inside the plot area', () => {
    const svg = lineChart([{ name: 's', points: [{ x: 0, y: 0 }, { x: 1, y: 10 }] }], { width: 400, height: 300 });
    const [a, b] = findAll(parseXml(svg), (e) => e.name === 'circle').map((c) => ({ x: Number(c.attrs.cx), y: Number(c.attrs.cy) }));
    expect(b!.y).toBeLessThan(a!.y);
    expect(b!.x).toBeGreaterThan(a!.x);
    for (const p of [a!, b!]) {
      expect(p.x).toBeGreaterThan(0);
      expect(p.x).toBeLessThan(400);
      expect(p.y).toBeGreaterThan(0);
      expect(p.y).toBeLessThan(300);
    }
  });

  it('drops non-finite points (and non-positive ones on a log axis) instead of writing NaN', () => {
    const svg = lineChart(
      [
        { name: 'a', points: [{ x: 1, y: 1e-3 }, { x: 2, y: Number.NaN }, { x: 3, y: 0 }, { x: 4, y: 1e-6 }, { x: 5, y: Infinity }] },
        { name: 'empty', points: [] },
      ],
      { yScale: 'log' },
    );
    const root = parseXml(svg);
    noNaN(root);
    expect(series(root)).toHaveLength(2);
    // The gap splits the line: two runs of one point each.
    expect(findAll(series(root)[0]!, (e) => e.name === 'circle')).toHaveLength(2);
    const ticks = findAll(root, (e) => e.name === 'text').map((t) => t.text);
    expect(ticks).toContain('1e-3');
    expect(ticks).toContain('1e-6');
  });

  it('draws a chart with no data at all', () => {
    const root = parseXml(lineChart([], { title: 'nothing yet' }));
    expect(series(root)).toHaveLength(0);
    noNaN(root);
  });
});

describe('barChart and panelGrid', () => {
  it('draws one bar per value and series, with error bars', () => {
    const svg = barChart(['1', '2', '4'], [{ name: 'plain', values: [80, 75, 51], errors: [1, 2, 1] }, { name: 'highway', values: [81, 82, 81] }], { yLabel: '%' });
    const root = parseXml(svg);
    expect(series(root)).toHaveLength(2);
    expect(findAll(root, (e) => e.name === 'rect' && e.attrs.fill !== 'white' && !e.attrs.stroke)).toHaveLength(6 + 2); // bars + legend swatches
    expect(findAll(root, (e) => e.attrs.class === 'errorbar')).toHaveLength(3);
    noNaN(root);
  });

  it('nests panels as positioned <svg> elements', () => {
    const a = lineChart([{ name: 'a', points: [{ x: 1, y: 1 }] }], { width: 300, height: 200 });
    const b = barChart(['x'], [{ name: 'b', values: [2] }], { width: 300, height: 200 });
    const root = parseXml(panelGrid([a, b, a], 2, { title: 'grid' }));
    expect(root.attrs.width).toBe('600');
    expect(root.attrs.height).toBe(String(30 + 2 * 200));
    const inner = root.children.filter((e) => e.name === 'svg');
    expect(inner.map((e) => [e.attrs.x, e.attrs.y])).toEqual([['0', '30'], ['300', '30'], ['0', '230']]);
    expect(series(root)).toHaveLength(3);
  });
});

describe('scales', () => {
  it('chooses round ticks', () => {
    expect(niceDomain(0.51, 0.83, 'linear')).toEqual([0.5, 0.9]);
    expect(makeScale('linear', [0, 100], [0, 1]).ticks()).toEqual([0, 20, 40, 60, 80, 100]);
    expect(makeScale('log', [1e-4, 1], [0, 1]).ticks()).toEqual([1e-4, 1e-3, 1e-2, 1e-1, 1]);
    expect(niceDomain(3e-5, 0.2, 'log')).toEqual([1e-5, 1]);
    expect(formatTick(0.30000000000000004, 'linear')).toBe('0.3');
    // explicit ticks on a log axis that are not powers of ten keep their value
    expect(formatTick(32, 'log')).toBe('32');
    expect(formatTick(1024, 'log')).toBe('1024');
    expect(formatTick(1000, 'log')).toBe('1000');
    expect(formatTick(1e-3, 'log')).toBe('1e-3');
    expect(makeScale('log', [1, 10], [0, 100]).map(-1)).toBeNaN();
  });

  it('escapes XML', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

describe('browser safety', () => {
  it('src/charts imports nothing but its own files and uses no Node globals', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const dir = fileURLToPath(new URL('./', import.meta.url));
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const src = readFileSync(dir + file, 'utf8');
      const imports = [...src.matchAll(/\bfrom\s+'([^']+)'/g)].map((m) => m[1]!);
      expect(imports.filter((s) => !s.startsWith('./')), file).toEqual([]);
      expect(src, file).not.toMatch(/\bprocess\.|\bBuffer\b|\brequire\(/);
    }
  });
});
