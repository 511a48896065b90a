import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

function lscpu(): string {
  try {
    return execFileSync('lscpu', { encoding: 'utf8' });
  } catch {
    // Not Linux or no util-linux: os.cpus() is close enough.
    return '';
  }
}

/** lscpu's model name and CPU count (os.cpus() where lscpu is missing), plus the runtimes. */
export function describeMachine(): string {
  const text = lscpu();
  const model = /^Model name:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const cpus = /^CPU\(s\):\s*(\d+)$/m.exec(text)?.[1] ?? String(os.cpus().length);
  const require = createRequire(import.meta.url);
  const ortVersion = (require('onnxruntime-node/package.json') as { version: string }).version;
  return `${model}, ${cpus} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB; Node ${process.version}, onnxruntime-node ${ortVersion}`;
}

export interface TheoreticalPeak {
  fp32FlopsPerSecond: number;
  /** int8 with the widest integer unit the CPU reports (AMX tiles, else AVX-512 VNNI, else AVX2). */
  int8OpsPerSecond: number;
  /** How each figure was reached, every assumption named. */
  assumptions: string;
}

/** The clock to multiply by: lscpu's max MHz, else the model name's "@ x GHz", else the kernel's current MHz. */
function clockGHz(text: string): { ghz: number; source: string } {
  const max = Number(/^CPU max MHz:\s*([\d.]+)/m.exec(text)?.[1]);
  if (max > 0) return { ghz: max / 1000, source: 'lscpu max MHz' };
  const named = Number(/@\s*([\d.]+)\s*GHz/.exec(text)?.[1]);
  if (named > 0) return { ghz: named, source: 'the model name' };
  let mhz = Number(os.cpus()[0]?.speed);
  try {
    mhz = Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]) || mhz;
  } catch {
    // os.cpus() it is.
  }
  return { ghz: mhz / 1000, source: 'the reported MHz (no turbo information: a VM, say)' };
}

/**
 * cores x vector lanes x 2 (a fused multiply-add is two operations) x FMA ports x clock. The port
 * count is not visible from software: 2 is what Xeon Gold/Platinum and recent AMD EPYC cores have
 * (some Xeon Silver/Bronze parts have 1). int8: AMX TDPBUSD does 16x16x64 multiply-adds in 16
 * cycles per core (1024 per cycle); AVX-512 VNNI's VPDPBUSD 64 per instruction and port; AVX2
 * (VPMADDUBSW + VPMADDWD) about 32 per port. All at the same clock, which AVX-512 and AMX lower
 * under load: a ceiling, not a promise.
 */
export function theoreticalPeak(): TheoreticalPeak {
  const text = lscpu();
  const flags = new Set((/^Flags:\s*(.+)$/m.exec(text)?.[1] ?? '').split(/\s+/));
  const cores = Number(/^Core\(s\) per socket:\s*(\d+)/m.exec(text)?.[1] ?? 0) * Number(/^Socket\(s\):\s*(\d+)/m.exec(text)?.[1] ?? 1) || os.availableParallelism();
  const { ghz, source } = clockGHz(text);
  const lanes = flags.has('avx512f') ? 16 : flags.has('avx2') || flags.has('avx') ? 8 : 4;
  const ports = 2;
  const fp32 = cores * lanes * 2 * ports * ghz * 1e9;
  let int8PerCycle: number;
  let int8Unit: string;
  if (flags.has('amx_int8')) {
    int8PerCycle = 1024 * 2;
    int8Unit = 'AMX: 1024 int8 multiply-adds per cycle per core';
  } else if (flags.has('avx512_vnni')) {
    int8PerCycle = 64 * ports * 2;
    int8Unit = `AVX-512 VNNI: 64 int8 multiply-adds per instruction x ${ports} ports`;
  } else {
    int8PerCycle = (lanes * 2) * ports * 2;
    int8Unit = `no VNNI: ${lanes * 2} int8 multiply-adds per instruction pair x ${ports} ports`;
  }
  const int8 = cores * int8PerCycle * ghz * 1e9;
  const width = lanes * 32;
  return {
    fp32FlopsPerSecond: fp32,
    int8OpsPerSecond: int8,
    assumptions: `${cores} cores x ${width}-bit vectors (${lanes} fp32 lanes) x 2 (FMA) x ${ports} FMA ports (assumed) x ${ghz.toFixed(2)} GHz (from ${source}); int8: ${int8Unit}`,
  };
}
