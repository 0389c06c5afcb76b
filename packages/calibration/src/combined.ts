import type { ConversionContext, UnitConversion } from '@mlayer/core';
import type { Curve } from './curve.js';
import { CalibrationError, CurveDefinitionError } from './errors.js';
import { LinearSolver } from './linalg.js';
import type { RigidityStep } from './rigidity-step.js';
import { sameUnits } from './units.js';

export interface CombinedInput {
  readonly name: string;
  readonly hardwareUnits: string;
  /** hardware → excitation; identity when absent. */
  readonly curve?: Curve;
  /** Hardware value assumed before the first commit (default 0). */
  readonly initial?: number;
}

export interface CombinedOutput {
  readonly name: string;
  /** Units of the field of this output (one row of the matrix). */
  readonly fieldUnits: string;
  /** field → strength with Bρ; absent: the output is the field itself. */
  readonly rigidity?: RigidityStep;
}

export interface CombinedMagnetOptions {
  readonly id: string;
  readonly inputs: readonly CombinedInput[];
  readonly outputs: readonly CombinedOutput[];
  /** fields = matrix · excitations + offset: one row per output, one column per input. */
  readonly matrix: readonly (readonly number[])[];
  readonly offset?: readonly number[];
  /** 'exact': square non-singular matrix; 'least-squares': least squares (or minimum norm when under-determined). */
  readonly inverse: 'exact' | 'least-squares';
}

/** Result of a physics → hardware solve. */
export interface CombinedSolution {
  readonly hardware: Float64Array;
  /** Requested minus achieved physics values (zero for consistent or exactly solvable targets). */
  readonly residual: Float64Array;
}

/**
 * Several coils or power supplies feeding several multipole strengths through a
 * matrix: strength_j = rigidity_j( Σ_i M_ji · curve_i(I_i) + offset_j ). Vector API
 * both ways; per-output scalar views for device fields. Magnets in series on one
 * supply are the one-input case (one column: the excitation of each magnet).
 * The last committed hardware vector is kept here (the views share it).
 */
export class CombinedFunctionMagnet {
  readonly id: string;
  readonly inputs: readonly { readonly name: string; readonly hardwareUnits: string }[];
  readonly outputs: readonly { readonly name: string; readonly fieldUnits: string; readonly physicsUnits: string }[];
  readonly inverse: 'exact' | 'least-squares';
  private readonly curves: readonly (Curve | undefined)[];
  private readonly steps: readonly (RigidityStep | undefined)[];
  private readonly matrix: readonly (readonly number[])[];
  private readonly offset: Float64Array;
  private readonly solver: LinearSolver;
  private readonly current: Float64Array;

  constructor(o: CombinedMagnetOptions) {
    this.id = o.id;
    const fail = (detail: string, field: string, value: unknown): never => {
      throw new CurveDefinitionError(o.id, detail, field, value);
    };
    const m = o.inputs.length;
    const n = o.outputs.length;
    if (m === 0 || n === 0) fail('a combined-function magnet needs at least one input and one output', 'inputs', m);
    uniqueNames(o.inputs.map((i) => i.name), 'inputs', fail);
    uniqueNames(o.outputs.map((i) => i.name), 'outputs', fail);
    if (o.matrix.length !== n) fail(`the matrix has ${o.matrix.length} rows but there are ${n} outputs`, 'matrix', o.matrix.length);
    o.matrix.forEach((row, j) => {
      if (row.length !== m) fail(`matrix row ${j} has ${row.length} columns but there are ${m} inputs`, `matrix.${j}`, row);
      row.forEach((v, i) => Number.isFinite(v) || fail(`matrix element [${j}][${i}] is not a finite number`, `matrix.${j}.${i}`, v));
    });
    if (o.offset && o.offset.length !== n) fail(`offset has ${o.offset.length} values but there are ${n} outputs`, 'offset', o.offset);
    o.inputs.forEach((inp, i) => {
      if (inp.curve && !sameUnits(inp.curve.hardwareUnits, inp.hardwareUnits)) {
        fail(
          `input '${inp.name}' is in '${inp.hardwareUnits}' but its curve ${inp.curve.label} takes '${inp.curve.hardwareUnits}'`,
          `inputs.${i}.curve.hardwareUnits`,
          inp.curve.hardwareUnits,
        );
      }
    });
    o.outputs.forEach((out, j) => {
      if (out.rigidity && !sameUnits(out.fieldUnits, out.rigidity.fieldUnits)) {
        fail(
          `output '${out.name}' gives '${out.fieldUnits}' but a rigidity step of order ${out.rigidity.order} ` +
            `(${out.rigidity.integrated ? 'integrated' : 'local'} field) expects '${out.rigidity.fieldUnits}'`,
          `outputs.${j}.fieldUnits`,
          out.fieldUnits,
        );
      }
    });
    if (o.inverse === 'exact' && n !== m) {
      fail(`inverse 'exact' needs as many outputs as inputs (${n} outputs, ${m} inputs); use 'least-squares'`, 'inverse', o.inverse);
    }
    try {
      this.solver = new LinearSolver(o.matrix);
    } catch {
      throw new CurveDefinitionError(o.id, `the ${n}×${m} matrix does not have full rank: the inverse is not defined`, 'matrix', o.matrix);
    }
    this.inputs = o.inputs.map((i) => ({ name: i.name, hardwareUnits: i.hardwareUnits }));
    this.outputs = o.outputs.map((x) => ({
      name: x.name,
      fieldUnits: x.fieldUnits,
      physicsUnits: x.rigidity ? x.rigidity.strengthUnits : x.fieldUnits,
    }));
    this.inverse = o.inverse;
    this.curves = o.inputs.map((i) => i.curve);
    this.steps = o.outputs.map((x) => x.rigidity);
    this.matrix = o.matrix.map((r) => [...r]);
    this.offset = Float64Array.from(o.offset ?? new Array<number>(n).fill(0));
    this.current = Float64Array.from(o.inputs, (i) => i.initial ?? 0);
  }

