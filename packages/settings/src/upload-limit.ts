/**
 * Enforcing the current `max_upload_size_mb` on a Fastify route, read at request time
 * so a change applies to the next request without a restart.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { SettingsSnapshot } from '@lumikb/contracts';
import { kitErrors } from '@lumikb/service-kit';
import type { preParsingHookHandler } from 'fastify';

const MIB = 1024 * 1024;

/** Anything that holds the current settings (a SettingsSubscriber, or a fixed snapshot in tests). */
export interface SettingsSource {
  readonly snapshot: SettingsSnapshot;
}

export function maxUploadBytes(settings: SettingsSource): number {
  return settings.snapshot.system.max_upload_size_mb * MIB;
}

function tooLarge(limit: number) {
  return kitErrors.PAYLOAD_TOO_LARGE(`Uploads are limited to ${limit / MIB} MiB`, { max_bytes: limit });
}

/**
 * A `preParsing` hook refusing bodies above the current upload limit with 413
 * PAYLOAD_TOO_LARGE: at once when Content-Length says so, otherwise as soon as the
 * streamed body passes the limit. The route's own `bodyLimit` must be at least the
 * largest limit an admin may set (2048 MiB).
 */
export function enforceUploadLimit(settings: SettingsSource): preParsingHookHandler {
  return async (request, _reply, payload) => {
    const limit = maxUploadBytes(settings);
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        received += chunk.length;
        (counter as unknown as { receivedEncodedLength: number }).receivedEncodedLength = received;
        if (received > limit) callback(tooLarge(limit));
        else callback(null, chunk);
      },
    });
    (counter as unknown as { receivedEncodedLength: number }).receivedEncodedLength = 0;
    payload.on('error', (error) => counter.destroy(error));
    return payload.pipe(counter);
  };
}
