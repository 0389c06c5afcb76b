import type { OrbitResponseMatrix } from '@mlayer/orbit';

/**
 * Compares a measured response matrix with a reference measured on the same errored
 * twin, element by element: z = difference / its standard deviation, where each
 * reading carries at most `noise` (BPM units) and each column is a bipolar step of
 * ±kick. Returns the largest |z| and where; a stale or mixed reading gives z of
 * order column / noise, far above any bound a test draws from the normal law.
 */
export function ormDeviation(measured: OrbitResponseMatrix, reference: OrbitResponseMatrix, noise: number, kick: number): { maxZ: number; where: string } {
  const sigma = (Math.sqrt(2) * noise * Math.SQRT2) / (2 * kick);
  let maxZ = 0;
  let where = '';
  for (const block of ['Rxx', 'Ryx', 'Rxy', 'Ryy'] as const) {
    const a = measured[block];
    const b = reference[block];
    if (!a || !b) continue;
    if (a.length !== b.length || a[0].length !== b[0].length) throw new Error(`${block}: ${a.length}x${a[0].length} measured, ${b.length}x${b[0].length} reference`);
    a.forEach((row, i) =>
      row.forEach((v, j) => {
        const z = Math.abs(v - b[i][j]) / sigma;
        if (!(z <= maxZ)) {
          maxZ = z;
          where = `${block}[${i}][${j}] ${v.toExponential(3)} vs ${b[i][j].toExponential(3)}`;
        }
      }),
    );
  }
  return { maxZ, where };
}
