#!/usr/bin/python3
"""The PyTorch twin of highway-onnx's classifier, and the layout conversions between the two.

Run with Debian's Python (it has torch 1.13):  /usr/bin/python3 scripts/torch/twin.py
(the self-test at the bottom checks the conversions round-trip and the twin runs).

The model (docs: DESIGN.md "The model"; ours: src/models/classifier.ts)
    ids [B, T] int64, 0 = padding  →  time-major [T, B]  →  Embedding  →  dropout
    →  N × layer  →  tanh  →  max over t < length  →  tanh  →  dropout  →  Linear  →  logits
    layer (kind 'plain'):   y = BiLSTM(x)
    layer (kind 'highway'): h = BiLSTM(x), t = σ(gate(x)), y = h·t + carry(x)·(1 − t)
      carry: 'identity' x | 'projection' carry(x) (a Linear) | 'zero-pad' x padded with zeros
      to 2·hidden. Only layer 1's input can be narrower than 2·hidden, so only layer 1 has a
      carry projection and later layers always carry the identity (src/models/init.ts).
    BiLSTM output [T, B, 2H] = forward half then backward half; steps t ≥ length are zero.

Parameters: ours (ONNX layout) ↔ this module's state_dict (PyTorch layout). H = hidden,
In = the layer's input width (embedDim for layer 1, 2H after), layers k are 1-based:

    ours                           shape          torch state_dict key               shape
    embedding.weight               [V, E]         embedding.weight                   [V, E]
    layer{k}.bilstm.W[0]           [4H, In]  ↔    layer{k}.bilstm.weight_ih_l0         [4H, In]
    layer{k}.bilstm.W[1]                     ↔    layer{k}.bilstm.weight_ih_l0_reverse
    layer{k}.bilstm.R[0]           [4H, H]   ↔    layer{k}.bilstm.weight_hh_l0         [4H, H]
    layer{k}.bilstm.R[1]                     ↔    layer{k}.bilstm.weight_hh_l0_reverse
    layer{k}.bilstm.B[0, :4H]      [4H]      ↔    layer{k}.bilstm.bias_ih_l0           [4H]
    layer{k}.bilstm.B[0, 4H:]                ↔    layer{k}.bilstm.bias_hh_l0
    layer{k}.bilstm.B[1, :4H]                ↔    layer{k}.bilstm.bias_ih_l0_reverse
    layer{k}.bilstm.B[1, 4H:]                ↔    layer{k}.bilstm.bias_hh_l0_reverse
    layer{k}.gate.weight           [In, 2H]  ↔ ᵀ  layer{k}.gate.weight                 [2H, In]
    layer{k}.gate.bias             [2H]           layer{k}.gate.bias                   [2H]
    layer1.carry.weight            [E, 2H]   ↔ ᵀ  layer1.carry.weight                  [2H, E]
    layer1.carry.bias              [2H]           layer1.carry.bias                    [2H]
    output.weight                  [2H, C]   ↔ ᵀ  output.weight                        [C, 2H]
    output.bias                    [C]            output.bias                          [C]

  W, R, B: direction 0 is forward, 1 backward; B = [Wb, Rb] concatenated. Along the 4H axis
  ONNX orders the gates i, o, f, c and PyTorch i, f, g, o (g = the cell candidate = ONNX c),
  so each of W, R, Wb, Rb has its four H-blocks permuted (ONNX_TO_TORCH_GATES below).
  Linear weights: ours are used as x·W ([In, Out]); torch's nn.Linear stores [Out, In].
  gate/carry exist only for kind 'highway', carry only for layer 1 with carry 'projection'.

The conversions are linear maps on the parameters (block permutations, transposes and a
split), so the same functions convert gradients (dLoss/dθ) between the layouts.

Also here: load_safetensors / save_safetensors, written by hand (python3-safetensors is not
packaged in Debian 12), so fixtures and weights can be exchanged with the TypeScript side
(src/formats/safetensors.ts reads and writes the same format).
"""
from __future__ import annotations

import collections
import json
import struct

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

# Block k of the torch layout (i, f, g, o) is block ONNX_TO_TORCH_GATES[k] of ONNX's (i, o, f, c).
ONNX_TO_TORCH_GATES = (0, 2, 3, 1)
# Block k of the ONNX layout (i, o, f, c) is block TORCH_TO_ONNX_GATES[k] of torch's (i, f, g, o).
TORCH_TO_ONNX_GATES = (0, 3, 1, 2)

LSTM_SUFFIX = ('_l0', '_l0_reverse')  # direction 0, 1


# --------------------------------------------------------------------------- the twin

