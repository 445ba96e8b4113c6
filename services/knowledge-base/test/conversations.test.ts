/**
 * Saved conversations: a user's own (others get 404), asked and continued with the KBs
 * still readable, answers kept with their model and timings, stopped answers keep their
 * text, a service going away mid-answer leaves it interrupted, regenerate keeps versions.
 */
import { parseSse } from '@lumikb/test-kit';
import t from 'tap';
import { setupConversations as setup } from './conversations-helper.ts';

/**
 * An Ollama that streams "word " every 20 ms until the caller hangs up, or, for the model
 * `breaks`, two words then a broken connection.
 */
t.test('create, ask, continue: the conversation keeps every turn with its model and timings', async (t) => {
  const { call, createKb, grant, ask, alice, models } = await setup(t);
  const kb = await createKb('Handbook');
  await grant(kb.id, alice, 'READ');

  const created = await call('POST', '/api/v1/conversations', alice, { kb_ids: [kb.id] });
  t.equal(created.statusCode, 201);
  const conversation = created.json() as { id: string; title: string };
  t.equal(conversation.title, 'New conversation');

  const first = await ask(conversation.id, 'How often must the pump be serviced?');
  t.equal(first.res.statusCode, 200);
  t.equal(first.res.headers['x-conversation-id'], conversation.id, 'the stream names its conversation up front');
  const done = first.events.at(-1)!;
  t.equal(done.event, 'done');
  t.match(done.data, {
    conversation_id: conversation.id,
    message_id: first.res.headers['x-message-id'],
    version: 1,
    model_id: models.generation.id,
  });
  const answerText = first.events
    .filter((e) => e.event === 'token')
    .map((e) => e.data.text)
    .join('');

  await ask(conversation.id, 'And who does it?');
  const stored = (await call('GET', `/api/v1/conversations/${conversation.id}`, alice)).json();
  t.equal(stored.title, 'How often must the pump be serviced?', 'titled by its first question');
  t.same(
    stored.messages.map((m: { role: string; status: string }) => [m.role, m.status]),
    [
      ['user', 'complete'],
      ['assistant', 'complete'],
      ['user', 'complete'],
      ['assistant', 'complete'],
    ],
  );
  const answer = stored.messages[1];
  t.equal(answer.content, answerText, 'the saved answer is the streamed one');
  t.equal(answer.reply_to, stored.messages[0].id);
  t.equal(answer.model_id, models.generation.id);
  t.equal(answer.model_name, 'Local extractive answerer');
  t.type(answer.timings.total_ms, 'number');
  t.same(stored.kbs, [{ id: kb.id, name: 'Handbook', access: 'ok' }]);
  t.equal(stored.message_count, 4);

  const list = (await call('GET', '/api/v1/conversations', alice)).json();
  t.same(
    list.items.map((c: { id: string }) => c.id),
    [conversation.id],
  );
});

t.test("a conversation is its owner's alone: everyone else gets 404 on every route", async (t) => {
  const { call, createKb, grant, alice, bob, tokens } = await setup(t);
  const kb = await createKb('Shared');
  await grant(kb.id, alice, 'READ');
  await grant(kb.id, bob, 'READ');
  const { id } = (await call('POST', '/api/v1/conversations', alice, { kb_ids: [kb.id] })).json();
  const messageId = '00000000-0000-4000-8000-000000000000';
  for (const token of [bob, tokens.admin]) {
    for (const [method, url, payload] of [
      ['GET', `/api/v1/conversations/${id}`],
      ['PATCH', `/api/v1/conversations/${id}`, { title: 'mine now' }],
      ['DELETE', `/api/v1/conversations/${id}`],
      ['POST', `/api/v1/conversations/${id}/messages`, { content: 'hello' }],
      ['GET', `/api/v1/conversations/${id}/export`],
      ['POST', `/api/v1/conversations/${id}/messages/${messageId}/regenerate`],
      ['PUT', `/api/v1/conversations/${id}/messages/${messageId}/feedback`, { helpful: true }],
    ] as const) {
      const res = await call(method, url, token, payload);
      t.equal(res.statusCode, 404, `${method} ${url.replace(id, ':id')} by someone else → 404`);
      t.equal(res.json().code, 'CONVERSATION_NOT_FOUND');
    }
  }
  t.same((await call('GET', '/api/v1/conversations', bob)).json().items, [], "bob's list is empty");
  t.equal((await call('GET', `/api/v1/conversations/${id}`, alice)).statusCode, 200, 'alice still has it');
});

