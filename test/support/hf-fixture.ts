import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What test/fixtures/hf/make_fixtures.py writes for an embedder: SentenceTransformer.encode's ids and vectors. */
export interface EmbeddingReference {
  max_seq_length: number;
  texts: string[];
  input_ids: number[][];
  embeddings: number[][];
}

/** A folder under test/fixtures/hf/ written by the Hugging Face Python stack, with its reference.json. */
export function embedderFixture(name: string): { dir: string; reference: EmbeddingReference } {
  const dir = new URL(`../fixtures/hf/${name}/`, import.meta.url).pathname;
  return { dir, reference: JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as EmbeddingReference };
}
