import * as rxjs from 'rxjs';
import { describe, expect, it } from 'vitest';
import * as rx from '@mlayer/core/rx';

describe('@mlayer/core/rx (the rxjs parts on the start-up path, each from its own module)', () => {
  it('exports the two accessors only (no rxjs module is loaded before a stream is made)', () => {
    expect(Object.keys(rx).sort()).toEqual(['rxStreaming', 'rxSubjects']);
  });

  it.each(Object.keys(rx.rxSubjects()))('the class %s, required on first use, is the very object rxjs exports under that name', (name) => {
    expect(name in rxjs).toBe(true);
    expect((rx.rxSubjects() as unknown as Record<string, unknown>)[name]).toBe((rxjs as Record<string, unknown>)[name]);
  });

  it.each(Object.keys(rx.rxStreaming()))('the stream operator %s, required on first use, is the very object rxjs exports under that name', (name) => {
    expect(name in rxjs).toBe(true);
    expect((rx.rxStreaming() as unknown as Record<string, unknown>)[name]).toBe((rxjs as Record<string, unknown>)[name]);
  });

  it('an Observable built here is an rxjs Observable, and pipes through rxjs operators', async () => {
    const subject = new (rx.rxSubjects().Subject)<number>();
    expect(subject).toBeInstanceOf(rxjs.Observable);
    const seen = rxjs.firstValueFrom(subject.pipe(rx.rxStreaming().map((v) => v * 2)));
    subject.next(21);
    await expect(seen).resolves.toBe(42);
  });
});