t.test('the list: newest activity first, paged by cursor, searchable by title', async (t) => {
  const { call, createKb, grant, alice } = await setup(t);
  const kb = await createKb('Paged');
  await grant(kb.id, alice, 'READ');
  const ids: string[] = [];
  for (const title of ['Pumps', 'Valves', 'Pump seals', 'Boilers', 'Pipes']) {
    ids.push((await call('POST', '/api/v1/conversations', alice, { kb_ids: [kb.id], title })).json().id);
  }
  // Renaming counts as activity? No: only a question does; rename the oldest and ask nothing.
  const page1 = (await call('GET', '/api/v1/conversations?limit=2', alice)).json();
  t.same(
    page1.items.map((c: { title: string }) => c.title),
    ['Pipes', 'Boilers'],
  );
  t.type(page1.next_cursor, 'string');
  const page2 = (await call('GET', `/api/v1/conversations?limit=2&cursor=${page1.next_cursor}`, alice)).json();
  t.same(
    page2.items.map((c: { title: string }) => c.title),
    ['Pump seals', 'Valves'],
  );
  const page3 = (await call('GET', `/api/v1/conversations?limit=2&cursor=${page2.next_cursor}`, alice)).json();
  t.same(
    page3.items.map((c: { title: string }) => c.title),
    ['Pumps'],
  );
  t.equal(page3.next_cursor, null, 'the last page says so');

  const found = (await call('GET', '/api/v1/conversations?q=pump', alice)).json();
  t.same(
    found.items.map((c: { title: string }) => c.title),
    ['Pump seals', 'Pumps'],
    'title search is case-insensitive',
  );
  t.same(
    (await call('GET', '/api/v1/conversations?q=%25', alice)).json().items,
    [],
    '% is a character, not a wildcard',
  );

  const renamed = await call('PATCH', `/api/v1/conversations/${ids[0]}`, alice, { title: 'Centrifugal pumps' });
  t.equal(renamed.json().title, 'Centrifugal pumps');
  t.equal((await call('DELETE', `/api/v1/conversations/${ids[1]}`, alice)).statusCode, 204);
  t.equal((await call('GET', `/api/v1/conversations/${ids[1]}`, alice)).statusCode, 404, 'deleted means gone');
});

t.test('bad input gets a 400 with its code and limit, never a 500', async (t) => {
  const { call, createKb, grant, alice } = await setup(t);
  const kb = await createKb('Strict');
  await grant(kb.id, alice, 'READ');
  const { id } = (await call('POST', '/api/v1/conversations', alice, { kb_ids: [kb.id] })).json();
  const cases: [string, string, string, unknown, number, string][] = [
    ['empty question', 'POST', `/api/v1/conversations/${id}/messages`, { content: '' }, 400, 'VALIDATION_FAILED'],
    [
      'over-long question',
      'POST',
      `/api/v1/conversations/${id}/messages`,
      { content: 'x'.repeat(8_001) },
      400,
      'VALIDATION_FAILED',
    ],
    ['no KB', 'POST', '/api/v1/conversations', { kb_ids: [] }, 400, 'VALIDATION_FAILED'],
    ['unknown KB', 'POST', '/api/v1/conversations', { kb_ids: [id] }, 404, 'KB_NOT_FOUND'],
    ['not a uuid', 'GET', '/api/v1/conversations/not-a-uuid', undefined, 400, 'VALIDATION_FAILED'],
    ['unknown conversation', 'GET', `/api/v1/conversations/${kb.id}`, undefined, 404, 'CONVERSATION_NOT_FOUND'],
    ['forged cursor', 'GET', '/api/v1/conversations?cursor=bm9wZQ', undefined, 400, 'INVALID_MESSAGE_TARGET'],
    ['page too large', 'GET', '/api/v1/conversations?limit=1000', undefined, 400, 'VALIDATION_FAILED'],
    ['empty rename', 'PATCH', `/api/v1/conversations/${id}`, {}, 400, 'VALIDATION_FAILED'],
  ];
  for (const [what, method, url, payload, status, code] of cases) {
    const res = await call(method, url, alice, payload);
    t.equal(res.statusCode, status, `${what} → ${status}`);
    t.equal(res.json().code, code, `${what} → ${code}`);
  }
  const tooLong = await call('POST', `/api/v1/conversations/${id}/messages`, alice, { content: 'x'.repeat(8_001) });
  t.match(JSON.stringify(tooLong.json()), /8000/, 'the error states the limit');
  t.equal((await call('GET', `/api/v1/conversations/${id}`, alice)).json().message_count, 0, 'nothing was stored');
});

