/** HTTP routes of the model registry (admin), model choice (users) and LLM health. */
import { errorResponses, eventContextOf, type ServiceApp, UuidParam } from '@lumikb/service-kit';
import { Type } from 'typebox';
import type { RegistryContext } from '../context.ts';
import { PROVIDER_SPECS, ProvidersSchema } from './providers.ts';
import {
  AdminModelDetailSchema,
  AdminModelSchema,
  AvailableModelSchema,
  AvailableQuerySchema,
  ConnectionTestResultSchema,
  HealthQuerySchema,
  LlmHealthSchema,
  ModelCreateSchema,
  ModelListQuerySchema,
  ModelListSchema,
  ModelTestRequestSchema,
  ModelUpdateSchema,
  SetDefaultResponseSchema,
} from './schemas.ts';
import * as models from './service.ts';

const tags = ['models'];

export function registerModelRoutes(app: ServiceApp, ctx: RegistryContext): void {
  app.get(
    '/api/v1/admin/models/providers',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Providers and, per model type, the fields of their form (what the server accepts)',
        response: { 200: ProvidersSchema, ...errorResponses(401, 403) },
      },
    },
    async () => ({
      providers: PROVIDER_SPECS.map((p) => ({
        ...p,
        fields: Object.fromEntries(p.model_types.map((type) => [type, p.fields[type] ?? []])),
        constraints: Object.fromEntries(p.model_types.map((type) => [type, p.constraints[type] ?? []])),
      })),
    }),
  );

  app.get(
    '/api/v1/admin/models',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'List models, filtered and paged',
        querystring: ModelListQuerySchema,
        response: { 200: ModelListSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit, offset, ...filter } = request.query;
      return models.list(ctx, filter, { limit, offset });
    },
  );

  app.post(
    '/api/v1/admin/models',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Register a model (the first active model of a type becomes its default)',
        body: ModelCreateSchema,
        response: { 201: AdminModelSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.status(201).send(await models.create(ctx, request.body, eventContextOf(request))),
  );

  app.post(
    '/api/v1/admin/models/test',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Test a model that is not saved yet (at most 5 s)',
        body: ModelTestRequestSchema,
        response: { 200: ConnectionTestResultSchema, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => models.testUnsaved(ctx, request.body),
  );

  app.get(
    '/api/v1/admin/models/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'One model, with the knowledge bases that use it',
        params: UuidParam,
        response: { 200: AdminModelDetailSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => models.get(ctx, request.params.id),
  );

  app.put(
    '/api/v1/admin/models/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Update a model (omitted fields keep their value; api_key: omit to keep, null to remove)',
        params: UuidParam,
        body: ModelUpdateSchema,
        response: { 200: AdminModelSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => models.update(ctx, request.params.id, request.body, eventContextOf(request)),
  );

  app.delete(
    '/api/v1/admin/models/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Delete a model no knowledge base uses and that is not a default',
        params: UuidParam,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await models.remove(ctx, request.params.id, eventContextOf(request));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/admin/models/:id/test',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Test the connection of a saved model (at most 5 s); the result is stored on the model',
        params: UuidParam,
        response: { 200: ConnectionTestResultSchema, ...errorResponses(400, 401, 403, 404, 422, 503) },
      },
    },
    async (request) => models.testSaved(ctx, request.params.id),
  );

  app.post(
    '/api/v1/admin/models/:id/set-default',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Make an active model the default of its type',
        params: UuidParam,
        response: { 200: SetDefaultResponseSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => models.setDefault(ctx, request.params.id, eventContextOf(request)),
  );

  app.get(
    '/api/v1/admin/llm/health',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['llm'],
        summary: "Each active model's health: its last connection test, or a fresh one with ?probe=true",
        querystring: HealthQuerySchema,
        response: { 200: LlmHealthSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => models.health(ctx, request.query.probe),
  );

  app.get(
    '/api/v1/models/available',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Active models to choose from for a knowledge base',
        querystring: AvailableQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(AvailableModelSchema) }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => models.available(ctx, request.query.type),
  );
}
