// The floor: a bare SharedWorker relaying a raw postMessage to the other tabs, which set the
// field's value. No engine, no Comlink, no React, no IndexedDB (bench only, never shipped).
import { SECTIONS } from '../../src/sections/sections.ts';

const fields = SECTIONS[0]!.fields;
const form = document.createElement('form');
for (const f of fields) {
  const label = document.createElement('label');
  label.htmlFor = `field-${f.name}`;
  label.textContent = f.label;
  const area = document.createElement('textarea');
  area.id = `field-${f.name}`;
  area.name = f.name;
  area.addEventListener('input', () => port.postMessage({ name: f.name, value: area.value }));
  form.append(label, area);
}
document.body.append(form);

const worker = new SharedWorker(new URL('./floor-worker.ts', import.meta.url), {
  type: 'module',
  name: 'bench-floor',
});
const port = worker.port;
port.addEventListener('message', (event: MessageEvent) => {
  if (event.data === 'ready') return void (document.body.dataset.ready = '1');
  const { name, value } = event.data as { name: string; value: string };
  const area = document.getElementById(`field-${name}`) as HTMLTextAreaElement | null;
  if (area) area.value = value;
});
port.start();
port.postMessage('hello');
