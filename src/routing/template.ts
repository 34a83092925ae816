/**
 * URL templates: `${name}` is replaced by the url-encoded value of `name` looked up in
 * the mod_xml_curl request (variables.ts). Only `${name}` with a plain name is
 * supported; variables are not allowed in the scheme/host/port part of the URL, so a
 * caller cannot choose where freecti sends the request.
 */
import { lookupVariable, type Fields } from './variables.js';

const VARIABLE = /\$\{([A-Za-z0-9_.-]{1,128})\}/g;

/** Templates split once into text and variable names (odd indexes); a route table holds few. */
const compiled = new Map<string, readonly string[]>();

function partsOf(template: string): readonly string[] {
  let parts = compiled.get(template);
  if (parts === undefined) {
    parts = template.split(VARIABLE);
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(template, parts);
  }
  return parts;
}

export function expandTemplate(template: string, fields: Fields): string {
  const parts = partsOf(template);
  let url = parts[0] ?? '';
  for (let i = 1; i < parts.length; i += 2) url += encodeURIComponent(lookupVariable(fields, parts[i] ?? '')) + (parts[i + 1] ?? '');
  return url;
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
