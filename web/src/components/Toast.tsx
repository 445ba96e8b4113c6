/** Short confirmations and failures that do not belong to one form ("Model saved"). */
import { createContext, type ReactNode, useCallback, useContext, useMemo, useRef, useState } from 'react';
import { type ApiError, toApiError } from '../api/client.ts';

interface ToastItem {
  id: number;
  tone: 'success' | 'error' | 'info';
  message: string;
  detail?: string | undefined;
}

interface ToastApi {
  success(message: string): void;
  info(message: string): void;
  /** An error toast with the server's message and code. */
  error(error: ApiError | unknown, prefix?: string): void;
}

const ToastContext = createContext<ToastApi | undefined>(undefined);

export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setItems((all) => all.filter((t) => t.id !== id)), []);
  const push = useCallback(
    (item: Omit<ToastItem, 'id'>) => {
      const id = next.current++;
      setItems((all) => [...all.slice(-3), { ...item, id }]);
      window.setTimeout(() => dismiss(id), item.tone === 'error' ? 10_000 : 5_000);
    },
    [dismiss],
  );
  const api = useMemo<ToastApi>(
    () => ({
      success: (message) => push({ tone: 'success', message }),
      info: (message) => push({ tone: 'info', message }),
      error: (error, prefix) => {
        const e = toApiError(error);
        push({ tone: 'error', message: prefix ? `${prefix}: ${e.message}` : e.message, detail: e.code });
      },
    }),
    [push],
  );
  return (
    <ToastContext.Provider value={api}>
      {children}
      <div className="toasts" aria-live="polite" aria-atomic="false">
        {items.map((t) => (
          <div key={t.id} className={`toast toast-${t.tone}`} role={t.tone === 'error' ? 'alert' : 'status'}>
            <span className="toast-message">{t.message}</span>
            {t.detail ? <code className="toast-detail">{t.detail}</code> : null}
            <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): ToastApi {
  const toast = useContext(ToastContext);
  if (!toast) throw new Error('useToast outside ToastProvider');
  return toast;
}