def layer_input_width(config: dict, k: int) -> int:
    """Input width of (1-based) layer k."""
    return config['embedDim'] if k == 1 else 2 * config['hidden']


def layer_carry(config: dict, k: int) -> str:
    """The carry mode layer k actually uses: only layer 1 can need more than the identity."""
    return config['carry'] if k == 1 else 'identity'


class HighwayBiLSTMLayer(nn.Module):
    """One layer: a BiLSTM, plus for kind 'highway' the transform gate and carry."""

    def __init__(self, in_width: int, hidden: int, highway: bool, carry: str):
        super().__init__()
        self.hidden = hidden
        self.highway = highway
        self.carry_mode = carry
        self.bilstm = nn.LSTM(in_width, hidden, num_layers=1, bidirectional=True)
        if highway:
            if carry == 'identity' and in_width != 2 * hidden:
                raise ValueError(f"carry 'identity' needs input width {2 * hidden}, found {in_width}")
            if carry == 'zero-pad' and in_width > 2 * hidden:
                raise ValueError(f"carry 'zero-pad' cannot shrink width {in_width} to {2 * hidden}")
            self.gate = nn.Linear(in_width, 2 * hidden)
            if carry == 'projection':
                self.carry = nn.Linear(in_width, 2 * hidden)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor):
        """x [T, B, In], lengths int64 [B] (CPU) → (y [T, B, 2H], gate [T, B, 2H] or None)."""
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, _ = self.bilstm(packed)
        # Padded steps come back as zeros, as the ONNX LSTM's Y has them.
        h, _ = pad_packed_sequence(out, total_length=x.shape[0])
        if not self.highway:
            return h, None
        t = torch.sigmoid(self.gate(x))
        if self.carry_mode == 'identity':
            c = x
        elif self.carry_mode == 'projection':
            c = self.carry(x)
        else:  # zero-pad
            c = nn.functional.pad(x, (0, 2 * self.hidden - x.shape[2]))
        return h * t + c * (1 - t), t


class HighwayBiLSTMClassifier(nn.Module):
    """Our classifier in PyTorch. `config` is our JSON model config (src/models/config.ts):
    kind, layers, vocabSize, embedDim, hidden, classes, carry, dropout are read."""

    def __init__(self, config: dict):
        super().__init__()
        self.config = dict(config)
        c = self.config
        H = c['hidden']
        self.embedding = nn.Embedding(c['vocabSize'], c['embedDim'])
        self.dropout = nn.Dropout(c.get('dropout', 0.0))
        self.num_layers = c['layers']
        for k in range(1, self.num_layers + 1):
            # attributes named layer{k}, so state_dict keys read layer{k}.… as ours do
            self.add_module(f'layer{k}', HighwayBiLSTMLayer(
                layer_input_width(c, k), H, c['kind'] == 'highway', layer_carry(c, k)))
        self.output = nn.Linear(2 * H, c['classes'])

    def layer(self, k: int) -> HighwayBiLSTMLayer:
        return getattr(self, f'layer{k}')

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, return_gates: bool = False):
        """ids int64 [B, T], lengths [B] (1 ≤ length ≤ T) → logits [B, C]
        (and, with return_gates, the per-layer mean transform gate [B, L, T] as ours outputs)."""
        lengths = lengths.to(device='cpu', dtype=torch.int64)
        x = self.dropout(self.embedding(ids.t()))  # [T, B, E]
        gates = []
        for k in range(1, self.num_layers + 1):
            x, t = self.layer(k)(x, lengths)
            if t is not None:
                gates.append(t.mean(dim=2))  # [T, B]
        T = x.shape[0]
        valid = torch.arange(T).unsqueeze(1) < lengths.unsqueeze(0)  # [T, B]
        lowest = torch.finfo(x.dtype).min
        pooled = torch.tanh(x).masked_fill(~valid.unsqueeze(2), lowest).max(dim=0).values  # [B, 2H]
        logits = self.output(self.dropout(torch.tanh(pooled)))
        if not return_gates:
            return logits
        g = torch.stack(gates, dim=2).permute(1, 2, 0) if gates else None  # [B, L, T]
        return logits, g


# --------------------------------------------------------------------------- layouts

def _permute_gates(a: np.ndarray, order, axis: int = 0) -> np.ndarray:
    blocks = np.split(a, 4, axis=axis)
    return np.concatenate([blocks[i] for i in order], axis=axis)


def _is_linear_weight(name: str) -> bool:
    """Every 2-D '*.weight' but the embedding is a Linear weight (gate, carry, output)."""
    return name.endswith('.weight') and name != 'embedding.weight'