t.test('/api/v1/chat saves every question: a new conversation, or the one it names', async (t) => {
  const { call, createKb, grant, alice } = await setup(t);
  const kb = await createKb('Chat');
  const other = await createKb('Other');
  await grant(kb.id, alice, 'READ');
  await grant(other.id, alice, 'READ');
  const chat = async (payload: Record<string, unknown>) => {
    const res = await call('POST', '/api/v1/chat', alice, payload);
    return { res, events: res.statusCode === 200 ? parseSse(res.body) : [] };
  };
  const first = await chat({ kb_id: kb.id, message: 'What is in the handbook?' });
  t.equal(first.res.statusCode, 200);
  const conversationId = first.events.at(-1)!.data.conversation_id as string;
  t.ok(conversationId, 'done carries the conversation it was saved under');
  const kinds = first.events.map((e) => e.event);
  t.same(kinds.slice(kinds.findIndex((k) => k !== 'token')), ['citations', 'done'], 'the event sequence is unchanged');

  await chat({ kb_id: kb.id, message: 'Tell me more', conversation_id: conversationId });
  const stored = (await call('GET', `/api/v1/conversations/${conversationId}`, alice)).json();
  t.equal(stored.message_count, 4, 'the second question continued the same conversation');
  t.equal(stored.title, 'What is in the handbook?');

  const wrongKb = await chat({ kb_id: other.id, message: 'x', conversation_id: conversationId });
  t.equal(wrongKb.res.statusCode, 400);
  t.equal(wrongKb.res.json().code, 'INVALID_MESSAGE_TARGET');
});

t.test('access: a KB the owner can no longer read is shown as lost and not asked', async (t) => {
  const { call, createKb, grant, ask, alice, tokens } = await setup(t);
  const kept = await createKb('Kept');
  const lost = await createKb('Revoked');
  const gone = await createKb('Deleted');
  const sub = await grant(kept.id, alice, 'READ');
  await grant(lost.id, alice, 'READ');
  await grant(gone.id, alice, 'READ');
  const { id } = (await call('POST', '/api/v1/conversations', alice, { kb_ids: [kept.id, lost.id, gone.id] })).json();

  t.equal(
    (await call('DELETE', `/api/v1/knowledge-bases/${lost.id}/permissions/user/${sub}`, tokens.operator)).statusCode,
    204,
  );
  t.equal((await call('DELETE', `/api/v1/knowledge-bases/${gone.id}`, tokens.operator)).statusCode, 204);

  const view = (await call('GET', `/api/v1/conversations/${id}`, alice)).json();
  t.same(
    view.kbs,
    [
      { id: kept.id, name: 'Kept', access: 'ok' },
      { id: lost.id, name: null, access: 'lost' },
      { id: gone.id, name: null, access: 'deleted' },
    ],
    "a lost KB's name is not shown any more",
  );

  const answered = await ask(id, 'Still there?');
  t.equal(answered.res.statusCode, 200, 'the readable KB still answers');
  const done = answered.events.at(-1)!.data;
  t.match(done.notes, [/no longer read/, /deleted/], 'the answer says which KBs were not asked');
  const answer = (await call('GET', `/api/v1/conversations/${id}`, alice)).json().messages[1];
  t.same(answer.kb_ids, [kept.id], 'only the readable KB was asked');

  await call('DELETE', `/api/v1/knowledge-bases/${kept.id}/permissions/user/${sub}`, tokens.operator);
  const refused = await ask(id, 'And now?');
  t.equal(refused.res.statusCode, 409);
  t.equal(refused.res.json().code, 'CONVERSATION_KBS_UNAVAILABLE');
  t.equal(
    (await call('GET', `/api/v1/conversations/${id}`, alice)).json().message_count,
    2,
    'the refused question is not stored',
  );
});

