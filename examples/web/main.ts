// The demo page: load a model (the default one from `npm start`, a URL or a file), classify
// text with a transform-gate heatmap, train a small model here in a worker and use it.
import { configureWasm, loadModel, ortFor, type BrowserTrainResult, type Prediction, type WebDevice, type WebPredictor } from 'highway-onnx/web';
import { trainInWorker, type EpochEnd, type StepInfo, type TrainingRun, type WorkerTrainOptions } from 'highway-onnx/web';
import { renderHeatmap } from './heatmap.js';
import { TrainChart } from './chart.js';

const el = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing from the page`);
  return e as T;
};

// onnxruntime-web's .wasm/.mjs files ship with the page (ort/); an absolute URL so the
// training worker (whose base URL differs) finds them too.
const ORT_BASE = new URL('ort/', document.baseURI).href;
configureWasm({ wasmPaths: ORT_BASE });

const SAMPLES = [
  'the plot is not good but the acting is wonderful',
  'a gripping , beautifully acted film',
  'the script is not bad at all',
  'although the cast is charming , the story is a tedious mess',
  'i never loved this movie',
];

interface State {
  predictor: WebPredictor | null;
  bytes: Uint8Array | null;
  name: string;
  trained: BrowserTrainResult | null;
  run: TrainingRun | null;
  lastPrediction: Prediction | null;
}
const state: State = { predictor: null, bytes: null, name: '', trained: null, run: null, lastPrediction: null };

function setModelState(s: 'loading' | 'ready' | 'error' | 'none', message: string): void {
  document.body.dataset.modelState = s;
  const status = el('model-status');
  status.textContent = message;
  status.classList.toggle('error', s === 'error');
}

function describe(p: WebPredictor, name: string): string {
  const c = p.info.config;
  const kind = c.kind === 'highway' ? 'Highway BiLSTM' : 'BiLSTM';
  return `${name}: ${c.layers}-layer ${kind}, hidden ${c.hidden}, embed ${c.embedDim}, vocabulary ${c.vocabSize}, labels ${p.labels.join(' / ')} — on ${p.backend}`;
}

async function useModel(source: Uint8Array, name: string): Promise<void> {
  setModelState('loading', `Loading ${name}…`);
  try {
    const device = el<HTMLSelectElement>('device').value as WebDevice;
    const next = await loadModel(source, { device });
    const old = state.predictor;
    state.predictor = next;
    state.bytes = source;
    state.name = name;
    await old?.release();
    const gpu = next.adapter ? ` (${next.adapter.name}${next.adapter.software ? ', software' : ''})` : '';
    el('backend').textContent = `onnxruntime-web · ${next.backend}${gpu} · ${next.threads} WASM thread${next.threads === 1 ? '' : 's'}`;
    setModelState('ready', describe(next, name));
    await classify();
  } catch (e) {
    setModelState('error', `Could not load ${name}: ${(e as Error).message}`);
    throw e;
  }
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status} for ${url}`);
  return new Uint8Array(await res.arrayBuffer());
}

function renderPrediction(p: Prediction): void {
  el('label').textContent = p.label;
  el('label').dataset.label = p.label;
  const probs = el('probs');
  probs.replaceChildren(
    ...p.probs.map((v, i) => {
      const row = document.createElement('div');
      row.className = `prob${i === p.labelId ? ' top' : ''}`;
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = state.predictor!.labels[i] ?? `class ${i}`;
      const bar = document.createElement('span');
      bar.className = 'bar';
      const fill = document.createElement('span');
      fill.style.width = `${(100 * v).toFixed(1)}%`;
      bar.appendChild(fill);
      const pct = document.createElement('span');
      pct.className = 'pct';
      pct.textContent = `${(100 * v).toFixed(1)}%`;
      row.append(name, bar, pct);
      return row;
    }),
  );
  renderHeatmap(el('heatmap'), p.tokens ?? [], p.gates);
}

let classifySeq = 0;
async function classify(): Promise<void> {
  const p = state.predictor;
  if (!p) return;
  const seq = ++classifySeq;
  const text = el<HTMLTextAreaElement>('text').value;
  const [pred] = await p.predict([text]);
  if (seq !== classifySeq || !pred) return; // a newer keystroke won
  state.lastPrediction = pred;
  renderPrediction(pred);
  document.body.dataset.predicted = String(seq);
}

let typing: ReturnType<typeof setTimeout> | undefined;
el('text').addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(() => void classify().catch(showError), 120);
});
el('samples').replaceChildren(
  ...SAMPLES.map((s) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'chip';
    b.textContent = s;
    b.addEventListener('click', () => {
      el<HTMLTextAreaElement>('text').value = s;
      void classify().catch(showError);
    });
    return b;
  }),
);

function showError(e: unknown): void {
  setModelState('error', (e as Error).message ?? String(e));
}

el('url-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const url = el<HTMLInputElement>('model-url').value.trim();
  if (!url) return;
  fetchBytes(url).then((b) => useModel(b, url)).catch(showError);
});
el<HTMLInputElement>('model-file').addEventListener('change', (ev) => {
  const file = (ev.target as HTMLInputElement).files?.[0];
  if (file) file.arrayBuffer().then((b) => useModel(new Uint8Array(b), file.name)).catch(showError);
});
el('device').addEventListener('change', () => {
  if (state.bytes) useModel(state.bytes, state.name).catch(() => {});
});

// --- training ---
const chart = new TrainChart(el<HTMLCanvasElement>('chart'));
const num = (id: string): number => Number(el<HTMLInputElement>(id).value);

