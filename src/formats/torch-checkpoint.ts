/**
 * Finding the state dict inside what people actually torch.save: the state dict itself, or a
 * checkpoint that wraps it ({epoch, state_dict, optimizer, best_acc, hparams}, Lightning's
 * {state_dict, optimizer_states, …}, {model: {…}, ema: {…}}) at any depth. A *state dict* here is
 * a dict whose keys are all strings and whose values are all tensors. Optimizer state is never
 * chosen: the dicts under a dict keyed by parameter ids (torch.optim's `state`) or under a key
 * naming an optimizer are set aside.
 */
import { InteropError } from './errors.js';
import { PyTuple, pyTypeName } from './pickle.js';
import { PyObject, TorchTensor, fail } from './torch-storage.js';
import type { NamedTensor } from './types.js';

/** How to pick the state dict of a checkpoint. */
export interface StateDictOptions {
  /**
   * The path of the state dict inside the checkpoint: its keys joined with '.', list
   * positions as numbers ('state_dict', 'model.ema', 'models.0'); '' is the file's top level.
   */
  key?: string;
  /** True when a state dict's keys fit the model being imported; without it, the one candidate not under an optimizer is taken. */
  fits?: (keys: readonly string[]) => boolean;
}

/** A dict of tensors found in the checkpoint, by path ('' for the top level). */
export interface StateDictCandidate {
  key: string;
  /** Tensors in file order, not yet copied out of their storages. */
  tensors: Map<string, TorchTensor>;
  /** Under an optimizer (a dict keyed by parameter ids, or a key containing 'optim'). */
  optimizer: boolean;
}

/** The state dict chosen: its path (null when the file is the state dict itself) and its tensors. */
export interface StateDictChoice {
  key: string | null;
  tensors: Map<string, NamedTensor>;
}

const CODE_KEY = 'E_TORCH_KEY';
const MAX_DEPTH = 32;

function keyFail(message: string): never {
  throw new InteropError(CODE_KEY, `torch: ${message}`);
}

function isStateDict(v: unknown): v is Map<string, TorchTensor> {
  if (!(v instanceof Map) || v.size === 0) return false;
  for (const [k, t] of v) if (typeof k !== 'string' || !(t instanceof TorchTensor)) return false;
  return true;
}

/** The children of a container value, with the path segment that reaches each. */
function children(v: unknown): [string, unknown][] {
  if (v instanceof Map) return [...v].map(([k, x]) => [String(k), x]);
  if (Array.isArray(v)) return v.map((x, i) => [String(i), x]);
  if (v instanceof PyTuple) return v.items.map((x, i) => [String(i), x]);
  if (v instanceof PyObject) return children(v.state);
  return [];
}

const join = (path: string, seg: string): string => (path === '' ? seg : `${path}.${seg}`);

/** Every dict of tensors in the object, outermost first, in file order (each shared object once). */
export function stateDictCandidates(root: unknown): StateDictCandidate[] {
  const out: StateDictCandidate[] = [];
  const seen = new Set<unknown>();
  // Breadth first: the shallowest path to a shared object is the one reported.
  let level: { v: unknown; path: string; optimizer: boolean }[] = [{ v: root, path: '', optimizer: false }];
  for (let depth = 0; level.length > 0 && depth <= MAX_DEPTH; depth++) {
    const next: typeof level = [];
    for (const { v, path, optimizer } of level) {
      if (typeof v !== 'object' || v === null || v instanceof TorchTensor || seen.has(v)) continue;
      seen.add(v);
      if (isStateDict(v)) {
        out.push({ key: path, tensors: v, optimizer });
        continue;
      }
      const byParamId = v instanceof Map && [...v.keys()].some((k) => typeof k !== 'string');
      for (const [seg, x] of children(v)) next.push({ v: x, path: join(path, seg), optimizer: optimizer || byParamId || /optim/i.test(seg) });
    }
    level = next;
  }
  return out;
}

const describe = (c: StateDictCandidate): string => `'${c.key}' (${c.tensors.size} tensors${c.optimizer ? ', optimizer state' : ''})`;

/**
 * The state dict of a decoded torch.save object: the object itself when it is one; else the
 * candidate at `opts.key`; else the one candidate (not optimizer state) that `opts.fits`
 * accepts, or, without `fits`, the only one there is. Tensors are copied out of the file here.
 * @throws InteropError E_TORCH_KEY: `key` names no dict of tensors, or none / several fit (the
 *   message lists them with their tensor counts); E_TORCH: a dict mixing tensors with other
 *   values where a state dict was expected, or views over the file's memory bound.
 */
