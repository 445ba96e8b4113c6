/** Metrics of the knowledge-base service beyond the kit's HTTP ones. */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface KbMetrics {
  collectionCreateSeconds: Histogram;
  searchSeconds: Histogram;
  reranks: Counter<'outcome'>;
  uploads: Counter<'outcome'>;
  chatAnswers: Counter<'fallback'>;
  conversationsCreated: Counter;
  conversationMessages: Counter<'kb_id' | 'model_id' | 'status'>;
  answerSeconds: Histogram<'model_id'>;
  firstTokenSeconds: Histogram<'model_id'>;
}

const ANSWER_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];

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
    reranks: new Counter({
      name: 'lumikb_search_rerank_total',
      help: 'Rerank calls of searches and chat retrievals, by outcome (applied, timeout, failed, model_unavailable)',
      labelNames: ['outcome'],
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
    conversationsCreated: new Counter({
      name: 'lumikb_conversations_created_total',
      help: 'Conversations created (through /api/v1/conversations or a first /api/v1/chat question)',
      registers: [registry],
    }),
    conversationMessages: new Counter({
      name: 'lumikb_conversation_answers_total',
      help: 'Answers written into conversations, by the KB whose model answered, the model and how the answer ended',
      labelNames: ['kb_id', 'model_id', 'status'],
      registers: [registry],
    }),
    answerSeconds: new Histogram({
      name: 'lumikb_answer_duration_seconds',
      help: 'Time from a question to the end of its answer (retrieval, generation and storage)',
      labelNames: ['model_id'],
      buckets: ANSWER_BUCKETS,
      registers: [registry],
    }),
    firstTokenSeconds: new Histogram({
      name: 'lumikb_answer_first_token_seconds',
      help: 'Time from a question to the first token of its answer',
      labelNames: ['model_id'],
      buckets: ANSWER_BUCKETS,
      registers: [registry],
    }),
  };
}
