// Shape inference helpers for symbolic shapes.
import { GraphBuildError } from './errors.js';
import type { Dim, Shape, Value } from './ir.js';

export const UNKNOWN: Dim = '?';

export function fmt(shape: Shape): string {
  return shape === null ? '[…]' : `[${shape.join(', ')}]`;
}

/** Two dims that may be equal at run time (unknown or symbolic dims are compatible). */
export function dimsCompatible(a: Dim, b: Dim): boolean {
  return a === b || a === UNKNOWN || b === UNKNOWN || typeof a === 'string' || typeof b === 'string';
}

/** Numpy-style broadcasting of two shapes, or an error naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): Shape {
  if (a === null || b === null) return null;
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else if (da === db) out.push(da);
    else if (typeof da === 'number' && typeof db === 'number') {
      throw new GraphBuildError(`${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast (dim ${i}: ${da} vs ${db})`);
    } else out.push(typeof da === 'number' ? da : typeof db === 'number' ? db : da === UNKNOWN ? db : da);
  }
  return out;
}

export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new GraphBuildError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function requireRank(op: string, v: Value, ...ranks: number[]): void {
  if (v.shape !== null && !ranks.includes(v.shape.length)) {
    throw new GraphBuildError(`${op}: '${v.name}' must have rank ${ranks.join(' or ')}, found ${fmt(v.shape)}`);
  }
}

export function requireSameDType(op: string, ...vs: Value[]): void {
  const d = vs[0]!.dtype;
  for (const v of vs) {
    if (v.dtype !== d) throw new GraphBuildError(`${op}: inputs must share a dtype, found ${vs.map((x) => `${x.name}: ${x.dtype}`).join(', ')}`);
  }
}

export function requireFloat(op: string, v: Value): void {
  if (v.dtype !== 'float32' && v.dtype !== 'float64') {
    throw new GraphBuildError(`${op}: '${v.name}' must be float32 or float64, found ${v.dtype}`);
  }
}

/** Static integer contents of a constant value (for reshape targets, axes, slices). */
export function constInts(v: Value | null | undefined): number[] | null {
  const t = v?.constValue;
  if (!t || (t.dtype !== 'int64' && t.dtype !== 'int32')) return null;
  return Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x));
}
