/** Metrics of the ingestion worker. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface WorkerMetrics {
  documents: Counter<'outcome'>;
  /** Documents that reached READY (the alerting and dashboards' denominator). */
  processed: Counter;
  /** Documents that ended FAILED, by the step that failed. */
  failed: Counter<'step'>;
  chunks: Counter;
  stepSeconds: Histogram<'step'>;
  inFlight: Gauge;
}

export function createWorkerMetrics(registry: Registry, queueDepth: () => Promise<number | undefined>): WorkerMetrics {
  new Gauge({
    name: 'lumikb_queue_depth',
    help: 'Documents waiting for or being processed by ingestion workers (JetStream pending + in flight)',
    registers: [registry],
    async collect() {
      const depth = await queueDepth().catch(() => undefined);
      if (depth !== undefined) this.set(depth);
    },
  });
  return {
    documents: new Counter({
      name: 'lumikb_ingestion_documents_total',
      help: 'Documents processed by this worker, by outcome (ready, failed, retried)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    processed: new Counter({
      name: 'lumikb_documents_processed_total',
      help: 'Documents processed to READY',
      registers: [registry],
    }),
    failed: new Counter({
      name: 'lumikb_documents_failed_total',
      help: 'Documents that ended FAILED, by the step that failed',
      labelNames: ['step'],
      registers: [registry],
    }),
    chunks: new Counter({
      name: 'lumikb_ingestion_chunks_total',
      help: 'Chunks embedded and indexed by this worker',
      registers: [registry],
    }),
    stepSeconds: new Histogram({
      name: 'lumikb_ingestion_step_seconds',
      help: 'Duration of each processing step',
      labelNames: ['step'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'lumikb_ingestion_in_flight',
      help: 'Documents this worker is processing right now',
      registers: [registry],
    }),
  };
}
