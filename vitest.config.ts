import { defineConfig } from 'vitest/config';
import { ALL, E2E, INTEGRATION } from './test/tiers.js';

export default defineConfig({
  test: {
    // This machine (and CI's) has 2 shared cores: generous per-test limits keep slow-but-correct
    // tests (fuzz loops, onnxruntime sessions) from flaking under load. Speed lives in `npm run bench`.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // WebGPU is tested on every run: without a GPU, Dawn (in onnxruntime-node) gets SwiftShader's
    // software Vulkan adapter from Debian's chromium-common. A GPU machine may point it elsewhere.
    env: { VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json' },
    // Tiers (test/tiers.ts): `vitest run` runs all three; `--project unit` the fast one.
    projects: [
      { extends: true, test: { name: 'unit', include: ALL, exclude: [...INTEGRATION, ...E2E] } },
      { extends: true, test: { name: 'integration', include: INTEGRATION } },
      { extends: true, test: { name: 'e2e', include: E2E } },
    ],
  },
});
