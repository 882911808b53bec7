// Crafted model files whose tensors point at other files (data_location = EXTERNAL), placed
// everywhere ONNX allows a tensor: initializers, sparse initializers, Constant attributes,
// subgraph initializers, functions. Built from the tiny real classifier of the serve tests.
import { decodeModel, encodeModel, type ModelProto, type TensorProto } from '../../src/onnx/proto.js';
import { modelBytes } from '../serve/helpers.js';

/** The secret a crafted model tries to read: a file in the working directory of the process. */
export const SECRET_NAME = 'secret.txt';
export const SECRET_TEXT = 'TOP-SECRET-0123456789-'.repeat(40);

const FLOAT = 1;
const INT64 = 7;

function external(t: TensorProto, location: string | null, extra: Record<string, string> = {}): void {
  t.rawData = new Uint8Array(0);
  t.floatData = [];
  t.dataLocation = 1;
  t.externalData = [...(location === null ? [] : [{ key: 'location', value: location }]), ...Object.entries(extra).map(([key, value]) => ({ key, value }))];
}

const copy = (): ModelProto => decodeModel(modelBytes);
const initializer = (m: ModelProto, name: string): TensorProto => m.graph!.initializer!.find((t) => t.name === name)!;
const extTensor = (name: string, location: string): TensorProto => {
  const t: TensorProto = { name, dims: [2], dataType: FLOAT };
  external(t, location);
  return t;
};

/** One crafted model per place a tensor can hide external data; `what` names the place. */
export function craftedModels(location = SECRET_NAME): { what: string; bytes: Uint8Array }[] {
  const out: { what: string; bytes: Uint8Array }[] = [];
  const add = (what: string, edit: (m: ModelProto) => void): void => {
    const m = copy();
    edit(m);
    out.push({ what, bytes: encodeModel(m) });
  };
  // The attack as found: the embedding table read from a file in the working directory.
  const embeddingBytes = (m: ModelProto): number => (initializer(m, 'embedding.weight').rawData?.length ?? 0);
  add('initializer (embedding table)', (m) => {
    const n = embeddingBytes(m);
    external(initializer(m, 'embedding.weight'), location, { offset: '0', length: String(n) });
  });
  add('initializer without a location', (m) => external(initializer(m, 'layer1.bilstm.B'), null));
  add('external_data entries with data_location DEFAULT', (m) => {
    const t = initializer(m, 'output.bias');
    t.externalData = [{ key: 'location', value: location }];
  });
  add('Constant value attribute', (m) => {
    m.graph!.node!.unshift({ opType: 'Constant', name: 'leak', output: ['leak.out'], attribute: [{ name: 'value', type: 4, t: extTensor('leak.value', location) }] });
  });
  add('sparse initializer', (m) => {
    const indices: TensorProto = { name: 'sp.indices', dims: [1], dataType: INT64, int64Data: [0] };
    m.graph!.sparseInitializer = [{ values: extTensor('sp.values', location), indices, dims: [4] }];
  });
  add('initializer of an If subgraph', (m) => {
    const branch = (name: string) => ({ name, node: [{ opType: 'Identity', input: [`${name}.w`], output: [`${name}.y`] }], initializer: [extTensor(`${name}.w`, location)], output: [{ name: `${name}.y` }] });
    m.graph!.node!.push({
      opType: 'If', name: 'branch', input: ['lengths'], output: ['branch.y'],
      attribute: [{ name: 'then_branch', type: 5, g: branch('then') }, { name: 'else_branch', type: 5, g: branch('else') }],
    });
  });
  add('Constant inside a model-local function', (m) => {
    m.functions = [{ name: 'f', domain: 'local', node: [{ opType: 'Constant', output: ['c'], attribute: [{ name: 'value', type: 4, t: extTensor('f.c', location) }] }], output: ['c'] }];
  });
  return out;
}
