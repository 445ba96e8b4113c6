/**
 * The one reader of server-sent event streams (`text/event-stream`), for the web app (our
 * chat stream) and `@lumikb/llm` (OpenAI-style providers and the LiteLLM proxy). Parsing
 * is eventsource-parser's, which follows the WHATWG spec (CR/LF/CRLF line ends, multi-line
 * data, comments, `id`/`retry`); this module adds only what both callers need: decoding
 * bytes, a size budget per event, and the `[DONE]` end marker of OpenAI-style streams.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface ServerSentEvent {
  /** The `event:` field; `message` when the server sent none. */
  event: string;
  data: string;
  id?: string;
}

export interface EventStreamOptions {
  /**
   * Most bytes one event may take (its lines up to the blank line that ends it); a stream
   * that exceeds it fails with EventStreamTooLarge instead of growing a buffer for ever.
   * Default 1 MiB.
   */
  maxEventBytes?: number;
  /** Stop quietly at an event whose data is `[DONE]` (OpenAI-style streams). Default false. */
  stopAtDone?: boolean;
}

export class EventStreamTooLarge extends Error {
  constructor(readonly limitBytes: number) {
    super(`an event of the stream is over ${limitBytes} bytes`);
    this.name = 'EventStreamTooLarge';
  }
}

const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

async function* chunksOf(source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (Symbol.asyncIterator in source) {
    yield* source as AsyncIterable<Uint8Array>;
    return;
  }
  const reader = (source as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Feeds text to one parser and hands out the events it completed. */
function eventCollector() {
  let ready: ServerSentEvent[] = [];
  let completed = 0;
  const parser = createParser({
    onEvent: (message: EventSourceMessage) => {
      completed++;
      ready.push({ event: message.event ?? 'message', data: message.data, ...(message.id ? { id: message.id } : {}) });
    },
  });
  return {
    feed: (text: string) => parser.feed(text),
    /** How many events were completed so far. */
    completed: () => completed,
    take: (): ServerSentEvent[] => {
      const events = ready;
      ready = [];
      return events;
    },
  };
}

/** The events of a whole `text/event-stream` body (e.g. what a test's `inject` returns). */
export function parseEventStream(body: string): ServerSentEvent[] {
  const collector = eventCollector();
  // A last event without its closing blank line still counts: the server ended the body after it.
  collector.feed(`${body}\n\n`);
  return collector.take();
}

/** The events of a byte stream, as they arrive. */
export async function* readEventStream(
  source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: EventStreamOptions = {},
): AsyncGenerator<ServerSentEvent> {
  const limit = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const decoder = new TextDecoder();
  const collector = eventCollector();
  // Bytes fed since an event was last completed: about what the parser holds for the next one.
  let pendingBytes = 0;
  let seen = 0;
  const deliver = function* (): Generator<ServerSentEvent, boolean> {
    for (const event of collector.take()) {
      if (options.stopAtDone && event.data.trim() === '[DONE]') return true;
      yield event;
    }
    return false;
  };
  for await (const chunk of chunksOf(source)) {
    collector.feed(decoder.decode(chunk, { stream: true }));
    pendingBytes = collector.completed() > seen ? 0 : pendingBytes + chunk.byteLength;
    seen = collector.completed();
    if (yield* deliver()) return;
    if (pendingBytes > limit) throw new EventStreamTooLarge(limit);
  }
  // A last event without its closing blank line still counts: the server ended the body after it.
  collector.feed(`${decoder.decode()}\n\n`);
  yield* deliver();
}
