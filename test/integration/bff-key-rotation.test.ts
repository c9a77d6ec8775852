// Cookie key rotation across instances, with real broker processes (as `npm start` runs them)
// sharing one Secrets Manager emulator: three instances, two rotations, traffic throughout, and nobody
// who holds a cookie sealed one generation back (under AWSPREVIOUS) is signed out. The sequence that
// signed users out before the versioned-secret cache marked AWSPREVIOUS stale on a new AWSCURRENT:
// instances A and B cache K0 as previous; rotate; users get K1 cookies from a fresh instance C;
// rotate; C is replaced by a fresh instance, which seals K2; a K2 cookie reaches A, which reads
// AWSCURRENT (K2) again; every K1 cookie that reaches A or B then must still open, though the K0 they
// cached as AWSPREVIOUS is far from its max age. Rotations are spaced wider than the cache's
// forced-read interval (5 s), as real ones (days apart) always are.

import { setTimeout as sleep } from 'node:timers/promises';
import { generateCookieKey, type CookieKey } from '../../lambda/core/cookie-keys.js';
import { sealedKeyId } from '../../lambda/core/seal.js';
import { ROUTES } from '../../lambda/edge/routes.js';
import { COOKIE_NAMES } from '../../lambda/surfaces/bff/cookies.js';
import { bff, CookieJar, pageUrlAfterSignIn } from '../helpers/bff.js';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { startEnvironment, type Environment } from '../helpers/environment.js';
import { frontDoorEnv, LOOPBACK_CALLBACK } from '../helpers/front-door.js';

const ORIGIN = 'https://app.example.com';
const KEYS_SECRET = 'bff-key-rotation/cookie-keys';
/** The versioned-secret cache's interval between forced reads. */
const FORCED_READ_INTERVAL_MS = 5000;
const USERS = 9;

let environment: Environment;
const instances: BrokerProcess[] = [];
/** What AWSCURRENT and AWSPREVIOUS hold, as the test rotates them. */
const stages: { current: CookieKey; previous: CookieKey | undefined } = { current: generateCookieKey(), previous: undefined };

interface Observed {
  readonly instance: number;
  readonly route: string;
  readonly keyId: string | undefined;
  /** The cookie's key was AWSCURRENT or AWSPREVIOUS when the request was sent. */
  readonly oneBackAtMost: boolean;
  readonly previous: boolean;
  readonly ok: boolean;
}
const observed: Observed[] = [];
const replacing = new Set<number>();

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'bff-key-rotation',
    redirectUri: `${ORIGIN}/`,
    extraRedirectUris: [LOOPBACK_CALLBACK],
    brokerEnv: frontDoorEnv({
      TOKEN_BROKER_SESSION_ORIGINS: ORIGIN,
      TOKEN_BROKER_COOKIE_SESSIONS: 'on',
      TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: KEYS_SECRET,
      // Instances keep what they read for a minute: their caches lag behind each rotation.
      TOKEN_BROKER_SECRET_MAX_AGE_SECONDS: '60',
    }),
  });
  environment.secrets.putSecret(KEYS_SECRET, JSON.stringify(stages.current));
  instances.push(environment.broker, await startBroker(environment.brokerEnv));
}, 60_000);

afterAll(async () => {
  await Promise.all(instances.slice(1).map((instance) => instance?.stop()));
  await environment?.stop();
});

/** Secrets Manager's rotation as the emulator does it: the new version becomes AWSCURRENT, the old one AWSPREVIOUS. */
function rotate(): void {
  stages.previous = stages.current;
  stages.current = generateCookieKey();
  environment.secrets.putSecret(KEYS_SECRET, JSON.stringify(stages.current));
}

const keyIdOf = (jar: CookieJar): string | undefined => {
  const value = jar.cookies.get(COOKIE_NAMES.session[0]) ?? jar.cookies.get(COOKIE_NAMES.session[1]);
  return value === undefined ? undefined : sealedKeyId(value.slice(value.indexOf('~') + 1));
};

/** One request of a user at an instance, recorded with the generation of the key its cookie was sealed under. */
async function send(user: CookieJar, instance: number, route: string, apply: boolean): Promise<boolean> {
  const keyId = keyIdOf(user);
  const previous = keyId === stages.previous?.keyId;
  const oneBackAtMost = keyId === stages.current.keyId || previous;
  const answer = await bff(instances[instance]!.url, route, user, { origin: ORIGIN, apply });
  const ok = answer.status === 200 && (route !== ROUTES.bffSession || answer.body.isLoggedIn === true);
  observed.push({ instance, route, keyId, oneBackAtMost, previous, ok });
  return ok;
}

