/**
 * Upload documents by drag and drop or the file picker, several at a time, each with its
 * own progress bar and outcome (the server's reason when it refuses one).
 *
 * Each file gets its own Idempotency-Key when it is added, kept with its row. An upload
 * that failed in a way a second attempt can fix (network error, 5xx, 429) offers Retry,
 * which sends the file again with the SAME key: when the first attempt did reach the
 * server and only its answer was lost, the server replays the document it created rather
 * than storing it twice.
 */

import { ACCEPTED_FILE_TYPES } from '@lumikb/contracts/file-types';
import { type DragEvent, useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import type { ApiError } from '../../api/client.ts';
import { Button } from '../../components/Button.tsx';
import { formatBytes } from '../../components/format.ts';
import {
  isRetryableUploadError,
  type KbDocument,
  newIdempotencyKey,
  type UploadHandle,
  uploadDocument,
  viewerPath,
} from './kbApi.ts';

/** From the one list of accepted types (contracts), as the API's 415 message says it. */
const ACCEPTED = ACCEPTED_FILE_TYPES.filter((type) => type.format !== 'txt')
  .map((type) => `${type.label} (.${type.extensions[0]})`)
  .join(', ');
const PARALLEL = 3;

interface Item {
  key: number;
  file: File;
  /** Sent with every attempt of this file, so that a retry cannot store it twice. */
  idempotencyKey: string;
  progress: number;
  /** `duplicate`: the KB already holds these bytes (409 DUPLICATE_DOCUMENT). */
  state: 'queued' | 'uploading' | 'done' | 'failed' | 'duplicate' | 'cancelled';
  error?: ApiError;
  document?: KbDocument;
}

export function UploadZone({
  kbId,
  onUploaded,
  settled,
  onActiveChange,
}: {
  kbId: string;
  onUploaded: (doc: KbDocument) => void;
  /** Documents the page's table shows as finished: their upload lines fold away. */
  settled?: ReadonlySet<string>;
  /** How many files are queued or being sent (the page's empty state must not contradict it). */
  onActiveChange?: (active: number) => void;
}) {
  const [items, setItems] = useState<Item[]>([]);
  const [showSettled, setShowSettled] = useState(false);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const nextKey = useRef(1);
  const handles = useRef(new Map<number, UploadHandle>());
  const onUploadedRef = useRef(onUploaded);
  onUploadedRef.current = onUploaded;

  const update = useCallback((key: number, patch: Partial<Item>) => {
    setItems((all) => all.map((i) => (i.key === key ? { ...i, ...patch } : i)));
  }, []);

  // Start queued uploads while fewer than PARALLEL run.
  useEffect(() => {
    const running = items.filter((i) => i.state === 'uploading').length;
    const queued = items.filter((i) => i.state === 'queued').slice(0, Math.max(0, PARALLEL - running));
    for (const item of queued) {
      update(item.key, { state: 'uploading', progress: 0, error: undefined });
      const handle = uploadDocument(kbId, item.file, (progress) => update(item.key, { progress }), item.idempotencyKey);
      handles.current.set(item.key, handle);
      handle.promise.then(
        (document) => {
          handles.current.delete(item.key);
          update(item.key, { state: 'done', progress: 1, document });
          onUploadedRef.current(document);
        },
        (error: ApiError) => {
          handles.current.delete(item.key);
          update(
            item.key,
            error.code === 'ABORTED'
              ? { state: 'cancelled' }
              : { state: error.code === 'DUPLICATE_DOCUMENT' ? 'duplicate' : 'failed', error },
          );
        },
      );
    }
  }, [items, kbId, update]);

  // Leaving the page cancels what is still being sent.
  useEffect(() => {
    const all = handles.current;
    return () => {
      for (const h of all.values()) h.abort();
    };
  }, []);

  const add = (files: FileList | File[] | null) => {
    const list = Array.from(files ?? []);
    if (list.length === 0) return;
    setItems((all) => [
      ...list.map((file) => ({
        key: nextKey.current++,
        file,
        idempotencyKey: newIdempotencyKey(),
        progress: 0,
        state: 'queued' as const,
      })),
      ...all,
    ]);
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    add(e.dataTransfer.files);
  };

  const finished = items.filter((i) => i.state !== 'queued' && i.state !== 'uploading');
  const active = items.length - finished.length;
  const onActiveChangeRef = useRef(onActiveChange);
  onActiveChangeRef.current = onActiveChange;
  useEffect(() => onActiveChangeRef.current?.(active), [active]);
  // A finished upload whose document the table shows as done says nothing the table does not.
  const isSettled = (i: Item) => i.state === 'done' && i.document !== undefined && settled?.has(i.document.id) === true;
  const settledCount = items.filter(isSettled).length;

  return (
    <section className="upload" aria-labelledby="upload-title">
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target only; the keyboard uses "Choose files" */}
      <div
        className={`dropzone ${over ? 'dropzone-over' : ''}`}
        data-testid="dropzone"
        onDragEnter={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragOver={(e) => {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
        }}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(false);
        }}
        onDrop={onDrop}
      >
        <h2 id="upload-title" className="dropzone-title">
          Upload documents
        </h2>
        <p className="muted">
          Drop files here or choose them: {ACCEPTED}, and any text file whatever its name (README, Makefile, .conf,
          source code, JSON, YAML, XML). Several at once are fine.
        </p>
        <input
          ref={input}
          type="file"
          multiple
          // No `accept` filter: a text file of any name (README.FHS, Makefile) is accepted.
          className="sr-only"
          tabIndex={-1}
          aria-label="Files to upload"
          onChange={(e) => {
            add(e.target.files);
            e.target.value = '';
          }}
        />
        <Button variant="primary" onClick={() => input.current?.click()}>
          Choose files
        </Button>
      </div>
      {items.length > 0 ? (
        <div className="upload-list-wrap">
          <div className="row upload-list-head">
            <span className="muted" aria-live="polite">
              {active > 0 ? `Uploading ${active} file${active === 1 ? '' : 's'}…` : 'Uploads finished'}
              {settledCount > 0 ? ` · ${settledCount} in the table below` : ''}
            </span>
            <span className="spacer" />
            {settledCount > 0 ? (
              <Button size="sm" variant="ghost" aria-expanded={showSettled} onClick={() => setShowSettled((v) => !v)}>
                {showSettled ? 'Hide processed uploads' : 'Show processed uploads'}
              </Button>
            ) : null}
            {finished.length > 0 ? (
              <Button
                size="sm"
                variant="ghost"
                onClick={() => setItems((all) => all.filter((i) => !finished.includes(i)))}
              >
                Clear finished
              </Button>
            ) : null}
          </div>
          <ul className="upload-list" aria-label="Uploads">
            {items.map((item) => (
              <li
                key={item.key}
                className={`upload-item upload-${item.state}`}
                data-file={item.file.name}
                hidden={!showSettled && isSettled(item)}
              >
                <div className="upload-item-row">
                  <span className="upload-name" title={item.file.name}>
                    {item.file.name}
                  </span>
                  <span className="muted nowrap">{formatBytes(item.file.size)}</span>
                  {item.state === 'uploading' || item.state === 'queued' ? (
                    <Button
                      size="sm"
                      variant="ghost"
                      aria-label={`Cancel upload of ${item.file.name}`}
                      onClick={() => {
                        const h = handles.current.get(item.key);
                        if (h) h.abort();
                        else update(item.key, { state: 'cancelled' });
                      }}
                    >
                      Cancel
                    </Button>
                  ) : null}
                  {item.state === 'failed' && item.error && isRetryableUploadError(item.error) ? (
                    <Button
                      size="sm"
                      variant="secondary"
                      aria-label={`Retry upload of ${item.file.name}`}
                      // Same row, same key: the effect above sends it again.
                      onClick={() => update(item.key, { state: 'queued', progress: 0 })}
                    >
                      Retry
                    </Button>
                  ) : null}
                </div>
                <progress
                  className="upload-progress"
                  max={1}
                  value={item.state === 'failed' || item.state === 'cancelled' ? 0 : item.progress}
                  aria-label={`Upload progress of ${item.file.name}`}
                />
                <span className="upload-status" data-testid="upload-status">
                  {item.state === 'queued'
                    ? 'Waiting…'
                    : item.state === 'uploading'
                      ? `Uploading ${Math.round(item.progress * 100)}%`
                      : item.state === 'done'
                        ? 'Uploaded — processing has started'
                        : item.state === 'cancelled'
                          ? 'Cancelled'
                          : item.state === 'duplicate'
                            ? alreadyUploaded(kbId, item.error)
                            : `${item.error && isRetryableUploadError(item.error) ? 'Failed' : 'Refused'}: ${item.error?.message ?? 'unknown error'}`}
                  {item.error && item.state !== 'duplicate' ? (
                    <code className="upload-code"> {item.error.code}</code>
                  ) : null}
                </span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}

/** "Already uploaded as <the existing document>", linking to it when the server named it. */
function alreadyUploaded(kbId: string, error: ApiError | undefined) {
  const details = (error?.details ?? {}) as { document_id?: string | null; existing_filename?: string | null };
  const name = details.existing_filename ?? 'another document';
  return (
    <>
      Already uploaded as{' '}
      {details.document_id ? (
        <Link to={viewerPath(kbId, details.document_id)} title={`Open ${name} in the viewer`}>
          {name}
        </Link>
      ) : (
        name
      )}{' '}
      — this knowledge base holds the same file
    </>
  );
}
