import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import type { ReactNode } from 'react';
import { useAuth } from './auth.ts';
import { LoginPage } from './routes/LoginPage.tsx';
import { PlansPage } from './routes/PlansPage.tsx';
import { SectionPage } from './routes/SectionPage.tsx';

function RequireSession({ children }: { children: ReactNode }) {
  const auth = useAuth();
  if (auth.loading) return <p className="loading">Loading…</p>;
  if (!auth.session) return <Navigate to="/login" replace />;
  return children;
}

export function App() {
  return (
    <BrowserRouter>
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
