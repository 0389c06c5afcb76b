/** One control-system monitor per channel, shared by every client subscribed to it; the latest sample kept for newcomers. */
import type { Accelerator, Sample } from '@mlayer/core';

type Listener = (sample: Sample) => void;

interface Feed {
  readonly listeners: Set<Listener>;
  latest?: Sample;
  stop: () => void;
}

export class ChannelFeeds {
  private readonly feeds = new Map<string, Feed>();

  constructor(private readonly acc: Accelerator) {}

  /** Calls listener with each sample of the channel (the latest at once when known); returns the unsubscribe. */
  listen(channel: string, listener: Listener): () => void {
    let feed = this.feeds.get(channel);
    if (!feed) {
      const f: Feed = { listeners: new Set(), stop: () => undefined };
      const emit = (s: Sample): void => {
        f.latest = s;
        for (const l of f.listeners) l(s);
      };
      const sub = this.acc.controlSystem.monitor(channel).subscribe({ next: emit, error: () => undefined });
      f.stop = () => sub.unsubscribe();
      // A first value now rather than at the next monitor event.
      this.acc.controlSystem.read([channel]).then(
        ([s]) => {
          if (f.latest === undefined && s) emit(s);
        },
        () => undefined,
      );
      this.feeds.set(channel, f);
      feed = f;
    }
    feed.listeners.add(listener);
    if (feed.latest) listener(feed.latest);
    const f = feed;
    return () => {
      f.listeners.delete(listener);
      if (f.listeners.size === 0) {
        f.stop();
        this.feeds.delete(channel);
      }
    };
  }

  close(): void {
    for (const f of this.feeds.values()) f.stop();
    this.feeds.clear();
  }
}
