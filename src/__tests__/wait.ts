/**
 * Waiting for the DOM in tests (React and signals render on their own schedule), and reading what it shows.
 */
import { Notification } from '@jupyterlab/apputils';

/**
 * Wait until a condition holds, checking every 10 ms; fails the test after `tries` checks.
 */
export async function waitFor(condition: () => boolean, tries = 200): Promise<void> {
  for (let i = 0; i < tries && !condition(); i++) {
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  expect(condition()).toBe(true);
}

/**
 * The first element of the page that matches a selector.
 */
export function query<T extends Element = HTMLElement>(selector: string): T | null {
  return document.body.querySelector<T>(selector);
}

/**
 * What the notification area holds, oldest first: type and message.
 */
export function notices(): string[] {
  return Notification.manager.notifications.map(n => `${n.type}: ${n.message}`).reverse();
}
