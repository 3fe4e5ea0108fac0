/**
 * The Zoho Desk side of the simulated account: organizations (portals), their departments, contacts and tickets, and
 * `sim.desk`, the test-control object. The API over them is desk.ts.
 *
 *   sim.desk.orgs                     the organizations, the default one first: "Zylker Support" (isDefault, with two
 *                                     departments, 20 contacts and, after seedTickets, tickets) and "Zylker Labs" (no
 *                                     departments, contacts or tickets: a second portal the same user belongs to)
 *   sim.desk.defaultOrg               sim.desk.orgs[0]
 *   sim.desk.seedTickets(n, orgId?)   adds n tickets to the org (default: the default org) and returns copies. Tickets
 *                                     are numbered on (ticketNumber "101", "102", …), created one after the other over
 *                                     the last 90 days of sim.clock (an hour apart at most), in fixed proportions of
 *                                     status: 4 Open, 2 On Hold, 1 Escalated, 3 Closed of every 10, so a filter by
 *                                     status has a known count; departments and contacts alternate.
 *   sim.desk.tickets(orgId?)          copies of the org's tickets, in creation order
 *   sim.desk.reset()                  back to the start: the two orgs, departments and contacts, no tickets (sim.reset()
 *                                     calls it; sim.clearRecords() leaves Desk alone)
 *
 * Ids are numeric strings (Desk's ids are 16-19 digits, "1892000000042034"); times are Desk's UTC form with
 * milliseconds, "2024-05-10T08:40:47.000Z", from sim.clock.
 */
import { SimClock } from "./clock";
import { cloneJson } from "./util";

export const DESK_STATUSES = [
  { status: "Open", statusType: "Open" },
  { status: "On Hold", statusType: "On Hold" },
  { status: "Escalated", statusType: "Open" },
  { status: "Closed", statusType: "Closed" },
] as const;
export const DESK_PRIORITIES = ["High", "Medium", "Low"];
export const DESK_CHANNELS = ["Email", "Phone", "Web", "Chat", "Forums", "Twitter", "Facebook"];
/** status of the i-th seeded ticket, repeating every 10: 4 Open, 2 On Hold, 1 Escalated, 3 Closed */
const SEED_STATUSES = ["Open", "On Hold", "Open", "Closed", "Escalated", "Open", "Closed", "On Hold", "Open", "Closed"];
const SUBJECTS = ["Cannot log in", "Invoice is wrong", "Refund request", "Feature question", "Sync error", "Password reset", "Slow dashboard", "Export fails"];

export interface DeskOrgInfo {
  id: string;
  companyName: string;
  portalName: string;
  portalURL: string;
  isDefault: boolean;
  edition: string;
  isAdminInOrg: boolean;
  isSandboxPortal: boolean;
  currencyCode: string;
  countryCode: string;
  timeZone: string;
  employeeCount: string;
  website: string;
  phoneNumber: string;
  description: string | null;
  logoURL: string | null;
  faviconURL: string | null;
}

export interface DeskDepartment {
  id: string;
  name: string;
  description: string | null;
  isEnabled: boolean;
  isDefault: boolean;
  hasLogo: boolean;
  isAssignToTeamEnabled: boolean;
  sanitizedName: string;
}

export interface DeskContact {
  id: string;
  firstName: string | null;
  lastName: string;
  email: string | null;
  phone: string | null;
}

export interface DeskTicket {
  id: string;
  ticketNumber: string;
  subject: string;
  description: string | null;
  status: string;
  statusType: string;
  priority: string | null;
  channel: string;
  language: string;
  departmentId: string;
  contactId: string;
  email: string | null;
  phone: string | null;
  assigneeId: string | null;
  createdTime: string;
  modifiedTime: string;
  dueDate: string | null;
  closedTime: string | null;
  onholdTime: string | null;
  threadCount: string;
  commentCount: string;
  isSpam: boolean;
  webUrl: string;
}

export interface DeskOrg {
  info: DeskOrgInfo;
  departments: DeskDepartment[];
  contacts: DeskContact[];
  tickets: DeskTicket[];
}

/** Desk's datetime form: UTC, milliseconds (always .000 here) */
export function deskTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

const FIRST = ["Lucas", "Amelia", "Noah", "Priya", "Kenji", "Sofia", "Omar", "Chloe", "Mateo", "Ines"];
const LAST = ["Carol", "Patel", "Tanaka", "Rossi", "Schmidt", "Dubois", "Nguyen", "Silva", "Kowalski", "Haddad"];

export class DeskState {
  orgs: DeskOrg[] = [];
  private nextId = 0n;
  private nextNumber = 0;

  constructor(private readonly clock: SimClock) {
    this.reset();
  }

  get defaultOrg(): DeskOrg {
    return this.orgs[0];
  }

