// The Team screen (admins): the studio's users and what an admin does to them. Every
// call is decided by AWS with the admin's own credentials; a refusal comes back as an
// error with its code, kept here in plain words.
import type { Backend } from "../api/backend";
import type { InvitationView } from "../bindings/InvitationView";
import type { TeamGroup } from "../bindings/TeamGroup";
import type { TeamMember } from "../bindings/TeamMember";
import type { PlainError } from "../errors";
import { attempt } from "./attempt";

export class TeamStore {
  members = $state<TeamMember[]>([]);
  loaded = $state(false);
  error = $state<PlainError | null>(null);
  busy = $state(false);
  /** The last invitation, with the temporary password to show once (until dismissed). */
  invitation = $state<InvitationView | null>(null);

  constructor(private backend: Backend) {}

  async refresh(): Promise<void> {
    const members = await attempt(this, () => this.backend.teamMembers());
    if (members) {
      this.members = members;
      this.loaded = true;
    }
  }

  /** Does `work`, then reloads the list; false (with `error` set) when it was refused. */
  private async change(work: () => Promise<unknown>): Promise<boolean> {
    const done = (await attempt(this, async () => (await work(), true))) ?? false;
    if (done) await this.refresh();
    return done;
  }

  async invite(email: string, username: string, group: TeamGroup, showPassword: boolean): Promise<boolean> {
    this.invitation = null;
    return this.change(async () => {
      this.invitation = await this.backend.inviteMember(email.trim(), username.trim() || null, group, showPassword);
    });
  }

  setGroup(username: string, group: TeamGroup): Promise<boolean> {
    return this.change(() => this.backend.setMemberGroup(username, group));
  }

  disable(username: string): Promise<boolean> {
    return this.change(() => this.backend.disableMember(username));
  }

  enable(username: string): Promise<boolean> {
    return this.change(() => this.backend.enableMember(username));
  }

  resetPassword(username: string): Promise<boolean> {
    return this.change(() => this.backend.resetMemberPassword(username));
  }

  remove(username: string): Promise<boolean> {
    return this.change(() => this.backend.removeMember(username));
  }
}