t.test('regenerate adds a version and keeps the earlier answer', async (t) => {
  const { call, createKb, grant, ask, alice } = await setup(t);
  const kb = await createKb('Again');
  await grant(kb.id, alice, 'READ');
  const { id } = (await call('POST', '/api/v1/conversations', alice, { kb_ids: [kb.id] })).json();
  const first = await ask(id, 'What is the service interval?');
  const firstAnswerId = first.res.headers['x-message-id'] as string;

  const again = await call('POST', `/api/v1/conversations/${id}/messages/${firstAnswerId}/regenerate`, alice);
  t.equal(again.statusCode, 200);
  t.match(parseSse(again.body).at(-1)!.data, { version: 2, question_id: first.res.headers['x-question-id'] });

  const messages = (await call('GET', `/api/v1/conversations/${id}`, alice)).json().messages;
  const answers = messages.filter((m: { role: string }) => m.role === 'assistant');
  t.same(
    answers.map((m: { version: number; reply_to: string }) => [m.version, m.reply_to]),
    [
      [1, messages[0].id],
      [2, messages[0].id],
    ],
    'both versions answer the same question',
  );
  const onQuestion = await call('POST', `/api/v1/conversations/${id}/messages/${messages[0].id}/regenerate`, alice);
  t.equal(parseSse(onQuestion.body).at(-1)!.data.version, 3, 'the question itself may be named');
});

t.test('feedback per answer, and operators see it only in aggregate', async (t) => {
  const { call, createKb, grant, ask, alice, bob, tokens, models } = await setup(t);
  const kb = await createKb('Judged');
  await grant(kb.id, alice, 'READ');
  const { id } = (await call('POST', '/api/v1/conversations', alice, { kb_ids: [kb.id] })).json();
  const asked = await ask(id, 'Was this useful?');
  const answerId = asked.res.headers['x-message-id'] as string;
  const questionId = asked.res.headers['x-question-id'] as string;

  const feedback = (messageId: string, body: unknown, token = alice) =>
    call('PUT', `/api/v1/conversations/${id}/messages/${messageId}/feedback`, token, body);
  t.equal((await feedback(answerId, { helpful: false, comment: 'missed the table' })).statusCode, 204);
  t.equal((await feedback(answerId, { helpful: true })).statusCode, 204, 'a change of mind replaces it');
  const onQuestion = await feedback(questionId, { helpful: true });
  t.equal(onQuestion.statusCode, 400);
  t.equal(onQuestion.json().code, 'INVALID_MESSAGE_TARGET');
  t.equal((await feedback(answerId, { helpful: true, comment: 'x'.repeat(2_001) })).json().code, 'VALIDATION_FAILED');
  t.same((await call('GET', `/api/v1/conversations/${id}`, alice)).json().messages[1].feedback, {
    helpful: true,
    comment: null,
  });

  t.equal((await call('GET', '/api/v1/admin/chat-feedback', bob)).statusCode, 403, 'users do not see the summary');
  const summary = (await call('GET', '/api/v1/admin/chat-feedback', tokens.operator)).json();
  t.match(summary, {
    total: 1,
    helpful: 1,
    not_helpful: 0,
    by_model: [{ model_id: models.generation.id, helpful: 1, not_helpful: 0 }],
    by_kb: [{ kb_id: kb.id, kb_name: 'Judged', helpful: 1 }],
  });
  t.notMatch(JSON.stringify(summary), /Was this useful/, 'no conversation content in the summary');
});

t.test('export: Markdown with each question and its latest answer, JSON with everything', async (t) => {
  const { call, createKb, grant, ask, alice } = await setup(t);
  const kb = await createKb('Exported');
  await grant(kb.id, alice, 'READ');
  const { id } = (await call('POST', '/api/v1/conversations', alice, { kb_ids: [kb.id], title: 'Pump notes' })).json();
  await ask(id, 'How often must the pump be serviced?');

  const md = await call('GET', `/api/v1/conversations/${id}/export`, alice);
  t.equal(md.statusCode, 200);
  t.match(md.headers['content-type'], /text\/markdown/);
  t.match(md.headers['content-disposition'], /attachment; filename="conversation-[0-9a-f]{8}\.md"/);
  t.match(md.body, /^# Pump notes\n/);
  t.match(md.body, /\*\*Question\*\*.*\n\nHow often must the pump be serviced\?/);
  t.match(md.body, /\*\*Answer\*\* \(Local extractive answerer/);

  const json = await call('GET', `/api/v1/conversations/${id}/export?format=json`, alice);
  t.match(json.headers['content-disposition'], /\.json"/);
  const parsed = JSON.parse(json.body);
  t.equal(parsed.messages.length, 2);
  t.equal(parsed.title, 'Pump notes');
  t.equal((await call('GET', `/api/v1/conversations/${id}/export?format=pdf`, alice)).statusCode, 400);
});
