import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../../App.svelte";
import { ipcError, MockBackend, MockPlatform, teamMember } from "../api/mock";
import { TeamStore } from "../stores/team.svelte";
import Team from "./Team.svelte";

function adminWithTeam() {
  const backend = new MockBackend().signInAs("maria", "admin");
  backend.team = [
    teamMember("maria", { group: "admins" }),
    teamMember("jonas"),
    teamMember("lena", { status: "waiting_for_first_sign_in" }),
  ];
  return backend;
}

async function showTeam(backend: MockBackend) {
  render(Team, { props: { store: new TeamStore(backend) } });
  return screen.findByRole("table");
}

function rowOf(username: string): HTMLElement {
  const row = document.querySelector<HTMLElement>(`tr[data-user="${username}"]`);
  if (!row) throw new Error(`no row for ${username}`);
  return row;
}

describe("Team", () => {
  it("is in the navigation for admins only", async () => {
    render(App, { props: { backend: new MockBackend().signInAs("jonas", "staff"), platform: new MockPlatform() } });
    const nav = await screen.findByRole("navigation", { name: "Screens" });
    expect(within(nav).queryByRole("button", { name: "Team" })).toBeNull();
    expect(within(nav).getByRole("button", { name: "Gallery" })).toBeTruthy();
  });

  it("opens from the navigation for an admin and lists the team", async () => {
    const backend = adminWithTeam();
    render(App, { props: { backend, platform: new MockPlatform() } });
    const nav = await screen.findByRole("navigation", { name: "Screens" });
    await fireEvent.click(within(nav).getByRole("button", { name: "Team" }));
    expect(await screen.findByRole("heading", { name: "Team" })).toBeTruthy();
    await screen.findByRole("table");
    expect(within(rowOf("lena")).getByText("Waiting for first sign-in")).toBeTruthy();
    expect(backend.calledWith("teamMembers")).toHaveLength(1);
  });

  it("offers no disable or remove on the admin's own row", async () => {
    await showTeam(adminWithTeam());
    const me = rowOf("maria");
    expect(within(me).getByText("(you)")).toBeTruthy();
    expect(within(me).queryByRole("button", { name: "Disable" })).toBeNull();
    expect(within(me).queryByRole("button", { name: "Remove…" })).toBeNull();
    expect(within(rowOf("jonas")).getByRole("button", { name: "Disable" })).toBeTruthy();
  });

  it("invites with the temporary password shown once, then lists the invitee", async () => {
    const backend = adminWithTeam();
    await showTeam(backend);
    await fireEvent.input(screen.getByLabelText("E-mail"), { target: { value: " ida@studio.local " } });
    await fireEvent.change(screen.getByLabelText("Group"), { target: { value: "admins" } });
    await fireEvent.click(screen.getByLabelText(/Show me the temporary password/));
    await fireEvent.click(screen.getByRole("button", { name: "Invite" }));
    const invited = await screen.findByText(/shown only now/);
    expect(invited.textContent).toContain("Tmp-Pass-1234567");
    expect(backend.calledWith("inviteMember")).toEqual([["ida@studio.local", null, "admins", true]]);
    await waitFor(() => expect(rowOf("ida@studio.local")).toBeTruthy());
    await fireEvent.click(screen.getByRole("button", { name: "Done" }));
    expect(screen.queryByText(/Tmp-Pass-1234567/)).toBeNull();
  });

  it("asks before removing, naming the user, and removes only on confirm", async () => {
    const backend = adminWithTeam();
    await showTeam(backend);
    await fireEvent.click(within(rowOf("jonas")).getByRole("button", { name: "Remove…" }));
    const dialog = screen.getByRole("alertdialog");
    expect(within(dialog).getByRole("heading", { name: "Remove jonas?" })).toBeTruthy();
    await fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(backend.calledWith("removeMember")).toEqual([]);
    await fireEvent.click(within(rowOf("jonas")).getByRole("button", { name: "Remove…" }));
    await fireEvent.click(screen.getByRole("button", { name: "Remove jonas" }));
    expect(backend.calledWith("removeMember")).toEqual([["jonas"]]);
    await waitFor(() => expect(document.querySelector('tr[data-user="jonas"]')).toBeNull());
  });

  it("disables, enables and moves a member", async () => {
    const backend = adminWithTeam();
    await showTeam(backend);
    await fireEvent.click(within(rowOf("jonas")).getByRole("button", { name: "Disable" }));
    await waitFor(() => expect(rowOf("jonas").dataset.status).toBe("disabled"));
    await fireEvent.click(within(rowOf("jonas")).getByRole("button", { name: "Enable" }));
    await waitFor(() => expect(rowOf("jonas").dataset.status).toBe("active"));
    await fireEvent.change(screen.getByLabelText("Group of jonas"), { target: { value: "admins" } });
    expect(backend.calledWith("setMemberGroup")).toEqual([["jonas", "admins"]]);
  });

  it("shows the server's refusal in plain words", async () => {
    const backend = adminWithTeam();
    backend.failNext.set(
      "teamMembers",
      ipcError("forbidden", "AWS refused ListUsers (not authorized to perform: cognito-idp:ListUsers): only studio admins may manage the team; sign in as an admin"),
    );
    render(Team, { props: { store: new TeamStore(backend) } });
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Only admins can do that");
    expect(alert.textContent).toContain("cognito-idp:ListUsers");
    expect(screen.queryByRole("table")).toBeNull();
  });
});
