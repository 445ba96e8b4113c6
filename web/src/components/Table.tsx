/**
 * A data table with optional row selection (checkboxes) and expandable rows. At 640 px
 * and below each row becomes a card (CSS only, the markup stays a table): no sideways
 * scrolling, the actions in reach, secondary cells prefixed with their column's name.
 */
import { Fragment, type ReactNode, useId } from 'react';

export interface Column<T> {
  key: string;
  header: ReactNode;
  render: (row: T) => ReactNode;
  align?: 'left' | 'right' | 'center';
  /** CSS width, e.g. '8rem'. */
  width?: string;
  /** Hidden below 640 px to keep the essentials readable on phones. */
  hideOnMobile?: boolean;
  /** The column's name on a phone's card, when `header` is not plain text. */
  label?: string;
}

export interface TableProps<T> {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  /** Accessible name of the table. */
  label: string;
  selection?: {
    selected: ReadonlySet<string>;
    onChange: (next: Set<string>) => void;
    /** Rows that cannot be selected (e.g. not FAILED). */
    canSelect?: (row: T) => boolean;
    rowLabel: (row: T) => string;
  };
  expansion?: {
    expanded: ReadonlySet<string>;
    onToggle: (key: string) => void;
    render: (row: T) => ReactNode;
    rowLabel: (row: T) => string;
  };
  rowClassName?: (row: T) => string | undefined;
}

export function Table<T>({ columns, rows, rowKey, label, selection, expansion, rowClassName }: TableProps<T>) {
  const id = useId();
  const selectable = selection ? rows.filter((r) => selection.canSelect?.(r) ?? true) : [];
  const allSelected =
    selection !== undefined && selectable.length > 0 && selectable.every((r) => selection.selected.has(rowKey(r)));
  const someSelected = selection !== undefined && selectable.some((r) => selection.selected.has(rowKey(r)));
  const span = columns.length + (selection ? 1 : 0) + (expansion ? 1 : 0);

  return (
    // Focusable and named: on a phone the frame scrolls sideways, and a keyboard must reach
    // the columns it hides (axe scrollable-region-focusable).
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus to be scrolled by keyboard
    <section className="table-frame" tabIndex={0} aria-label={label}>
      <table className="table" aria-label={label}>
        <thead>
          <tr>
            {expansion ? <th className="col-narrow" aria-label="Details" /> : null}
            {selection ? (
              <th className="col-narrow">
                <input
                  type="checkbox"
                  aria-label="Select all"
                  checked={allSelected}
                  ref={(el) => {
                    if (el) el.indeterminate = someSelected && !allSelected;
                  }}
                  disabled={selectable.length === 0}
                  onChange={(e) => {
                    const next = new Set(selection.selected);
                    for (const r of selectable) {
                      if (e.target.checked) next.add(rowKey(r));
                      else next.delete(rowKey(r));
                    }
                    selection.onChange(next);
                  }}
                />
              </th>
            ) : null}
            {columns.map((c) => (
              <th
                key={c.key}
                scope="col"
                style={{ width: c.width, textAlign: c.align }}
                className={c.hideOnMobile ? 'hide-mobile' : undefined}
              >
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const key = rowKey(row);
            const open = expansion?.expanded.has(key) ?? false;
            const detailId = `${id}-${key}`;
            return (
              <Fragment key={key}>
                <tr className={`${rowClassName?.(row) ?? ''} ${open ? 'row-open' : ''}`} data-row-key={key}>
                  {expansion ? (
                    <td className="col-narrow">
                      <button
                        type="button"
                        className="expander"
                        aria-expanded={open}
                        aria-controls={open ? detailId : undefined}
                        aria-label={`${open ? 'Hide' : 'Show'} details of ${expansion.rowLabel(row)}`}
                        onClick={() => expansion.onToggle(key)}
                      >
                        <span aria-hidden="true">{open ? '▾' : '▸'}</span>
                      </button>
                    </td>
                  ) : null}
                  {selection ? (
                    <td className="col-narrow">
                      <input
                        type="checkbox"
                        aria-label={`Select ${selection.rowLabel(row)}`}
                        checked={selection.selected.has(key)}
                        disabled={!(selection.canSelect?.(row) ?? true)}
                        onChange={(e) => {
                          const next = new Set(selection.selected);
                          if (e.target.checked) next.add(key);
                          else next.delete(key);
                          selection.onChange(next);
                        }}
                      />
                    </td>
                  ) : null}
                  {columns.map((c, i) => (
                    <td
                      key={c.key}
                      className={
                        [c.hideOnMobile ? 'hide-mobile' : '', c.align && c.align !== 'left' ? `align-${c.align}` : '']
                          .filter(Boolean)
                          .join(' ') || undefined
                      }
                      // The first column is the card's title; the others say what they are.
                      data-label={
                        i === 0 ? undefined : (c.label ?? (typeof c.header === 'string' ? c.header : undefined))
                      }
                    >
                      {c.render(row)}
                    </td>
                  ))}
                </tr>
                {expansion && open ? (
                  <tr className="row-detail" id={detailId}>
                    <td colSpan={span}>{expansion.render(row)}</td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
