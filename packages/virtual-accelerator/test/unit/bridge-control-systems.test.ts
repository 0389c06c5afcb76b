import { NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { BridgeError, bridgeControlSystems, sameChannelValue, type BridgeFailure, type BridgePair } from '../../src/index.js';
import { type ControlSystem, DisconnectedError, WriteRejectedError } from '@mlayer/core';
import { MemoryControlSystem } from '@mlayer/core/testing';

// Protocol-neutral checks of the bridge on two in-memory control systems; the
// bridge over a real served system (twin -> TANGO) is tested in packages/cli/test/serve-tango.test.ts.

/** A twin-like source: a set point whose write also sets its readback, and a monitor. */
function twinLike(): MemoryControlSystem {
  return new MemoryControlSystem('twin').define('SP', 1.5, { readbacks: ['RB'] }).define('RB', 1.5).define('BPM', 0.25);
}
/** A served system: the client-facing set point, and the bridge-fed readback and monitor. */
function served(): MemoryControlSystem {
  return new MemoryControlSystem('served').define('srv/SP', 0).define('srv/RB', Number.NaN).define('srv/BPM', Number.NaN);
}
const PAIRS: BridgePair[] = [
  { source: 'SP', sink: 'srv/SP', direction: 'to-source' },
  { source: 'RB', sink: 'srv/RB', direction: 'to-sink', phase: 1 },
  { source: 'BPM', sink: 'srv/BPM', direction: 'to-sink' },
];
const tick = () => new Promise((r) => setTimeout(r, 5));
/**
 * Waits until `cond` holds (checked every 10 ms), failing after 10 s: the retries, refreshes and polls
 * below take tens of ms on an idle machine, far more on a loaded one; a fixed window would flake.
 */
async function eventually(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('bridgeControlSystems', () => {
  it('copies every source value to the sink at start, then set points sink -> source and readbacks source -> sink, without echoes', async () => {
    const source = twinLike();
    const sink = served();
    const bridge = await bridgeControlSystems({ source, sink, pairs: PAIRS, refreshInterval: 0 });
    expect([sink.value('srv/SP'), sink.value('srv/RB'), sink.value('srv/BPM')]).toEqual([1.5, 1.5, 0.25]);
    const initialSinkWrites = sink.writes.length;
    // A client writes the served set point: the source follows, its readback comes back to the sink.
    await sink.write([{ channel: 'srv/SP', value: 2 }]);
    await tick();
    await bridge.settled();
    expect(source.value('SP')).toBe(2);
    expect(source.value('RB')).toBe(2);
    expect(sink.value('srv/RB')).toBe(2);
    // The client's own write plus the readback; the set point was not written back (no echo).
    expect(sink.writes.slice(initialSinkWrites).map((w) => w.channel)).toEqual(['srv/SP', 'srv/RB']);
    expect(source.writes.map((w) => [w.channel, w.value])).toEqual([['SP', 2]]);
    // The source changes a monitor on its own: forwarded.
    source.inject('BPM', -0.5);
    await tick();
    await bridge.settled();
    expect(sink.value('srv/BPM')).toBe(-0.5);
    // The same value again is not written again.
    const before = sink.writes.length;
    source.inject('BPM', -0.5);
    await tick();
    await bridge.settled();
    expect(sink.writes.length).toBe(before);
    expect(bridge.stats.toSource).toBe(1);
    await bridge.close();
    // Closed: nothing is forwarded any more.
    await sink.write([{ channel: 'srv/SP', value: 3 }]);
    await tick();
    expect(source.value('SP')).toBe(2);
  });

  it('does not bounce values of a two-way pair', async () => {
    const source = new MemoryControlSystem('a').define('X', 1);
    const sink = new MemoryControlSystem('b').define('x', 0);
    const bridge = await bridgeControlSystems({ source, sink, pairs: [{ source: 'X', sink: 'x', direction: 'both' }], refreshInterval: 0 });
    await sink.write([{ channel: 'x', value: 5 }]);
    await tick();
    await bridge.settled();
    source.inject('X', 7);
    await tick();
    await bridge.settled();
    expect(source.writes.map((w) => w.value)).toEqual([5]);
    expect(sink.writes.map((w) => w.value)).toEqual([1, 5, 7]);
    expect([source.value('X'), sink.value('x')]).toEqual([7, 7]);
    await bridge.close();
  });

  it('coalesces values of one turn and writes lower phases first', async () => {
    const source = twinLike();
    const sink = served();
    const bridge = await bridgeControlSystems({ source, sink, pairs: PAIRS, refreshInterval: 0 });
    const start = sink.writes.length;
    source.inject('RB', 3);
    source.inject('BPM', 0.1);
    source.inject('BPM', 0.2);
    await tick();
    await bridge.settled();
    expect(sink.writes.slice(start).map((w) => [w.channel, w.value])).toEqual([
      ['srv/BPM', 0.2],
      ['srv/RB', 3],
    ]);
    await bridge.close();
  });

  it('retries writes to a disconnected sink and reports refusals without retrying them', async () => {
    const source = twinLike();
    const sink = served();
    const bridge = await bridgeControlSystems({ source, sink, pairs: PAIRS, refreshInterval: 0, retryDelay: 10 });
    const failures: BridgeFailure[] = [];
    bridge.failures$.subscribe((f) => failures.push(f));
    let down = true;
    sink.beforeWrite = (w) => {
      if (w.channel === 'srv/BPM' && down) throw new DisconnectedError(w.channel, 'server down');
      if (w.channel === 'srv/RB' && w.value === 9) throw new WriteRejectedError(w.channel, 'refused');
    };
    source.inject('BPM', 0.75);
    source.inject('RB', 9);
    await tick();
    await bridge.settled();
    expect(sink.value('srv/BPM')).toBe(0.25);
    // The bridge retries while the sink is down, then delivers once it is back.
    await eventually('a retry of srv/BPM', () => failures.some((f) => f.channel === 'srv/BPM' && f.retrying));
    down = false;
    await eventually('srv/BPM delivered after the sink came back', () => sink.value('srv/BPM') === 0.75);
    await bridge.settled();
    expect(sink.value('srv/BPM')).toBe(0.75);
    expect(sink.value('srv/RB')).toBe(1.5);
    expect(failures.some((f) => f.channel === 'srv/BPM' && f.retrying)).toBe(true);
    // Refused: reported, not retried (a resync after the sink came back tries it once more).
    const refused = failures.filter((f) => f.channel === 'srv/RB');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((f) => !f.retrying && f.error instanceof WriteRejectedError)).toBe(true);
    await bridge.close();
  });

  it('refreshes source-to-sink values periodically (a restarted server gets them back)', async () => {
    const source = twinLike();
    const sink = served();
    const bridge = await bridgeControlSystems({ source, sink, pairs: PAIRS, refreshInterval: 30 });
    sink.inject('srv/RB', Number.NaN); // the server restarted and lost its readback
    await eventually('the periodic refresh of srv/RB', () => sink.value('srv/RB') === 1.5);
    await bridge.settled();
    expect(sink.value('srv/RB')).toBe(1.5);
    expect(sink.value('srv/SP')).toBe(1.5);
    await bridge.close();
  });

  it('polls the sink set points when asked, so that a change whose event was lost still reaches the source', async () => {
    const source = twinLike();
    const memory = served();
    // A sink whose monitors never deliver (events lost while a subscription recovers).
    const sink: ControlSystem = {
      name: memory.name,
      online: false,
      connection$: memory.connection$,
      read: (c, o) => memory.read(c, o),
      write: (w, o) => memory.write(w, o),
      monitor: () => NEVER,
      close: () => memory.close(),
    };
    const bridge = await bridgeControlSystems({ source, sink, pairs: PAIRS, refreshInterval: 0, pollInterval: 20 });
    await memory.write([{ channel: 'srv/SP', value: -1 }]);
    await eventually('the polled set point reaching the source and its readback the sink', () => source.value('SP') === -1 && memory.value('srv/RB') === -1);
    await bridge.settled();
    expect(source.value('SP')).toBe(-1);
    expect(memory.value('srv/RB')).toBe(-1);
    expect(source.writes.map((w) => w.value)).toEqual([-1]);
    await bridge.close();
  });

  it('refuses duplicate pairs and missing channels, naming them', async () => {
    const source = twinLike();
    const sink = served();
    await expect(bridgeControlSystems({ source, sink, pairs: [...PAIRS, { source: 'BPM', sink: 'srv/RB', direction: 'to-sink' }] })).rejects.toThrow(/pairs 1 and 3 both write the sink channel 'srv\/RB'/);
    await expect(bridgeControlSystems({ source, sink, pairs: [{ source: 'NOPE', sink: 'srv/RB', direction: 'to-sink' }] })).rejects.toThrow(BridgeError);
    await expect(bridgeControlSystems({ source, sink, pairs: [{ source: 'NOPE', sink: 'srv/RB', direction: 'to-sink' }] })).rejects.toThrow(/initial values from 'twin'.*NOPE/);
    await expect(bridgeControlSystems({ source, sink, pairs: [{ source: 'BPM', sink: 'srv/NOPE', direction: 'to-sink' }] })).rejects.toThrow(/srv\/NOPE: channel 'srv\/NOPE': no such channel/);
  });

  it('compares values as channels hold them', () => {
    expect(sameChannelValue(Number.NaN, Number.NaN)).toBe(true);
    expect(sameChannelValue(0, -0)).toBe(true);
    expect(sameChannelValue(1, '1')).toBe(false);
    expect(sameChannelValue(Float64Array.of(1, Number.NaN), Float64Array.of(1, Number.NaN))).toBe(true);
    expect(sameChannelValue(Float64Array.of(1, 2), Float64Array.of(1, 3))).toBe(false);
    expect(sameChannelValue(undefined, 1)).toBe(false);
  });
  it('an everySample pair forwards every source sample, even an unchanged one, and is left out of the refresh (a BPM publishing at its rate)', async () => {
    const source = twinLike();
    const sink = served();
    const pairs: BridgePair[] = [
      { source: 'RB', sink: 'srv/RB', direction: 'to-sink' },
      { source: 'BPM', sink: 'srv/BPM', direction: 'to-sink', everySample: true },
    ];
    const bridge = await bridgeControlSystems({ source, sink, pairs, refreshInterval: 20 });
    const count = (c: string) => sink.writes.filter((w) => w.channel === c).length;
    await tick();
    await bridge.settled();
    const base = count('srv/BPM'); // the initial copy and the monitor's first sample
    await eventually('the refresh rewrote the readback', () => count('srv/RB') >= base + 3);
    // The refresh rewrites the readback, never the BPM: a stopped publication stays stopped.
    expect(count('srv/BPM')).toBe(base);
    for (let k = 0; k < 3; k++) {
      source.inject('BPM', 0.25);
      await tick();
      await bridge.settled();
    }
    // Three publications of the same value: three writes.
    expect(count('srv/BPM')).toBe(base + 3);
    await bridge.close();
    await expect(bridgeControlSystems({ source, sink, pairs: [{ source: 'SP', sink: 'srv/SP', direction: 'to-source', everySample: true }] })).rejects.toThrow(/everySample applies to to-sink pairs only/);
  });
});
