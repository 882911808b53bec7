// A plain-TypeScript, float64 implementation of the classifier's math, independent of the
// graph builder and of onnxruntime: the oracle for src/models/classifier.test.ts.
//
// LSTM: the ONNX operator's equations with the default activations (σ, tanh, tanh), gate
// blocks in the order i, o, f, c inside W [2, 4H, In], R [2, 4H, H], B [2, 8H] = [Wb, Rb]:
//   i = σ(x·Wiᵀ + h·Riᵀ + Wbi + Rbi)      f = σ(… f …)      o = σ(… o …)
//   c̃ = tanh(x·Wcᵀ + h·Rcᵀ + Wbc + Rbc)   C = f⊙C + i⊙c̃     h = o⊙tanh(C)
// Direction 0 runs t = 0 … len−1, direction 1 runs t = len−1 … 0 (each sequence over its own
// valid length only); outputs at t ≥ len are 0.
import type { Tensor } from '../../src/onnx/tensor.js';
import type { ModelConfig } from '../../src/models/config.js';

type Mat = Float64Array[]; // rows

export interface ReferenceOutput {
  /** [B][C] */
  logits: number[][];
  probs: number[][];
  /** [B][L][T], or null for plain models / gatesOutput false. */
  gates: number[][][] | null;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

function get(params: Map<string, Tensor>, name: string): { dims: number[]; data: Float64Array } {
  const t = params.get(name);
  if (!t) throw new Error(`reference: parameter '${name}' missing`);
  return { dims: t.dims, data: Float64Array.from(t.data as Float32Array) };
}

/** x [T][In] for one sequence · W [In, Out] + b. */
function affine(x: Mat, w: { dims: number[]; data: Float64Array }, b: { data: Float64Array }): Mat {
  const [In, Out] = w.dims as [number, number];
  return x.map((row) => {
    const out = new Float64Array(Out);
    for (let o = 0; o < Out; o++) {
      let s = b.data[o]!;
      for (let i = 0; i < In; i++) s += row[i]! * w.data[i * Out + o]!;
      out[o] = s;
    }
    return out;
  });
}

/** One sequence x [T][In] with valid length `len` → [T][2H]. */
export function referenceBilstm(x: Mat, len: number, W: Float64Array, R: Float64Array, B: Float64Array, In: number, H: number): Mat {
  const T = x.length;
  const y: Mat = Array.from({ length: T }, () => new Float64Array(2 * H));
  for (let d = 0; d < 2; d++) {
    const wOff = d * 4 * H * In;
    const rOff = d * 4 * H * H;
    const bOff = d * 8 * H;
    let h = new Float64Array(H);
    let c = new Float64Array(H);
    for (let s = 0; s < len; s++) {
      const t = d === 0 ? s : len - 1 - s;
      const pre = new Float64Array(4 * H);
      for (let k = 0; k < 4 * H; k++) {
        let v = B[bOff + k]! + B[bOff + 4 * H + k]!;
        for (let i = 0; i < In; i++) v += W[wOff + k * In + i]! * x[t]![i]!;
        for (let j = 0; j < H; j++) v += R[rOff + k * H + j]! * h[j]!;
        pre[k] = v;
      }
      const hn = new Float64Array(H);
      const cn = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const ig = sigmoid(pre[j]!);
        const og = sigmoid(pre[H + j]!);
        const fg = sigmoid(pre[2 * H + j]!);
        const cc = Math.tanh(pre[3 * H + j]!);
        cn[j] = fg * c[j]! + ig * cc;
        hn[j] = og * Math.tanh(cn[j]!);
        y[t]![d * H + j] = hn[j]!;
      }
      h = hn;
      c = cn;
    }
  }
  return y;
}

/**
 * ids [B][T] (row-major numbers), lengths [B] → logits, probs, gate means.
 * Carry: the configured mode on layer 1; identity afterwards.
 */
export function referenceClassifier(config: ModelConfig, params: Map<string, Tensor>, ids: number[][], lengths: number[]): ReferenceOutput {
  const { embedDim: E, hidden: H } = config;
  const emb = get(params, 'embedding.weight');
  const outW = get(params, 'output.weight');
  const outB = get(params, 'output.bias');
  const highway = config.kind === 'highway';
  const logits: number[][] = [];
  const probs: number[][] = [];
  const gates: number[][][] | null = highway && config.gatesOutput ? [] : null;

  ids.forEach((row, b) => {
    const T = row.length;
    const len = lengths[b]!;
    let x: Mat = row.map((id) => emb.data.slice(id * E, (id + 1) * E));
    const gateRows: number[][] = [];
    for (let l = 1; l <= config.layers; l++) {
      const In = l === 1 ? E : 2 * H;
      const p = `layer${l}`;
      const h = referenceBilstm(x, len, get(params, `${p}.bilstm.W`).data, get(params, `${p}.bilstm.R`).data, get(params, `${p}.bilstm.B`).data, In, H);
      if (!highway) {
        x = h;
        continue;
      }
      const gate = affine(x, get(params, `${p}.gate.weight`), get(params, `${p}.gate.bias`)).map((r) => r.map(sigmoid));
      const mode = l === 1 ? config.carry : 'identity';
      const carry: Mat =
        mode === 'projection'
          ? affine(x, get(params, `${p}.carry.weight`), get(params, `${p}.carry.bias`))
          : mode === 'zero-pad'
            ? x.map((r) => {
                const o = new Float64Array(2 * H);
                o.set(r);
                return o;
              })
            : x;
      x = h.map((hr, t) => hr.map((hv, j) => hv * gate[t]![j]! + carry[t]![j]! * (1 - gate[t]![j]!)));
      gateRows.push(gate.map((r) => r.reduce((s, v) => s + v, 0) / (2 * H)));
    }
    // tanh → max over t < len → tanh
    const pooled = new Float64Array(2 * H).fill(-Infinity);
    for (let t = 0; t < len; t++) for (let j = 0; j < 2 * H; j++) pooled[j] = Math.max(pooled[j]!, Math.tanh(x[t]![j]!));
    const feat = Array.from(pooled, Math.tanh);
    const lg = affine([Float64Array.from(feat)], outW, outB)[0]!;
    const m = Math.max(...lg);
    const ex = Array.from(lg, (v) => Math.exp(v - m));
    const z = ex.reduce((s, v) => s + v, 0);
    logits.push(Array.from(lg));
    probs.push(ex.map((v) => v / z));
    if (gates) gates.push(gateRows);
  });
  return { logits, probs, gates };
}
