/** Metrics of the knowledge-base service beyond the kit's HTTP ones. */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface KbMetrics {
  collectionCreateSeconds: Histogram;
  searchSeconds: Histogram;
  uploads: Counter<'outcome'>;
  chatAnswers: Counter<'fallback'>;
}

export function createKbMetrics(registry: Registry): KbMetrics {
  return {
    collectionCreateSeconds: new Histogram({
      name: 'lumikb_collection_create_seconds',
      help: 'Time to create the vector collection of a new knowledge base',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    searchSeconds: new Histogram({
      name: 'lumikb_search_latency_seconds',
      help: 'Semantic search latency (embedding + vector search + merge)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    uploads: new Counter({
      name: 'lumikb_document_uploads_total',
      help: 'Document uploads by outcome (accepted, empty, too_large, unsupported)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    chatAnswers: new Counter({
      name: 'lumikb_chat_answers_total',
      help: 'Chat answers streamed, by whether the default generation model stood in',
      labelNames: ['fallback'],
      registers: [registry],
    }),
  };
}
