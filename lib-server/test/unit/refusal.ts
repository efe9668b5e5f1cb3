/** The ApiError a pure parser throws, for tests of what it refuses. */

import { ApiError } from '../../src/http/errors.js';

/** The ApiError `parse(body)` throws; fails the test when it accepts `body` or throws something else. */
export function refusalOf(parse: (body: unknown) => unknown, body: unknown): ApiError {
  try {
    parse(body);
  } catch (error) {
    if (error instanceof ApiError) {
      return error;
    }
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(body)}`);
}
