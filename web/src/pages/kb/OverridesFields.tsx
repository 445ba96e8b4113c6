/**
 * A KB's parameter overrides (chunking, retrieval, generation). An empty box means "use
 * the platform default", shown as the placeholder. The ranges are the server's; they are
 * checked here first so the user sees the problem next to the field.
 */
import { FieldRow, NumberField, SelectField, TextAreaField } from '../../components/Field.tsx';
import type { AvailableModel, ConfigOverrides } from './kbApi.ts';

/** Retrieval settings without a field here are kept as they are (docs/retrieval.md); `rerank` has its own fields. */
type RetrievalKey = 'retrieval_mode' | 'language' | 'fusion' | 'query_expansion' | 'rerank';
type NumericKey = Exclude<keyof ConfigOverrides, 'system_prompt' | RetrievalKey>;
const RETRIEVAL_KEYS: readonly string[] = [
  'retrieval_mode',
  'language',
  'fusion',
  'query_expansion',
  'rerank',
] satisfies RetrievalKey[];
/** The server's default and limits of `rerank.top_n` (docs/retrieval.md#reranking). */
export const RERANK_TOP_N = { default: 20, min: 1, max: 100 };

const RANGES: Record<NumericKey, { min: number; max: number; integer: boolean }> = {
  chunk_size: { min: 100, max: 8000, integer: true },
  chunk_overlap: { min: 0, max: 4000, integer: true },
  top_k: { min: 1, max: 100, integer: true },
  similarity_threshold: { min: 0, max: 1, integer: false },
  temperature: { min: 0, max: 2, integer: false },
  max_tokens: { min: 1, max: 32768, integer: true },
};

/** Defaults used when nothing is overridden (the server's, for the placeholders). */
export interface OverrideDefaults {
  chunk_size: number;
  chunk_overlap: number;
  top_k: number;
  similarity_threshold: number;
  temperature?: number;
  max_tokens?: number;
  system_prompt?: string;
}
export const PLATFORM_DEFAULTS: OverrideDefaults = {
  chunk_size: 1000,
  chunk_overlap: 200,
  top_k: 5,
  similarity_threshold: 0,
};

export type OverrideErrors = Partial<Record<keyof ConfigOverrides | 'rerank_top_n', string>>;

export function validateOverrides(o: ConfigOverrides): OverrideErrors {
  const errors: OverrideErrors = {};
  for (const [key, range] of Object.entries(RANGES) as [NumericKey, (typeof RANGES)[NumericKey]][]) {
    const v = o[key];
    if (v === undefined) continue;
    if (!Number.isFinite(v)) errors[key] = 'Enter a number';
    else if (range.integer && !Number.isInteger(v)) errors[key] = 'Enter a whole number';
    else if (v < range.min || v > range.max) errors[key] = `Between ${range.min} and ${range.max}`;
  }
  if (!errors.chunk_overlap && o.chunk_overlap !== undefined) {
    const size = o.chunk_size ?? PLATFORM_DEFAULTS.chunk_size;
    if (o.chunk_overlap >= size) errors.chunk_overlap = `Must be smaller than the chunk size (${size})`;
  }
  if (o.system_prompt !== undefined && o.system_prompt.length > 8000) errors.system_prompt = 'At most 8000 characters';
  const topN = o.rerank?.top_n;
  if (topN !== undefined && (!Number.isInteger(topN) || topN < RERANK_TOP_N.min || topN > RERANK_TOP_N.max)) {
    errors.rerank_top_n = `A whole number between ${RERANK_TOP_N.min} and ${RERANK_TOP_N.max}`;
  }
  return errors;
}

/** Only the keys that are set (an empty system prompt means "default"). */
export function cleanOverrides(o: ConfigOverrides): ConfigOverrides {
  const out: ConfigOverrides = {};
  for (const [k, v] of Object.entries(o) as [keyof ConfigOverrides, unknown][]) {
    if (v === undefined || v === null) continue;
    if (k === 'system_prompt') {
      if (typeof v === 'string' && v.trim() !== '') out.system_prompt = v;
    } else if (RETRIEVAL_KEYS.includes(k)) {
      // Set through the API: saving the form replaces the overrides, so they are carried over.
      Object.assign(out, { [k]: v });
    } else if (typeof v === 'number') {
      out[k as NumericKey] = v;
    }
  }
  return out;
}

/** Server-side field problems (`details.field` or validation paths) onto the form's fields. */
export function serverFieldErrors(details: unknown): OverrideErrors {
  const out: OverrideErrors = {};
  const list = Array.isArray(details)
    ? details
    : Array.isArray((details as { problems?: unknown })?.problems)
      ? (details as { problems: unknown[] }).problems
      : [];
  for (const p of list as { path?: string; field?: string; message?: string }[]) {
    const key = (p.field ?? p.path ?? '').split(/[/.]/).pop() as keyof ConfigOverrides;
    if (key && key in RANGES) out[key] = p.message ?? 'Invalid';
    if (key === 'system_prompt') out[key] = p.message ?? 'Invalid';
    const path = p.field ?? p.path ?? '';
    if (/rerank[/.]model_id$/.test(path)) out.rerank = p.message ?? 'Invalid';
    if (/rerank[/.]top_n$/.test(path)) out.rerank_top_n = p.message ?? 'Invalid';
  }
  return out;
}

