// What the pages tell a newcomer to write agrees with the README and with the broker: no snippet asks
// SSO OIDC for `openid` (it issues no ID token the broker could vouch for, and the README's own
// examples leave it out), and the token handler's SPA snippet names the redirect URI it signs in to,
// on a page that says what login/start does when it is not told.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** Every file under a folder. */
const filesUnder = (folder: string): string[] =>
  readdirSync(join(ROOT, folder)).flatMap((name) => {
    const path = join(folder, name);
    return statSync(join(ROOT, path)).isDirectory() ? filesUnder(path) : [path];
  });

/** The fenced code blocks of a Markdown page. */
const codeBlocks = (markdown: string): string[] => [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);

/** A scope a client asks for, in code: `scope: '…'`, `scope=…`, `--scopes …` (what SSO OIDC is asked for at sign-in). */
const REQUESTED_SCOPE = /\bscope["']?\s*[:=]\s*["'`]?([^"'`\n,)]*)/g;

it('no snippet asks for `openid`, as the README says: SSO OIDC issues no ID token the broker could vouch for', () => {
  expect(read('README.md')).toContain("scope: 'sso:account:access', // no `openid`");
  const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
  const code = [
    ...pages.flatMap((page) => codeBlocks(read(page)).map((block) => [page, block] as const)),
    ...filesUnder('examples').filter((file) => /\.(ts|js|html)$/.test(file)).map((file) => [relative(ROOT, join(ROOT, file)), read(file)] as const),
  ];
  const asking = code.flatMap(([where, text]) =>
    [...text.matchAll(REQUESTED_SCOPE)].filter((match) => /\bopenid\b/.test(match[1]!)).map((match) => `${where}: ${match[0]}`),
  );
  expect(asking).toEqual([]);
  // The search finds what it looks for.
  expect([..."scope: 'openid sso:account:access'".matchAll(REQUESTED_SCOPE)]).toHaveLength(1);
});

it('the token handler\'s SPA snippet names its redirect URI and scope, and the page says what login/start does without them', () => {
  const page = read('docs/token-handler.md');
  const snippet = codeBlocks(page).find((block) => block.includes('session.signIn('));
  expect(snippet).toBeDefined();
  // signIn posts its options to /bff/login/start as they are (browser/session.ts).
  expect(snippet).toMatch(/session\.signIn\(\{ redirectUri: .+, scope: '[^']+' \}\)/);
  expect(page).toContain('Left out, it is the **first** of them, whichever app is');
  expect(page).toContain('SSO OIDC gives the tokens **the scopes the client registration was made with**');
});
