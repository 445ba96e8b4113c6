/**
 * Honest answers over a real document (Debian's users-and-groups.html, uploaded through
 * the pipeline): the built-in answerer quotes the sentence that answers, with the term it
 * depends on, says plainly when the document does not hold the answer, and the sources
 * are numbered in order of first use with no gaps.
 */
import { readFileSync } from 'node:fs';
import { auth, modelView, registerModel } from '@lumikb/knowledge-base/testing';
import { startFakeOllama } from '@lumikb/test-kit';
import t from 'tap';
import { parseSse, startPipeline } from './pipeline-helper.ts';

const fixture = readFileSync(new URL('./fixtures/users-and-groups.html', import.meta.url));

t.test(
  'the built-in answerer over users-and-groups.html: answers what it says, and says what it does not',
  async (t) => {
    const { api, kb: kbApp, tokens } = await startPipeline(t);
    const kb = await api.createKb({ name: 'Debian manuals' });
    const doc = await api.upload(kb.id, 'users-and-groups.html', fixture);
    t.equal((await api.waitForStatus(kb.id, doc.id, ['READY', 'FAILED'])).status, 'READY');

    const ask = async (message: string) => {
      const res = await kbApp.app.inject({
        method: 'POST',
        url: '/api/v1/chat',
        headers: auth(tokens.operator),
        payload: { kb_id: kb.id, message },
      });
      t.equal(res.statusCode, 200);
      const events = parseSse(res.body);
      const text = events
        .filter((e) => e.event === 'token')
        .map((e) => e.data.text)
        .join('');
      const answer = text.split('\n\n')[0]!;
      const sources = events.find((e) => e.event === 'citations')!.data.citations as {
        marker: string;
        text: string;
        document_name: string;
      }[];
      t.comment(`Q: ${message}\nA: ${answer}\nsources: ${sources.map((s) => s.marker).join(' ')}`);
      // Whatever the answer, its markers count up from [1] in order of first use, and the
      // sources list is in that order with no gaps.
      const used = [...new Set([...answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])))];
      t.same(
        used,
        used.map((_, i) => i + 1),
        'markers numbered by first use',
      );
      t.same(
        sources.map((s) => s.marker),
        sources.map((_, i) => `[${i + 1}]`),
        'sources numbered 1..n with no gaps',
      );
      if (used.length > 0) t.equal(sources.length, used.length, 'exactly the cited passages are the sources');
      // The conversation it was saved in holds the same text and sources.
      const done = events.at(-1)!.data as { conversation_id: string; message_id: string };
      const saved = await kbApp.app.inject({
        method: 'GET',
        url: `/api/v1/conversations/${done.conversation_id}`,
        headers: auth(tokens.operator),
      });
      const stored = saved.json().messages.find((m: { id: string }) => m.id === done.message_id);
      t.equal(stored.content, text, 'saved as streamed');
      t.same(
        stored.citations.map((c: { marker: string }) => c.marker),
        sources.map((s) => s.marker),
        'saved with the same sources',
      );
      return { answer, sources };
    };

    // The document names nobody's purpose, not its uid (it gives gnats' uid, 41, and operator's, 37).
    const nobody = await ask('what is the uid of the nobody user');
    t.match(nobody.answer, /^The documents do not contain an answer to this question/, 'says so plainly');
    t.match(nobody.answer, /“uid”/, 'naming what it did not find');
    t.notMatch(nobody.answer, /\b41\b|\b37\b|gnats|operator/, "no other user's uid passed off as the answer");
    t.notMatch(nobody.answer, /\[\d+\]/, 'and quotes nothing');

    const dbus = await ask('which user does the dbus daemon run as');
    t.match(
      dbus.answer,
      /^messagebus: The dbus daemon \(dbus-daemon-1\) runs as this user and group\. \[1\]$/,
      'the sentence, whole, with the term it depends on, cited [1]',
    );
    t.match(dbus.sources[0], { marker: '[1]', document_name: 'users-and-groups.html', text: /messagebus/ });
    t.notMatch(dbus.answer, /Report bugs|Table of Contents|Copyright/, 'no page furniture');

    const gnats = await ask('What uid did the gnats user have?');
    t.match(gnats.answer, /they had uid\/gid 41\. \[1\]/, 'a uid the document does give is found');

    const tty = await ask('Which group owns the tty devices?');
    t.match(tty.answer, /^tty: Tty devices and \/dev\/vcs\* are owned by this group\./);
  },
);

t.test(
  'an LLM answer: told to say plainly when the documents do not answer, its markers renumbered by first use',
  async (t) => {
    const pipeline = await startPipeline(t);
    const { api, kb: kbApp, tokens } = pipeline;
    // The model cites the third passage it was given first, then the first one.
    const ollama = await startFakeOllama(t, {
      reply: () => 'The dbus daemon runs as messagebus [3]; gnats had uid 41 [1], and again [3].',
    });
    const model = await registerModel(
      kbApp,
      modelView({
        type: 'generation',
        provider: 'ollama' as never,
        name: 'Llama on Ollama',
        model_id: 'llama3.2',
        api_endpoint: ollama.url,
        config: { context_window: 8192, max_output_tokens: 256 },
      }),
    );
    const kb = await api.createKb({ name: 'Debian manuals, LLM', generation_model_id: model.id });
    const doc = await api.upload(kb.id, 'users-and-groups.html', fixture);
    await api.waitForStatus(kb.id, doc.id, 'READY');
    const res = await kbApp.app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      headers: auth(tokens.operator),
      payload: { kb_id: kb.id, message: 'which user does the dbus daemon run as' },
    });
    const events = parseSse(res.body);
    const text = events
      .filter((e) => e.event === 'token')
      .map((e) => e.data.text)
      .join('');
    t.equal(text, 'The dbus daemon runs as messagebus [1]; gnats had uid 41 [2], and again [1].');

    const sent = ollama.requestsTo('/api/chat')[0]!.body as { messages: { role: string; content: string }[] };
    const system = sent.messages.filter((m) => m.role === 'system').map((m) => m.content);
    t.match(system.join('\n'), /say plainly that the documents do not contain it/, 'the model is told to say so');
    const given = system.find((m) => m.includes('[1] '))!;
    const passageText = (n: number) =>
      given
        .split(`[${n}] `)[1]!
        .split(/\n\n\[\d+\] /)[0]!
        .trim();
    const sources = events.find((e) => e.event === 'citations')!.data.citations as { marker: string; text: string }[];
    t.same(
      sources.map((s) => s.marker),
      ['[1]', '[2]'],
    );
    t.equal(sources[0]!.text.trim(), passageText(3), 'source [1] is the passage the model saw as [3]');
    t.equal(sources[1]!.text.trim(), passageText(1), 'source [2] is the one it saw as [1]');
  },
);
