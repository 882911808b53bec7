// Timing helpers for benchmarks: medians and percentiles over repeated runs.
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(xs: number[]): number {
  return percentile([...xs].sort((a, b) => a - b), 50);
}

/**
 * Run `a` and `b` alternately until `seconds` have passed (at least `minIters` each), so
 * machine noise hits both alike. Returns per-call latencies in ms.
 */
export async function interleaved(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  opts: { seconds: number; minIters: number; warmup: number },
): Promise<{ a: number[]; b: number[] }> {
  for (let i = 0; i < opts.warmup; i++) {
    await a();
    await b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  const end = performance.now() + opts.seconds * 1000;
  while (performance.now() < end || ta.length < opts.minIters) {
    let t = performance.now();
    await a();
    ta.push(performance.now() - t);
    t = performance.now();
    await b();
    tb.push(performance.now() - t);
  }
  return { a: ta, b: tb };
}

export function markdownTable(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}
