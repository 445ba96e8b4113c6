/**
 * The shared contracts as their consumers rely on them: event envelopes refuse what a
 * producer must not send, the settings constants are exactly the schemas' defaults (a
 * service starting before any `config.updated` runs on them), and list-built unions
 * accept their members only.
 */
import { randomUUID } from 'node:crypto';
import {
  ACCESS_LEVEL,
  DEFAULT_LLM_SETTINGS,
  DEFAULT_SETTINGS_SNAPSHOT,
  DEFAULT_SYSTEM_SETTINGS,
  initialProcessingSteps,
  LlmSettingsSchema,
  ModelCreated,
  PROVIDERS,
  ProcessingStepsSchema,
  ProviderSchema,
  SettingsSnapshotSchema,
  SYSTEM_ACTOR,
  SystemSettingsSchema,
} from '@lumikb/contracts';
import t from 'tap';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

/** Walks a schema's properties: the constant's value wherever the schema declares a default. */
function defaultsOf(schema: TSchema, value: unknown, path = '', found = { checked: 0, mismatched: [] as string[] }) {
  const { properties } = schema as { properties?: Record<string, TSchema> };
  for (const [key, sub] of Object.entries(properties ?? {})) {
    const at = `${path}${key}`;
    const own = (value as Record<string, unknown> | undefined)?.[key];
    if ('default' in sub) {
      found.checked++;
      if (JSON.stringify(sub.default) !== JSON.stringify(own)) found.mismatched.push(at);
    }
    defaultsOf(sub, own, `${at}.`, found);
  }
  return found;
}

const now = new Date().toISOString();
const model = {
  id: randomUUID(),
  type: 'embedding',
  provider: 'ollama',
  name: 'Nomic',
  model_id: 'nomic-embed-text',
  api_endpoint: null,
  config: { dimensions: 768 },
  status: 'active',
  is_default: false,
  has_api_key: false,
  created_at: now,
  updated_at: now,
};
const envelope = { id: randomUUID(), type: 'model.created', occurredAt: now, actor: SYSTEM_ACTOR, data: { model } };

t.test('an event envelope accepts a well-formed event and refuses what a producer must not send', async (t) => {
  const check = Compile(ModelCreated.envelope);
  t.ok(check.Check(envelope), 'well-formed');
  t.notOk(check.Check({ ...envelope, type: 'model.updated' }), 'another event type under this schema');
  t.notOk(check.Check({ ...envelope, secret: 'x' }), 'extra envelope fields (no side channel)');
  t.notOk(check.Check({ ...envelope, actor: { type: 'robot', id: 'r' } }), 'an unknown actor type');
  t.notOk(check.Check({ ...envelope, actor: { type: 'user', id: '' } }), 'an actor without id');
  const { data: _data, ...withoutData } = envelope;
  t.notOk(check.Check(withoutData), 'no data');
  t.notOk(check.Check({ ...envelope, data: { model: { ...model, provider: 'acme' } } }), 'an unknown provider');
});

t.test('the settings constants are the schemas’ own defaults, and valid', async (t) => {
  t.ok(Value.Check(SystemSettingsSchema, DEFAULT_SYSTEM_SETTINGS));
  t.ok(Value.Check(LlmSettingsSchema, DEFAULT_LLM_SETTINGS));
  t.ok(Value.Check(SettingsSnapshotSchema, DEFAULT_SETTINGS_SNAPSHOT));
  t.same(defaultsOf(SystemSettingsSchema, DEFAULT_SYSTEM_SETTINGS).mismatched, [], 'system: every declared default');
  t.same(defaultsOf(LlmSettingsSchema, DEFAULT_LLM_SETTINGS).mismatched, [], 'llm: every declared default');
  t.ok(defaultsOf(SystemSettingsSchema, DEFAULT_SYSTEM_SETTINGS).checked > 5, 'and there are defaults to compare');
  t.equal(DEFAULT_SETTINGS_SNAPSHOT.version, 0, 'any published snapshot is newer');
});

t.test('list-built unions accept exactly their members', async (t) => {
  for (const provider of PROVIDERS) t.ok(Value.Check(ProviderSchema, provider), provider);
  t.notOk(Value.Check(ProviderSchema, 'acme'));
  t.notOk(Value.Check(ProviderSchema, PROVIDERS[0].toUpperCase()));
});

t.test('a new document has its upload done and every other step pending', async (t) => {
  const steps = initialProcessingSteps(now);
  t.ok(Value.Check(ProcessingStepsSchema, steps));
  t.same(steps.upload, { status: 'done', started_at: now, completed_at: now });
  for (const step of ['parse', 'chunk', 'embed', 'index'] as const) t.equal(steps[step].status, 'pending', step);
  steps.parse.status = 'in_progress';
  t.equal(initialProcessingSteps(now).parse.status, 'pending', 'no shared object between documents');
});

t.test('permission levels are ordered user < operator < admin', async (t) => {
  t.ok(ACCESS_LEVEL.user < ACCESS_LEVEL.operator && ACCESS_LEVEL.operator < ACCESS_LEVEL.admin);
});
