import { useRef, useState, type KeyboardEvent } from 'react';
import { Link } from 'react-router-dom';
import { LIMITS, type BusinessPlan } from '../../supabase/functions/_shared/schema.ts';
import { renamePlan } from '../api.ts';
import { DeletePlan } from './DeletePlanDialog.tsx';
import { checkTitle, lastSavedWords } from './plan-list.ts';
import type { PlanChange } from './use-plans.ts';

/**
 * One plan of the list: its title as a link (contract §4), when it was last saved, and inline
 * rename (Enter or leaving the field saves, Escape cancels) and delete.
 */
export function PlanItem({
  plan,
  tell,
  onDeleted,
}: {
  plan: BusinessPlan;
  tell(change: PlanChange): void;
  /** After the server deleted it: this item and its buttons are gone, so focus goes elsewhere. */
  onDeleted(plan: BusinessPlan): void;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(plan.title);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const renameButton = useRef<HTMLButtonElement>(null);
  // Leaving the field saves only while it is open: not after Escape, nor after a save closed it.
  const open = useRef(false);
  const inFlight = useRef(false);
  const errorId = `rename-error-${plan.id}`;

  const start = () => {
    setDraft(plan.title);
    setError(null);
    open.current = true;
    setEditing(true);
  };
  const finish = () => {
    open.current = false;
    setEditing(false);
    setError(null);
    // Back where the author started, for the keyboard.
    requestAnimationFrame(() => renameButton.current?.focus());
  };
  const save = async () => {
    if (inFlight.current || !open.current) return;
    const checked = checkTitle(draft, LIMITS.maxTitleLength);
    if (!checked.ok) return setError(checked.message);
    if (checked.title === plan.title) return finish();
    inFlight.current = true;
    setSaving(true);
    setError(null);
    const result = await renamePlan(plan.id, checked.title);
    inFlight.current = false;
    setSaving(false);
    // Nothing is lost: the new title stays in the field until it is saved or the author cancels.
    if (!result.ok)
      return setError(
        `The title was not saved: ${result.message} Press Enter to try again, or Escape to keep “${plan.title}”.`,
      );
    tell({ type: 'saved', plan: result.value });
    finish();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      void save();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      finish();
    }
  };

  const saved = lastSavedWords(plan);
  return (
    <li data-plan-id={plan.id}>
      {editing ? (
        <span className="plan-rename">
          <label>
            New title
            <input
              value={draft}
              maxLength={LIMITS.maxTitleLength}
              autoFocus
              onFocus={(e) => e.currentTarget.select()}
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={onKeyDown}
              onBlur={() => void save()}
              aria-invalid={error !== null}
              aria-describedby={error ? errorId : undefined}
              readOnly={saving}
            />
          </label>
          {saving && <span className="help">Saving…</span>}
        </span>
      ) : (
        <Link to={`/plans/${plan.id}/section-one`}>{plan.title}</Link>
      )}{' '}
      {saved && (
        <time className="help" dateTime={plan.updated_at}>
          {saved}
        </time>
      )}{' '}
      {!editing && (
        <button
          type="button"
          className="link"
          ref={renameButton}
          onClick={start}
          aria-label={`Rename ${plan.title}`}
        >
          Rename
        </button>
      )}{' '}
      <DeletePlan
        plan={plan}
        onDeleted={() => {
          tell({ type: 'deleted', planId: plan.id });
          onDeleted(plan);
        }}
      />
      {error && (
        <p role="alert" className="error" id={errorId}>
          {error}
        </p>
      )}
    </li>
  );
}
