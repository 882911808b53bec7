// metrics.jsonl: one JSON record per line (step losses, epoch metrics, the final test accuracy).
// Every append rewrites the file atomically (it holds a few hundred short lines), so a kill never
// leaves a torn line; a resume keeps exactly the lines its checkpoint had seen, and the resumed
// run writes the rest again — identical, because a step is a pure function of the checkpoint.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic-write.js';

/** metrics.jsonl of one run, held in memory and rewritten atomically on every append. */
export class MetricsLog {
  private constructor(
    readonly path: string,
    private readonly rows: string[],
  ) {}

  /**
   * A new, empty log (written at once, so a run directory always has one).
   * @throws FileWriteError (E_WRITE)
   */
  static async create(path: string): Promise<MetricsLog> {
    const log = new MetricsLog(path, []);
    await log.flush();
    return log;
  }

  /**
   * The log of a resumed run: the first `keep` lines of the file (all when `keep` is undefined —
   * a checkpoint older than this bookkeeping). Fewer lines than `keep` are reported through `warn`.
   */
  static async resume(path: string, keep: number | undefined, warn: (line: string) => void): Promise<MetricsLog> {
    const text = await readFile(path, 'utf8').catch(() => '');
    const rows = text.split('\n').filter((l) => l.length > 0);
    if (keep !== undefined && rows.length < keep) {
      warn(`warning: ${path} has ${rows.length} records, the checkpoint saw ${keep}: ${keep - rows.length} earlier records are missing from it`);
    }
    const log = new MetricsLog(path, keep === undefined ? rows : rows.slice(0, keep));
    if (log.rows.length !== rows.length) await log.flush();
    return log;
  }

  /** Records in the log (what a checkpoint stores as `metricsLines`). */
  get lines(): number {
    return this.rows.length;
  }

  /** Appends one record. @throws FileWriteError (E_WRITE); the file then still holds the earlier records. */
  async append(record: Record<string, unknown>): Promise<void> {
    this.rows.push(JSON.stringify(record));
    await this.flush();
  }

  private async flush(): Promise<void> {
    await writeFileAtomic(this.path, this.rows.map((r) => `${r}\n`).join(''));
  }
}
