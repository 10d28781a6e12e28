// The seed's design, as the plan for the editor we replace describes it (bench only, never
// shipped): each tab has its own zustand store persisted to localStorage with `persist`, kept in
// step by the `storage` event with setState(newState, true), and its own debounced autosave that
// PUTs the whole section with the version it last saw; a 409 is reported as a conflict.
import { createRoot } from 'react-dom/client';
import { useStore } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import { createStore } from 'zustand/vanilla';
import type { SectionData } from '../../supabase/functions/_shared/schema.ts';
import { SAVE_DEBOUNCE_MS } from '../../worker/engine/constants.ts';
import { SECTIONS } from '../../src/sections/sections.ts';

interface SeedState {
  data: SectionData;
  version: number;
}

/** What the bench reads back: this tab's requests and what they got. */
const stats = { puts: 0, ok: 0, conflicts: 0, errors: 0, status: 'saved' };
const auth = (window as unknown as { __benchSeed?: { token: string } }).__benchSeed;
const params = new URLSearchParams(location.search);
const planId = params.get('planId') ?? '';
const sectionKey = params.get('key') ?? 'section-one';
const section = SECTIONS.find((s) => s.key === sectionKey) ?? SECTIONS[0]!;
const name = `seed-section:${planId}/${sectionKey}`;
const url = `${location.origin}/functions/v1/plan-sections/${sectionKey}`;
const headers = {
  authorization: `Bearer ${auth?.token ?? ''}`,
  'content-type': 'application/json',
};

const store = createStore<SeedState>()(
  persist(() => ({ data: {}, version: 0 }), {
    name,
    storage: createJSONStorage(() => localStorage),
  }),
);

// Another tab wrote the store: take its state whole.
window.addEventListener('storage', (event) => {
  if (event.key !== name || !event.newValue) return;
  const parsed = JSON.parse(event.newValue) as { state: SeedState };
  store.setState(parsed.state, true);
});

let timer: ReturnType<typeof setTimeout> | null = null;
let inFlight = 0;
async function save(): Promise<void> {
  const { data, version } = store.getState();
  stats.puts += 1;
  inFlight += 1;
  try {
    const res = await fetch(url, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ planId, data, version }),
    });
    if (res.status === 200) {
      const body = (await res.json()) as { data: { version: number } };
      stats.ok += 1;
      stats.status = 'saved';
      store.setState({ version: body.data.version });
    } else if (res.status === 409) {
      stats.conflicts += 1;
      stats.status = 'conflict';
    } else {
      stats.errors += 1;
      stats.status = 'error';
    }
  } catch {
    stats.errors += 1;
    stats.status = 'error';
  } finally {
    inFlight -= 1;
  }
}
// Autosave whenever the section's data changes, from this tab's typing or another tab's.
store.subscribe((state, previous) => {
  // By content: a storage event replaces the object even when only the version moved.
  if (JSON.stringify(state.data) === JSON.stringify(previous.data)) return;
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    void save();
  }, SAVE_DEBOUNCE_MS);
});

function Seed() {
  const data = useStore(store, (s) => s.data);
  return (
    <form onSubmit={(e) => e.preventDefault()}>
      {section.fields.map((f) => {
        const value = data[f.name];
        return (
          <div key={f.name}>
            <label htmlFor={`field-${f.name}`}>{f.label}</label>
            <textarea
              id={`field-${f.name}`}
              name={f.name}
              value={typeof value === 'string' ? value : ''}
              onChange={(e) =>
                store.setState((s) => ({ data: { ...s.data, [f.name]: e.target.value } }))
              }
            />
          </div>
        );
      })}
    </form>
  );
}

async function start() {
  const res = await fetch(`${url}?planId=${planId}`, { headers });
  if (res.status === 200) {
    const body = (await res.json()) as { data: { data: SectionData; version: number } };
    if (body.data.version > store.getState().version)
      store.setState({ data: body.data.data, version: body.data.version });
  }
  Object.assign(window, { __seedStats: stats, __seedIdle: () => timer === null && inFlight === 0 });
  createRoot(document.getElementById('root')!).render(<Seed />);
  document.body.dataset.ready = '1';
}
void start();
