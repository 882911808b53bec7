// How much onnxruntime (and Dawn, through it) may print. Quiet by default: its warnings
// (e.g. VerifyEachNodeIsAssignedToAnEp, ANSI-coloured, on every WebGPU session) are about
// placement, not errors. The CLI's --verbose turns them on. Browser-safe (no node:* imports).

let verbose = false;

/** Show onnxruntime's warnings and the GPU driver log (the CLI's --verbose). */
export function setRuntimeVerbose(on: boolean): void {
  verbose = on;
}

/** Whether --verbose (or setRuntimeVerbose(true)) is in effect. */
export function runtimeVerbose(): boolean {
  return verbose;
}

/** onnxruntime's session log severity: 3 (errors only) by default, 2 (warnings too) when verbose. */
export function ortLogSeverity(): 2 | 3 {
  return verbose ? 2 : 3;
}
