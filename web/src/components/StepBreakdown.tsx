/**
 * 7-27: a document's processing steps (upload → parse → chunk → embed → index), each
 * with its status, timing, and for a failed step the error (tooltip on the badge, and
 * spelled out in the breakdown).
 */
import { formatMs } from './format.ts';
import { Tooltip } from './Layout.tsx';
import { StatusBadge } from './StatusBadge.tsx';

export const STEP_ORDER = ['upload', 'parse', 'chunk', 'embed', 'index'] as const;
export type StepName = (typeof STEP_ORDER)[number];
export type StepState = 'pending' | 'in_progress' | 'done' | 'error' | 'skipped';

export interface StepInfo {
  status: StepState;
  started_at: string | null;
  completed_at: string | null;
}
export type ProcessingSteps = Record<StepName, StepInfo>;

const LABELS: Record<StepState, string> = {
  pending: 'pending',
  in_progress: 'in progress',
  done: 'done',
  error: 'failed',
  skipped: 'skipped',
};

/** The badge of one step; a failed step shows its error on hover and keyboard focus. */
export function StepStatusBadge({ status, error }: { status: StepState; error?: string | undefined }) {
  const badge = <StatusBadge status={status}>{LABELS[status]}</StatusBadge>;
  if (status === 'error' && error) return <Tooltip content={error}>{badge}</Tooltip>;
  return badge;
}

function durationOf(step: StepInfo): string | undefined {
  if (!step.started_at) return undefined;
  const end = step.completed_at ? new Date(step.completed_at).getTime() : Date.now();
  return formatMs(end - new Date(step.started_at).getTime());
}

export function StepBreakdown({
  steps,
  errors,
  label,
}: {
  steps: ProcessingSteps | null;
  errors?: Record<string, string> | null;
  /** Accessible name, e.g. "Processing steps of report.pdf". */
  label: string;
}) {
  if (!steps) return <p className="muted">No step information yet.</p>;
  return (
    <ol className="steps" aria-label={label}>
      {STEP_ORDER.map((name) => {
        const step = steps[name];
        const error = errors?.[name];
        const duration = durationOf(step);
        return (
          <li key={name} className={`step ${step.status === 'error' ? 'step-error' : ''}`} data-step={name}>
            <span className="step-name">{name}</span>
            <StepStatusBadge status={step.status} error={error} />
            {duration ? <span className="step-time">{duration}</span> : null}
            {error ? <span className="step-error-text">{error}</span> : null}
          </li>
        );
      })}
    </ol>
  );
}

/** The one-line summary of steps for a table cell: the failed or current step. */
export function StepSummary({
  steps,
  errors,
  currentStep,
}: {
  steps: ProcessingSteps | null;
  errors?: Record<string, string> | null;
  currentStep?: string | null;
}) {
  if (!steps) return <span className="muted">—</span>;
  const failed = STEP_ORDER.find((s) => steps[s].status === 'error');
  if (failed) {
    return (
      <span className="row">
        <span className="step-name">{failed}</span>
        <StepStatusBadge status="error" error={errors?.[failed]} />
      </span>
    );
  }
  const running = (currentStep as StepName | null) ?? STEP_ORDER.find((s) => steps[s].status === 'in_progress');
  if (running && steps[running]) {
    return (
      <span className="row">
        <span className="step-name">{running}</span>
        <StepStatusBadge status={steps[running].status} />
      </span>
    );
  }
  const done = STEP_ORDER.filter((s) => steps[s].status === 'done').length;
  return (
    <span className="muted">
      {done}/{STEP_ORDER.length} steps done
    </span>
  );
}
