import cliProgress from 'cli-progress';

/** Receives how many bytes of a file are on disk so far; a restart from zero simply reports a smaller number. */
export type BytesReporter = (path: string, bytesOnDisk: number) => void;

export interface PullProgress {
  report: BytesReporter;
  stop(): void;
}

const SILENT: PullProgress = { report: () => {}, stop: () => {} };

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * One bar for the total of the pull: the ONNX file dominates the bytes, so per-file bars for a
 * handful of small JSON files would only add flicker.
 */
export function createProgress(enabled: boolean, totalBytes: number): PullProgress {
  if (!enabled || totalBytes <= 0) return SILENT;
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: 'pull [{bar}] {percentage}% | {done} / {size} | {file}',
    // Explicitly requested progress on a pipe still prints, just without redrawing in place.
    noTTYOutput: !process.stderr.isTTY,
    notTTYSchedule: 2000,
    hideCursor: null,
    clearOnComplete: false,
  });
  const perFile = new Map<string, number>();
  let sum = 0;
  bar.start(totalBytes, 0, { done: mib(0), size: mib(totalBytes), file: '' });
  return {
    report(path, bytesOnDisk) {
      sum += bytesOnDisk - (perFile.get(path) ?? 0);
      perFile.set(path, bytesOnDisk);
      bar.update(Math.min(sum, totalBytes), { done: mib(sum), size: mib(totalBytes), file: path });
    },
    stop() {
      bar.stop();
    },
  };
}
