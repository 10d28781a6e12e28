// The tabs of this browser profile tell each other about renamed, new and deleted plans (one
// BroadcastChannel); what arrives is checked with the schema before anyone reads it.
import { PlanNewsSchema, type PlanNews } from './plan-list.ts';

const CHANNEL = 'mpfs-plans';

let channel: BroadcastChannel | null = null;
const open = (): BroadcastChannel | null => {
  if (typeof BroadcastChannel === 'undefined') return null;
  channel ??= new BroadcastChannel(CHANNEL);
  return channel;
};

const listeners = new Set<(news: PlanNews) => void>();

/** Tells this tab's own listeners and every other tab (a channel never hears its own posts). */
export function announce(news: PlanNews): void {
  for (const listener of listeners) listener(news);
  open()?.postMessage(news);
}

/** Calls `listener` with each valid piece of news, from this tab or another. */
export function onPlanNews(listener: (news: PlanNews) => void): () => void {
  listeners.add(listener);
  const bus = open();
  const receive = (event: MessageEvent) => {
    const parsed = PlanNewsSchema.safeParse(event.data);
    if (parsed.success) listener(parsed.data);
  };
  bus?.addEventListener('message', receive);
  return () => {
    listeners.delete(listener);
    bus?.removeEventListener('message', receive);
  };
}
