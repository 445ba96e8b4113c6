/** Model call metrics, registered once per prom-client registry. */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface ModelMetrics {
  requests: Counter<'model' | 'provider' | 'type' | 'outcome'>;
  latency: Histogram<'model' | 'provider' | 'type'>;
  fallbacks: Counter<'model' | 'fallback_model'>;
}

const byRegistry = new WeakMap<Registry, ModelMetrics>();

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

export function modelMetrics(registry: Registry | undefined): ModelMetrics {
  if (registry) {
    const cached = byRegistry.get(registry);
    if (cached) return cached;
  }
  const registers = registry ? [registry] : [];
  const metrics: ModelMetrics = {
    requests:
      (registry && existing(registry, 'lumikb_model_request_total')) ||
      new Counter({
        name: 'lumikb_model_request_total',
        help: 'Calls to embedding, generation and rerank models, by outcome (success or the failure kind)',
        labelNames: ['model', 'provider', 'type', 'outcome'],
        registers,
      }),
    latency:
      (registry && existing(registry, 'lumikb_model_latency_seconds')) ||
      new Histogram({
        name: 'lumikb_model_latency_seconds',
        help: 'Duration of model calls (one embedding batch, or a whole streamed answer), retries included',
        labelNames: ['model', 'provider', 'type'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers,
      }),
    fallbacks:
      (registry && existing(registry, 'lumikb_model_fallback_total')) ||
      new Counter({
        name: 'lumikb_model_fallback_total',
        help: 'Generation requests answered by the fallback model because the configured one was unavailable',
        labelNames: ['model', 'fallback_model'],
        registers,
      }),
  };
  if (registry) byRegistry.set(registry, metrics);
  return metrics;
}
