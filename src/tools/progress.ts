import cliProgress from 'cli-progress';

/** A command's progress: work done so far, in the units its total counts. */
export interface Progress {
  tick(units?: number): void;
  stop(): void;
}

export const NO_PROGRESS: Progress = { tick: () => undefined, stop: () => undefined };

/**
 * A progress line with an ETA on stderr, for the commands that run for minutes (quantize --check,
 * optimize --check / --measure): a newcomer saw 429 s and 936 s of silence (issue 24). Without a
 * terminal it prints a line every 10 s instead, so a CI log shows it too.
 */
export function progressBar(label: string, total: number): Progress {
  const bar = new cliProgress.SingleBar(
    { format: `${label} |{bar}| {value}/{total} | {duration_formatted} elapsed, ETA {eta_formatted}`, hideCursor: true, noTTYOutput: true, notTTYSchedule: 10_000, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    tick: (units = 1) => bar.increment(units),
    stop: () => bar.stop(),
  };
}