  reset(): void {
    this.nextId = 1892000000100000n;
    this.nextNumber = 101;
    const org = (id: string, companyName: string, portalName: string, isDefault: boolean): DeskOrg => ({
      info: {
        id,
        companyName,
        portalName,
        portalURL: `https://desk.zoho.com/support/${portalName}`,
        isDefault,
        edition: "ENTERPRISE",
        isAdminInOrg: true,
        isSandboxPortal: false,
        currencyCode: "USD",
        countryCode: "US",
        timeZone: "Asia/Kolkata",
        employeeCount: "50",
        website: `https://www.${portalName}.example.com`,
        phoneNumber: "1 888 900 9646",
        description: null,
        logoURL: null,
        faviconURL: null,
      },
      departments: [],
      contacts: [],
      tickets: [],
    });
    const main = org("60012345678", "Zylker Support (simulated)", "zylker", true);
    for (const [name, isDefault] of [["Support", true], ["Billing", false]] as const) {
      main.departments.push({
        id: this.newId(),
        name,
        description: `${name} requests`,
        isEnabled: true,
        isDefault,
        hasLogo: false,
        isAssignToTeamEnabled: false,
        sanitizedName: name.toLowerCase(),
      });
    }
    for (let i = 0; i < 20; i++) {
      const first = FIRST[i % FIRST.length];
      const last = LAST[(i * 3) % LAST.length];
      main.contacts.push({ id: this.newId(), firstName: first, lastName: last, email: `${first}.${last}.${i}@customer.example.com`.toLowerCase(), phone: `+1 555 01${String(i).padStart(2, "0")}` });
    }
    this.orgs = [main, org("60012345679", "Zylker Labs (simulated)", "zylkerlabs", false)];
  }

  newId(): string {
    return String(this.nextId++);
  }

  /** The org of that id (string), or undefined. */
  org(id: string): DeskOrg | undefined {
    return this.orgs.find((o) => o.info.id === id);
  }

  private mustOrg(orgId?: string): DeskOrg {
    const org = orgId === undefined ? this.defaultOrg : this.org(orgId);
    if (!org) throw new Error(`desk: unknown org ${orgId}`);
    return org;
  }

  /** A new ticket of `org` stamped `createdMs` (values already checked by the caller, desk.ts, or made up by seedTickets). */
  addTicket(org: DeskOrg, values: Partial<DeskTicket> & Pick<DeskTicket, "subject" | "departmentId" | "contactId">, createdMs: number): DeskTicket {
    const id = this.newId();
    const contact = org.contacts.find((c) => c.id === values.contactId);
    const status = DESK_STATUSES.find((s) => s.status === (values.status ?? "Open")) ?? DESK_STATUSES[0];
    const at = deskTime(createdMs);
    const ticket: DeskTicket = {
      id,
      ticketNumber: String(this.nextNumber++),
      subject: values.subject,
      description: values.description ?? null,
      status: status.status,
      statusType: status.statusType,
      priority: values.priority ?? null,
      channel: values.channel ?? "Email",
      language: "English",
      departmentId: values.departmentId,
      contactId: values.contactId,
      email: values.email ?? contact?.email ?? null,
      phone: values.phone ?? contact?.phone ?? null,
      assigneeId: null,
      createdTime: at,
      modifiedTime: at,
      dueDate: deskTime(createdMs + 3 * 86400000),
      closedTime: status.status === "Closed" ? at : null,
      onholdTime: status.status === "On Hold" ? at : null,
      threadCount: "1",
      commentCount: "0",
      isSpam: false,
      webUrl: `${org.info.portalURL}/ShowHomePage.do#Cases/dv/${id}`,
    };
    org.tickets.push(ticket);
    return ticket;
  }

  seedTickets(n: number, orgId?: string): DeskTicket[] {
    const org = this.mustOrg(orgId);
    if (!org.departments.length || !org.contacts.length) throw new Error(`desk: org ${org.info.id} has no departments or contacts to seed tickets with`);
    const count = Math.max(0, Math.floor(n));
    const now = this.clock.now();
    const stepMs = count > 0 ? Math.min(3600000, Math.floor((90 * 86400000) / count)) : 0;
    const out: DeskTicket[] = [];
    for (let i = 0; i < count; i++) {
      const contact = org.contacts[i % org.contacts.length];
      const t = this.addTicket(
        org,
        {
          subject: `${SUBJECTS[i % SUBJECTS.length]} #${this.nextNumber}`,
          description: "Seeded by the simulator.",
          status: SEED_STATUSES[i % SEED_STATUSES.length],
          priority: DESK_PRIORITIES[i % DESK_PRIORITIES.length],
          channel: DESK_CHANNELS[i % DESK_CHANNELS.length],
          departmentId: org.departments[i % org.departments.length].id,
          contactId: contact.id,
        },
        now - (count - i) * stepMs,
      );
      out.push(cloneJson(t));
    }
    return out;
  }

  tickets(orgId?: string): DeskTicket[] {
    return cloneJson(this.mustOrg(orgId).tickets);
  }
}
