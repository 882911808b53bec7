// The demo's Vite config (`npm run web`, `npm run build:web`): see webViteConfig() in
// scripts/web-assets.ts — onnxruntime-web's wasm files copied into the build (ort/), never
// fetched from a CDN; COOP/COEP headers so the page may use WASM threads.
import { webViteConfig } from '../../scripts/web-assets.js';

export default webViteConfig();
