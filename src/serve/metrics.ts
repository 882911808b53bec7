// A minimal Prometheus registry: counters, gauges and histograms with labels, rendered in
// the text exposition format (version 0.0.4). No dependency: the server needs only these.
type Labels = Record<string, string>;

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (l: Labels): string => {
  const keys = Object.keys(l);
  return keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabel(l[k]!)}"`).join(',')}}`;
};
const num = (x: number): string => (x === Infinity ? '+Inf' : x === -Infinity ? '-Inf' : String(x));

interface Metric {
  render(): string[];
}

abstract class Family<V> implements Metric {
  protected readonly series = new Map<string, { labels: Labels; value: V }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}

  protected get(labels: Labels, init: () => V): V {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...labels }, value: init() };
      this.series.set(key, s);
    }
    return s.value;
  }

  /** Drops every series (a gauge whose label values changed, such as the model served). */
  clear(): void {
    this.series.clear();
  }

  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.lines()];
  }

  protected abstract lines(): string[];
}

export class Counter extends Family<{ v: number }> {
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  inc(labels: Labels = {}, by = 1): void {
    this.get(labels, () => ({ v: 0 })).v += by;
  }
  value(labels: Labels = {}): number {
    return this.series.get(labelText(labels))?.value.v ?? 0;
  }
  protected lines(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${labelText(s.labels)} ${num(s.value.v)}`);
  }
}

export class Gauge extends Family<{ v: number }> {
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
  set(value: number, labels: Labels = {}): void {
    this.get(labels, () => ({ v: 0 })).v = value;
  }
  inc(by = 1, labels: Labels = {}): void {
    this.get(labels, () => ({ v: 0 })).v += by;
  }
  value(labels: Labels = {}): number {
    return this.series.get(labelText(labels))?.value.v ?? 0;
  }
  protected lines(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${labelText(s.labels)} ${num(s.value.v)}`);
  }
}

interface HistState {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Family<HistState> {
  readonly buckets: number[];
  constructor(name: string, help: string, buckets: number[]) {
    super(name, help, 'histogram');
    this.buckets = [...buckets].sort((a, b) => a - b);
  }
  observe(x: number, labels: Labels = {}): void {
    const s = this.get(labels, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (x <= this.buckets[i]!) s.counts[i]!++;
    s.sum += x;
    s.count++;
  }
  snapshot(labels: Labels = {}): { sum: number; count: number; buckets: [number, number][] } {
    const s = this.series.get(labelText(labels))?.value;
    return { sum: s?.sum ?? 0, count: s?.count ?? 0, buckets: this.buckets.map((b, i) => [b, s?.counts[i] ?? 0]) };
  }
  protected lines(): string[] {
    const out: string[] = [];
    for (const { labels, value } of this.series.values()) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${labelText({ ...labels, le: num(b) })} ${value.counts[i]}`));
      out.push(`${this.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${value.count}`);
      out.push(`${this.name}_sum${labelText(labels)} ${num(value.sum)}`);
      out.push(`${this.name}_count${labelText(labels)} ${value.count}`);
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return `${this.metrics.flatMap((m) => m.render()).join('\n')}\n`;
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The server's metrics. */
export function serverMetrics(): {
  registry: Registry;
  requests: Counter;
  latency: Histogram;
  batchSize: Histogram;
  batchSeconds: Histogram;
  texts: Counter;
  queued: Gauge;
  inflight: Gauge;
  connections: Gauge;
  connectionsClosed: Gauge;
  info: Gauge;
  generation: Gauge;
  reloads: Counter;
} {
  const registry = new Registry();
  return {
    registry,
    requests: registry.register(new Counter('highway_http_requests_total', 'HTTP requests answered, by route, method and status code.')),
    latency: registry.register(new Histogram('highway_http_request_duration_seconds', 'Time from request to response, by route.',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])),
    batchSize: registry.register(new Histogram('highway_batch_size', 'Texts per onnxruntime run (micro-batches across requests).',
      [1, 2, 4, 8, 16, 32, 64, 128, 256])),
    batchSeconds: registry.register(new Histogram('highway_batch_duration_seconds', 'Time of one onnxruntime run.',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1])),
    texts: registry.register(new Counter('highway_texts_total', 'Texts scored.')),
    queued: registry.register(new Gauge('highway_queue_texts', 'Texts waiting for a batch.')),
    inflight: registry.register(new Gauge('highway_inflight_requests', 'Requests being handled.')),
    connections: registry.register(new Gauge('highway_open_connections', 'Open client connections.')),
    // A gauge set from the tracker's running totals at scrape time; it only grows, like a counter.
    connectionsClosed: registry.register(new Gauge('highway_connections_shed', 'Connections closed at the connection cap: evicted (least active, for a newcomer) or refused (newcomer, everyone busy).')),
    info: registry.register(new Gauge('highway_model_info', 'The served model (value 1).')),
    generation: registry.register(new Gauge('highway_model_generation', 'Model generation served: 0 while the first model loads, 1 once it serves, +1 per successful reload.')),
    reloads: registry.register(new Counter('highway_model_reloads_total', 'Model reloads (SIGHUP), by result: ok (swapped in) or failed (the previous model kept serving).')),
  };
}

/** Parse Prometheus text back into name{labels} → value (for tests and the benchmark). */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1).replace('+Inf', 'Infinity')));
  }
  return out;
}
