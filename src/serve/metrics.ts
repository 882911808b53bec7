// The server's Prometheus metrics, through prom-client: a host application that mounts the request
// handler scrapes them from its own registry (pass it as `registry`) or merges ours into it
// (`Registry.merge`). Names are stable: dashboards and the README refer to them.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The exposition format prom-client renders (Prometheus text format 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE: string = Registry.PROMETHEUS_CONTENT_TYPE;

/** Where the server's metrics go. */
export interface MetricsOptions {
  /**
   * The registry to register the server's metrics in (default: a new one per server). A host
   * application passes its own to expose everything on one endpoint; names must not clash with
   * metrics already there (prom-client throws on a duplicate name).
   */
  registry?: Registry;
  /**
   * Also collect prom-client's default process metrics (CPU, memory, event-loop lag, GC, file
   * descriptors: `process_*`, `nodejs_*`) into that registry (default true). Pass false when the
   * host already collects them into the registry given, or into one it merges with ours.
   */
  defaultMetrics?: boolean;
}

/** The server's metrics, registered in `registry`. */
export interface ServerMetrics {
  registry: Registry;
  /** highway_http_requests_total{route, method, status}. */
  requests: Counter<'route' | 'method' | 'status'>;
  /** highway_http_request_duration_seconds{route}: request headers to response end. */
  latency: Histogram<'route'>;
  /** highway_batch_size: texts per micro-batch (one predict() call, which the Predictor may cut into runs by length). */
  batchSize: Histogram;
  /** highway_batch_duration_seconds: one onnxruntime run. */
  batchSeconds: Histogram;
  /** highway_texts_total: texts scored. */
  texts: Counter;
  /** highway_queue_texts: texts waiting for a batch. */
  queued: Gauge;
  /** highway_inflight_requests: requests being handled. */
  inflight: Gauge;
  /** highway_open_connections: open client connections (standalone server only). */
  connections: Gauge;
  /** highway_connections_shed{reason}: connections closed at the cap (standalone server only). */
  connectionsClosed: Gauge<'reason'>;
  /** highway_model_info{kind, layers, labels, provider}: the served model (value 1). */
  info: Gauge<'kind' | 'layers' | 'labels' | 'provider'>;
  /** highway_model_generation. */
  generation: Gauge;
  /** highway_model_reloads_total{result}. */
  reloads: Counter<'result'>;
}

/**
 * Creates the server's metrics.
 * @throws Error (prom-client's) when `registry` already holds a metric of the same name.
 */
export function serverMetrics(opts: MetricsOptions = {}): ServerMetrics {
  const registry = opts.registry ?? new Registry();
  const registers = [registry];
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({ name: 'highway_http_requests_total', help: 'HTTP requests answered, by route, method and status code.', labelNames: ['route', 'method', 'status'], registers }),
    latency: new Histogram({
      name: 'highway_http_request_duration_seconds',
      help: 'Time from request to response, by route.',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    batchSize: new Histogram({ name: 'highway_batch_size', help: 'Texts per micro-batch across requests (one predict call; the Predictor may cut it into onnxruntime runs by length).', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers }),
    batchSeconds: new Histogram({ name: 'highway_batch_duration_seconds', help: 'Time of one onnxruntime run.', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers }),
    texts: new Counter({ name: 'highway_texts_total', help: 'Texts scored.', registers }),
    queued: new Gauge({ name: 'highway_queue_texts', help: 'Texts waiting for a batch.', registers }),
    inflight: new Gauge({ name: 'highway_inflight_requests', help: 'Requests being handled.', registers }),
    connections: new Gauge({ name: 'highway_open_connections', help: 'Open client connections.', registers }),
    // A gauge set from the tracker's running totals at scrape time; it only grows, like a counter.
    connectionsClosed: new Gauge({
      name: 'highway_connections_shed',
      help: 'Connections closed at the connection cap: evicted (least active, for a newcomer) or refused (newcomer, everyone busy).',
      labelNames: ['reason'],
      registers,
    }),
    info: new Gauge({ name: 'highway_model_info', help: 'The served model (value 1).', labelNames: ['kind', 'layers', 'labels', 'provider'], registers }),
    generation: new Gauge({ name: 'highway_model_generation', help: 'Model generation served: 0 while the first model loads, 1 once it serves, +1 per successful reload.', registers }),
    reloads: new Counter({ name: 'highway_model_reloads_total', help: 'Model reloads (SIGHUP), by result: ok (swapped in) or failed (the previous model kept serving).', labelNames: ['result'], registers }),
  };
}

/**
 * Parses Prometheus text back into `name{labels}` → value (for tests and the benchmark). Label
 * order is as rendered; prom-client renders a histogram bucket's `le` first.
 */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1).replace('+Inf', 'Infinity')));
  }
  return out;
}
