/**
 * 7-8 Two panels side by side (stacked on narrow screens) with a draggable, keyboard
 * operable divider. Each panel is its own scroll container with a fixed height from the
 * grid, so scrolling one never moves the other or the page — before and after resizing.
 */
import {
  type CSSProperties,
  type KeyboardEvent,
  type PointerEvent,
  type ReactNode,
  type Ref,
  useEffect,
  useRef,
  useState,
} from 'react';

const MIN = 20;
const MAX = 80;
const clamp = (v: number) => Math.min(MAX, Math.max(MIN, v));

function useNarrow(query: string): boolean {
  const [narrow, setNarrow] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const mq = window.matchMedia(query);
    const on = () => setNarrow(mq.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, [query]);
  return narrow;
}

export function SplitPane({
  first,
  second,
  firstLabel,
  secondLabel,
  initial = 55,
  storageKey,
  firstRef,
  secondRef,
}: {
  first: ReactNode;
  second: ReactNode;
  /** Accessible names of the two panels (regions). */
  firstLabel: string;
  secondLabel: string;
  /** Share of the first panel in percent (20–80). */
  initial?: number;
  /** Remembers the user's split in localStorage under this key. */
  storageKey?: string;
  firstRef?: Ref<HTMLElement>;
  secondRef?: Ref<HTMLElement>;
}) {
  const stacked = useNarrow('(max-width: 760px)');
  const [split, setSplit] = useState(() => {
    const saved = storageKey ? Number(window.localStorage.getItem(storageKey)) : Number.NaN;
    return Number.isFinite(saved) && saved > 0 ? clamp(saved) : clamp(initial);
  });
  const [dragging, setDragging] = useState(false);
  const container = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (storageKey) window.localStorage.setItem(storageKey, String(Math.round(split * 10) / 10));
  }, [split, storageKey]);

  const fromPointer = (e: PointerEvent) => {
    const rect = container.current?.getBoundingClientRect();
    if (!rect) return;
    const v = stacked ? ((e.clientY - rect.top) / rect.height) * 100 : ((e.clientX - rect.left) / rect.width) * 100;
    setSplit(clamp(v));
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const less = stacked ? 'ArrowUp' : 'ArrowLeft';
    const more = stacked ? 'ArrowDown' : 'ArrowRight';
    const step = e.shiftKey ? 10 : 2;
    if (e.key === less) setSplit((s) => clamp(s - step));
    else if (e.key === more) setSplit((s) => clamp(s + step));
    else if (e.key === 'Home') setSplit(MIN);
    else if (e.key === 'End') setSplit(MAX);
    else return;
    e.preventDefault();
  };

  return (
    <div
      ref={container}
      className={`split ${stacked ? 'split-stacked' : 'split-side'} ${dragging ? 'split-dragging' : ''}`}
      style={{ '--split': `${split}%` } as CSSProperties}
      data-testid="split-pane"
    >
      {/* Scroll containers take focus so the keyboard can scroll them (arrow keys, Page Down). */}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable */}
      <section ref={firstRef} className="split-panel" aria-label={firstLabel} tabIndex={0} data-testid="split-first">
        {first}
      </section>
      {/* biome-ignore lint/a11y/useSemanticElements: a focusable separator is the WAI-ARIA window splitter; <hr> cannot take focus */}
      <div
        role="separator"
        tabIndex={0}
        aria-label="Resize the panels"
        aria-orientation={stacked ? 'horizontal' : 'vertical'}
        aria-valuemin={MIN}
        aria-valuemax={MAX}
        aria-valuenow={Math.round(split)}
        aria-valuetext={`${firstLabel} ${Math.round(split)}%`}
        className="split-handle"
        data-testid="split-handle"
        onPointerDown={(e) => {
          if (e.button !== 0) return;
          e.preventDefault();
          e.currentTarget.setPointerCapture(e.pointerId);
          setDragging(true);
        }}
        onPointerMove={(e) => {
          if (dragging) fromPointer(e);
        }}
        onPointerUp={(e) => {
          if (!dragging) return;
          e.currentTarget.releasePointerCapture(e.pointerId);
          setDragging(false);
        }}
        onPointerCancel={() => setDragging(false)}
        onDoubleClick={() => setSplit(clamp(initial))}
        onKeyDown={onKeyDown}
      >
        <span className="split-grip" aria-hidden="true" />
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable */}
      <section ref={secondRef} className="split-panel" aria-label={secondLabel} tabIndex={0} data-testid="split-second">
        {second}
      </section>
    </div>
  );
}
