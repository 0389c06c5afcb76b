// The library side of @mlayer/cli: what a script needs to work as the `mlayer` command does.
export { loadAccelerator, type LoadAcceleratorOptions } from './load-accelerator.js';
