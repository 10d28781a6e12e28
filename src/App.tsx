import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { useEffect, useRef, type ReactNode } from 'react';
import { useAuth, userIdOf } from './auth.ts';
import { LoginPage } from './routes/LoginPage.tsx';
import { PlansPage } from './routes/PlansPage.tsx';
import { SectionPage } from './routes/SectionPage.tsx';

function RequireSession({ children }: { children: ReactNode }) {
  const auth = useAuth();
  if (auth.loading) return <p className="loading">Loading…</p>;
  if (!auth.session) return <Navigate to="/login" replace />;
  return children;
}

/** The user this tab showed signed out or was replaced (in any tab): leave their pages. */
function LeaveOnSignOut() {
  const auth = useAuth();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const shown = useRef<string | null>(null);
  const userId = userIdOf(auth);
  useEffect(() => {
    if (auth.loading) return;
    const before = shown.current;
    shown.current = userId;
    if (before !== null && userId !== before && pathname !== '/login')
      void navigate('/login', { replace: true });
  }, [auth.loading, userId, pathname, navigate]);
  return null;
}

export function App() {
  return (
    <BrowserRouter>
      <LeaveOnSignOut />
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route
          path="/plans"
          element={
            <RequireSession>
              <PlansPage />
            </RequireSession>
          }
        />
        <Route
          path="/plans/:planId/:sectionKey"
          element={
            <RequireSession>
              <SectionPage />
            </RequireSession>
          }
        />
        <Route path="*" element={<Navigate to="/plans" replace />} />
      </Routes>
    </BrowserRouter>
  );
}
