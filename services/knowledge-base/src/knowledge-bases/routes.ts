/** Routes: KB CRUD and model configuration. */
import { caller, errorResponses, eventContextOf, type ServiceApp } from '@lumikb/service-kit';
import type { KbContext } from '../context.ts';
import { idempotencyScopeOf, idempotently, requestHash, sendResult } from '../idempotency/service.ts';
import {
  CreateKnowledgeBaseSchema,
  IdempotencyHeaders,
  KbIdParams,
  KnowledgeBaseListQuery,
  KnowledgeBaseListSchema,
  KnowledgeBaseSchema,
  ModelConfigSchema,
  UpdateKnowledgeBaseSchema,
  UpdateModelConfigSchema,
} from './schemas.ts';
import {
  createKnowledgeBase,
  deleteKnowledgeBase,
  getKnowledgeBase,
  getModelConfig,
  listKnowledgeBases,
  updateKnowledgeBase,
  updateModelConfig,
} from './service.ts';

const tags = ['knowledge-bases'];

export function registerKnowledgeBaseRoutes(app: ServiceApp, ctx: KbContext): void {
  app.post(
    '/api/v1/knowledge-bases',
    {
      config: { access: 'operator' },
      schema: {
        tags,
        summary:
          'Create a knowledge base (level 2) with its models, overrides and vector collection. With an Idempotency-Key header a retry returns the first result.',
        headers: IdempotencyHeaders,
        body: CreateKnowledgeBaseSchema,
        response: { 201: KnowledgeBaseSchema, ...errorResponses(400, 401, 403, 409, 422, 503) },
      },
    },
    async (request, reply) => {
      const claims = caller(request);
      const result = await idempotently(ctx, idempotencyScopeOf(request, claims.sub), async (db, claim) => {
        await claim(requestHash(request.body));
        return {
          status: 201,
          body: await createKnowledgeBase(ctx, claims, request.body, eventContextOf(request), db),
        };
      });
      return sendResult(reply, result);
    },
  );

  app.get(
    '/api/v1/knowledge-bases',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Knowledge bases the caller can read',
        querystring: KnowledgeBaseListQuery,
        response: { 200: KnowledgeBaseListSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => listKnowledgeBases(ctx, caller(request), request.query),
  );

  app.get(
    '/api/v1/knowledge-bases/:id',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'One knowledge base (READ)',
        params: KbIdParams,
        response: { 200: KnowledgeBaseSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => getKnowledgeBase(ctx, caller(request), request.params.id),
  );

  app.patch(
    '/api/v1/knowledge-bases/:id',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Rename or describe a knowledge base (ADMIN on the KB)',
        params: KbIdParams,
        body: UpdateKnowledgeBaseSchema,
        response: { 200: KnowledgeBaseSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      updateKnowledgeBase(ctx, caller(request), request.params.id, request.body, eventContextOf(request)),
  );

  app.delete(
    '/api/v1/knowledge-bases/:id',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Delete a knowledge base with its documents and vectors (ADMIN on the KB)',
        params: KbIdParams,
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      await deleteKnowledgeBase(ctx, caller(request), request.params.id, eventContextOf(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/knowledge-bases/:id/model-config',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Models and overrides of a KB, and whether the embedding model is locked (READ)',
        params: KbIdParams,
        response: { 200: ModelConfigSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => getModelConfig(ctx, caller(request), request.params.id),
  );

  app.put(
    '/api/v1/knowledge-bases/:id/model-config',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary:
          'Change models and overrides (ADMIN on the KB). The embedding model is locked once the KB has a document (409 EMBEDDING_MODEL_LOCKED).',
        params: KbIdParams,
        body: UpdateModelConfigSchema,
        response: { 200: ModelConfigSchema, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request) =>
      updateModelConfig(ctx, caller(request), request.params.id, request.body, eventContextOf(request)),
  );
}
