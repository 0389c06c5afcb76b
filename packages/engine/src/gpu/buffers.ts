/** Small helpers around GPU buffers (usage constants as in the WebGPU specification). */
import { GpuValidationError } from './errors.js';

export const USAGE = { MAP_READ: 1, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 } as const;
const MAP_MODE_READ = 1;

/** A storage buffer holding `data` (padded to 16 bytes). */
export function storageBuffer(device: GPUDevice, data: ArrayBufferView, extraUsage = 0): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buf = device.createBuffer({ size, usage: USAGE.STORAGE | USAGE.COPY_DST | USAGE.COPY_SRC | extraUsage, mappedAtCreation: true });
  new Uint8Array(buf.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buf.unmap();
  return buf;
}

/** Copies `size` bytes of `src` back to the host. */
export async function readBack(device: GPUDevice, src: GPUBuffer, size: number): Promise<ArrayBuffer> {
  const padded = Math.max(16, Math.ceil(size / 4) * 4);
  const rb = device.createBuffer({ size: padded, usage: USAGE.MAP_READ | USAGE.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, rb, 0, padded);
  device.queue.submit([enc.finish()]);
  await rb.mapAsync(MAP_MODE_READ);
  const out = rb.getMappedRange().slice(0, size);
  rb.unmap();
  rb.destroy();
  return out;
}

/** Throws the first validation error raised while `body` ran. */
export async function withValidation<T>(device: GPUDevice, what: string, body: () => T): Promise<T> {
  device.pushErrorScope('validation');
  const result = body();
  const err = await device.popErrorScope();
  if (err) throw new GpuValidationError(`${what}: ${err.message}`);
  return result;
}
