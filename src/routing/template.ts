/**
 * URL templates: `${name}` is replaced by the url-encoded value of `name` looked up in
 * the mod_xml_curl request (variables.ts). Only `${name}` with a plain name is
 * supported; variables are not allowed in the scheme/host/port part of the URL, so a
 * caller cannot choose where freecti sends the request.
 */
import { lookupVariable, type Fields } from './variables.js';

const VARIABLE = /\$\{([A-Za-z0-9_.-]{1,128})\}/g;

export function expandTemplate(template: string, fields: Fields): string {
  return template.replace(VARIABLE, (_match, name: string) => encodeURIComponent(lookupVariable(fields, name)));
}

/** Why a template is unusable, or undefined. */
export function checkUrlTemplate(template: string): string | undefined {
  const origin = /^(https?):\/\/([^/?#]*)/i.exec(template);
  if (origin === null) return 'must be an absolute http:// or https:// URL';
  if ((origin[2] ?? '').includes('$')) return 'variables are not allowed in the host part';
  if ((origin[2] ?? '').includes('@')) return 'credentials in the URL are not allowed';
  const leftover = template.replace(VARIABLE, 'x');
  if (leftover.includes('${')) return 'only ${name} variables are supported (name: letters, digits, _ . -)';
  try {
    new URL(leftover);
  } catch {
    return 'not a valid URL';
  }
  return undefined;
}
