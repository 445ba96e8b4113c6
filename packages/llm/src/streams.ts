/** Line-oriented streaming bodies: NDJSON (Ollama) and server-sent events (OpenAI-style). */
import { EventStreamTooLarge, readEventStream } from '@lumikb/contracts/event-stream';
import { LlmError } from './errors.ts';
import { formatMs, networkError } from './http.ts';

export interface StreamGuard {
  /** Longest silence allowed between two chunks. */
  idleTimeoutMs: number;
  target: string;
  url: string;
}

/** Reads chunks, failing with a `timeout` LlmError when the server goes silent too long. */
async function* chunks(body: ReadableStream<Uint8Array>, guard: StreamGuard): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const silence = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new LlmError(
                'timeout',
                `${guard.target} stopped sending for ${formatMs(guard.idleTimeoutMs)} in the middle of a stream`,
                { url: guard.url },
              ),
            ),
          guard.idleTimeoutMs,
        );
      });
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await Promise.race([reader.read(), silence]);
      } catch (error) {
        if (error instanceof LlmError) throw error;
        throw networkError(error, { url: guard.url, target: guard.target, timeoutMs: guard.idleTimeoutMs }, false);
      } finally {
        clearTimeout(timer);
      }
      if (result.done) return;
      yield result.value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

async function* lines(body: ReadableStream<Uint8Array> | null, guard: StreamGuard): AsyncGenerator<string> {
  if (!body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of chunks(body, guard)) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      yield line;
      newline = buffer.indexOf('\n');
    }
  }
  buffer += decoder.decode();
  if (buffer.length > 0) yield buffer.replace(/\r$/, '');
}

/** One parsed JSON object per non-empty line. */
export async function* ndjson<T>(body: ReadableStream<Uint8Array> | null, guard: StreamGuard): AsyncGenerator<T> {
  for await (const line of lines(body, guard)) {
    if (line.trim() === '') continue;
    let parsed: T;
    try {
      parsed = JSON.parse(line) as T;
    } catch {
      throw new LlmError('invalid_response', `${guard.target} sent a stream line that is not JSON`, { url: guard.url });
    }
    yield parsed;
  }
}

/** Most bytes one event of a provider's stream may take (one token's delta is far smaller). */
const MAX_STREAM_EVENT_BYTES = 1024 * 1024;

/** The `data:` payloads of an event stream; stops at `[DONE]`. Parsed by the platform's one SSE reader. */
export async function* sseData(body: ReadableStream<Uint8Array> | null, guard: StreamGuard): AsyncGenerator<string> {
  if (!body) return;
  try {
    for await (const event of readEventStream(chunks(body, guard), {
      stopAtDone: true,
      maxEventBytes: MAX_STREAM_EVENT_BYTES,
    })) {
      yield event.data;
    }
  } catch (error) {
    if (error instanceof EventStreamTooLarge) {
      throw new LlmError('invalid_response', `${guard.target} sent a stream event over ${error.limitBytes} bytes`, {
        url: guard.url,
      });
    }
    throw error;
  }
}
