/**
 * Creates the suite's test data through the public API, as the first administrator:
 * one user per level, Ollama models on the fake Ollama, two knowledge bases (local and
 * Ollama models) and documents (one READY, one FAILED). Idempotent: a second run finds
 * what exists, so it also works against a long-lived stack (docker-compose.e2e.yml).
 */
import { DOCUMENTS, KBS, MODELS, type Role, type SeedData, USERS } from '../fixtures/data.ts';
import { ApiSession } from './api.ts';

const OPERATORS_GROUP = '00000000-0000-4000-8000-000000000002';

interface Listed<T> {
  items: T[];
}
interface Model {
  id: string;
  name: string;
  type: string;
  provider: string;
  is_default: boolean;
}

async function ensureUser(admin: ApiSession, role: Exclude<Role, 'admin'>): Promise<string> {
  const u = USERS[role];
  const found = await admin.get<Listed<{ id: string; email: string }>>('/api/v1/admin/users', { q: u.email });
  const existing = found.items.find((x) => x.email === u.email);
  if (existing) return existing.id;
  const created = await admin.post<{ id: string }>('/api/v1/admin/users', {
    email: u.email,
    name: u.name,
    password: u.password,
    ...(role === 'operator' ? { group_ids: [OPERATORS_GROUP] } : {}),
  });
  return created.id;
}

async function ensureModel(admin: ApiSession, body: Record<string, unknown>): Promise<string> {
  const found = await admin.get<Listed<Model>>('/api/v1/admin/models', { q: String(body.name) });
  const existing = found.items.find((m) => m.name === body.name && m.type === body.type);
  if (existing) return existing.id;
  return (await admin.post<{ id: string }>('/api/v1/admin/models', body)).id;
}

async function ensureKb(admin: ApiSession, body: Record<string, unknown>): Promise<string> {
  const found = await admin.get<Listed<{ id: string; name: string }>>('/api/v1/knowledge-bases', {
    q: String(body.name),
  });
  const existing = found.items.find((k) => k.name === body.name);
  if (existing) return existing.id;
  return (await admin.post<{ id: string }>('/api/v1/knowledge-bases', body)).id;
}

async function ensureDocument(
  admin: ApiSession,
  kbId: string,
  doc: { name: string; body: string },
  mimeType: string,
): Promise<string> {
  const found = await admin.get<Listed<{ id: string; filename: string }>>(`/api/v1/knowledge-bases/${kbId}/documents`);
  const existing = found.items.find((d) => d.filename === doc.name);
  if (existing) return existing.id;
  return (await admin.upload(kbId, doc.name, doc.body, mimeType)).id;
}

export async function seed(options: {
  baseURL: string;
  ollamaUrl: string;
  litellmUrl: string;
  rerankUrl?: string;
}): Promise<SeedData> {
  const admin = await ApiSession.signIn(options.baseURL, USERS.admin.email, USERS.admin.password);
  try {
    const me = await admin.get<{ id: string }>('/api/v1/auth/me');
    const operator = await ensureUser(admin, 'operator');
    const user = await ensureUser(admin, 'user');

    const all = await admin.get<Listed<Model>>('/api/v1/admin/models', { limit: 200 });
    const local = (type: string) => all.items.find((m) => m.provider === 'local' && m.type === type)?.id ?? '';

    const ollamaEmbedding = await ensureModel(admin, {
      type: 'embedding',
      provider: 'ollama',
      name: MODELS.ollamaEmbedding.name,
      model_id: MODELS.ollamaEmbedding.model_id,
      api_endpoint: options.ollamaUrl,
      config: { dimensions: MODELS.ollamaEmbedding.dimensions, max_tokens: 8192 },
    });
    const ollamaGeneration = await ensureModel(admin, {
      type: 'generation',
      provider: 'ollama',
      name: MODELS.ollamaGeneration.name,
      model_id: MODELS.ollamaGeneration.model_id,
      api_endpoint: options.ollamaUrl,
      config: { context_window: MODELS.ollamaGeneration.context_window, max_output_tokens: 1024 },
    });

    const handbook = await ensureKb(admin, { name: KBS.handbook.name, description: KBS.handbook.description });
    const ollama = await ensureKb(admin, {
      name: KBS.ollama.name,
      description: KBS.ollama.description,
      embedding_model_id: ollamaEmbedding,
      generation_model_id: ollamaGeneration,
    });
    // The user reads the handbook. Operators (the group) read both KBs: operations pages
    // name only the KBs and files an operator may read (docs/security.md). A group grant,
    // so the admin spec's user grant to the operator comes and goes without touching it.
    await admin.put(`/api/v1/knowledge-bases/${handbook}/permissions/user/${user}`, { permission: 'READ' });
    for (const kb of [handbook, ollama]) {
      await admin.put(`/api/v1/knowledge-bases/${kb}/permissions/group/${OPERATORS_GROUP}`, { permission: 'READ' });
    }

    const ready = await ensureDocument(admin, handbook, DOCUMENTS.ready, 'text/markdown');
    const broken = await ensureDocument(admin, handbook, DOCUMENTS.broken, 'application/pdf');
    await admin.waitForDocument(handbook, ready, ['READY']);
    await admin.waitForDocument(handbook, broken, ['FAILED']);

    return {
      baseURL: options.baseURL,
      ollamaUrl: options.ollamaUrl,
      litellmUrl: options.litellmUrl,
      ...(options.rerankUrl ? { rerankUrl: options.rerankUrl } : {}),
      users: {
        admin: { id: me.id, email: USERS.admin.email },
        operator: { id: operator, email: USERS.operator.email },
        user: { id: user, email: USERS.user.email },
      },
      models: {
        ollamaEmbedding,
        ollamaGeneration,
        localEmbedding: local('embedding'),
        localGeneration: local('generation'),
      },
      kbs: { handbook, ollama },
      documents: { ready, broken },
    };
  } finally {
    await admin.dispose();
  }
}