def onnx_to_torch(params: dict) -> collections.OrderedDict:
    """Our parameters (name → array, ONNX layout) → a state_dict for HighwayBiLSTMClassifier,
    keys in nn.LSTM's own order (per direction: weight_ih, weight_hh, bias_ih, bias_hh)."""
    sd = collections.OrderedDict()
    for name, value in params.items():
        a = np.asarray(value)
        if name.endswith(('.bilstm.W', '.bilstm.R', '.bilstm.B')):
            prefix, kind = name.rsplit('.', 1)
            if a.ndim != (2 if kind == 'B' else 3) or a.shape[0] != 2:
                raise ValueError(f"'{name}' must be bidirectional ([2, …], {'2' if kind == 'B' else '3'}-D), "
                                 f"found shape {list(a.shape)}")
            if f'{prefix}.weight_ih_l0' in sd:
                continue  # converted with its siblings below
            W, R, B = (np.asarray(params.get(f'{prefix}.{k}', np.empty(0))) for k in 'WRB')
            if W.size == 0 or R.size == 0 or B.size == 0:
                raise KeyError(f"'{prefix}' needs W, R and B (found {[k for k in 'WRB' if f'{prefix}.{k}' in params]})")
            for d, suffix in enumerate(LSTM_SUFFIX):
                wb, rb = np.split(B[d], 2)
                sd[f'{prefix}.weight_ih{suffix}'] = _permute_gates(W[d], ONNX_TO_TORCH_GATES)
                sd[f'{prefix}.weight_hh{suffix}'] = _permute_gates(R[d], ONNX_TO_TORCH_GATES)
                sd[f'{prefix}.bias_ih{suffix}'] = _permute_gates(wb, ONNX_TO_TORCH_GATES)
                sd[f'{prefix}.bias_hh{suffix}'] = _permute_gates(rb, ONNX_TO_TORCH_GATES)
        elif _is_linear_weight(name):
            sd[name] = a.T
        else:
            sd[name] = a
    return collections.OrderedDict((k, torch.from_numpy(np.ascontiguousarray(v))) for k, v in sd.items())


def torch_to_onnx(state_dict) -> dict:
    """A HighwayBiLSTMClassifier state_dict (or its gradients, same keys) → our names and layout."""
    arrays = {k: (v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v))
              for k, v in state_dict.items()}
    out: dict = {}
    lstm: dict = collections.defaultdict(dict)  # prefix → {torch key suffix: array}
    for name, a in arrays.items():
        head, _, last = name.rpartition('.')
        if head.endswith('.bilstm') or head == 'bilstm':
            if head not in lstm:  # keep the state_dict's order: W, R, B where the LSTM sits
                out.update({f'{head}.W': None, f'{head}.R': None, f'{head}.B': None})
            lstm[head][last] = a
        elif _is_linear_weight(name):
            out[name] = np.ascontiguousarray(a.T)
        else:
            out[name] = a
    for prefix, p in lstm.items():
        def get(key):
            if key not in p:
                raise KeyError(f"'{prefix}.{key}' is missing (a bidirectional single-layer nn.LSTM has "
                               f"weight_ih/weight_hh/bias_ih/bias_hh for _l0 and _l0_reverse)")
            return _permute_gates(p[key], TORCH_TO_ONNX_GATES)
        out[f'{prefix}.W'] = np.stack([get(f'weight_ih{s}') for s in LSTM_SUFFIX])
        out[f'{prefix}.R'] = np.stack([get(f'weight_hh{s}') for s in LSTM_SUFFIX])
        out[f'{prefix}.B'] = np.stack([np.concatenate([get(f'bias_ih{s}'), get(f'bias_hh{s}')])
                                       for s in LSTM_SUFFIX])
        extra = set(p) - {f'{w}{s}' for w in ('weight_ih', 'weight_hh', 'bias_ih', 'bias_hh') for s in LSTM_SUFFIX}
        if extra:
            raise KeyError(f"'{prefix}': unexpected LSTM entries {sorted(extra)} (only one bidirectional layer per nn.LSTM)")
    return out


def param_order(config: dict) -> list:
    """Our parameter names in graph order (as paramSpecs in src/models/init.ts)."""
    names = ['embedding.weight']
    for k in range(1, config['layers'] + 1):
        names += [f'layer{k}.bilstm.W', f'layer{k}.bilstm.R', f'layer{k}.bilstm.B']
        if config['kind'] == 'highway':
            names += [f'layer{k}.gate.weight', f'layer{k}.gate.bias']
            if k == 1 and config['carry'] == 'projection':
                names += [f'layer{k}.carry.weight', f'layer{k}.carry.bias']
    return names + ['output.weight', 'output.bias']