  /** Fields (before the rigidity step) for a vector of hardware values. */
  fields(hardware: ArrayLike<number>): Float64Array {
    this.checkLength(hardware, this.inputs.length, 'hardware');
    const x = Float64Array.from(hardware, (h, i) => (this.curves[i] ? this.curves[i]!.toPhysics(h) : h));
    return Float64Array.from(this.matrix, (row, j) => row.reduce((s, mji, i) => s + mji * x[i], this.offset[j]));
  }

  toPhysics(hardware: ArrayLike<number>, context: ConversionContext): Float64Array {
    const f = this.fields(hardware);
    return f.map((v, j) => (this.steps[j] ? this.steps[j]!.toStrength(v, context.brho) : v));
  }

  toHardware(physics: ArrayLike<number>, context: ConversionContext): Float64Array {
    return this.solve(physics, context).hardware;
  }

  /** Hardware for a vector of physics values (exact or least squares in field space), with the residual. */
  solve(physics: ArrayLike<number>, context: ConversionContext): CombinedSolution {
    this.checkLength(physics, this.outputs.length, 'physics');
    const rhs = Float64Array.from(physics, (p, j) => (this.steps[j] ? this.steps[j]!.toField(p, context.brho) : p) - this.offset[j]);
    const x = this.solver.solve(rhs);
    const hardware = Float64Array.from(x, (v, i) => (this.curves[i] ? this.curves[i]!.toHardware(v) : v));
    const achieved = this.toPhysics(hardware, context);
    return { hardware, residual: Float64Array.from(physics, (p, j) => p - achieved[j]) };
  }

  /** Records the hardware vector written to the supplies. */
  commit(hardware: ArrayLike<number>): void {
    this.checkLength(hardware, this.inputs.length, 'hardware');
    this.current.set(Array.from(hardware));
  }

  /** The last committed hardware vector (initial values before any commit). */
  committed(): Float64Array {
    return Float64Array.from(this.current);
  }

  /**
   * Scalar conversion of one output against one input (default: the only input),
   * the other inputs held at their committed values. Its `commit` updates that input.
   */
  view(output: string, input?: string): CombinedOutputView {
    const j = this.outputs.findIndex((o) => o.name === output);
    if (j < 0) throw new CalibrationError(this.id, `no output '${output}' (outputs: ${this.outputs.map((o) => o.name).join(', ')})`);
    let i: number;
    if (input === undefined) {
      if (this.inputs.length !== 1) {
        throw new CalibrationError(this.id, `the magnet has ${this.inputs.length} inputs: name the input the view of '${output}' converts`);
      }
      i = 0;
    } else {
      i = this.inputs.findIndex((x) => x.name === input);
      if (i < 0) throw new CalibrationError(this.id, `no input '${input}' (inputs: ${this.inputs.map((x) => x.name).join(', ')})`);
    }
    if (this.matrix[j][i] === 0) {
      throw new CalibrationError(this.id, `output '${output}' does not depend on input '${this.inputs[i].name}' (matrix element is 0)`);
    }
    return new CombinedOutputView(this, j, i);
  }

  /** @internal physics of output j when input i is `hardware` and the others are at their committed values. */
  outputFor(j: number, i: number, hardware: number, context: ConversionContext): number {
    const h = Float64Array.from(this.current);
    h[i] = hardware;
    return this.toPhysics(h, context)[j];
  }

  /** @internal hardware of input i giving physics value `physics` on output j, the others held. */
  inputFor(j: number, i: number, physics: number, context: ConversionContext): number {
    const step = this.steps[j];
    const field = step ? step.toField(physics, context.brho) : physics;
    const row = this.matrix[j];
    let rest = this.offset[j];
    for (let k = 0; k < row.length; k++) {
      if (k === i) continue;
      const c = this.curves[k];
      rest += row[k] * (c ? c.toPhysics(this.current[k]) : this.current[k]);
    }
    const x = (field - rest) / row[i];
    const c = this.curves[i];
    return c ? c.toHardware(x) : x;
  }

  /** @internal */
  commitInput(i: number, hardware: number): void {
    this.current[i] = hardware;
  }

  private checkLength(v: ArrayLike<number>, n: number, what: string): void {
    if (v.length !== n) throw new CalibrationError(this.id, `expected ${n} ${what} values, got ${v.length}`);
  }
}

/** A scalar UnitConversion over one output and one input of a combined-function magnet. */
export class CombinedOutputView implements UnitConversion {
  readonly hardwareUnits: string;
  readonly physicsUnits: string;
  readonly output: string;
  readonly input: string;

  constructor(
    readonly magnet: CombinedFunctionMagnet,
    private readonly j: number,
    private readonly i: number,
  ) {
    this.hardwareUnits = magnet.inputs[i].hardwareUnits;
    this.physicsUnits = magnet.outputs[j].physicsUnits;
    this.output = magnet.outputs[j].name;
    this.input = magnet.inputs[i].name;
  }

  toPhysics(hardware: number, context: ConversionContext): number {
    return this.magnet.outputFor(this.j, this.i, hardware, context);
  }

  toHardware(physics: number, context: ConversionContext): number {
    return this.magnet.inputFor(this.j, this.i, physics, context);
  }

  commit(hardware: number): void {
    this.magnet.commitInput(this.i, hardware);
  }
}

function uniqueNames(names: string[], field: string, fail: (d: string, f: string, v: unknown) => never): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) fail(`name '${n}' appears twice`, field, n);
    seen.add(n);
  }
}
