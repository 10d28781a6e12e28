import * as AlertDialog from '@radix-ui/react-alert-dialog';
import type { SectionData } from '../../supabase/functions/_shared/schema.ts';
import type { ConflictInfo } from '../../worker/protocol.ts';
import type { SectionDefinition } from '../sections/sections.ts';

const show = (value: unknown) =>
  value === undefined || value === ''
    ? '(empty)'
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);

interface Props {
  open: boolean;
  section: SectionDefinition;
  mine: SectionData;
  conflict: ConflictInfo;
  busy: boolean;
  onRefresh(): void;
  onOverwrite(): void;
  onCancel(): void;
}

/** The author decides between the server's values and their own for the fields both changed. */
export function ConflictDialog({
  open,
  section,
  mine,
  conflict,
  busy,
  onRefresh,
  onOverwrite,
  onCancel,
}: Props) {
  const differing = section.fields.filter(
    (f) => JSON.stringify(mine[f.name] ?? '') !== JSON.stringify(conflict.serverData[f.name] ?? ''),
  );
  return (
    <AlertDialog.Root open={open} onOpenChange={(next) => !next && onCancel()}>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="dialog-overlay" />
        <AlertDialog.Content className="dialog">
          <AlertDialog.Title>This section was changed on another device</AlertDialog.Title>
          <AlertDialog.Description>
            The server has version {conflict.serverVersion}. Choose which values to keep.
          </AlertDialog.Description>
          <table className="conflict-fields">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">On the server</th>
                <th scope="col">Yours</th>
              </tr>
            </thead>
            <tbody>
              {differing.map((f) => (
                <tr key={f.name}>
                  <th scope="row">{f.label}</th>
                  <td>{show(conflict.serverData[f.name])}</td>
                  <td>{show(mine[f.name])}</td>
                </tr>
              ))}
            </tbody>
          </table>
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
