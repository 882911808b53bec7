// Arithmetic counts for the benchmarks: useful FLOPs per token of the Highway BiLSTM
// classifier, and the machine's fp32 peak, so a throughput can be read as a share of it.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** The shape the benchmarks use: Highway BiLSTM, carry projection on layer 1. */
export interface FlopShape {
  layers: number;
  embedDim: number;
  hidden: number;
}

/**
 * Forward FLOPs per valid token (a multiply-add counts 2). Per layer: the LSTM's input and
 * recurrent products in both directions, 2·2·4H·(In + H); the transform gate x·W_T, 2·In·2H;
 * layer 1's carry projection, 2·E·2H. Element-wise work (gates' nonlinearities, the highway
 * mix) is a few dozen FLOPs per unit and left out, as are padding steps and the per-sentence
 * pooling and output layer: the count is the useful work, so padding shows up as lost speed.
 * Embedding 100, hidden 50: layer 1 160,000, each later layer 140,000.
 */
export function forwardFlopsPerToken(s: FlopShape): number {
  const H = s.hidden;
  let total = 0;
  for (let l = 1; l <= s.layers; l++) {
    const In = l === 1 ? s.embedDim : 2 * H;
    total += 2 * 2 * 4 * H * (In + H) + 2 * In * 2 * H + (l === 1 ? 2 * In * 2 * H : 0);
  }
  return total;
}

/** A training step does the forward product and two more of the same size (input and weight gradients). */
export function trainFlopsPerToken(s: FlopShape): number {
  return 3 * forwardFlopsPerToken(s);
}

export interface MachinePeak {
  /** fp32 GFLOP/s. */
  gflops: number;
  cores: number;
  ghz: number;
  /** fp32 lanes of the widest vector FMA the flags advertise (16 for AVX-512F, 8 for AVX2 + FMA). */
  lanes: number;
  /** FMA units per core assumed (a CLI option: /proc/cpuinfo does not say). */
  fmaUnits: number;
  /** How the figure was derived, for the report. */
  formula: string;
}

/**
 * fp32 peak = cores × clock × lanes × 2 (an FMA is two FLOPs) × FMA units per core. Cores are the
 * threads the benchmark gives each side; the clock is `os.cpus()`'s (else "cpu MHz" of /proc/cpuinfo), the vector
 * width from /proc/cpuinfo's flags (avx512f → 16 fp32 lanes, avx2+fma → 8, else 4). The number
 * of FMA units is not in /proc/cpuinfo: `fmaUnits` (default 2, as on Zen 4/5 and Intel server
 * cores with two 512-bit FMA ports) is stated in the formula so a reader can rescale.
 */
export function machinePeak(cores: number, fmaUnits = 2): MachinePeak {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    info = '';
  }
  const flags = info.match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  const has = (f: string): boolean => new RegExp(`(^|\\s)${f}(\\s|$)`).test(flags);
  const lanes = has('avx512f') ? 16 : has('avx2') && has('fma') ? 8 : 4;
  // os.cpus() reports speed 0 on some virtual machines: /proc/cpuinfo's "cpu MHz" then.
  const ghz = (cpus()[0]?.speed || Number(info.match(/^cpu MHz\s*:\s*([\d.]+)/m)?.[1] ?? 0)) / 1000;
  const gflops = cores * ghz * lanes * 2 * fmaUnits;
  const isa = lanes === 16 ? 'AVX-512F' : lanes === 8 ? 'AVX2+FMA' : 'SSE';
  return {
    gflops, cores, ghz, lanes, fmaUnits,
    formula: `${cores} cores × ${ghz.toFixed(2)} GHz × ${lanes} fp32 lanes (${isa}, from /proc/cpuinfo flags) × 2 FLOP/FMA × ${fmaUnits} FMA units/core = ${gflops.toFixed(0)} GFLOP/s`,
  };
}
