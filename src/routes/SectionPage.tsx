import { memo, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/shallow';
import {
  isSectionKey,
  UuidSchema,
  type SectionData,
  type SectionKey,
} from '../../supabase/functions/_shared/schema.ts';
import {
  PLAN_GONE_MESSAGE,
  SAVE_STATUS,
  WORKER_CODES,
  type ResolveChoice,
} from '../../worker/protocol.ts';
import { getAuthState } from '../auth.ts';
import { AutoGrowTextarea } from '../components/AutoGrowTextarea.tsx';
import { ConflictDialog } from '../components/ConflictDialog.tsx';
import { EditorHeader } from '../components/EditorHeader.tsx';
import { SaveStatus } from '../components/SaveStatus.tsx';
import { SectionNav } from '../components/SectionNav.tsx';
import { fieldTooLong } from '../sections/field-limit.ts';
import { progressText } from '../sections/progress.ts';
import {
  sectionByKey,
  type FieldDefinition,
  type SectionDefinition,
} from '../sections/sections.ts';
import { getSectionStore, type SectionStore } from '../stores/section-store.ts';
import { authSynced } from '../session/session-link.ts';
import { functionsUrl } from '../supabase-client.ts';
import { watchPlan } from '../sync/realtime.ts';
import { connectSync, onReloadRequired, type SyncClient } from '../sync/worker-client.ts';

export function SectionPage() {
  const { planId = '', sectionKey = '' } = useParams();
  const section = sectionByKey(sectionKey);
  if (!section || !isSectionKey(sectionKey) || !UuidSchema.safeParse(planId).success) {
    return (
      <main>
        <p role="alert" className="error">
          This address does not name a plan section. Go back to <Link to="/plans">your plans</Link>.
        </p>
      </main>
    );
  }
  return (
    <SectionEditor
      key={`${planId}/${sectionKey}`}
      planId={planId}
      section={section}
      sectionKey={sectionKey}
    />
  );
}

function useSyncClient() {
  const [client, setClient] = useState<SyncClient | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [reload, setReload] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    const auth = getAuthState();
    const token = auth.loading ? null : (auth.session?.access_token ?? null);
    // The session link (session/session-link.ts) keeps the worker told who is signed in; open
    // only once it has heard the latest.
    void connectSync(functionsUrl, token).then(async (result) => {
      await authSynced();
      if (!alive) return;
      if (result.ok) setClient(result.value);
      else setFailure(result.message);
    });
    const offReload = onReloadRequired(setReload);
    return () => {
      alive = false;
      offReload();
    };
  }, []);
  return { client, failure, reload };
}

