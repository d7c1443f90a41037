import type { StackConfig } from '@passerelle/infra';
import * as infra from '@passerelle/infra';

/**
 * Topics and schemas come from the contracts; until they exist the stack is usable bare.
 * Looked up by name so this file does not break while the contracts package is being built.
 */
export async function provisionIfAvailable(config: StackConfig, log: (message: string) => void): Promise<void> {
  const provision = (infra as Record<string, unknown>)['provision'];
  if (typeof provision === 'function') {
    await (provision as (c: StackConfig, l: (m: string) => void) => Promise<void>)(config, log);
  }
}
