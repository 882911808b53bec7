// Entry of onnxruntime-web's WASM thread workers (WebGPU flavour: its own runtime build), started
// by threads.ts. Nothing but onnxruntime-web: evaluating it in a worker named 'em-pthread'
// starts the runtime's thread loop, which then takes its module and memory from the page.
import * as ort from 'onnxruntime-web/webgpu';

// A use of the import, so that no bundler drops it as unused.
(globalThis as { highwayOrtThread?: unknown }).highwayOrtThread = ort.env;
