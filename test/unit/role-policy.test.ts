// The role policy (TOKEN_BROKER_PORTAL_ROLES): parsing every form of rule and refusing the rest,
// deciding GetRoleCredentials, and filtering ListAccountRoles pages.

import { allowedRoles, parseRolePolicy, parseRoleRule, rolePolicy } from '../../lambda/core/role-policy.js';

const SANDBOX = '111122223333';
const STAGING = '444455556666';

describe('parseRolePolicy', () => {
  it('reads account-specific and any-account rules, keeping their order and dropping repeats', () => {
    const { policy, problems } = parseRolePolicy([`${SANDBOX}/PowerUserAccess`, '*/ReadOnlyAccess', `${SANDBOX}/PowerUserAccess`]);
    expect(problems).toEqual([]);
    expect(policy.rules).toEqual([
      { accountId: SANDBOX, roleName: 'PowerUserAccess' },
      { accountId: '*', roleName: 'ReadOnlyAccess' },
    ]);
  });

  it('has no default: an empty list is a problem, not "every role"', () => {
    const { policy, problems } = parseRolePolicy([]);
    expect(problems).toEqual([expect.stringContaining('at least one role')]);
    expect(policy.allows(SANDBOX, 'AdministratorAccess')).toBe(false);
  });

  it.each([
    ['ReadOnlyAccess', 'is not accountId/roleName'],
    ['*/*', 'name the role'],
    [`${SANDBOX}/*`, 'name the role'],
    ['12345/ReadOnlyAccess', 'must be 12 digits'],
    ['arn:aws:iam::111122223333:role/X/ReadOnlyAccess', 'must be 12 digits'],
    [`${SANDBOX}/`, 'a role name is 1 to 64'],
    [`${SANDBOX}/Read Only`, 'a role name is 1 to 64'],
    [`${SANDBOX}/${'R'.repeat(65)}`, 'a role name is 1 to 64'],
  ])('refuses %s (%s)', (item, problem) => {
    const parsed = parseRoleRule(item);
    expect(parsed).toEqual({ problem: expect.stringContaining(problem) });
    expect(parseRolePolicy([item]).problems).toEqual([expect.stringContaining(problem)]);
  });

  it('accepts every character IAM allows in a role name', () => {
    expect(parseRoleRule(`${SANDBOX}/a_Z-0+=,.@x`)).toEqual({ rule: { accountId: SANDBOX, roleName: 'a_Z-0+=,.@x' } });
  });

  it('lists every problem at once', () => {
    expect(parseRolePolicy(['x', '*/*', `${SANDBOX}/ok`]).problems).toHaveLength(2);
  });
});

describe('a policy decides', () => {
  const policy = rolePolicy([
    { accountId: SANDBOX, roleName: 'PowerUserAccess' },
    { accountId: '*', roleName: 'ReadOnlyAccess' },
  ]);

  it('an account-specific rule allows its role in its account only', () => {
    expect(policy.allows(SANDBOX, 'PowerUserAccess')).toBe(true);
    expect(policy.allows(STAGING, 'PowerUserAccess')).toBe(false);
  });

  it('a * rule allows its role in every account', () => {
    expect(policy.allows(SANDBOX, 'ReadOnlyAccess')).toBe(true);
    expect(policy.allows(STAGING, 'ReadOnlyAccess')).toBe(true);
  });

  it('names compare exactly: another role, or the same name in another case, is refused', () => {
    expect(policy.allows(SANDBOX, 'AdministratorAccess')).toBe(false);
    expect(policy.allows(SANDBOX, 'readonlyaccess')).toBe(false);
  });

  it('which accounts could have an allowed role at all', () => {
    const explicit = rolePolicy([{ accountId: SANDBOX, roleName: 'PowerUserAccess' }]);
    expect(explicit.mayAllowIn(SANDBOX)).toBe(true);
    expect(explicit.mayAllowIn(STAGING)).toBe(false);
    expect(policy.mayAllowIn(STAGING)).toBe(true);
  });

  it('filters a ListAccountRoles page, dropping roles the page says are in another account', () => {
    const roles = [
      { roleName: 'AdministratorAccess', accountId: SANDBOX },
      { roleName: 'PowerUserAccess', accountId: SANDBOX },
      { roleName: 'ReadOnlyAccess', accountId: SANDBOX },
      { roleName: 'ReadOnlyAccess', accountId: STAGING },
      { roleName: 'ReadOnlyAccess' },
    ];
    expect(allowedRoles(policy, SANDBOX, roles)).toEqual([
      { roleName: 'PowerUserAccess', accountId: SANDBOX },
      { roleName: 'ReadOnlyAccess', accountId: SANDBOX },
      { roleName: 'ReadOnlyAccess' },
    ]);
  });
});
