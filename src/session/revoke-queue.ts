// Sign-out ends the session on this device at once; telling the server (POST /auth/v1/logout) may
// have to wait for the network. The sessions still to revoke wait in storage, so a reload, another
// tab or the next start sends them. Pure of the browser: storage and fetch are given.
import { z } from 'zod';

export interface PendingRevoke {
  accessToken: string;
  /** Renews an access token that expired while offline, to revoke the session with it. */
  refreshToken?: string;
  /** `global`: every session of the user ends ("Sign out everywhere"); absent: this one. */
  scope?: 'global';
}

export interface RevokeQueueDeps {
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  fetch: typeof fetch;
  /** The Supabase project URL. */
  url: string;
  /** The publishable (anon) key, sent as `apikey` as supabase-js does. */
  apikey: string;
}

export const REVOKE_QUEUE_KEY = 'mpfs-pending-logout';

const QueueSchema = z.array(
  z.object({
    accessToken: z.string().min(1),
    refreshToken: z.string().min(1).optional(),
    scope: z.literal('global').optional(),
  }),
);

/** done: the server has nothing live of it any more; retry: it couldn't be told yet. */
export type RevokeOutcome = 'done' | 'retry';

export function createRevokeQueue(deps: RevokeQueueDeps) {
  const read = (): PendingRevoke[] => {
    try {
      const parsed = QueueSchema.safeParse(
        JSON.parse(deps.storage.getItem(REVOKE_QUEUE_KEY) ?? '[]'),
      );
      return parsed.success ? parsed.data : [];
    } catch {
      return [];
    }
  };
  const write = (entries: PendingRevoke[]) =>
    entries.length === 0
      ? deps.storage.removeItem(REVOKE_QUEUE_KEY)
      : deps.storage.setItem(REVOKE_QUEUE_KEY, JSON.stringify(entries));

  const post = async (path: string, init: { token?: string; body?: unknown }) => {
    try {
      const res = await deps.fetch(`${deps.url}/auth/v1/${path}`, {
        method: 'POST',
        headers: {
          apikey: deps.apikey,
          authorization: `Bearer ${init.token ?? deps.apikey}`,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: init.body === undefined ? null : JSON.stringify(init.body),
      });
      return {
        status: res.status,
        body: res.ok ? ((await res.json().catch(() => null)) as unknown) : null,
      };
    } catch {
      return { status: 0, body: null };
    }
  };
  // 401/403/404: that token (or its session) is already no good; 0, 429, 5xx: try again later.
  const gone = (status: number) => status === 401 || status === 403 || status === 404;
  const logout = async (
    token: string,
    scope: 'global' | 'local',
  ): Promise<RevokeOutcome | 'expired'> => {
    const { status } = await post(`logout?scope=${scope}`, { token });
    if (status >= 200 && status < 300) return 'done';
    return gone(status) ? 'expired' : 'retry';
  };

  async function revoke(entry: PendingRevoke): Promise<RevokeOutcome> {
    const scope = entry.scope ?? 'local';
    const first = await logout(entry.accessToken, scope);
    if (first !== 'expired') return first;
    if (!entry.refreshToken) return 'done';
    // The access token ran out while we waited: renew it once, only to end its session.
    const renewed = await post('token?grant_type=refresh_token', {
      body: { refresh_token: entry.refreshToken },
    });
    if (renewed.status >= 400 && renewed.status < 500 && renewed.status !== 429) return 'done';
    const token = z.object({ access_token: z.string().min(1) }).safeParse(renewed.body);
    if (!token.success) return 'retry';
    const second = await logout(token.data.access_token, scope);
    return second === 'retry' ? 'retry' : 'done';
  }

  return {
    pending: read,
    /**
     * Remembers a session to revoke, once per access token, keeping a refresh token known before
     * and a `global` scope asked before (the wider sign-out wins).
     */
    add(entry: PendingRevoke): void {
      const all = read();
      const known = all.find((e) => e.accessToken === entry.accessToken);
      const refreshToken = entry.refreshToken ?? known?.refreshToken;
      const scope = entry.scope ?? known?.scope;
      write([
        ...all.filter((e) => e !== known),
        {
          accessToken: entry.accessToken,
          ...(refreshToken ? { refreshToken } : {}),
          ...(scope ? { scope } : {}),
        },
      ]);
    },
    /** Sends every queued revocation; keeps those that couldn't be sent. */
    async flush(): Promise<PendingRevoke[]> {
      for (const entry of read()) {
        const outcome = await revoke(entry);
        if (outcome === 'done') write(read().filter((e) => e.accessToken !== entry.accessToken));
      }
      return read();
    },
  };
}
