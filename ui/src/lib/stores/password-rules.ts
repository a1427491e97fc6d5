// The pool's password policy checked against what is being typed, rule by rule,
// so the new-password form can tick each rule off live.
import type { PasswordPolicyView } from "../bindings/PasswordPolicyView";

export interface RuleCheck {
  rule: string;
  met: boolean;
}

// Cognito's symbol set for password policies.
const SYMBOLS = /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+-]/;

export function checkPassword(policy: PasswordPolicyView, password: string): RuleCheck[] {
  const checks: RuleCheck[] = [
    { rule: `At least ${policy.minLength} characters`, met: [...password].length >= policy.minLength },
  ];
  if (policy.requireUppercase) checks.push({ rule: "An upper-case letter (A–Z)", met: /[A-Z]/.test(password) });
  if (policy.requireLowercase) checks.push({ rule: "A lower-case letter (a–z)", met: /[a-z]/.test(password) });
  if (policy.requireNumbers) checks.push({ rule: "A number (0–9)", met: /[0-9]/.test(password) });
  if (policy.requireSymbols) checks.push({ rule: "A symbol, such as ! or #", met: SYMBOLS.test(password) });
  return checks;
}

export function meetsPolicy(policy: PasswordPolicyView, password: string): boolean {
  return checkPassword(policy, password).every((c) => c.met);
}
