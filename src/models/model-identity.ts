import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';

/**
 * Names what produced a score or a vector, not just the model's name: the ONNX bytes, every
 * tokenizer and pipeline file, and the settings that change the output. Two replicas serving other
 * weights, another vocabulary or another pooling under one served name must never share cache
 * entries. Reads every file whole, so it runs once at start-up.
 */
export async function modelIdentity(name: string, files: readonly string[], settings: unknown): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(settings));
  for (const file of files) {
    hash.update(`\0${basename(file)}\0`);
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  return `${name}@sha256:${hash.digest('hex')}`;
}
