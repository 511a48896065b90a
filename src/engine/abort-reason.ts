import { DeadlineExceededError } from '../errors.js';

/** Deadlines and disconnects are told apart by the signal's reason (see http/request-signal.ts). */
export function abortReason(reason: unknown): 'deadline' | 'client_gone' {
  const timedOut = reason instanceof DeadlineExceededError || (reason instanceof Error && reason.name === 'TimeoutError');
  return timedOut ? 'deadline' : 'client_gone';
}