# --------------------------------------------------------------------------- safetensors

_ST_DTYPES = {
    'F64': np.float64, 'F32': np.float32, 'F16': np.float16, 'I64': np.int64, 'I32': np.int32,
    'I16': np.int16, 'I8': np.int8, 'U8': np.uint8, 'BOOL': np.bool_,
}
_NP_TO_ST = {np.dtype(v): k for k, v in _ST_DTYPES.items()}


def save_safetensors(path: str, tensors: dict, metadata: dict | None = None) -> None:
    """Write name → array (any dtype in _ST_DTYPES) as safetensors, names sorted, little-endian."""
    header: dict = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        a = np.asarray(tensors[name])
        if a.dtype not in _NP_TO_ST:
            raise TypeError(f"'{name}': dtype {a.dtype} has no safetensors code here")
        data = np.ascontiguousarray(a).astype(a.dtype.newbyteorder('<'), copy=False).tobytes()
        header[name] = {'dtype': _NP_TO_ST[a.dtype], 'shape': list(a.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)  # the data buffer starts 8-aligned
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def load_safetensors(path: str):
    """→ (name → numpy array, metadata dict). Validates offsets against the buffer."""
    with open(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f'{path}: shorter than the 8-byte header length')
    (n,) = struct.unpack('<Q', raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f'{path}: header length {n} runs past the end of the file')
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    buf = memoryview(raw)[8 + n:]
    metadata = header.pop('__metadata__', {}) or {}
    tensors = {}
    for name, info in header.items():
        dt = _ST_DTYPES.get(info['dtype'])
        if dt is None:
            raise TypeError(f"{path}: '{name}' has dtype {info['dtype']}, not supported here")
        begin, end = info['data_offsets']
        shape = tuple(info['shape'])
        want = int(np.prod(shape, dtype=np.int64)) * np.dtype(dt).itemsize
        if not (0 <= begin <= end <= len(buf)) or end - begin != want:
            raise ValueError(f"{path}: '{name}' offsets [{begin}, {end}] do not fit shape {list(shape)} {info['dtype']}")
        tensors[name] = np.frombuffer(buf[begin:end], dtype=np.dtype(dt).newbyteorder('<')).astype(dt).reshape(shape)
    return tensors, metadata


# --------------------------------------------------------------------------- self-test

def _self_test() -> None:
    import os
    import tempfile
    torch.manual_seed(0)
    for cfg in (
        {'kind': 'highway', 'layers': 2, 'vocabSize': 11, 'embedDim': 5, 'hidden': 3, 'classes': 3, 'carry': 'projection'},
        {'kind': 'highway', 'layers': 1, 'vocabSize': 11, 'embedDim': 6, 'hidden': 3, 'classes': 2, 'carry': 'identity'},
        {'kind': 'plain', 'layers': 2, 'vocabSize': 11, 'embedDim': 5, 'hidden': 3, 'classes': 2, 'carry': 'zero-pad'},
    ):
        m = HighwayBiLSTMClassifier(cfg)
        ours = torch_to_onnx(m.state_dict())
        assert list(ours) == param_order(cfg), (list(ours), param_order(cfg))
        back = onnx_to_torch(ours)
        sd = m.state_dict()
        assert list(back) == list(sd), (list(back), list(sd))
        for k, v in sd.items():
            assert torch.equal(back[k], v), k
        # Gate order: ONNX block 1 (o) is torch block 3 (o).
        H = cfg['hidden']
        w = sd['layer1.bilstm.weight_ih_l0'].numpy()
        assert np.array_equal(ours['layer1.bilstm.W'][0, H:2 * H], w[3 * H:4 * H])
        m.load_state_dict(back)
        ids = torch.tensor([[3, 4, 5, 0], [6, 0, 0, 0], [7, 8, 9, 10]])
        logits = m(ids, torch.tensor([3, 1, 4]))
        assert logits.shape == (3, cfg['classes'])
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, 't.safetensors')
        t = {'a': np.arange(6, dtype=np.float32).reshape(2, 3), 'b': np.array([1, -2], dtype=np.int64),
             'c': np.array(2.5, dtype=np.float64), 'e': np.zeros((0, 3), dtype=np.float32)}
        save_safetensors(p, t, {'x': 'y'})
        back, md = load_safetensors(p)
        assert md == {'x': 'y'}
        for k, v in t.items():
            assert back[k].dtype == v.dtype and back[k].shape == v.shape and np.array_equal(back[k], v), k
    print('twin.py self-test: ok')


if __name__ == '__main__':
    _self_test()
