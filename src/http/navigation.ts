import { type Actor, can } from '../policy/index.js';
import type { NavEntry } from './module.js';
import type { ViewContext } from './render.js';

/**
 * The main navigation for one actor on one page: the modules' entries (already in bar order) the
 * actor may see. An entry shows when the policy allows its action and its own rule (if any) agrees.
 */
export function navFor(entries: readonly NavEntry[], actor: Actor, path: string): ViewContext['nav'] {
  return entries
    .filter((e) => (!e.action || can(actor, e.action)) && (!e.show || e.show(actor)))
    .map(({ href, label }) => ({
      href,
      label,
      current: href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`),
    }));
}
