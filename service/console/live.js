// Live figures: what the service pushes over /graphql/ws (the graphql-transport-ws protocol),
// so an open page follows a policy's reach without polling. One subscription at a time: the
// page that opens one closes the last page's. A connection the service ends (it restarted, or
// the page fell behind) is opened again, a little later each time.

import { token } from './api.js';
import { lang } from './i18n.js';

let current = null;

/** Ends the live subscription, if any. */
export function stopLive() {
  if (current) {
    current.stop();
    current = null;
  }
}

/** Whether `subscription` (what `live` returned) is still the page's, not stopped. */
export function isLive(subscription) {
  return subscription !== null && current === subscription;
}

/** Subscribes to `query` with `variables`; `onData` gets each event's data. Returns the
 *  subscription, for `isLive`. */
export function live(query, variables, onData) {
  stopLive();
  let socket = null;
  let stopped = false;
  let wait = 1000;
  const connect = () => {
    const url = new URL('/graphql/ws', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(url, 'graphql-transport-ws');
    socket.addEventListener('open', () => {
      socket.send(JSON.stringify({
        type: 'connection_init',
        payload: { Authorization: `Bearer ${token()}`, 'Accept-Language': lang() === 'en' ? 'en' : 'zh-CN' },
      }));
    });
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'connection_ack') {
        wait = 1000;
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      } else if (message.type === 'next' && message.payload?.data) {
        onData(message.payload.data);
      }
    });
    socket.addEventListener('close', (event) => {
      // 4403: the token was refused; opening again would not help.
      if (stopped || event.code === 4403) return;
      setTimeout(() => { if (!stopped) connect(); }, wait);
      wait = Math.min(wait * 2, 30000);
    });
  };
  connect();
  current = {
    stop() {
      stopped = true;
      socket?.close(1000);
    },
  };
  return current;
}
