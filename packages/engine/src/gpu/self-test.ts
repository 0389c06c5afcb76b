/**
 * Start-up check of the float-float arithmetic on an adapter: sums, products and
 * quotients of float-float numbers read at run time (so that nothing can be folded at
 * compile time) are compared with float64. A shader compiler that rewrites the
 * error-free transformations, or hardware without IEEE rounding, shows up here.
 */
import { arithmeticPrelude } from './wgsl/arith.js';
import { readBack, storageBuffer, USAGE } from './buffers.js';
import { splitFloat64 } from './tables.js';
import { WebGpuUnavailableError } from './errors.js';

const SOURCE = `
struct Run { one: f32, n: u32, p0: u32, p1: u32, }
@group(0) @binding(0) var<uniform> run: Run;
${arithmeticPrelude('ff')}
@group(0) @binding(1) var<storage, read> inp: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> outp: array<vec2f>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x;
  if (i >= run.n) { return; }
  let a = inp[2u * i];
  let b = inp[2u * i + 1u];
  outp[3u * i] = A(a, b);
  outp[3u * i + 1u] = M(a, b);
  outp[3u * i + 2u] = D(a, b);
}
`;

export interface ArithmeticCheck {
  /** Largest relative error of sum, product and quotient against float64. */
  readonly relativeError: number;
}

/** Runs the check; throws WebGpuUnavailableError when the error exceeds `limit` (default 1e-13). */
export async function checkFloatFloat(device: GPUDevice, limit = 1e-13): Promise<ArithmeticCheck> {
  const n = 256;
  const values = new Float64Array(2 * n);
  let s = 12345;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (let i = 0; i < 2 * n; i++) values[i] = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 8 - 4);
  const module = device.createShaderModule({ code: SOURCE });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const uni = new ArrayBuffer(16);
  new Float32Array(uni, 0, 1)[0] = 1;
  new Uint32Array(uni, 4, 1)[0] = n;
  const ubuf = device.createBuffer({ size: 16, usage: USAGE.UNIFORM | USAGE.COPY_DST });
  device.queue.writeBuffer(ubuf, 0, uni);
  const inBuf = storageBuffer(device, splitFloat64(values));
  const outBuf = storageBuffer(device, new Float32Array(6 * n));
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: ubuf } },
      { binding: 1, resource: { buffer: inBuf } },
      { binding: 2, resource: { buffer: outBuf } },
    ],
  });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(Math.ceil(n / 64));
  pass.end();
  device.queue.submit([enc.finish()]);
  const out = new Float32Array(await readBack(device, outBuf, 24 * n));
  for (const b of [ubuf, inBuf, outBuf]) b.destroy();
  let worst = 0;
  for (let i = 0; i < n; i++) {
    // The inputs as the GPU sees them (float-float rounding of the float64 values).
    const a = Math.fround(values[2 * i]) + Math.fround(values[2 * i] - Math.fround(values[2 * i]));
    const b = Math.fround(values[2 * i + 1]) + Math.fround(values[2 * i + 1] - Math.fround(values[2 * i + 1]));
    const want = [a + b, a * b, a / b];
    for (let k = 0; k < 3; k++) {
      const got = out[6 * i + 2 * k] + out[6 * i + 2 * k + 1];
      const scale = k === 0 ? Math.max(Math.abs(a), Math.abs(b)) : Math.abs(want[k]);
      worst = Math.max(worst, Math.abs(got - want[k]) / scale);
    }
  }
  if (!(worst <= limit)) {
    throw new WebGpuUnavailableError(
      `float-float arithmetic on this adapter is not exact enough: relative error ${worst.toExponential(2)} > ${limit.toExponential(0)} (the shader compiler rewrites the error-free transformations, or the hardware does not round as IEEE 754); use precision 'f32'`,
    );
  }
  return { relativeError: worst };
}
