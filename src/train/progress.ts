// Progress bar for long runs: loss, accuracy, tokens/s and ETA. Falls back to plain
// lines when stderr is not a terminal (CI logs), so progress is still visible there.
import cliProgress from 'cli-progress';

export interface ProgressPayload {
  loss: string;
  acc: string;
  tps: string;
}

export interface ProgressReporter {
  start(total: number, label: string): void;
  update(done: number, payload: ProgressPayload): void;
  stop(): void;
}

export function makeProgress(enabled: boolean): ProgressReporter {
  if (!enabled) return { start() {}, update() {}, stop() {} };
  if (!process.stderr.isTTY) {
    let total = 0;
    let label = '';
    let lastPrint = 0;
    let t0 = 0;
    return {
      start(n, l) {
        total = n;
        label = l;
        t0 = Date.now();
        lastPrint = 0;
      },
      update(done, p) {
        const now = Date.now();
        if (now - lastPrint < 5000 && done < total) return;
        lastPrint = now;
        const eta = done > 0 ? ((now - t0) / done) * (total - done) / 1000 : 0;
        process.stderr.write(`${label} ${done}/${total} loss ${p.loss} acc ${p.acc} tok/s ${p.tps} ETA ${eta.toFixed(0)}s\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: '{label} |{bar}| {value}/{total} | loss {loss} | acc {acc} | {tps} tok/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  return {
    start(total, label) {
      bar.start(total, 0, { label, loss: '-', acc: '-', tps: '-' });
    },
    update(done, p) {
      bar.update(done, p as unknown as Record<string, unknown>);
    },
    stop() {
      bar.stop();
    },
  };
}

/**
 * Shows the cursor and turns line wrap back on (what the progress bar turned off), for exits
 * that cannot wait for the bar to stop itself (a second Ctrl-C). A no-op off a terminal.
 */
export function restoreTerminalOnExit(): void {
  if (process.stderr.isTTY) process.stderr.write('\x1b[?25h\x1b[?7h');
}
