import { NavLink } from 'react-router-dom';
import { useStore } from 'zustand';
import type { SectionKey } from '../../supabase/functions/_shared/schema.ts';
import type { SaveStatus } from '../../worker/protocol.ts';
import { SECTIONS } from '../sections/sections.ts';
import { navStatusKey, navStatusStore } from '../stores/nav-status-store.ts';
import { NAV_STATUS_WORDS, navLabel, navStatusOf } from './nav-status.ts';
import { StatusIcon } from './SaveStatus.tsx';

/**
 * The five sections, each with its own status (R24) in words and an icon; the current one is
 * marked with aria-current (NavLink does it).
 */
export function SectionNav({
  planId,
  current,
  currentStatus,
}: {
  planId: string;
  current: SectionKey;
  /** This tab's status of the current section; null until it has loaded. */
  currentStatus: SaveStatus | null;
}) {
  const byId = useStore(navStatusStore, (s) => s.byId);
  return (
    <nav aria-label="Plan sections" className="section-nav">
      <ol>
        {SECTIONS.map((s, i) => {
          const status = navStatusOf(
            s.key === current,
            currentStatus,
            byId[navStatusKey(planId, s.key)],
          );
          return (
            <li key={s.key}>
              <NavLink
                to={`/plans/${planId}/${s.key}`}
                aria-label={navLabel(s.title, status)}
                data-state={status ?? 'none'}
                data-testid={`nav-${s.key}`}
              >
                <span className="nav-number" aria-hidden="true">
                  {i + 1}
                </span>
                <span className="nav-text">
                  <span className="nav-title">{s.title}</span>
                  {status !== null && (
                    <span className={`nav-state nav-state-${status}`}>
                      <StatusIcon status={status} />
                      {NAV_STATUS_WORDS[status]}
                    </span>
                  )}
                </span>
              </NavLink>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
