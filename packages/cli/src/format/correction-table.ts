/**
 * The text of an orbit correction: rms per plane before and after (units for the magnitude),
 * and for a dry run the table of what would be written (corrector, present, target, change)
 * with the rms the response matrix predicts after the step.
 */
import type { Accelerator, DeviceId, Units } from '@mlayer/core';
import type { CorrectOrbitResult, PlannedWrite } from '@mlayer/orbit';
import { formatChange, formatQuantity, formatter } from '@mlayer/core';
import { formatTable } from './table.js';

/** Setpoints of a planned write in the units to show (hardware as planned, or physics through the family's conversion). */
function inUnits(acc: Accelerator, w: PlannedWrite, units: Units): { present: Float64Array; target: Float64Array; unit: string } {
  if (units === 'hardware') return { present: Float64Array.from(w.current), target: Float64Array.from(w.target), unit: w.unit };
  const sel = acc.family(w.family).devices(w.devices as DeviceId[]);
  return { present: Float64Array.from(sel.toPhysics(w.current)), target: Float64Array.from(sel.toPhysics(w.target)), unit: sel.units('setpoint').physics };
}

/** One table per family of what a step would write: corrector, present, target, change, units by magnitude. */
export function writesTable(acc: Accelerator, writes: readonly PlannedWrite[], units: Units): string {
  let text = '';
  for (const w of writes) {
    const { present, target, unit } = inUnits(acc, w, units);
    const change = target.map((t, i) => t - present[i]);
    // Present and target share a unit; the change gets its own (it is usually far smaller).
    const level = formatter(unit, [...present, ...target], { significant: 5 });
    const delta = formatter(unit, change, { significant: 4 });
    // A frequency's change is shown to the same 0.01 Hz as the setpoints.
    const rows = w.names.map((n, i) => [n, level.number(present[i]), level.number(target[i]), delta.number(change[i])]);
    text += `${w.family}: ${w.names.length} setpoint${w.names.length === 1 ? '' : 's'} (${units} units)\n`;
    text += formatTable([{ header: 'corrector', align: 'left' }, { header: `present (${level.unit})` }, { header: `target (${level.unit})` }, { header: `change (${delta.unit})` }], rows, '  ');
  }
  return text;
}

/** rms per plane before and after (or predicted after, for a dry run), with the BPM family and count. */
export function rmsLines(r: CorrectOrbitResult): string {
  let text = '';
  const predicted = r.dryRun ? r.steps[0]?.rmsPredicted : undefined;
  for (const p of r.planes) {
    const reading = r.initial[p];
    const unit = reading?.unit ?? '';
    const who = reading ? ` (${reading.family}, ${reading.values.length} BPMs)` : '';
    if (r.dryRun) {
      const after = predicted?.[p];
      text += `rms ${p}: ${formatQuantity(r.rmsInitial[p]!, unit)} now, ${after !== undefined ? `${formatQuantity(after, unit)} predicted after the step` : 'no step'}${who}\n`;
    } else text += `rms ${p}: ${formatChange(r.rmsInitial[p]!, r.rmsFinal[p]!, unit)}${who}\n`;
  }
  return text;
}

/** The whole text of a correction: for a dry run the table, then the rms lines and the message. */
export function correctionText(acc: Accelerator, r: CorrectOrbitResult, units: Units): string {
  let text = '';
  const step = r.steps[0];
  if (r.dryRun && step) {
    const n = step.writes.reduce((s, w) => s + w.names.length, 0);
    text += `dry run: ${n} setpoint${n === 1 ? '' : 's'} would change, nothing written${step.scale < 1 ? ` (step scaled to ${step.scale.toFixed(3)} by the limits)` : ''}\n`;
    text += writesTable(acc, step.writes, units);
  }
  text += rmsLines(r);
  // A dry run's message says what the first line said.
  return r.dryRun && step ? text : `${text}${r.message}\n`;
}
