/** Worker thread of the parallel CPU tracker: compiles the configurations once, tracks pieces on request. */
import { parentPort, workerData } from 'node:worker_threads';
import { compileLattice } from '../tracking/compile.js';
import { track } from '../tracking/track.js';
import type { PieceResult, TrackJob, WorkerInit, WorkerReply } from './messages.js';

const init = workerData as WorkerInit;
const compiled = init.lattices.map((l) => compileLattice(l, { sixD: init.sixD }));

parentPort?.on('message', (job: TrackJob) => {
  try {
    const pieces: PieceResult[] = job.pieces.map((p) => {
      const n = p.coords.length / 6;
      const res = track(compiled[p.config], { coords: p.coords, n, lostTurn: p.lostTurn, lostElement: p.lostElement }, { turns: job.turns, refpts: job.refpts });
      return { coords: res.coords, lostTurn: res.lostTurn, lostElement: res.lostElement, lostCoords: res.lostCoords, record: res.record };
    });
    const transfer = pieces.flatMap((r) => [r.coords.buffer, r.lostTurn.buffer, r.lostElement.buffer, r.lostCoords.buffer, ...(r.record ?? []).flat().map((a) => a.buffer)]);
    parentPort?.postMessage({ id: job.id, pieces } satisfies WorkerReply, transfer as ArrayBuffer[]);
  } catch (e) {
    parentPort?.postMessage({ id: job.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) } satisfies WorkerReply);
  }
});
