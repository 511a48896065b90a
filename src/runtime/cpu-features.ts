import { readFileSync } from 'node:fs';

/** What decides which int8 kernels are fast here: the architecture and, on x64, the CPU's flags. */
export interface CpuFeatures {
  arch: string;
  /** /proc/cpuinfo's flags (avx2, avx512_vnni, amx_int8, ...); empty where it cannot be read. */
  flags: ReadonlySet<string>;
}

/** This machine's, read once per call (Linux; elsewhere no flags, which only means no int8 preference). */
export function cpuFeatures(): CpuFeatures {
  let flags = new Set<string>();
  try {
    const line = /^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
    flags = new Set(line.split(/\s+/).filter(Boolean));
  } catch {
    // not Linux, or no procfs: no flags
  }
  return { arch: process.arch, flags };
}

/** VNNI (AVX-512 or AVX), AMX or arm64's dot products: where int8 GEMMs run several times fp32's speed. */
export function hasFastInt8(cpu: CpuFeatures): boolean {
  return cpu.arch === 'arm64' || ['avx512_vnni', 'avx_vnni', 'amx_int8'].some((f) => cpu.flags.has(f));
}