function setTrainState(s: 'idle' | 'running' | 'done' | 'error', message: string): void {
  document.body.dataset.trainState = s;
  el('train-status').textContent = message;
  el('train-status').classList.toggle('error', s === 'error');
  el('train-button').textContent = s === 'running' ? 'Stop' : 'Train';
  el<HTMLButtonElement>('use-trained').disabled = s === 'running' || !state.trained;
  el<HTMLButtonElement>('download').disabled = s === 'running' || !state.trained;
}

function startTraining(options: WorkerTrainOptions = {}): Promise<BrowserTrainResult> {
  const worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'highway-onnx-train' });
  const opts: WorkerTrainOptions = {
    device: el<HTMLSelectElement>('device').value as WebDevice,
    model: { kind: 'highway', layers: num('t-layers'), hidden: num('t-hidden') },
    epochs: num('t-epochs'),
    lr: num('t-lr'),
    trainSize: num('t-size'),
    ...options,
  };
  chart.reset(1);
  setTrainState('running', 'Building the training-step graph…');
  const bar = el<HTMLProgressElement>('train-progress');
  bar.value = 0;
  let dev = '';
  const run = trainInWorker(worker, opts, { wasmPaths: ORT_BASE }, (p) => {
    chart.add(p);
    bar.value = p.step / p.totalSteps;
    if (p.devAccuracy !== undefined) dev = ` · dev acc ${(100 * p.devAccuracy).toFixed(1)}%`;
    el('train-status').textContent = `epoch ${p.epoch} · step ${p.step}/${p.totalSteps} · loss ${p.smoothLoss.toFixed(3)} · train acc ${(100 * p.smoothAccuracy).toFixed(0)}%${dev} · ${p.stepsPerSec.toFixed(0)} steps/s`;
  });
  state.run = run;
  return run.result.then(
    async (r) => {
      worker.terminate();
      state.run = null;
      state.trained = r;
      (window as unknown as { highway: Record<string, unknown> }).highway.lastTraining = { ...r, modelBytes: undefined };
      await useModel(r.modelBytes, 'model trained here');
      setTrainState('done', `${r.stopped ? 'Stopped' : 'Trained'} on ${r.backend}: ${r.steps} steps in ${r.seconds.toFixed(1)} s (${(r.steps / r.seconds).toFixed(0)} steps/s) · loss ${r.firstLoss.toFixed(3)} → ${r.lastLoss.toFixed(3)} · best dev accuracy ${(100 * r.bestDevAccuracy).toFixed(1)}% — now in use.`);
      return r;
    },
    (e: unknown) => {
      worker.terminate();
      state.run = null;
      setTrainState('error', `Training failed: ${(e as Error).message}`);
      throw e;
    },
  );
}

el('train-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (state.run) state.run.stop();
  else startTraining().catch(() => {});
});
el('use-trained').addEventListener('click', () => {
  if (state.trained) useModel(state.trained.modelBytes, 'model trained here').catch(() => {});
});
el('download').addEventListener('click', () => {
  if (!state.trained) return;
  const blob = new Blob([state.trained.modelBytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'highway-onnx-browser.onnx';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
});

// --- start: ?model=URL, else the default model (npm start), else train one here ---
el('isolation').textContent = self.crossOriginIsolated ? 'cross-origin isolated (WASM threads available)' : 'not isolated (single-threaded WASM)';

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  // ?device=auto|cpu|webgpu picks the device for classifying and for "train here".
  const device = params.get('device');
  if (device) el<HTMLSelectElement>('device').value = device;
  const asked = params.get('model');
  if (asked) {
    await useModel(await fetchBytes(asked), asked);
    return;
  }
  const manifest = (await (await fetch('models/manifest.json')).json()) as { default: string | null };
  if (manifest.default) {
    await useModel(await fetchBytes(`models/${manifest.default}`), 'default model (runs/default)');
    return;
  }
  setModelState('none', 'No default model (run `npm start` to train one). Training a small one here instead…');
  if (params.get('autotrain') !== '0') await startTraining();
}

/**
 * A short run in its own worker with the fit-style callbacks (onStep, onEpochEnd, signal),
 * aborted from onStep once `stopAt` steps are done: what the page saw and what the run returned.
 */
async function trainWithCallbacks(options: WorkerTrainOptions, stopAt: number): Promise<{ steps: StepInfo[]; epochs: EpochEnd[]; result: Omit<BrowserTrainResult, 'modelBytes'> }> {
  const worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'highway-onnx-train-callbacks' });
  const stop = new AbortController();
  const steps: StepInfo[] = [];
  const epochs: EpochEnd[] = [];
  const run = trainInWorker(worker, options, { wasmPaths: ORT_BASE }, {
    onStep: (s) => {
      steps.push(s);
      if (s.step === stopAt) stop.abort();
    },
    onEpochEnd: (e) => void epochs.push(e),
    signal: stop.signal,
  });
  try {
    const { modelBytes: _bytes, ...result } = await run.result;
    return { steps, epochs, result };
  } finally {
    worker.terminate();
  }
}

// A handle for devtools and the end-to-end tests.
(window as unknown as { highway: Record<string, unknown> }).highway = {
  loadModel,
  ortFor,
  useModel,
  startTraining,
  trainWithCallbacks,
  get predictor() {
    return state.predictor;
  },
  get trainedBytes() {
    return state.trained?.modelBytes ?? null;
  },
  lastTraining: null,
};

const ready = start().catch((e: unknown) => showError(e));
(window as unknown as { highway: Record<string, unknown> }).highway.ready = ready;