export function OverridesFields({
  value,
  onChange,
  errors,
  defaults = PLATFORM_DEFAULTS,
  disabled,
  models,
}: {
  value: ConfigOverrides;
  onChange: (next: ConfigOverrides) => void;
  errors: OverrideErrors;
  defaults?: OverrideDefaults;
  disabled?: boolean;
  /** Available models: the rerank ones are offered for reranking (no rerank field without them). */
  models?: AvailableModel[];
}) {
  const rerankModels = (models ?? []).filter((m) => m.type === 'rerank');
  const bound = value.rerank;
  const set = (key: keyof ConfigOverrides, v: number | string | undefined) => onChange({ ...value, [key]: v });
  const num = (key: NumericKey, label: string, hint: string, step?: string) => (
    <NumberField
      label={label}
      hint={hint}
      value={value[key]}
      onChange={(v) => set(key, v)}
      error={errors[key]}
      min={RANGES[key].min}
      max={RANGES[key].max}
      step={step ?? (RANGES[key].integer ? '1' : 'any')}
      placeholder={defaults[key] !== undefined ? `Default: ${defaults[key]}` : 'Platform default'}
      disabled={disabled}
    />
  );
  return (
    <div className="stack">
      <fieldset className="fieldset">
        <legend>Chunking (applies to documents processed from now on)</legend>
        <FieldRow>
          {num('chunk_size', 'Chunk size', 'Characters per chunk, 100–8000')}
          {num('chunk_overlap', 'Chunk overlap', 'Characters shared by neighbouring chunks, below the chunk size')}
        </FieldRow>
      </fieldset>
      <fieldset className="fieldset">
        <legend>Retrieval</legend>
        <FieldRow>
          {num('top_k', 'Passages for chat (top k)', 'Passages retrieved per question, 1–100')}
          {num('similarity_threshold', 'Similarity threshold', 'Minimum relevance 0–1', '0.01')}
        </FieldRow>
        {models ? (
          <FieldRow>
            <SelectField
              label="Rerank model"
              hint={
                rerankModels.length === 0 && !bound
                  ? 'No rerank model is registered; an administrator can add one under Models.'
                  : 'Reorders the best hits of each search and chat; if it fails, results come back in retrieval order.'
              }
              value={bound?.model_id ?? ''}
              onChange={(id) =>
                onChange({
                  ...value,
                  rerank:
                    id === ''
                      ? undefined
                      : { ...(bound?.top_n !== undefined ? { top_n: bound.top_n } : {}), model_id: id },
                })
              }
              error={errors.rerank}
              placeholder="None (no reranking)"
              options={[
                ...(bound && !rerankModels.some((m) => m.id === bound.model_id)
                  ? [{ value: bound.model_id, label: 'A model no longer available' }]
                  : []),
                ...rerankModels.map((m) => ({ value: m.id, label: m.name })),
              ]}
              disabled={disabled}
              data-testid="rerank-model"
            />
            <NumberField
              label="Passages reranked (top n)"
              hint={`The best hits sent to the reranker, ${RERANK_TOP_N.min}–${RERANK_TOP_N.max}`}
              value={bound?.top_n}
              onChange={(v) =>
                bound &&
                onChange({ ...value, rerank: { model_id: bound.model_id, ...(v !== undefined ? { top_n: v } : {}) } })
              }
              error={errors.rerank_top_n}
              min={RERANK_TOP_N.min}
              max={RERANK_TOP_N.max}
              step="1"
              placeholder={`Default: ${RERANK_TOP_N.default}`}
              disabled={disabled || !bound}
            />
          </FieldRow>
        ) : null}
      </fieldset>
      <fieldset className="fieldset">
        <legend>Generation</legend>
        <FieldRow>
          {num('temperature', 'Temperature', '0–2; lower is more literal', '0.1')}
          {num('max_tokens', 'Max answer tokens', '1–32768')}
        </FieldRow>
        <TextAreaField
          label="System prompt"
          hint="Instructions given to the generation model before every question. Empty uses the platform's prompt."
          value={value.system_prompt ?? ''}
          onChange={(v) => set('system_prompt', v === '' ? undefined : v)}
          error={errors.system_prompt}
          rows={3}
          maxLength={8000}
          placeholder={defaults.system_prompt ? defaults.system_prompt.slice(0, 200) : 'Platform default'}
          disabled={disabled}
        />
      </fieldset>
    </div>
  );
}
