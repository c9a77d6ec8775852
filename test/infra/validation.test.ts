// What the context and the construct's props accept, normalise and refuse: URL-like values checked by
// one set of rules (infra/validation.ts), every props problem at once named by prop, and the warnings
// a synthesis carries (normalised values, no allowed origin).

import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambda/core/config.js';
import { readContext } from '../../infra/context.js';
import { TokenBrokerPropsError } from '../../infra/props.js';
import { TokenBroker, type TokenBrokerProps } from '../../infra/token-broker.js';
import { checkBaseUrl, checkOrigin, checkRedirectUri, checkRegion } from '../../infra/validation.js';
import { CDK_JSON_CONTEXT } from './synth.js';

describe('checkOrigin', () => {
  it('normalises what cannot change the origin meant (case, default port, trailing "/"), saying so', () => {
    expect(checkOrigin('https://app.example.com')).toEqual({ ok: true, value: 'https://app.example.com' });
    expect(checkOrigin(' https://App.Example.com:443/ ')).toEqual({
      ok: true,
      value: 'https://app.example.com',
      note: '"https://App.Example.com:443/" is read as "https://app.example.com"',
    });
    expect(checkOrigin('http://localhost:3000/')).toMatchObject({ ok: true, value: 'http://localhost:3000' });
  });

  it('refuses paths, queries, fragments, wildcards, credentials and other schemes, saying what an origin is', () => {
    for (const bad of ['https://app.example.com/callback', 'https://app.example.com/?', 'https://app.example.com#x', 'https://*.example.com', 'https://u:p@app.example.com', 'ftp://app.example.com', 'app.example.com']) {
      const result = checkOrigin(bad);
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.problem).toMatch(/an origin is scheme:\/\/host\[:port\] with nothing after it, such as https:\/\/app.example.com/);
    }
    expect(checkOrigin('https://app.example.com/callback')).toMatchObject({ problem: expect.stringContaining('(here perhaps https://app.example.com)') });
  });
});

describe('checkRedirectUri', () => {
  it('keeps the URI exactly (compared as a string) and refuses a fragment (RFC 6749 §3.1.2) or a relative URI', () => {
    expect(checkRedirectUri('https://app.example.com')).toEqual({ ok: true, value: 'https://app.example.com' });
    expect(checkRedirectUri('com.example.app:/callback')).toMatchObject({ ok: true });
    expect(checkRedirectUri('https://app.example.com/cb#frag')).toMatchObject({ ok: false, problem: expect.stringContaining('RFC 6749 §3.1.2') });
    expect(checkRedirectUri('/callback')).toMatchObject({ ok: false, problem: expect.stringContaining('is not an absolute URI') });
  });
});

describe('checkBaseUrl', () => {
  it('drops a trailing "/", takes http only on loopback hosts, refuses a query or fragment', () => {
    expect(checkBaseUrl('https://auth.example.com/')).toMatchObject({ ok: true, value: 'https://auth.example.com', note: expect.any(String) });
    expect(checkBaseUrl('https://auth.example.com/broker')).toEqual({ ok: true, value: 'https://auth.example.com/broker' });
    expect(checkBaseUrl('http://127.0.0.1:3000')).toEqual({ ok: true, value: 'http://127.0.0.1:3000' });
    expect(checkBaseUrl('http://auth.example.com')).toMatchObject({ ok: false, problem: expect.stringContaining('is not https') });
    expect(checkBaseUrl('https://auth.example.com/?a=1')).toMatchObject({ ok: false });
  });
});

it('reads a region in any case as lower case, and refuses what is not one', () => {
  expect(checkRegion('EU-WEST-1')).toMatchObject({ ok: true, value: 'eu-west-1' });
  expect(checkRegion('Europe')).toMatchObject({ ok: false });
});

it('context: notes each normalised value and drops duplicates it creates', () => {
  const notes: string[] = [];
  expect(readContext((key) => ({ allowedOrigins: 'https://app.example.com/,https://app.example.com' })[key], notes)).toEqual({
    allowedOrigins: ['https://app.example.com'],
  });
  expect(notes).toEqual(['allowedOrigins: "https://app.example.com/" is read as "https://app.example.com"']);
});

describe('TokenBroker props', () => {
  const stackFor = (): Stack =>
    new Stack(new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } }), 'UserStack', {
      env: { account: '111122223333', region: 'eu-west-1' },
    });

  function problemsOf(props: TokenBrokerProps): readonly string[] {
    try {
      new TokenBroker(stackFor(), 'Broker', props);
    } catch (error) {
      if (error instanceof TokenBrokerPropsError) return error.problems;
      throw error;
    }
    throw new Error('expected a TokenBrokerPropsError');
  }

  it('lists every problem at once, each named by its prop', () => {
    expect(
      problemsOf({
        allowedOrigins: ['https://app.example.com/callback', '*'],
        redirectUris: ['/callback'],
        grantTypes: ['implicit' as never],
        oidcRegion: 'Europe',
        memorySize: 64,
        expiryWarningDays: 1.5,
        throttle: { rateLimit: 0, burstLimit: 10.5 },
        upstreamTimeout: Duration.seconds(30),
        secretMaxAge: Duration.millis(1500),
        rotationSchedule: Duration.hours(36),
      }),
    ).toEqual([
      expect.stringMatching(/^allowedOrigins: "https:\/\/app.example.com\/callback" has a path/),
      expect.stringMatching(/^allowedOrigins: "\*" is a wildcard/),
      expect.stringMatching(/^redirectUris: "\/callback" is not an absolute URI/),
      expect.stringMatching(/^grantTypes: "implicit" is not one of/),
      expect.stringMatching(/^oidcRegion: "Europe" is not an AWS region name/),
      'memorySize must be a whole number from 128 to 10240 (MB), got 64',
      'expiryWarningDays must be a whole number from 0 to 365, got 1.5',
      'throttle.rateLimit must be a number from 1 to 10000, got 0',
      'throttle.burstLimit must be a whole number from 1 to 5000, got 10.5',
      'upstreamTimeout must be from 100 ms to 25000 ms, got 30 seconds',
      expect.stringMatching(/^upstreamTimeout and secretTimeout: the worst case of one request, .* \(4 × 2000 \+ 2 × 30000 = 68000 ms\)/),
      'secretMaxAge must be whole seconds from 0 to 86400, got 1 second 500 millis',
      expect.stringMatching(/^rotationSchedule must be a whole number of days from 1 to [\d.]+ .*got 1 day 12 hours/),
    ]);
  });

  it('normalises origins and the region into the function environment, with a warning for each', () => {
    const stack = stackFor();
    new TokenBroker(stack, 'Broker', { allowedOrigins: ['https://App.example.com/'], oidcRegion: 'EU-WEST-1' });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { [ENV.allowedOrigins]: 'https://app.example.com', [ENV.oidcRegion]: 'eu-west-1' } },
    });
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/UserStack/Broker', Match.stringLikeRegexp('allowedOrigins: "https://App.example.com/" is read as "https://app.example.com"'));
    annotations.hasWarning('/UserStack/Broker', Match.stringLikeRegexp('oidcRegion: "EU-WEST-1" is read as "eu-west-1"'));
    annotations.hasNoWarning('/UserStack/Broker', Match.stringLikeRegexp('allowedOrigins is empty'));
  });

  it('warns when no browser origin is allowed', () => {
    const stack = stackFor();
    new TokenBroker(stack, 'Broker', {});
    Annotations.fromStack(stack).hasWarning('/UserStack/Broker', Match.stringLikeRegexp('^allowedOrigins is empty: every browser request'));
  });
});
