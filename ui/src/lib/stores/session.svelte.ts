// Who is signed in, and where a sign-in stands: the screens follow `step`.
import type { Backend } from "../api/backend";
import type { CodeDelivery } from "../bindings/CodeDelivery";
import type { PasswordPolicyView } from "../bindings/PasswordPolicyView";
import type { SessionView } from "../bindings/SessionView";
import type { SignInStep } from "../bindings/SignInStep";
import type { TotpSetup } from "../bindings/TotpSetup";
import type { PlainError } from "../errors";
import { attempt } from "./attempt";

export type SignInStage =
  | "loading"
  | "signedOut"
  | "newPassword"
  | "totp"
  | "totpSetup"
  | "forgot"
  | "forgotCode"
  | "signedIn";

export class SessionStore {
  stage = $state<SignInStage>("loading");
  session = $state<SessionView | null>(null);
  policy = $state<PasswordPolicyView | null>(null);
  totpSetup = $state<TotpSetup | null>(null);
  delivery = $state<CodeDelivery | null>(null);
  /** The user name being signed in (kept across the steps and for forgot-password). */
  username = $state("");
  error = $state<PlainError | null>(null);
  notice = $state<string | null>(null);
  busy = $state(false);

  constructor(private backend: Backend) {}

  get isAdmin(): boolean {
    return this.session?.role === "admin";
  }

  private async run<T>(work: () => Promise<T>): Promise<T | undefined> {
    const result = await attempt(this, work);
    if (this.error?.code === "session_expired") this.stage = "signedOut";
    return result;
  }

  private follow(step: SignInStep | undefined): void {
    if (!step) return;
    this.notice = null;
    switch (step.kind) {
      case "signedIn":
        this.session = step.session;
        this.stage = "signedIn";
        break;
      case "newPasswordRequired":
        this.policy = step.policy;
        this.stage = "newPassword";
        break;
      case "totpRequired":
        this.stage = "totp";
        break;
      case "totpSetupRequired":
        this.stage = "totpSetup";
        break;
    }
  }

  async load(): Promise<void> {
    const view = await this.run(() => this.backend.sessionState());
    if (view?.signedIn) {
      this.session = view;
      this.stage = "signedIn";
    } else {
      this.stage = "signedOut";
    }
  }

  async signIn(username: string, password: string): Promise<void> {
    this.username = username.trim();
    this.follow(await this.run(() => this.backend.signIn(this.username, password)));
  }

  async completeNewPassword(password: string): Promise<void> {
    this.follow(await this.run(() => this.backend.completeNewPassword(password)));
  }

  async answerTotp(code: string): Promise<void> {
    this.follow(await this.run(() => this.backend.answerTotp(code.replace(/\s/g, ""))));
  }

  async beginTotpSetup(): Promise<void> {
    const setup = await this.run(() => this.backend.beginTotpSetup());
    if (setup) this.totpSetup = setup;
  }

  async verifyTotpSetup(code: string): Promise<void> {
    this.follow(await this.run(() => this.backend.verifyTotpSetup(code.replace(/\s/g, ""))));
  }

  startForgot(): void {
    this.error = null;
    this.stage = "forgot";
  }

  backToSignIn(): void {
    this.error = null;
    this.stage = "signedOut";
  }

  async forgotPassword(username: string): Promise<void> {
    this.username = username.trim();
    const delivery = await this.run(() => this.backend.forgotPassword(this.username));
    if (delivery) {
      this.delivery = delivery;
      this.stage = "forgotCode";
    }
  }

  async confirmForgotPassword(code: string, newPassword: string): Promise<void> {
    const done = await this.run(() =>
      this.backend.confirmForgotPassword(this.username, code.replace(/\s/g, ""), newPassword),
    );
    if (done !== undefined) {
      this.stage = "signedOut";
      this.notice = "Your password was changed. Sign in with the new one.";
    }
  }

  async signOut(): Promise<void> {
    const result = await this.run(() => this.backend.signOut());
    if (result) {
      this.session = null;
      this.stage = "signedOut";
      this.notice = result.message;
    }
  }
}
