/**
 * `text` as one word of a shell command a person copies (a path inside `$(cat …)`, say): bare
 * when it holds only characters no shell treats specially, else single-quoted, so a path with a
 * space or a quote stays one word.
 */
export function shellWord(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
