/** A KB service with the built-in models, two users and shortcuts, for the conversation tests. */
import { parseSse, type Teardown, userToken } from '@lumikb/test-kit';
import { auth, buildTestApp, seedDefaultModels } from './helper.ts';

export async function setupConversations(t: Teardown) {
  const built = await buildTestApp(t);
  const models = await seedDefaultModels(built);
  const { keys } = built;
  const alice = userToken(keys, 1);
  const bob = userToken(keys, 1);
  const call = async (method: string, url: string, token: string, payload?: unknown) =>
    built.app.inject({
      method: method as 'GET',
      url,
      headers: auth(token),
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
  const createKb = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await call('POST', '/api/v1/knowledge-bases', built.tokens.operator, { name, ...extra });
    if (res.statusCode !== 201) throw new Error(`KB create failed: ${res.body}`);
    return res.json() as { id: string; name: string };
  };
  const grant = async (kbId: string, token: string, permission: string) => {
    const sub = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sub as string;
    const res = await call('PUT', `/api/v1/knowledge-bases/${kbId}/permissions/user/${sub}`, built.tokens.operator, {
      permission,
    });
    if (res.statusCode !== 200) throw new Error(`grant failed: ${res.body}`);
    return sub;
  };
  const ask = async (conversationId: string, content: string, token = alice) => {
    const res = await call('POST', `/api/v1/conversations/${conversationId}/messages`, token, { content });
    return { res, events: res.statusCode === 200 ? parseSse(res.body) : [] };
  };
  return { ...built, models, alice, bob, call, createKb, grant, ask };
}
