/**
 * The sound files a nacd reply names, checked by the one policy before anything reaches
 * FreeSWITCH, and the agent id of after_bridge spoken digit by digit.
 */
import type { FsPolicy } from '../fs-lang/policy.js';

/** The file, checked (src/fs-lang/media.ts); throws PolicyRefusal. */
export function checkedMedia(policy: FsPolicy, file: string, where: string): string {
  policy.media(file, where);
  return file.trim();
}

/**
 * after_bridge_data as FreeSWITCH plays it: digits (the seed's "10086", 报工号) become one
 * `file_string://` of `digitSound` per digit; anything else is a file path played as is.
 */
export function agentIdMedia(policy: FsPolicy, data: string, digitSound: string, where: string): string {
  const value = data.trim();
  const media = /^\d{1,32}$/.test(value) ? `file_string://${[...value].map((d) => digitSound.replaceAll('{digit}', d)).join('!')}` : value;
  return checkedMedia(policy, media, where);
}
