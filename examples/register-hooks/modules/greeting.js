// Served through the registry: imports another remote module, resolved by the same hooks.
import { shout } from 'remote:shout';

export function greet(name) {
  return `hello, ${shout(name)}`;
}
