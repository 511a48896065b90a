/**
 * The logger every part is handed (pino's shape, so the server passes its own child loggers): each
 * part gets one with its own `component`, and tests pass a silent one.
 */
export interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  /** pino's child logger; a part's own `component` goes in the bindings. */
  child?(bindings: object): Log;
}

export const SILENT_LOG: Log = { info: () => undefined, warn: () => undefined };
