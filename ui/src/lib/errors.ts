// What an error from the engine means to the person at the screen: a short title
// per IpcError code (the UI switches on codes, never on text), and the engine's
// message, which already says what to do.
import { asIpcError } from "./api/backend";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { IpcError } from "./bindings/IpcError";

const TITLES: Record<ErrorCode, string> = {
  config: "Lightbox is not set up yet",
  internal: "Something went wrong inside Lightbox",
  wrong_password: "Wrong user name or password",
  unknown_user: "No such user",
  weak_password: "That password is not allowed",
  session_expired: "The sign-in took too long",
  wrong_code: "That code did not work",
  not_signed_in: "Please sign in again",
  auth_service: "Sign-in is not available right now",
  forbidden: "Only admins can do that",
  not_found: "It is not there any more",
  engine_busy: "Another Lightbox is uploading",
  bad_input: "Please check what you entered",
  network: "No connection",
  storage: "The photo storage refused",
};

export interface PlainError {
  code: ErrorCode;
  title: string;
  message: string;
}

/** Any rejection from the backend, as a title and a message to show. */
export function plainError(e: unknown): PlainError {
  const err: IpcError = asIpcError(e);
  return { code: err.code, title: TITLES[err.code] ?? TITLES.internal, message: err.message };
}
