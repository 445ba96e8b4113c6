/** The outcome of a connection test: success or failure, the provider's message, timing. */
import { useEffect, useRef } from 'react';
import { formatDateTime, formatMs } from '../../../components/format.ts';

export interface TestResult {
  success: boolean;
  message: string;
  latency_ms: number;
  details?: Record<string, unknown>;
  tested_at: string;
}

export function ConnectionResult({ result, title }: { result: TestResult; title?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  // A new result scrolls into view: the button that asked for it may be far away (dialog footer).
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs for each new result
  useEffect(() => {
    ref.current?.scrollIntoView?.({ block: 'nearest' });
  }, [result]);
  const details = Object.entries(result.details ?? {}).filter(([, v]) => v !== null && v !== undefined && v !== '');
  return (
    <div
      ref={ref}
      className={`result ${result.success ? 'result-success' : 'result-failure'}`}
      role="status"
      data-testid="connection-result"
      data-success={result.success}
    >
      <span className="result-icon" aria-hidden="true">
        {result.success ? '✓' : '✕'}
      </span>
      <div className="stack-tight">
        <strong>{title ?? (result.success ? 'Connection works' : 'Connection failed')}</strong>
        <span>{result.message}</span>
        <span className="muted">
          {formatMs(result.latency_ms)} · tested {formatDateTime(result.tested_at)}
        </span>
        {details.length > 0 ? (
          <span className="kv-inline">
            {details.map(([k, v]) => (
              <span key={k}>
                {k.replace(/_/g, ' ')}: <code>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</code>
              </span>
            ))}
          </span>
        ) : null}
      </div>
    </div>
  );
}
