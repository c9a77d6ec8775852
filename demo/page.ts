// The demo page's shared parts: what it learned at start (its configuration, the client to sign in
// with), the DOM helpers every part uses, and the small formatting rules (masked tokens, the time).

import type { DemoConfig } from './config.js';

/** GET /client: the public half of the broker's registration. */
export interface PublicClient {
  readonly clientId: string;
  readonly authorizationEndpoint?: string;
}

/** The page's state at start (memory only): set by main() before any button is enabled. */
class PageState {
  config!: DemoConfig;
  client: PublicClient | undefined;
}
export const page = new PageState();

export function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`The page has no #${id}`);
  return found as T;
}

export const button = (id: string): HTMLButtonElement => element<HTMLButtonElement>(id);

export function setText(id: string, text: string): void {
  element(id).textContent = text;
}

export function setStatus(text: string): void {
  setText('status', text);
}

/** The client id member, when known: the broker then answers with that client's registration. */
export const withClientId = (clientId: string | undefined): { clientId?: string } => (clientId === undefined ? {} : { clientId });

/** The first 6 characters and an ellipsis: enough to tell tokens apart, useless to anyone else. */
export const mask = (token: string): string => `${token.slice(0, 6)}…`;

export const clock = (): string => new Date().toLocaleTimeString([], { hour12: false });
