import * as rxjs from 'rxjs';
import { describe, expect, it } from 'vitest';
import * as rx from '@mlayer/core/rx';

describe('@mlayer/core/rx (the rxjs parts on the start-up path, each from its own module)', () => {
  it.each(Object.keys(rx).filter((name) => name !== 'rxStreaming'))('%s is the very object rxjs exports under that name', (name) => {
    expect(name in rxjs).toBe(true);
    expect((rx as Record<string, unknown>)[name]).toBe((rxjs as Record<string, unknown>)[name]);
  });

  it.each(Object.keys(rx.rxStreaming()))('the stream operator %s, required on first use, is the very object rxjs exports under that name', (name) => {
    expect(name in rxjs).toBe(true);
    expect((rx.rxStreaming() as unknown as Record<string, unknown>)[name]).toBe((rxjs as Record<string, unknown>)[name]);
  });

  it('an Observable built here is an rxjs Observable, and pipes through rxjs operators', async () => {
    const subject = new rx.Subject<number>();
    expect(subject).toBeInstanceOf(rxjs.Observable);
    const seen = rxjs.firstValueFrom(subject.pipe(rx.rxStreaming().map((v) => v * 2)));
    subject.next(21);
    await expect(seen).resolves.toBe(42);
  });
});