export function chooseStateDict(root: unknown, opts: StateDictOptions = {}): StateDictChoice {
  const all = stateDictCandidates(root);
  const materialise = (c: StateDictCandidate): StateDictChoice => ({
    key: c.key === '' && opts.key === undefined ? null : c.key,
    tensors: new Map([...c.tensors].map(([k, t]) => [k, t.value])),
  });
  const listed = (cs: StateDictCandidate[]): string => {
    // Optimizer state holds one dict per parameter: counted, not listed.
    const shown = cs.filter((c) => !c.optimizer).slice(0, 12).map(describe);
    const optim = cs.filter((c) => c.optimizer).length;
    if (optim > 0) shown.push(`${optim} optimizer state dict(s)`);
    return shown.length ? shown.join(', ') : 'none';
  };
  if (opts.key !== undefined) {
    const hit = all.find((c) => c.key === opts.key);
    if (!hit) keyFail(`no state dict (a dict of tensors) at key '${opts.key}'; the dicts of tensors in this file: ${listed(all)}`);
    return materialise(hit!);
  }
  if (all.length === 1 && all[0]!.key === '') return materialise(all[0]!);
  if (all.length === 0) {
    if (root instanceof Map) {
      const tensors = [...root.values()].filter((v) => v instanceof TorchTensor).length;
      const other = [...root].find(([, v]) => !(v instanceof TorchTensor));
      if (tensors > 0 && other) fail(`state dict entry '${String(other[0])}' is a ${pyTypeName(other[1])}, not a tensor`);
    }
    keyFail(`found no state dict (a dict of tensors) in the file: its top level is a ${pyTypeName(root)}${root instanceof Map ? ` with keys ${[...root.keys()].slice(0, 12).map((k) => `'${String(k)}'`).join(', ')}` : ''}`);
  }
  const pool = all.filter((c) => !c.optimizer);
  const chosen = opts.fits ? pool.filter((c) => opts.fits!([...c.tensors.keys()])) : pool;
  if (chosen.length === 1) return materialise(chosen[0]!);
  const how = 'choose one with --key (API: key)';
  if (chosen.length > 1) keyFail(`several state dicts ${opts.fits ? 'fit the model' : 'are in the file'}: ${listed(chosen)}; ${how}`);
  return keyFail(`none of the dicts of tensors in the file ${opts.fits ? 'fits the model' : 'is a model state dict'}: ${listed(all)}; ${how}`);
}

/** One line of a checkpoint's structure: a value at `key`, what it is, how many tensors it holds. */
export interface StructureEntry {
  key: string;
  /** 'dict', 'list', 'tuple', 'tensor F32 [4, 3]', 'int', 'argparse.Namespace', … */
  type: string;
  /** Entries of a container. */
  entries?: number;
  /** Distinct tensors at or below this value. */
  tensors: number;
  /** A scalar's value, shortened ('12', '0.913', '"adam"'). */
  value?: string;
  /** True for a dict of tensors (a state dict candidate): its entries are not listed one by one. */
  stateDict?: boolean;
}

function countTensors(v: unknown): number {
  const seen = new Set<unknown>();
  const stack = [v];
  let n = 0;
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x !== 'object' || x === null || seen.has(x)) continue;
    seen.add(x);
    if (x instanceof TorchTensor) n++;
    else for (const [, c] of children(x)) stack.push(c);
  }
  return n;
}

function typeOf(v: unknown): string {
  if (v instanceof TorchTensor) return `tensor ${v.dtype} [${v.shape.join(', ')}]`;
  if (v instanceof PyObject) return v.cls;
  return pyTypeName(v);
}

function scalar(v: unknown): string | undefined {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  return undefined;
}

/**
 * The checkpoint's structure to `maxDepth` levels (keys joined with '.'), at most `maxEntries`
 * lines: what someone opening the file in Python would see first. Dicts of tensors are one line.
 */
export function describeTorchObject(root: unknown, maxDepth = 3, maxEntries = 80): StructureEntry[] {
  const out: StructureEntry[] = [];
  const seen = new Set<unknown>();
  const visit = (v: unknown, key: string, depth: number): void => {
    if (out.length >= maxEntries) return;
    const entry: StructureEntry = { key, type: typeOf(v), tensors: countTensors(v) };
    const kids = v instanceof TorchTensor ? [] : children(v);
    if (typeof v === 'object' && v !== null && !(v instanceof TorchTensor)) entry.entries = kids.length;
    const s = scalar(v);
    if (s !== undefined) entry.value = s;
    if (isStateDict(v)) entry.stateDict = true;
    if (key !== '') out.push(entry);
    // Per-parameter optimizer state (a dict keyed by parameter ids) is one line, like a state dict.
    const byParamId = v instanceof Map && [...v.keys()].some((k) => typeof k !== 'string');
    if (entry.stateDict || byParamId || depth >= maxDepth || (typeof v === 'object' && v !== null && seen.has(v))) return;
    if (typeof v === 'object' && v !== null) seen.add(v);
    for (const [seg, x] of kids) visit(x, join(key, seg), depth + 1);
  };
  visit(root, '', 0);
  return out;
}