/** Traffic throughout: every user asks every running instance for its session, again and again, until stopped. */
function backgroundTraffic(users: CookieJar[]): () => Promise<void> {
  let running = true;
  let round = 0;
  const loop = (async () => {
    while (running) {
      round += 1;
      for (let u = 0; u < users.length && running; u += 1) {
        const instance = (u + round) % instances.length;
        // An instance being replaced is not asked meanwhile.
        if (instances[instance] !== undefined && !replacing.has(instance)) await send(users[u]!, instance, ROUTES.bffSession, false);
      }
      await sleep(50);
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

it('three instances, two cookie key rotations, traffic throughout: no session one generation back is lost', async () => {
  // K0. Users sign in at A and B.
  const users = await Promise.all(
    Array.from({ length: USERS }, async (_, u) => {
      const jar = new CookieJar();
      const url = instances[u % 2]!.url;
      const start = await bff(url, ROUTES.bffLoginStart, jar, { origin: ORIGIN });
      await bff(url, ROUTES.bffLoginEnd, jar, { origin: ORIGIN, body: { pageUrl: await pageUrlAfterSignIn(String(start.body.authorizationUrl)) } });
      return jar;
    }),
  );
  expect(users.map(keyIdOf)).toEqual(Array(USERS).fill(stages.current.keyId));
  const stop = backgroundTraffic(users);

  // Rotation 1 (K1). A fresh instance C seals K1; K1 cookies reach A and B, which read the secret
  // again (K1 current) and cache K0 as AWSPREVIOUS; the K0 cookies left open with it.
  rotate();
  instances.push(await startBroker(environment.brokerEnv));
  for (let u = 0; u < 5; u += 1) await send(users[u]!, 2, ROUTES.bffRefresh, true);
  for (let u = 0; u < USERS; u += 1) for (const instance of [0, 1]) await send(users[u]!, instance, ROUTES.bffSession, false);
  for (let u = 5; u < USERS; u += 1) await send(users[u]!, u % 3, ROUTES.bffRefresh, true);
  expect(users.map(keyIdOf)).toEqual(Array(USERS).fill(stages.current.keyId));
  const k1 = stages.current.keyId;
  await sleep(FORCED_READ_INTERVAL_MS + 500);

  // Rotation 2 (K2). C is replaced by a fresh instance, which seals K2 at once.
  rotate();
  replacing.add(2);
  await instances[2]!.stop();
  instances[2] = await startBroker(environment.brokerEnv);
  replacing.delete(2);
  for (let u = 0; u < 4; u += 1) await send(users[u]!, 2, ROUTES.bffRefresh, true);
  expect(users.slice(0, 4).map(keyIdOf)).toEqual(Array(4).fill(stages.current.keyId));
  // K2 cookies reach A and B (whose caches still say K1): they read AWSCURRENT again...
  for (let u = 0; u < 4; u += 1) await send(users[u]!, u % 2, ROUTES.bffSession, false);
  // ...and every K1 cookie, one generation back, still opens everywhere.
  expect(users.slice(4).map(keyIdOf)).toEqual(Array(USERS - 4).fill(k1));
  for (let u = 4; u < USERS; u += 1) for (const instance of [0, 1, 2]) await send(users[u]!, instance, ROUTES.bffSession, false);
  for (let u = 4; u < USERS; u += 1) await send(users[u]!, u % 3, ROUTES.bffRefresh, true);
  await sleep(500);
  await stop();

  // Everyone is still signed in, and nothing sent under AWSCURRENT or AWSPREVIOUS ever failed.
  for (const user of users) expect(await send(user, 0, ROUTES.bffSession, false)).toBe(true);
  const failed = observed.filter((o) => o.oneBackAtMost && !o.ok);
  expect(failed).toEqual([]);
  // The traffic did carry cookies one generation back, to every instance, after each rotation.
  const oneBack = observed.filter((o) => o.previous);
  expect(new Set(oneBack.map((o) => o.instance))).toEqual(new Set([0, 1, 2]));
  expect(oneBack.length).toBeGreaterThan(20);
  expect(observed.filter((o) => !o.ok)).toEqual([]);
}, 90_000);
