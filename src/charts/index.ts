// SVG charts (pure TypeScript, no DOM): line charts with error bars and log axes,
// grouped bar charts, and panel grids. Used by the depth experiment; browser-safe.
export { lineChart, barChart, panelGrid, escapeXml, PALETTE, type LineSeries, type Point, type BarSeries, type ChartOptions, type ReferenceLine } from './svg.js';
export { makeScale, niceDomain, formatTick, type Scale, type ScaleKind } from './scale.js';
