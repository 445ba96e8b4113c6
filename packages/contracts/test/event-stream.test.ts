/**
 * The one SSE reader the web app, the LLM client and the tests share: events split however
 * the bytes arrive (mid-line, mid-character, CRLF), multi-line data, comments skipped, a
 * final event without its blank line, `[DONE]` when asked, and a size budget per event.
 */
import t from 'tap';
import { EventStreamTooLarge, parseEventStream, readEventStream } from '../src/event-stream.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

/** A byte stream of `text` cut into pieces of `size` bytes (so cuts fall inside lines and characters). */
function stream(text: string, size: number): ReadableStream<Uint8Array> {
  const all = bytes(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= all.length) return controller.close();
      controller.enqueue(all.slice(at, at + size));
      at += size;
    },
  });
}

async function collect(source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, options = {}) {
  const events = [];
  for await (const event of readEventStream(source, options)) events.push(event);
  return events;
}

const BODY =
  ': keep-alive comment\r\n' +
  'event: token\r\ndata: {"text":"Grüße"}\r\n\r\n' +
  'data: line one\ndata: line two\n\n' +
  'id: 7\nevent: done\ndata: {}\n\n' +
  'event: tail\ndata: no blank line after me';

t.test('events come out whole whatever the chunking', async (t) => {
  const expected = [
    { event: 'token', data: '{"text":"Grüße"}' },
    { event: 'message', data: 'line one\nline two' },
    { event: 'done', data: '{}', id: '7' },
    { event: 'tail', data: 'no blank line after me' },
  ];
  for (const size of [1, 3, 7, 64, 10_000]) {
    t.same(await collect(stream(BODY, size)), expected, `chunks of ${size} bytes`);
  }
  t.same(parseEventStream(BODY), expected, 'a whole body parses the same');
});

t.test('[DONE] ends an OpenAI-style stream only when asked', async (t) => {
  const body = 'data: {"a":1}\n\ndata: [DONE]\n\ndata: {"after":true}\n\n';
  t.same(
    (await collect(stream(body, 5), { stopAtDone: true })).map((e) => e.data),
    ['{"a":1}'],
  );
  t.same(
    (await collect(stream(body, 5))).map((e) => e.data),
    ['{"a":1}', '[DONE]', '{"after":true}'],
  );
});

t.test('an event over the budget fails the stream instead of filling memory', async (t) => {
  async function* endless() {
    yield bytes('data: {"ok":true}\n\n');
    for (;;)
      yield bytes(
        'data: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n',
      );
  }
  const seen: string[] = [];
  await t.rejects(
    (async () => {
      for await (const event of readEventStream(endless(), { maxEventBytes: 4096 })) seen.push(event.data);
    })(),
    EventStreamTooLarge,
  );
  t.same(seen, ['{"ok":true}'], 'the events before it were delivered');
  t.same(await collect(stream(`data: ${'y'.repeat(3000)}\n\n`, 100), { maxEventBytes: 4096 }), [
    { event: 'message', data: 'y'.repeat(3000) },
  ]);
});