function SectionEditor({
  planId,
  sectionKey,
  section,
}: {
  planId: string;
  sectionKey: SectionKey;
  section: SectionDefinition;
}) {
  const store = getSectionStore(planId, sectionKey);
  // Everything but the fields' values: a keystroke (here or in another tab) re-renders only its
  // field (FieldInput), not the whole editor.
  const state = useStore(
    store,
    useShallow((s) => ({
      loaded: s.loaded,
      status: s.status,
      message: s.message,
      conflict: s.conflict,
      failure: s.failure,
      savedAt: s.savedAt,
    })),
  );
  const { client, failure, reload } = useSyncClient();
  // The conflict (by server version) the author dismissed with Cancel; a newer one opens again.
  const [dismissed, setDismissed] = useState<number | null>(null);
  // The conflict this tab asked to see with Review conflict (it isn't the author's tab, or Cancel).
  // It stays open while the other device saves again, until Cancel or the conflict is gone.
  const [reviewing, setReviewing] = useState(false);
  const [inConflict, setInConflict] = useState(false);
  if (inConflict !== (state.conflict !== null)) {
    setInConflict(state.conflict !== null);
    if (state.conflict === null) setReviewing(false);
  }
  const [resolving, setResolving] = useState(false);
  const [tooLong, setTooLong] = useState<Record<string, string | null>>({});
  // The worker found no plan of this user's here: nothing is shown, nothing typed is kept.
  const [unavailable, setUnavailable] = useState(false);

  useEffect(() => {
    if (!client) return;
    let alive = true;
    void client.open(planId, sectionKey).then((result) => {
      if (!alive) return;
      // Its seq: a view or patch pushed meanwhile (another port) may be newer, or older.
      if (result.ok) store.view(result.value, result.value.seq ?? 0);
      else if (result.code === WORKER_CODES.NOT_AVAILABLE) setUnavailable(true);
      else store.fail(result.message);
    });
    return () => {
      alive = false;
      void client.close(planId, sectionKey);
    };
  }, [client, planId, sectionKey, store]);

  // M8: the dialog opens by itself only in the tab the author typed in or focused last; other
  // tabs offer it.
  const conflict = state.conflict;
  const authorHere = !conflict?.authorTab || conflict.authorTab === client?.tabId;
  const dialogOpen =
    conflict !== null && (reviewing || (authorHere && dismissed !== conflict.serverVersion));

  useEffect(() => {
    if (!client) return;
    return watchPlan(client, planId);
  }, [client, planId]);

  const type = (name: string, value: string) => {
    // A text too long to save is refused here, so it never blocks the section's saves.
    const tooLong = fieldTooLong(value);
    setTooLong((shown) => ({ ...shown, [name]: tooLong }));
    if (tooLong) return;
    const fields: SectionData = { [name]: value };
    // R21: what this keystroke was typed on, so the worker can tell a stale edit from a new one.
    const base = { [name]: store.getState().data[name] ?? null };
    store.typed(fields);
    if (!client) return;
    void client.edit(planId, sectionKey, fields, base).then((result) => {
      if (result.ok) store.acknowledged(fields, result.value.seq);
      else if (result.code === WORKER_CODES.NOT_AVAILABLE) setUnavailable(true);
      else {
        store.acknowledged(fields, Number.MAX_SAFE_INTEGER);
        store.fail(`${result.message} What you typed is still on screen.`);
      }
    });
  };

  const resolve = async (choice: ResolveChoice) => {
    if (!client) return;
    setResolving(true);
    const result = await client.resolveConflict(planId, sectionKey, choice);
    setResolving(false);
    if (!result.ok) store.fail(result.message);
  };

  const problem = failure ?? state.failure;
  // U7: the plan was deleted while open (another tab or device): the same page, and why.
  if (unavailable || state.message === PLAN_GONE_MESSAGE)
    return <PlanNotAvailable gone={state.message === PLAN_GONE_MESSAGE} />;
  return (
    <div className="editor-layout">
      <EditorHeader planId={planId} />
      <SectionNav
        planId={planId}
        current={sectionKey}
        currentStatus={state.loaded ? state.status : null}
      />
      <main>
        <h1>{section.title}</h1>
        <p className="intro">{section.intro}</p>
        {state.loaded && <SectionProgress store={store} section={section} />}
        <SaveStatus status={state.status} message={state.message} savedAt={state.savedAt} />
        {reload && (
          <p role="alert" className="error">
            {reload}{' '}
            <button type="button" onClick={() => window.location.reload()}>
              Reload
            </button>
          </p>
        )}
        {problem && (
          <p role="alert" className="error">
            {problem}
          </p>
        )}
        {/* Stays while the dialog is open, so focus can return to it. */}
        {state.status === SAVE_STATUS.conflict && conflict && (
          <button type="button" onClick={() => setReviewing(true)}>
            Review conflict
          </button>
        )}
        {!state.loaded && !problem && <p className="loading">Loading section…</p>}
        {state.loaded && (
          <form className="section-form" onSubmit={(e) => e.preventDefault()}>
            {section.fields.map((f) => (
              <FieldInput
                key={f.name}
                store={store}
                field={f}
                readOnly={reload !== null}
                tooLong={tooLong[f.name] ?? null}
                onType={type}
              />
            ))}
          </form>
        )}
        {state.status === SAVE_STATUS.conflict && state.conflict && (
          <ConflictDialogWithData
            store={store}
            open={dialogOpen}
            section={section}
            conflict={state.conflict}
            busy={resolving}
            onRefresh={() => void resolve('refresh')}
            onOverwrite={() => void resolve('overwrite')}
            onCancel={() => {
              setDismissed(state.conflict?.serverVersion ?? null);
              setReviewing(false);
            }}
          />
        )}
      </main>
    </div>
  );
}

/** A plan that doesn't exist or is another account's: said plainly, with no editor to type in. */
function PlanNotAvailable({ gone = false }: { gone?: boolean }) {
  return (
    <main className="not-available">
      <h1>This plan isn&apos;t available to you</h1>
      <p>
        {gone
          ? PLAN_GONE_MESSAGE
          : "It doesn't exist, or it belongs to another account. Nothing of it is shown here, and nothing typed here would be kept."}
      </p>
      <p>
        <Link to="/plans">All plans</Link>
      </p>
    </main>
  );
}

/** "N of M filled", following the fields' values on its own (the editor doesn't). */
function SectionProgress({ store, section }: { store: SectionStore; section: SectionDefinition }) {
  const data = useStore(store, (s) => s.data);
  return (
    <p className="progress" data-testid="section-progress">
      {progressText(section, data)}
    </p>
  );
}

/** One field, subscribed to its own value only. */
const FieldInput = memo(function FieldInput({
  store,
  field: f,
  readOnly,
  tooLong,
  onType,
}: {
  store: SectionStore;
  field: FieldDefinition;
  readOnly: boolean;
  tooLong: string | null;
  onType: (name: string, value: string) => void;
}) {
  const value = useStore(store, (s) => s.data[f.name]);
  const id = `field-${f.name}`;
  const text = typeof value === 'string' ? value : value == null ? '' : JSON.stringify(value);
  return (
    <div className="field">
      <label htmlFor={id}>{f.label}</label>
      <p className="help" id={`${id}-help`}>
        {f.help}
      </p>
      {f.multiline ? (
        <AutoGrowTextarea
          id={id}
          name={f.name}
          aria-describedby={`${id}-help`}
          rows={3}
          readOnly={readOnly}
          value={text}
          onChange={(e) => onType(f.name, e.target.value)}
        />
      ) : (
        <input
          id={id}
          name={f.name}
          aria-describedby={`${id}-help`}
          readOnly={readOnly}
          value={text}
          onChange={(e) => onType(f.name, e.target.value)}
        />
      )}
      {tooLong && (
        <p role="alert" className="error">
          {tooLong}
        </p>
      )}
    </div>
  );
});

/** The dialog, with this tab's values as they are now (the editor itself doesn't follow them). */
function ConflictDialogWithData({
  store,
  ...props
}: { store: SectionStore } & Omit<Parameters<typeof ConflictDialog>[0], 'mine'>) {
  const mine = useStore(store, (s) => s.data);
  return <ConflictDialog {...props} mine={mine} />;
}
