/** What a policy check throws, and the origin it checks for (policy.ts). */

export class PolicyRefusal extends Error {
  override readonly name = 'PolicyRefusal';
}

export interface Scope {
  /** May dial gateways, line groups, external SIP and loopback, and transfer anywhere. */
  outbound: boolean;
  /** The call's context: without `outbound`, transfers must stay in it. */
  context?: string | undefined;
  /** Names a CLI key grants exactly (commands or applications beyond the tables). */
  exact?: ((name: string) => boolean) | undefined;
  /** Commands of the table the origin may run (a key's allow-list; api hook values). */
  command?: ((name: string) => boolean) | undefined;
  /** noriginate: `nout/<extension>/<number>` legs may be dialled (src/originate/translate.ts replaces them). */
  nout?: boolean | undefined;
  /** Filled with the names that passed only by an exact grant (for the audit line). */
  exactUsed?: string[] | undefined;
}
