/**
 * Seeded randomness for forged weights. Every tensor draws from its own stream
 * derived from (seed, tensor name), so changing one tensor's shape (e.g. a
 * different maxPositions) leaves every other tensor byte-identical.
 */

/** FNV-1a over UTF-16 code units; only needs to spread names, not resist attacks. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: tiny, fast, and good enough for weight initialisation. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal sampler (Box-Muller), caching the second variate of each pair. */
export function normalSampler(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    // 1 - u keeps the log argument in (0, 1], so it never sees 0.
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

/** Independent normal stream for one named tensor. */
export function tensorStream(seed: number, name: string): () => number {
  // Mixing with a golden-ratio multiple keeps seed 0 and seed 1 streams unrelated.
  const mixed = (Math.imul(seed >>> 0, 0x9e3779b1) ^ hashString(name)) >>> 0;
  return normalSampler(mulberry32(mixed));
}
