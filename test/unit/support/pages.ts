// What a front-door step answers before the redirect URI is known good: a refusal the edge writes as
// a page (the route's error format), never a redirect (RFC 6749 §4.1.2.1).

import { expect } from '@jest/globals';
import { BrokerError } from '../../../lambda/core/errors.js';
import type { Answer } from '../../../lambda/surfaces/answer.js';

/** The refusal's description, after checking that the step threw invalid_request instead of answering. */
export async function expectPage(answer: Promise<Answer>): Promise<string> {
  const error = await answer.then(
    (answered) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(answered)}`);
    },
    (refused: unknown) => refused,
  );
  expect(error).toBeInstanceOf(BrokerError);
  expect(error).toMatchObject({ status: 400, type: 'InvalidRequestException', error: 'invalid_request' });
  return (error as BrokerError).description!;
}
