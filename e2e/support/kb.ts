/**
 * Helpers for the knowledge-base specs: an admin API session, throw-away KBs (deleted
 * afterwards, so the seeded data stays as it was), the fixture files, and a long text
 * for the viewer.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDocx, makePdf } from '@lumikb/ingest/testing';
import { expect } from '@playwright/test';
import { seeded, USERS } from '../fixtures/data.ts';
import { ApiSession } from './api.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * The binary ones (PDF, Word, a truncated PDF) are generated here, into a temporary
 * directory, so the repository holds no binary file whose content cannot be read.
 */
function generated(name: string, bytes: Buffer): string {
  const path = join(GENERATED, name);
  writeFileSync(path, bytes);
  return path;
}
const GENERATED = mkdtempSync(join(tmpdir(), 'lumikb-e2e-files-'));

/** Small valid documents of every supported format, plus a corrupt PDF. */
export const FILES = {
  txt: resolve(HERE, '../fixtures/files/release-notes.txt'),
  md: resolve(HERE, '../fixtures/files/faq.md'),
  html: resolve(HERE, '../fixtures/files/security.html'),
  pdf: generated(
    'pump-manual.pdf',
    makePdf([
      'Pump manual.',
      'The centrifugal pump must be serviced every six months.',
      'Replace the impeller seal when the pressure drops below two bar.',
    ]),
  ),
  docx: generated(
    'onboarding.docx',
    await makeDocx([
      'Onboarding guide.',
      'New employees receive a laptop and a badge on their first day.',
      'The buddy programme pairs every newcomer with a colleague for three months.',
    ]),
  ),
  // A PDF header and nothing a PDF reader can use.
  corruptPdf: generated(
    'corrupt-scan.pdf',
    Buffer.from(
      '%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\nthis scan was truncated in transit and has no readable body\n',
      'latin1',
    ),
  ),
} as const;

export const unique = (prefix: string): string =>
  `${prefix} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;

export function adminApi(): Promise<ApiSession> {
  return ApiSession.signIn(seeded().baseURL, USERS.admin.email, USERS.admin.password);
}

export interface KbInfo {
  id: string;
  name: string;
  collection: string;
  dimensions: number;
}

export async function createKb(api: ApiSession, body: Record<string, unknown>): Promise<KbInfo> {
  return api.post<KbInfo>('/api/v1/knowledge-bases', body);
}

export async function deleteKb(api: ApiSession, id: string): Promise<void> {
  await api.delete(`/api/v1/knowledge-bases/${id}`);
}

/** A plain-text manual long enough to need scrolling in both viewer panels (about 60 chunks). */
export function longManual(sections = 60): string {
  const words =
    'pump valve pressure seal impeller maintenance schedule operator safety inspection filter lubricant bearing motor coupling alignment vibration temperature flow'.split(
      ' ',
    );
  const out: string[] = [];
  for (let s = 1; s <= sections; s++) {
    const body = Array.from({ length: 70 }, (_, i) => words[(s * 7 + i * 3) % words.length]).join(' ');
    out.push(`Section ${s}. The ${words[s % words.length]} procedure: ${body}.`);
  }
  return out.join('\n\n');
}

export interface OllamaKb {
  api: ApiSession;
  kbId: string;
  modelId: string;
  modelName: string;
  documentId: string;
}

/**
 * A KB answered by an Ollama of the test's own (a fake: slow, failing, as the test sets it
 * up), with one READY document (travel.md); `run` gets their ids, and everything is removed after.
 */
export async function withOllamaKb(
  ollama: { url: string; close(): Promise<void> },
  name: string,
  run: (kb: OllamaKb) => Promise<void>,
): Promise<void> {
  const api = await adminApi();
  const modelName = unique(`E2E ${name} llama`);
  const model = await api.post<{ id: string }>('/api/v1/admin/models', {
    type: 'generation',
    provider: 'ollama',
    name: modelName,
    model_id: 'llama3.2:latest',
    api_endpoint: ollama.url,
    config: { context_window: 8192, max_output_tokens: 512 },
  });
  // The KB service hears of the new model by event: create the KB once it has.
  let kb = { id: '' };
  await expect
    .poll(
      async () => {
        const res = await api.ctx.post('/api/v1/knowledge-bases', {
          data: { name: unique(`E2E ${name} KB`), generation_model_id: model.id },
        });
        if (res.ok()) kb = await res.json();
        return res.status();
      },
      { timeout: 10_000 },
    )
    .toBe(201);
  try {
    const doc = await api.upload(
      kb.id,
      'travel.md',
      '# Travel\n\nTrain tickets are booked in second class.\n',
      'text/markdown',
    );
    await api.waitForDocument(kb.id, doc.id, ['READY']);
    await run({ api, kbId: kb.id, modelId: model.id, modelName, documentId: doc.id });
  } finally {
    await deleteKb(api, kb.id);
    await expect
      .poll(async () => (await api.delete(`/api/v1/admin/models/${model.id}`)).status(), { timeout: 10_000 })
      .toBe(204);
    await api.dispose();
    await ollama.close();
  }
}
