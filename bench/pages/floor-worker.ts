// The floor's SharedWorker: relays each message from one tab to every other tab, nothing else.
export {};

declare const self: SharedWorkerGlobalScope;

const ports: MessagePort[] = [];

self.onconnect = (event: MessageEvent) => {
  const port = event.ports[0];
  if (!port) return;
  ports.push(port);
  port.addEventListener('message', (message: MessageEvent) => {
    if (message.data === 'hello') return port.postMessage('ready');
    for (const other of ports) if (other !== port) other.postMessage(message.data);
  });
  port.start();
};
