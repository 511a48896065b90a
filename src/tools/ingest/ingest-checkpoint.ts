import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Where an ingest run has got to, so `--resume` can skip what is committed. Batches finish out of
 * order when several are in flight, so the checkpoint holds the documents before the first batch
 * not yet committed: everything before it is in the collection, and what a resumed run sends
 * again after it is upserted by id, replacing rather than duplicating. The file names the input
 * (path, size, modification time) and the collection, so a resume never skips the wrong records.
 */
export interface CheckpointState {
  file: string;
  size: number;
  mtimeMs: number;
  collection: string;
  /** Documents of the input (in file order) that are committed. */
  documents: number;
}

/** The default checkpoint file: beside the input, named for the collection. */
export function checkpointPath(file: string, collection: string): string {
  return `${resolve(file)}.${collection}.ingest-checkpoint.json`;
}

function identity(file: string, collection: string): Omit<CheckpointState, 'documents'> {
  const st = statSync(file);
  return { file: resolve(file), size: st.size, mtimeMs: st.mtimeMs, collection };
}

/** The documents a resumed run skips: 0 without a checkpoint; an error when it belongs to another input or collection. */
export function readCheckpoint(path: string, file: string, collection: string): number {
  let saved: CheckpointState;
  try {
    saved = JSON.parse(readFileSync(path, 'utf8')) as CheckpointState;
  } catch {
    return 0;
  }
  const now = identity(file, collection);
  if (saved.file !== now.file || saved.collection !== now.collection) throw new Error(`${path} is the checkpoint of ${saved.file} into ${saved.collection}, not of this run; remove it or run without --resume`);
  if (saved.size !== now.size || saved.mtimeMs !== now.mtimeMs) throw new Error(`${now.file} changed since the checkpoint ${path} was written, so the documents it counts may not be the same; run without --resume`);
  return saved.documents;
}

/** Records progress; written aside and renamed, so a kill never leaves half a file. */
export class Checkpoint {
  private readonly base: Omit<CheckpointState, 'documents'>;
  private warned = false;

  constructor(
    private readonly path: string,
    file: string,
    collection: string,
    private readonly warn: (msg: string) => void,
  ) {
    this.base = identity(file, collection);
  }

  save(documents: number): void {
    try {
      writeFileSync(`${this.path}.tmp`, JSON.stringify({ ...this.base, documents } satisfies CheckpointState));
      renameSync(`${this.path}.tmp`, this.path);
    } catch (err) {
      if (!this.warned) this.warn(`cannot write the checkpoint ${this.path} (${(err as Error).message}); --resume will start from the beginning`);
      this.warned = true;
    }
  }

  /** A finished run leaves no checkpoint: the next run starts from the beginning. */
  clear(): void {
    rmSync(this.path, { force: true });
  }
}
