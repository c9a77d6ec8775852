// A deployment's role policy (TOKEN_BROKER_PORTAL_ROLES): the roles of AWS accounts a web app may
// get credentials for through the broker. The access token alone unlocks every account and role its
// user is assigned; the broker narrows that to what the app needs. A rule is `accountId/roleName`,
// with `*` for any account (`*/ReadOnlyAccess`); the role is always named, so there is no rule that
// allows everything. Role names compare exactly, case and all, as the portal writes them.
// GetRoleCredentials outside the policy is refused by the broker (never sent to the portal);
// ListAccountRoles answers only allowed roles; ListAccounts only accounts with an allowed role.

/** An AWS account id: twelve digits. */
export const ACCOUNT_ID = /^\d{12}$/;
/** A role (permission set) name as the portal names it: IAM's role name characters, 1 to 64. */
export const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** The account of a rule that applies to every account. */
export const ANY_ACCOUNT = '*';

export interface RoleRule {
  /** An account id, or `*` for every account. */
  readonly accountId: string;
  readonly roleName: string;
}

export interface RolePolicy {
  /** The rules in the order given, without repeats. */
  readonly rules: readonly RoleRule[];
  /** Whether credentials for `roleName` in `accountId` may be handed out. */
  allows(accountId: string, roleName: string): boolean;
  /** Whether any role of `accountId` could be allowed: a rule names the account, or a rule is for every account. */
  mayAllowIn(accountId: string): boolean;
}

/** The policy of `rules` (already checked). */
export function rolePolicy(rules: readonly RoleRule[]): RolePolicy {
  const allowed = new Set(rules.map(({ accountId, roleName }) => `${accountId}/${roleName}`));
  const accounts = new Set(rules.map(({ accountId }) => accountId));
  return {
    rules,
    allows: (accountId, roleName) => allowed.has(`${accountId}/${roleName}`) || allowed.has(`${ANY_ACCOUNT}/${roleName}`),
    mayAllowIn: (accountId) => accounts.has(accountId) || accounts.has(ANY_ACCOUNT),
  };
}

/** One rule, or why it is not one. */
export function parseRoleRule(item: string): { rule: RoleRule } | { problem: string } {
  const slash = item.indexOf('/');
  if (slash === -1) return { problem: `"${item}" is not accountId/roleName (e.g. 111122223333/ReadOnlyAccess)` };
  const accountId = item.slice(0, slash);
  const roleName = item.slice(slash + 1);
  if (accountId !== ANY_ACCOUNT && !ACCOUNT_ID.test(accountId)) {
    return { problem: `"${item}": the account must be 12 digits, or * for any account` };
  }
  if (roleName === ANY_ACCOUNT) {
    return { problem: `"${item}": name the role (no rule allows every role)` };
  }
  if (!ROLE_NAME.test(roleName)) return { problem: `"${item}": a role name is 1 to 64 of A-Z a-z 0-9 +=,.@_-` };
  return { rule: { accountId, roleName } };
}

/**
 * The policy of a list of `accountId/roleName` items (already split and trimmed), and the problems
 * with it. An empty list is a problem: the policy has no default, least of all "every role".
 */
export function parseRolePolicy(items: readonly string[]): { policy: RolePolicy; problems: string[] } {
  const problems: string[] = [];
  const rules: RoleRule[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const parsed = parseRoleRule(item);
    if ('problem' in parsed) problems.push(parsed.problem);
    else if (!seen.has(item)) {
      seen.add(item);
      rules.push(parsed.rule);
    }
  }
  if (items.length === 0) problems.push('must list at least one role (accountId/roleName, * for any account)');
  return { policy: rolePolicy(rules), problems };
}

/** The roles of a ListAccountRoles page the policy allows; a role naming no account is taken to be in `accountId`. */
export function allowedRoles<R extends { readonly roleName?: string; readonly accountId?: string }>(
  policy: RolePolicy,
  accountId: string,
  roles: readonly R[],
): R[] {
  return roles.filter((role) => role.roleName !== undefined && (role.accountId ?? accountId) === accountId && policy.allows(accountId, role.roleName));
}
