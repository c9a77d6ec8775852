// Stands in for `@smithy/core/event-streams` in the bundle (esbuild alias, infra/substitutes.ts). The
// SDK's HTTP protocols load it with a dynamic import() only for operations that stream events; neither
// SSO OIDC nor Secrets Manager has one (the build checks that neither client configures event
// streams), yet esbuild bundles a dynamic import all the same: about 15 KB, with the event-stream
// codec and its CRC32, that no request ever runs. These are the two names that import() takes.

const ABSENT = 'event streams are not bundled (lambda/bundle/no-event-streams.ts): the broker calls no event-stream operation';

export class EventStreamSerde {
  constructor() {
    throw new Error(ABSENT);
  }
}

export function eventStreamSerdeProvider(): never {
  throw new Error(ABSENT);
}
