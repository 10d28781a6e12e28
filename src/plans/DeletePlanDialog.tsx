import * as AlertDialog from '@radix-ui/react-alert-dialog';
import { useRef, useState } from 'react';
import type { BusinessPlan } from '../../supabase/functions/_shared/schema.ts';
import { deletePlan } from '../api.ts';

interface Props {
  plan: BusinessPlan;
  /** The server deleted it. */
  onDeleted(): void;
}

/** "Delete" and its confirmation: names the plan and says its sections go with it (U7). */
export function DeletePlan({ plan, onDeleted }: Props) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const deleted = useRef(false);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    const result = await deletePlan(plan.id);
    setBusy(false);
    if (!result.ok)
      return setError(`The plan was not deleted: ${result.message} Try again, or cancel.`);
    deleted.current = true;
    setOpen(false);
    onDeleted();
  };

  return (
    <AlertDialog.Root
      open={open}
      onOpenChange={(next) => {
        if (busy) return;
        setOpen(next);
        setError(null);
      }}
    >
      <AlertDialog.Trigger asChild>
        <button type="button" className="link" aria-label={`Delete ${plan.title}`}>
          Delete
        </button>
      </AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="dialog-overlay" />
        <AlertDialog.Content
          className="dialog"
          // The trigger leaves with the plan: the page moves focus itself (onDeleted).
          onCloseAutoFocus={(e) => deleted.current && e.preventDefault()}
        >
          <AlertDialog.Title>Delete “{plan.title}”?</AlertDialog.Title>
          <AlertDialog.Description>
            The plan and all five of its sections are deleted for good, on every device, edits not
            yet saved included. Tabs that have it open say it is no longer available. This can’t be
            undone.
          </AlertDialog.Description>
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
          <div className="actions">
            <AlertDialog.Cancel asChild>
              <button type="button" disabled={busy}>
                Cancel
              </button>
            </AlertDialog.Cancel>
            {/* Not an AlertDialog.Action: it would close the dialog before the server answered. */}
            <button type="button" onClick={() => void confirm()} disabled={busy}>
              {busy ? 'Deleting…' : 'Delete plan'}
            </button>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
