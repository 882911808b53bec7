// The gradient table's contract: one explicit table of built-in rules, registerGradient as the
// only extension point (no op registered twice), and one coded way for a rule to refuse a node.
import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/index.js';
import * as op from '../graph/ops/index.js';
import {
  GRADIENTS,
  NOT_DIFFERENTIABLE,
  gradients,
  MissingGradientError,
  registerGradient,
  registeredOps,
  isNotDifferentiable,
} from './index.js';

describe('the gradient table', () => {
  it('is the one source of the built-in rules', () => {
    expect(Object.keys(GRADIENTS).sort()).toEqual(registeredOps().filter((o) => o in GRADIENTS));
    expect(Object.keys(GRADIENTS)).toEqual(expect.arrayContaining(['LSTM', 'Gather', 'MatMul', 'Sigmoid', 'SoftmaxCrossEntropyLoss']));
    // No op is both differentiable and on record as not differentiable.
    expect(Object.keys(NOT_DIFFERENTIABLE).filter((o) => o in GRADIENTS)).toEqual([]);
    expect(isNotDifferentiable('Floor')).toBe(true);
  });

  it('refuses a second rule for an op that has one (E_GRADIENT_TWICE)', () => {
    expect(() => registerGradient('Add', ({ gradOutputs: [dy] }) => [dy!, dy!])).toThrow(expect.objectContaining({ code: 'E_GRADIENT_TWICE' }));
  });

  it('takes a rule for an op of the user\'s own and uses it', () => {
    const g = new Graph({ name: 'user_op' });
    const x = g.input('x', 'float32', [3]);
    const y = g.addNode('MyScale', [x], {}, [{ dtype: 'float32', shape: [3] }])[0]!;
    registerGradient('MyScale', ({ gradOutputs: [dy] }) => [op.mul(dy!, 2)]);
    const dx = gradients(g, op.reduceSum(y, undefined, { keepdims: false }), [x], { check: false }).get(x)!;
    expect(dx.producer?.opType).toBe('Mul');
    expect(registeredOps()).toContain('MyScale');
  });

  it('rules refuse with one coded error naming op and node (E_NO_GRADIENT)', () => {
    const g = new Graph({ name: 'slice_step' });
    const x = g.input('x', 'float32', [6]);
    const y = op.slice(x, [0], [6], [0], [2]);
    let err: unknown;
    try {
      gradients(g, op.reduceSum(y, undefined, { keepdims: false }), [x]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MissingGradientError);
    expect(err).toMatchObject({ code: 'E_NO_GRADIENT' });
    expect((err as Error).message).toMatch(/op Slice \(node '[^']+'\) is not differentiable: step 2 on axis 0/);
  });
});
