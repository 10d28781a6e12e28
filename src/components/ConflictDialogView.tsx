import * as AlertDialog from '@radix-ui/react-alert-dialog';
import { useRef } from 'react';
import type { SectionData } from '../../supabase/functions/_shared/schema.ts';
import type { ConflictView } from '../../worker/protocol.ts';
import type { SectionDefinition } from '../sections/sections.ts';

const show = (value: unknown) =>
  value === undefined || value === ''
    ? '(empty)'
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);

export interface ConflictDialogProps {
  open: boolean;
  section: SectionDefinition;
  mine: SectionData;
  conflict: ConflictView;
  busy: boolean;
  onRefresh(): void;
  onOverwrite(): void;
  onCancel(): void;
}

/** The fields to decide (M8), with their labels and what the author sees now. */
function conflictingFields(section: SectionDefinition, mine: SectionData, conflict: ConflictView) {
  return conflict.fields.map((c) => ({
    ...c,
    label: section.fields.find((f) => f.name === c.field)?.label ?? c.field,
    // Edits typed during the conflict count.
    mine: Object.hasOwn(mine, c.field) ? mine[c.field] : c.mine,
  }));
}

/**
 * The author decides between the server's values and their own, for the fields both devices
 * changed differently; everything else was merged already (docs/merge-rules.md, M7).
 */
export function ConflictDialogView({
  open,
  section,
  mine,
  conflict,
  busy,
  onRefresh,
  onOverwrite,
  onCancel,
}: ConflictDialogProps) {
  const fields = conflictingFields(section, mine, conflict);
  const device = conflict.source === 'device';
  const other = device ? 'The other copy' : 'On the server';
  // Radix returns focus to a Trigger; this dialog often opens by itself, so remember the field.
  const returnTo = useRef<HTMLElement | null>(null);
  return (
    <AlertDialog.Root open={open} onOpenChange={(next) => !next && onCancel()}>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="dialog-overlay" />
        {/* Radix: focus moves in, Escape = Cancel (onOpenChange), focus returns on close. */}
        <AlertDialog.Content
          className="dialog"
          onOpenAutoFocus={() => {
            returnTo.current =
              document.activeElement instanceof HTMLElement ? document.activeElement : null;
          }}
          onCloseAutoFocus={(event) => {
            event.preventDefault();
            if (returnTo.current?.isConnected) returnTo.current.focus();
          }}
        >
          <AlertDialog.Title>
            {device
              ? 'This section was changed in two places on this device'
              : 'This section was changed on another device'}
          </AlertDialog.Title>
          <AlertDialog.Description>
            {fields.length === 1 ? 'One field was' : `${fields.length} fields were`} changed on both
            sides{' '}
            {device
              ? '(another tab or an older copy of this app typed on an earlier value)'
              : `(server version ${conflict.serverVersion})`}
            . Your other changes are merged already. Choose which values to keep for these fields.
          </AlertDialog.Description>
          <table className="conflict-fields">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">{other}</th>
                <th scope="col">Yours</th>
              </tr>
            </thead>
            <tbody>
              {fields.map((f) => (
                <tr key={f.field} data-field={f.field}>
                  <th scope="row">{f.label}</th>
                  <td className="conflict-value">{show(f.theirs)}</td>
                  <td className="conflict-value">{show(f.mine)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {fields
            .filter((f) => f.overlaps && f.overlaps.length > 0)
            .map((f) => (
              <section
                key={f.field}
                className="conflict-overlaps"
                aria-label={`Overlap in ${f.label}`}
              >
                <h3>Where “{f.label}” overlaps</h3>
                <p className="help">
                  The other lines of this field were merged; these lines were changed on both sides.
                </p>
                {f.overlaps?.map((o, i) => (
                  <dl key={i}>
                    <dt>{other}</dt>
                    <dd>
                      <pre>{show(o.theirs)}</pre>
                    </dd>
                    <dt>Yours</dt>
                    <dd>
                      <pre>{show(o.mine)}</pre>
                    </dd>
                  </dl>
                ))}
              </section>
            ))}
          {/* M7: exactly what each button saves (long text: both sides' merged lines kept). */}
          <section className="conflict-saves" aria-label="What each button saves">
            {fields.map(
              (f) =>
                f.saves && (
                  <dl key={f.field} data-field={f.field}>
                    <dt>Refresh (Load Latest) saves “{f.label}” as</dt>
                    <dd>
                      <pre data-choice="refresh">{show(f.saves.refresh)}</pre>
                    </dd>
                    <dt>Overwrite (Keep Mine) saves “{f.label}” as</dt>
                    <dd>
                      <pre data-choice="overwrite">{show(f.saves.overwrite)}</pre>
                    </dd>
                  </dl>
                ),
            )}
          </section>
          <div className="actions">
            {/* Plain buttons, not AlertDialog.Action: the dialog closes when the conflict is gone. */}
            <button type="button" disabled={busy} onClick={onRefresh}>
              Refresh (Load Latest)
            </button>
            <button type="button" disabled={busy} onClick={onOverwrite}>
              Overwrite (Keep Mine)
            </button>
            <AlertDialog.Cancel asChild>
              <button type="button" disabled={busy}>
                Cancel
              </button>
            </AlertDialog.Cancel>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
