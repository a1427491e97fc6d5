// One way for every store to run a backend call: mark it busy, clear the last
// error, and keep a failure as a plain-words error instead of throwing.
import { type PlainError, plainError } from "../errors";

export interface Attempting {
  error: PlainError | null;
  busy: boolean;
}

/** The call's result, or `undefined` when it failed (then `target.error` says why). */
export async function attempt<T>(target: Attempting, work: () => Promise<T>): Promise<T | undefined> {
  target.busy = true;
  target.error = null;
  try {
    return await work();
  } catch (e) {
    target.error = plainError(e);
    return undefined;
  } finally {
    target.busy = false;
  }
}
