import { parseEventStream } from '@lumikb/contracts/event-stream';

/**
 * Parses a whole text/event-stream body (as inject returns it) into its events, for
 * assertions; with the platform's one SSE reader, so tests read streams as clients do.
 */
export function parseSse(body: string): { event: string; data: Record<string, unknown> }[] {
  return parseEventStream(body).map(({ event, data }) => ({
    event,
    data: JSON.parse(data) as Record<string, unknown>,
  }));
}
