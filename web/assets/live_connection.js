// The WebSocket to /capacity/live: every message is a capacity summary.
// Reconnects with exponential back-off (1 s doubling to 30 s, with jitter)
// and reports its state: connecting, live, retrying (with the delay), offline.

const MIN_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;

export function liveFeedUrl(loc) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/capacity/live`;
}

export class LiveConnection {
  // onSummary(object): a parsed message; onState(state, retrySeconds).
  constructor(url, { onSummary, onState }) {
    this.url = url;
    this.onSummary = onSummary;
    this.onState = onState;
    this.delay = MIN_DELAY_MS;
    this.timer = null;
    this.socket = null;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close();
    this.onState('offline');
  }

  connect() {
    this.onState('connecting');
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (e) {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.delay = MIN_DELAY_MS;
      this.onState('live');
    });
    socket.addEventListener('message', (event) => {
      let summary;
      try {
        summary = JSON.parse(event.data);
      } catch (e) {
        return;  // not a summary: ignore it, keep the last picture
      }
      this.onSummary(summary);
    });
    socket.addEventListener('close', () => {
      if (this.socket === socket) this.socket = null;
      if (!this.stopped) this.retry();
    });
  }

  retry() {
    const jitter = 0.8 + Math.random() * 0.4;
    const wait = Math.min(MAX_DELAY_MS, this.delay) * jitter;
    this.delay = Math.min(MAX_DELAY_MS, this.delay * 2);
    this.onState('retrying', Math.round(wait / 1000));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), wait);
  }
}
