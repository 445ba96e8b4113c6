/**
 * 7-10: choosing a KB's embedding or generation model among the active ones, with what
 * matters about the chosen model shown right away (provider, dimensions and metric, or
 * context window and output limit). A locked choice says why it is locked.
 */
import type { ReactNode } from 'react';
import { SelectField } from '../../components/Field.tsx';
import { formatNumber, formatRelative } from '../../components/format.ts';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import type { AvailableModel, KbModel } from './kbApi.ts';

const PROVIDERS: Record<string, string> = {
  local: 'Built-in (local)',
  ollama: 'Ollama',
  lmstudio: 'LM Studio',
  openai: 'OpenAI',
  azure: 'Azure OpenAI',
  anthropic: 'Anthropic',
  cohere: 'Cohere',
  google: 'Google Gemini',
  custom: 'Custom (OpenAI-compatible)',
};
export const providerLabel = (provider: string): string => PROVIDERS[provider] ?? provider;

interface AnyModel {
  id: string;
  name: string;
  provider: string;
  model_id: string;
  config: Record<string, unknown>;
  is_default: boolean;
  status?: string;
  /** The last connection test (available models only). */
  health?: 'healthy' | 'unhealthy' | 'unknown';
  health_message?: string | null;
  health_checked_at?: string | null;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The facts about a model that matter when choosing it for a KB. */
export function ModelFacts({ model, type }: { model: AnyModel; type: 'embedding' | 'generation' }) {
  const c = model.config;
  const facts: [string, ReactNode][] = [
    ['Provider', providerLabel(model.provider)],
    ['Model', <code key="m">{model.model_id}</code>],
  ];
  if (type === 'embedding') {
    facts.push(['Dimensions', formatNumber(num(c.dimensions))]);
    facts.push(['Distance', typeof c.distance_metric === 'string' ? c.distance_metric : 'cosine']);
    if (num(c.max_tokens) !== undefined) facts.push(['Max input', `${formatNumber(num(c.max_tokens))} tokens`]);
  } else {
    facts.push(['Context window', `${formatNumber(num(c.context_window))} tokens`]);
    if (num(c.max_output_tokens) !== undefined)
      facts.push(['Max output', `${formatNumber(num(c.max_output_tokens))} tokens`]);
    if (model.provider === 'local') facts.push(['Answers', 'quotes the sources (no LLM)']);
  }
  if (model.status && model.status !== 'active') facts.push(['Status', model.status]);
  return (
    <dl className="model-facts" data-testid={`model-info-${type}`}>
      {facts.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function ModelPicker({
  type,
  models,
  value,
  onChange,
  current,
  locked,
  hint,
  error,
}: {
  type: 'embedding' | 'generation';
  /** Active models of any type; only `type` is offered. */
  models: AvailableModel[];
  value: string;
  onChange: (id: string) => void;
  /** The model in use now, offered even when it is no longer active. */
  current?: KbModel | null;
  /** Why the choice cannot change (shown instead of the select being silently disabled). */
  locked?: string | null;
  hint?: ReactNode;
  error?: string;
}) {
  const options: AnyModel[] = models.filter((m) => m.type === type);
  if (current && !options.some((m) => m.id === current.id)) options.unshift(current);
  const selected = options.find((m) => m.id === value);
  const label = type === 'embedding' ? 'Embedding model' : 'Generation model';
  return (
    <div className="model-picker">
      <SelectField
        label={label}
        value={value}
        onChange={onChange}
        disabled={Boolean(locked)}
        hint={hint}
        error={error}
        placeholder={selected ? undefined : options.length === 0 ? 'No active model' : 'Choose a model'}
        options={options.map((m) => ({
          value: m.id,
          label: `${m.name}${m.provider === 'local' ? '' : ` · ${providerLabel(m.provider)}`}${m.is_default ? ' (default)' : ''}${
            m.status && m.status !== 'active' ? ` (${m.status})` : ''
          }${m.health === 'unhealthy' ? ' — unhealthy (last test failed)' : ''}`,
        }))}
      />
      {selected?.health === 'unhealthy' ? (
        <p className="lock-note" role="alert" data-testid={`model-unhealthy-${type}`}>
          <StatusBadge status="unhealthy" /> The last connection test of {selected.name} failed
          {selected.health_checked_at ? ` (${formatRelative(selected.health_checked_at)})` : ''}
          {selected.health_message ? `: ${selected.health_message}` : ''}. Knowledge bases that use it fail until it
          answers again; an administrator can test it under Models.
        </p>
      ) : null}
      {locked ? (
        <p className="lock-note" data-testid="embedding-lock">
          <span className="lock-badge">Locked</span> {locked}
        </p>
      ) : null}
      {selected ? <ModelFacts model={selected} type={type} /> : null}
    </div>
  );
}
