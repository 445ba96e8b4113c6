/** HTTP routes of the system settings and the LLM configuration (hot-reloaded elsewhere). */
import { errorResponses, eventContextOf, type ServiceApp } from '@lumikb/service-kit';
import type { RegistryContext } from '../context.ts';
import {
  type LlmConfigUpdate,
  LlmConfigUpdateResponseSchema,
  LlmConfigUpdateSchema,
  LlmConfigViewSchema,
  type SystemSettingsUpdate,
  SystemSettingsUpdateSchema,
  SystemSettingsViewSchema,
} from './schemas.ts';
import * as settings from './service.ts';

export function registerSettingsRoutes(app: ServiceApp, ctx: RegistryContext): void {
  app.get(
    '/api/v1/admin/config',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['settings'],
        summary: 'System settings (upload size, rate limits, session timeout)',
        response: { 200: SystemSettingsViewSchema, ...errorResponses(401, 403) },
      },
    },
    async () => settings.systemView(ctx),
  );

  app.put(
    '/api/v1/admin/config',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['settings'],
        summary: 'Change system settings; running services apply them without a restart',
        body: SystemSettingsUpdateSchema,
        response: { 200: SystemSettingsViewSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => settings.updateSystem(ctx, request.body as SystemSettingsUpdate, eventContextOf(request)),
  );

  app.get(
    '/api/v1/admin/llm/config',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['llm'],
        summary: 'Default embedding and generation models and generation defaults',
        response: { 200: LlmConfigViewSchema, ...errorResponses(401, 403) },
      },
    },
    async () => settings.llmView(ctx),
  );

  app.put(
    '/api/v1/admin/llm/config',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['llm'],
        summary:
          'Change default models and generation defaults (applied without restart); warns about knowledge bases whose vector size differs from a new default embedding model',
        body: LlmConfigUpdateSchema,
        response: { 200: LlmConfigUpdateResponseSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => settings.updateLlm(ctx, request.body as LlmConfigUpdate, eventContextOf(request)),
  );
}
