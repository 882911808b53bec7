// A plain float64 LSTM, forward and backward, written from the ONNX operator definition
// with straightforward loops: one sequence at a time, one step at a time, the reverse
// direction walking t = len−1 … 0 directly (no reversal tricks), padding never visited.
// Layouts are the ONNX ones, flattened row-major:
//   x [T,B,I]  w [D,4H,I]  r [D,4H,H]  b [D,8H] = [Wb, Rb]  h0, c0 [D,B,H]  y [T,D,B,H]
// Gate order i, o, f, c.

export type Direction = 'forward' | 'reverse' | 'bidirectional';

export interface LstmProblem {
  T: number;
  B: number;
  I: number;
  H: number;
  direction: Direction;
  x: Float64Array;
  w: Float64Array;
  r: Float64Array;
  b: Float64Array | null;
  /** Per batch entry, 1..T; null = all T. */
  lens: number[] | null;
  h0: Float64Array | null;
  c0: Float64Array | null;
}

export interface LstmForward {
  y: Float64Array;
  yH: Float64Array;
  yC: Float64Array;
}

export interface LstmGrads {
  x: Float64Array;
  w: Float64Array;
  r: Float64Array;
  b: Float64Array;
  h0: Float64Array;
  c0: Float64Array;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

export const numDirections = (d: Direction): number => (d === 'bidirectional' ? 2 : 1);

/** Time indices visited by direction d for a sequence of length len. */
function stepsOf(p: LstmProblem, d: number, len: number): number[] {
  const reverse = p.direction === 'reverse' || (p.direction === 'bidirectional' && d === 1);
  const ts = Array.from({ length: len }, (_, k) => k);
  return reverse ? ts.reverse() : ts;
}

interface Step {
  t: number;
  hPrev: number[];
  cPrev: number[];
  i: number[];
  o: number[];
  f: number[];
  g: number[];
  c: number[];
  h: number[];
}

/** Runs one direction over one sequence, keeping every step's values. */
function runSequence(p: LstmProblem, d: number, bi: number): Step[] {
  const { B, I, H } = p;
  const len = p.lens ? p.lens[bi]! : p.T;
  let h = Array.from({ length: H }, (_, k) => (p.h0 ? p.h0[(d * B + bi) * H + k]! : 0));
  let c = Array.from({ length: H }, (_, k) => (p.c0 ? p.c0[(d * B + bi) * H + k]! : 0));
  const steps: Step[] = [];
  for (const t of stepsOf(p, d, len)) {
    const pre = new Array<number>(4 * H).fill(0);
    for (let row = 0; row < 4 * H; row++) {
      let s = p.b ? p.b[d * 8 * H + row]! + p.b[d * 8 * H + 4 * H + row]! : 0;
      for (let k = 0; k < I; k++) s += p.w[(d * 4 * H + row) * I + k]! * p.x[(t * B + bi) * I + k]!;
      for (let k = 0; k < H; k++) s += p.r[(d * 4 * H + row) * H + k]! * h[k]!;
      pre[row] = s;
    }
    const i = pre.slice(0, H).map(sigmoid);
    const o = pre.slice(H, 2 * H).map(sigmoid);
    const f = pre.slice(2 * H, 3 * H).map(sigmoid);
    const g = pre.slice(3 * H, 4 * H).map(Math.tanh);
    const cNew = c.map((cv, k) => f[k]! * cv + i[k]! * g[k]!);
    const hNew = cNew.map((cv, k) => o[k]! * Math.tanh(cv));
    steps.push({ t, hPrev: h, cPrev: c, i, o, f, g, c: cNew, h: hNew });
    h = hNew;
    c = cNew;
  }
  return steps;
}

export function lstmForwardRef(p: LstmProblem): LstmForward {
  const { T, B, H } = p;
  const D = numDirections(p.direction);
  const y = new Float64Array(T * D * B * H);
  const yH = new Float64Array(D * B * H);
  const yC = new Float64Array(D * B * H);
  for (let d = 0; d < D; d++) {
    for (let bi = 0; bi < B; bi++) {
      const steps = runSequence(p, d, bi);
      for (const s of steps) for (let k = 0; k < H; k++) y[((s.t * D + d) * B + bi) * H + k] = s.h[k]!;
      const last = steps[steps.length - 1];
      for (let k = 0; k < H; k++) {
        yH[(d * B + bi) * H + k] = last ? last.h[k]! : p.h0 ? p.h0[(d * B + bi) * H + k]! : 0;
        yC[(d * B + bi) * H + k] = last ? last.c[k]! : p.c0 ? p.c0[(d * B + bi) * H + k]! : 0;
      }
    }
  }
  return { y, yH, yC };
}

/** Gradients of L = Σ y·dY + Σ yH·dYh + Σ yC·dYc with respect to every input. */
export function lstmBackwardRef(p: LstmProblem, dY: Float64Array, dYh: Float64Array, dYc: Float64Array): LstmGrads {
  const { T, B, I, H } = p;
  const D = numDirections(p.direction);
  const gr: LstmGrads = {
    x: new Float64Array(T * B * I),
    w: new Float64Array(D * 4 * H * I),
    r: new Float64Array(D * 4 * H * H),
    b: new Float64Array(D * 8 * H),
    h0: new Float64Array(D * B * H),
    c0: new Float64Array(D * B * H),
  };
  for (let d = 0; d < D; d++) {
    for (let bi = 0; bi < B; bi++) {
      const steps = runSequence(p, d, bi);
      const dh = Array.from({ length: H }, (_, k) => dYh[(d * B + bi) * H + k]!);
      const dc = Array.from({ length: H }, (_, k) => dYc[(d * B + bi) * H + k]!);
      for (let n = steps.length - 1; n >= 0; n--) {
        const s = steps[n]!;
        const dPre = new Array<number>(4 * H).fill(0);
        for (let k = 0; k < H; k++) {
          const dhk = dh[k]! + dY[((s.t * D + d) * B + bi) * H + k]!;
          const tc = Math.tanh(s.c[k]!);
          const dck = dc[k]! + dhk * s.o[k]! * (1 - tc * tc);
          dPre[k] = dck * s.g[k]! * s.i[k]! * (1 - s.i[k]!);
          dPre[H + k] = dhk * tc * s.o[k]! * (1 - s.o[k]!);
          dPre[2 * H + k] = dck * s.cPrev[k]! * s.f[k]! * (1 - s.f[k]!);
          dPre[3 * H + k] = dck * s.i[k]! * (1 - s.g[k]! * s.g[k]!);
          dc[k] = dck * s.f[k]!;
        }
        dh.fill(0);
        for (let row = 0; row < 4 * H; row++) {
          const gRow = dPre[row]!;
          gr.b[d * 8 * H + row] += gRow;
          gr.b[d * 8 * H + 4 * H + row] += gRow;
          for (let k = 0; k < I; k++) {
            gr.w[(d * 4 * H + row) * I + k] += gRow * p.x[(s.t * B + bi) * I + k]!;
            gr.x[(s.t * B + bi) * I + k] += gRow * p.w[(d * 4 * H + row) * I + k]!;
          }
          for (let k = 0; k < H; k++) {
            gr.r[(d * 4 * H + row) * H + k] += gRow * s.hPrev[k]!;
            dh[k] += gRow * p.r[(d * 4 * H + row) * H + k]!;
          }
        }
      }
      for (let k = 0; k < H; k++) {
        gr.h0[(d * B + bi) * H + k] = dh[k]!;
        gr.c0[(d * B + bi) * H + k] = dc[k]!;
      }
    }
  }
  return gr;
}
