// Axis scales and tick choice for the SVG charts. Pure functions, no DOM: the same code
// draws charts in Node (experiment reports) and in a browser.

export type ScaleKind = 'linear' | 'log';

export interface Scale {
  kind: ScaleKind;
  domain: [number, number];
  range: [number, number];
  /** Data value → pixel; NaN for values the scale cannot show (≤ 0 on a log scale). */
  map(v: number): number;
  ticks(): number[];
}

/** 10^e exactly (10 ** -4 is 0.00009999999999999999 in floating point). */
const pow10 = (e: number): number => Number(`1e${e}`);

/** 1, 2 or 5 times a power of ten, so tick labels stay short. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(count, 1);
  const pow = pow10(Math.floor(Math.log10(raw)));
  const f = raw / pow;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * pow;
}

/** Extend [lo, hi] to tick boundaries; a zero-width domain is widened so it can be drawn. */
export function niceDomain(lo: number, hi: number, kind: ScaleKind, count = 5): [number, number] {
  if (kind === 'log') {
    const a = lo > 0 ? lo : 1e-12;
    const b = hi > a ? hi : a * 10;
    return [pow10(Math.floor(Math.log10(a))), pow10(Math.ceil(Math.log10(b)))];
  }
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - pad, hi + pad];
  }
  const step = niceStep(hi - lo, count);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

export function makeScale(kind: ScaleKind, domain: [number, number], range: [number, number], tickCount = 5): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (kind === 'log') {
    const l0 = Math.log10(d0);
    const l1 = Math.log10(d1);
    return {
      kind, domain, range,
      map: (v) => (v > 0 ? r0 + ((Math.log10(v) - l0) / (l1 - l0 || 1)) * (r1 - r0) : Number.NaN),
      ticks: () => {
        const out: number[] = [];
        for (let e = Math.ceil(l0 - 1e-9); e <= Math.floor(l1 + 1e-9); e++) out.push(pow10(e));
        return out;
      },
    };
  }
  return {
    kind, domain, range,
    map: (v) => r0 + ((v - d0) / (d1 - d0 || 1)) * (r1 - r0),
    ticks: () => {
      const step = niceStep(d1 - d0, tickCount);
      const out: number[] = [];
      for (let v = Math.ceil(d0 / step - 1e-9) * step; v <= d1 + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
      return out;
    },
  };
}

/** A tick label: integers as they are, powers of ten on a log axis as 1e-3, others to 3 significant digits. */
export function formatTick(v: number, kind: ScaleKind): string {
  if (kind === 'log') {
    const e = Math.round(Math.log10(v));
    // Only a power of ten is named as one: explicit ticks (16, 32, 64 …) keep their own value.
    if (Math.abs(v - pow10(e)) <= 1e-9 * pow10(e)) return e >= 0 && e <= 3 ? String(pow10(e)) : `1e${e}`;
  }
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}
