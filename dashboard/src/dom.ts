/**
 * A small element builder. Text from the API only ever becomes text nodes or attribute values,
 * never markup: no innerHTML anywhere in the dashboard.
 */

export type Child = Node | string | number | null | undefined | false;
type Listener = (event: Event) => void;
export type Attributes = Record<string, string | number | boolean | undefined | Listener>;

/** `h('a', { href: '#/calls' }, 'Calls')`; attributes named `on<event>` are listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else if (value !== false && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends children, strings and numbers as text. */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A labelled `<select>`: the label and the control, tied by `id`. */
export function labelledSelect(
  id: string,
  label: string,
  options: readonly (readonly [value: string, text: string])[],
  selected: string,
): { field: HTMLElement; select: HTMLSelectElement } {
  const select = h('select', { id, name: id });
  for (const [value, text] of options) {
    select.append(h('option', { value, selected: value === selected }, text));
  }
  return { field: h('div', { class: 'field' }, h('label', { for: id }, label), select), select };
}
