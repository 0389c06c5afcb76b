/**
 * Adapter handling: software renderers never count as hardware (so backend 'auto' does not
 * pick them), and the float-float arithmetic holds on the adapter in use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFloatFloat, isSoftwareRenderer, openWebGpu, WebGpuUnavailableError, type WebGpuContext } from '../../src/gpu/index.js';

let ctx: WebGpuContext;
beforeAll(async () => {
  ctx = await openWebGpu({ require: 'any' });
});
afterAll(() => ctx?.destroy());

describe('WebGPU adapters', () => {
  it('recognises software renderers by name', () => {
    const info = (device: string, description = ''): { vendor: string; architecture: string; device: string; description: string } => ({ vendor: '', architecture: '', device, description });
    expect(isSoftwareRenderer(info('llvmpipe-llvm-15-0-6-256-bits-', 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6'))).toBe(true);
    expect(isSoftwareRenderer(info('llvmpipe (LLVM 15.0.6, 256 bits)', 'Vulkan lavapipe'))).toBe(true);
    expect(isSoftwareRenderer(info('SwiftShader Device (Subzero)'))).toBe(true);
    expect(isSoftwareRenderer({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3', description: 'NVIDIA: 550.54' })).toBe(false);
  });

  it('the adapter in use is described, and a software renderer is not hardware', () => {
    const a = ctx.adapter;
    console.log(`adapter: ${a.device} | ${a.description} | backend ${a.backend} | hardware ${a.hardware}`);
    if (isSoftwareRenderer(a)) expect(a.hardware).toBe(false);
  });

  it("require: 'hardware' refuses a machine with only a software renderer", async () => {
    if (ctx.adapter.hardware) return; // a machine with a GPU: nothing to refuse
    await expect(openWebGpu({ require: 'hardware' })).rejects.toThrow(WebGpuUnavailableError);
  });

  it('float-float sums, products and quotients agree with float64 (relative 1e-13)', async () => {
    const check = await checkFloatFloat(ctx.device);
    console.log(`float-float relative error: ${check.relativeError.toExponential(2)}`);
    expect(check.relativeError).toBeLessThanOrEqual(1e-13);
  });
});
