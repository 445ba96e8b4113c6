/**
 * The metrics LumiKB exports (and the standard series Prometheus and prom-client add),
 * with their types and labels. Dashboards and alert rules may only query what is here,
 * so a typo in a metric or label name fails CI instead of drawing an empty panel.
 * When a service adds a metric, add it here too.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'builtin';

export interface MetricSpec {
  type: MetricType;
  labels: readonly string[];
  help: string;
}

/** Labels every scraped series may carry: `service` from the services, the rest from the scrape. */
export const TARGET_LABELS = ['service', 'job', 'instance', 'namespace', 'pod'] as const;

export const METRICS: Record<string, MetricSpec> = {
  lumikb_api_request_latency_seconds: {
    type: 'histogram',
    labels: ['method', 'route', 'status'],
    help: 'HTTP request latency by method, route and status',
  },
  lumikb_api_error_total: {
    type: 'counter',
    labels: ['route', 'status_class'],
    help: 'HTTP responses with status >= 400 by route and status class (4xx, 5xx)',
  },
  lumikb_db_connections_active: { type: 'gauge', labels: [], help: 'database connections checked out of the pool' },
  lumikb_outbox_backlog: { type: 'gauge', labels: [], help: 'outbox events not yet published' },
  lumikb_outbox_published_total: { type: 'counter', labels: [], help: 'outbox events published' },
  lumikb_outbox_publish_failures_total: { type: 'counter', labels: [], help: 'failed outbox publish attempts' },
  lumikb_event_handled_total: { type: 'counter', labels: ['consumer', 'type'], help: 'events handled' },
  lumikb_event_handler_failures_total: {
    type: 'counter',
    labels: ['consumer', 'type'],
    help: 'event handler failures (redelivered)',
  },
  lumikb_event_terminated_total: {
    type: 'counter',
    labels: ['consumer', 'type', 'reason'],
    help: 'events given up on',
  },
  lumikb_model_request_total: {
    type: 'counter',
    labels: ['model', 'provider', 'type', 'outcome'],
    help: 'LLM calls by model, provider, type (embedding, generation) and outcome',
  },
  lumikb_model_latency_seconds: {
    type: 'histogram',
    labels: ['model', 'provider', 'type'],
    help: 'LLM call latency',
  },
  lumikb_queue_depth: { type: 'gauge', labels: [], help: 'ingestion documents pending or in flight' },
  lumikb_documents_processed_total: { type: 'counter', labels: [], help: 'documents processed to READY' },
  lumikb_documents_failed_total: { type: 'counter', labels: ['step'], help: 'documents failed, by failing step' },
  lumikb_proxy_sync_state: { type: 'gauge', labels: ['state'], help: 'models per LiteLLM sync state' },
  lumikb_proxy_sync_failures_total: { type: 'counter', labels: [], help: 'failed LiteLLM sync attempts' },

  // Finer-grained series the services export beyond the spec's list (dashboards may use them).
  lumikb_model_fallback_total: {
    type: 'counter',
    labels: ['model', 'fallback_model'],
    help: 'generation requests answered by the fallback model',
  },
  lumikb_collection_create_seconds: { type: 'histogram', labels: [], help: 'vector collection creation time' },
  lumikb_search_latency_seconds: { type: 'histogram', labels: [], help: 'semantic search latency' },
  lumikb_search_rerank_total: {
    type: 'counter',
    labels: ['outcome'],
    help: 'rerank calls of searches and chat, by outcome (applied, timeout, failed, model_unavailable)',
  },
  lumikb_document_uploads_total: { type: 'counter', labels: ['outcome'], help: 'document uploads by outcome' },
  lumikb_chat_answers_total: { type: 'counter', labels: ['fallback'], help: 'chat answers streamed' },
  lumikb_conversations_created_total: { type: 'counter', labels: [], help: 'conversations created' },
  lumikb_conversation_answers_total: {
    type: 'counter',
    labels: ['kb_id', 'model_id', 'status'],
    help: 'answers written into conversations, by how they ended',
  },
  lumikb_answer_duration_seconds: { type: 'histogram', labels: ['model_id'], help: 'question to end of answer' },
  lumikb_answer_first_token_seconds: {
    type: 'histogram',
    labels: ['model_id'],
    help: 'question to first token of the answer',
  },
  lumikb_ingestion_documents_total: {
    type: 'counter',
    labels: ['outcome'],
    help: 'documents handled by a worker, by outcome (ready, failed, retried)',
  },
  lumikb_ingestion_chunks_total: { type: 'counter', labels: [], help: 'chunks embedded and indexed' },
  lumikb_ingestion_step_seconds: { type: 'histogram', labels: ['step'], help: 'duration of each processing step' },
  lumikb_ingestion_in_flight: { type: 'gauge', labels: [], help: 'documents a worker is processing now' },
  lumikb_proxy_sync_operations_total: {
    type: 'counter',
    labels: ['action', 'outcome'],
    help: 'LiteLLM syncs by action and outcome',
  },
  lumikb_proxy_sync_pending_models: { type: 'gauge', labels: [], help: 'model changes not yet mirrored in LiteLLM' },

  // prom-client default metrics (every service registers them).
  process_cpu_seconds_total: { type: 'counter', labels: [], help: 'process CPU time' },
  process_resident_memory_bytes: { type: 'gauge', labels: [], help: 'resident memory' },
  process_open_fds: { type: 'gauge', labels: [], help: 'open file descriptors' },
  nodejs_eventloop_lag_seconds: { type: 'gauge', labels: [], help: 'event loop lag' },
  nodejs_eventloop_lag_p99_seconds: { type: 'gauge', labels: [], help: 'event loop lag, 99th percentile' },
  nodejs_heap_size_used_bytes: { type: 'gauge', labels: [], help: 'V8 heap used' },

  // Series Prometheus itself creates.
  up: { type: 'builtin', labels: [], help: 'scrape target health' },
  ALERTS: { type: 'builtin', labels: ['alertname', 'alertstate', 'severity'], help: 'pending and firing alerts' },
};

const SUFFIXES: Record<MetricType, readonly string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
  counter: [''],
  gauge: [''],
  builtin: [''],
};

/** Resolves a series name (`x_bucket`, `x_count` …) to its metric and the labels it may carry. */
export function lookupSeries(name: string): { metric: string; labels: Set<string> } | undefined {
  for (const [metric, spec] of Object.entries(METRICS)) {
    for (const suffix of SUFFIXES[spec.type]) {
      if (name !== metric + suffix) continue;
      const labels = new Set<string>([...TARGET_LABELS, ...spec.labels, '__name__']);
      if (suffix === '_bucket') labels.add('le');
      if (metric === 'ALERTS') {
        // ALERTS carries every label of the alerting rules' results.
        for (const l of Object.values(METRICS).flatMap((m) => m.labels)) labels.add(l);
      }
      return { metric, labels };
    }
  }
  return undefined;
}
