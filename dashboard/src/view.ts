/** What a page of the dashboard gets from the shell, and gives back. */
import type { Api } from './api.js';

export interface ViewContext {
  readonly api: Api;
  /** The page's own element, empty when the view starts. */
  readonly main: HTMLElement;
  /** The route after its name: the trace id of `#/trace/<id>`, else ''. */
  readonly rest: string;
  /** The hash's query: `#/calls?model=x` gives `model=x`. */
  readonly params: URLSearchParams;
  /** An answer came: its project goes in the header and an earlier failure's message goes. */
  answered(project: string): void;
  /** Shows what failed in the alert region; a refused key signs out. */
  failed(error: unknown): void;
  /** Whether the page still shows this view: an answer for a view left since is dropped. */
  current(): boolean;
}

/** Starts a view; the function it returns stops its timers and observers. */
export type View = (context: ViewContext) => () => void;

/** A page heading that takes focus when the route changes, so a screen reader hears the page. */
export const HEADING_ID = 'page-heading';
