import { describe, expect, it } from "vitest";
import { MockBackend } from "../api/mock";
import { checkPassword, meetsPolicy } from "./password-rules";
import { SessionStore } from "./session.svelte";

describe("SessionStore", () => {
  it("walks a temporary password through newPasswordRequired to signedIn", async () => {
    const backend = new MockBackend();
    const s = new SessionStore(backend);
    await s.load();
    expect(s.stage).toBe("signedOut");
    await s.signIn(" admin ", "Temp0rary!");
    expect(s.stage).toBe("newPassword");
    expect(s.policy?.minLength).toBe(8);
    await s.completeNewPassword("Brand-new-1");
    expect(s.stage).toBe("signedIn");
    expect(s.session?.role).toBe("admin");
    expect(s.isAdmin).toBe(true);
    expect(backend.calledWith("signIn")).toEqual([["admin", "Temp0rary!"]]);
  });

  it("keeps the user on the form with a plain error for a wrong password", async () => {
    const s = new SessionStore(new MockBackend());
    await s.signIn("admin", "nope");
    expect(s.stage).toBe("loading");
    expect(s.error?.code).toBe("wrong_password");
    expect(s.error?.title).toBe("Wrong user name or password");
  });

  it("asks for the authenticator code and strips spaces from it", async () => {
    const backend = new MockBackend();
    backend.users.set("ana", { password: "pw", role: "staff", totp: "required" });
    const s = new SessionStore(backend);
    await s.signIn("ana", "pw");
    expect(s.stage).toBe("totp");
    await s.answerTotp("123 456");
    expect(s.stage).toBe("signedIn");
    expect(backend.calledWith("answerTotp")).toEqual([["123456"]]);
  });

  it("resets a forgotten password and comes back to sign-in with a notice", async () => {
    const backend = new MockBackend();
    const s = new SessionStore(backend);
    s.startForgot();
    await s.forgotPassword("admin");
    expect(s.stage).toBe("forgotCode");
    expect(s.delivery?.destination).toContain("***");
    await s.confirmForgotPassword("111 222", "Another-pw-9");
    expect(s.stage).toBe("signedOut");
    expect(s.notice).toMatch(/password was changed/);
    expect(backend.calledWith("confirmForgotPassword")).toEqual([["admin", "111222", "Another-pw-9"]]);
  });
});

describe("checkPassword", () => {
  const policy = {
    minLength: 10,
    requireUppercase: true,
    requireLowercase: true,
    requireNumbers: true,
    requireSymbols: true,
    rules: [],
  };

  it("ticks off each rule the typed password meets", () => {
    const checks = checkPassword(policy, "abcDEF");
    expect(checks.map((c) => c.met)).toEqual([false, true, true, false, false]);
    expect(meetsPolicy(policy, "abcDEF12!?")).toBe(true);
  });
});
