/**
 * Opening WebGPU in Node through Dawn (the `webgpu` package): hardware adapters through
 * Dawn's default backends (Vulkan, Metal, D3D12), and, where asked for, Mesa's software
 * renderer (llvmpipe) through Dawn's OpenGL ES backend in compatibility mode
 * (EGL_PLATFORM=surfaceless, no display needed). A software renderer never counts as
 * hardware, whatever the adapter says about itself.
 */
import { create } from 'webgpu';
import { WebGpuUnavailableError } from './errors.js';

/** What is known about the adapter in use. */
export interface AdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** Dawn backend that provided it ('default' = Dawn's choice of native API, or 'opengles'). */
  readonly backend: 'default' | 'opengles';
  readonly featureLevel: 'core' | 'compatibility';
  /** False for fallback adapters and software renderers (llvmpipe, lavapipe, SwiftShader, softpipe). */
  readonly hardware: boolean;
}

export interface WebGpuContext {
  readonly device: GPUDevice;
  readonly adapter: AdapterSummary;
  /** Destroys the device and releases Dawn (the process can then exit). */
  destroy(): void;
}

export interface OpenWebGpuOptions {
  /**
   * 'hardware': a hardware adapter or an error; 'any' (default): hardware first, then the
   * software renderer through OpenGL ES; 'software': the software renderer only.
   */
  readonly require?: 'hardware' | 'any' | 'software';
}

const SOFTWARE = /llvmpipe|softpipe|lavapipe|swiftshader|software|swrast|microsoft basic render/i;

/** True when the adapter description names a software renderer. */
export function isSoftwareRenderer(info: { vendor: string; architecture: string; device: string; description: string }): boolean {
  return SOFTWARE.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
}

interface Found {
  gpu: GPU;
  adapter: GPUAdapter;
  summary: AdapterSummary;
}

async function findAdapter(backend: 'default' | 'opengles'): Promise<Found | undefined> {
  if (backend === 'opengles' && process.env.EGL_PLATFORM === undefined) {
    // Mesa's EGL without a display: read by libEGL when Dawn initialises it below.
    process.env.EGL_PLATFORM = 'surfaceless';
  }
  const gpu = create(backend === 'opengles' ? ['backend=opengles'] : []);
  const featureLevel = backend === 'opengles' ? 'compatibility' : 'core';
  const adapter = await gpu.requestAdapter({ featureLevel, powerPreference: 'high-performance' });
  if (!adapter) return undefined;
  const i = adapter.info;
  const base = { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description };
  const fallback = (i as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return {
    gpu,
    adapter,
    summary: { ...base, backend, featureLevel, hardware: !fallback && !isSoftwareRenderer(base) },
  };
}

/** The hardware adapter Dawn's default backends offer, or undefined (nothing is kept open). */
export async function probeHardwareAdapter(): Promise<AdapterSummary | undefined> {
  const f = await findAdapter('default');
  return f && f.summary.hardware ? f.summary : undefined;
}

function describe(s: AdapterSummary): string {
  const name = [s.vendor, s.architecture, s.device].filter((x) => x !== '').join(' ');
  return `${name || 'unnamed adapter'} (${s.description || 'no description'}; Dawn ${s.backend}, ${s.featureLevel}${s.hardware ? '' : ', software'})`;
}

/** Human-readable adapter line. */
export function describeAdapter(s: AdapterSummary): string {
  return describe(s);
}

/** Opens an adapter and a device with the limits the tracking kernel needs. */
export async function openWebGpu(options: OpenWebGpuOptions = {}): Promise<WebGpuContext> {
  const want = options.require ?? 'any';
  let found: Found | undefined;
  const tried: string[] = [];
  if (want !== 'software') {
    found = await findAdapter('default');
    if (found && !found.summary.hardware && want === 'hardware') {
      tried.push(`Dawn's default backends offered only ${describe(found.summary)}`);
      found = undefined;
    } else if (!found) tried.push("Dawn's default backends (Vulkan/Metal/D3D12) offered no adapter");
  }
  if (!found && want !== 'hardware') {
    found = await findAdapter('opengles');
    if (!found) {
      tried.push(
        'the OpenGL ES backend offered no adapter (the software renderer needs the Debian packages libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri, and EGL_PLATFORM=surfaceless)',
      );
    }
  }
  if (!found) throw new WebGpuUnavailableError(`WebGPU is not available: ${tried.join('; ')}`);
  const { adapter, summary } = found;
  let gpu: GPU | undefined = found.gpu;
  const L = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBuffersPerShaderStage: Math.min(L.maxStorageBuffersPerShaderStage, 8),
      maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
      maxBufferSize: L.maxBufferSize,
      maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
    },
  });
  if (device.limits.maxStorageBuffersPerShaderStage < 5) {
    device.destroy();
    throw new WebGpuUnavailableError(`${describe(summary)}: ${device.limits.maxStorageBuffersPerShaderStage} storage buffers per shader stage; the tracking kernel needs 5`);
  }
  return {
    device,
    adapter: summary,
    destroy() {
      device.destroy();
      gpu = undefined;
      void gpu;
    },
  };
}
