// Tier 2: every rule in the op table checked by central differences along one random
// direction (JAX check_vjp), in float64. The worst relative error per op is printed at the
// end: these are the tolerances quoted for the gradient rules.
import { afterAll, describe, expect, it } from 'vitest';
import { checkVjp } from '../../test/helpers/finite-diff.js';
import { OP_CASES } from '../../test/autodiff/op-cases.js';

const SEEDS = [1, 2];
const worst = new Map<string, { err: number; tol: number; cases: number }>();

describe('gradient rules agree with finite differences (float64, ε = 1e-6)', () => {
  for (const c of OP_CASES) {
    it(c.name, async () => {
      for (const seed of SEEDS) {
        const r = await checkVjp(c, seed);
        const row = worst.get(c.op) ?? { err: 0, tol: 0, cases: 0 };
        row.err = Math.max(row.err, r.relErr);
        row.tol = Math.max(row.tol, c.tol ?? 1e-6);
        row.cases++;
        worst.set(c.op, row);
        expect(r.relErr, `${c.name} (seed ${seed}): fd ${r.fd} vs ⟨∇L, v⟩ ${r.analytic}`).toBeLessThan(c.tol ?? 1e-6);
      }
    });
  }
});

afterAll(() => {
  const rows = [...worst.entries()].sort(([a], [b]) => a.localeCompare(b));
  const lines = rows.map(([opType, r]) => `  ${opType.padEnd(24)} ${r.err.toExponential(2).padStart(9)}   (tol ${r.tol.toExponential(0)}, ${r.cases} checks)`);
  console.log(`worst relative error of ⟨∇L, v⟩ vs central difference, per op:\n${lines.join('\n')}`);
});
