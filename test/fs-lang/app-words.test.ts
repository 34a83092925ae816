/**
 * Applications that split their own data (switch_separate_string on ' ', a fixed number
 * of words, the last one the rest of the data) are checked on FreeSWITCH's words:
 * - play_and_get_digits (mod_dptools, argv[11]): transfer_on_failure is argv[10], the rest
 *   of the data cleaned once, which switch_play_and_get_digits splits again (target[4]);
 * - limit (mod_dptools limit_function, argv[7]): the transfer is argv[4..6] as split, used
 *   as is (switch_ivr_session_transfer), so a quoted inline list stays one word.
 * A leading `^^<c>` makes switch_separate_string split at `<c>`, not at spaces.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FsPolicy, PolicyRefusal, type Scope } from '../../src/fs-lang/policy.js';
import { cleanWord as cleanWordOf, separateWords } from '../../src/fs-lang/scan.js';

const KEY: Scope = { outbound: true, command: () => true };
const PUBLIC: Scope = { outbound: false, context: 'public' };
const PAGD = '1 4 3 5000 # /x/y.wav /x/z.wav v \\d+ 3000';

describe('separateWords (separate_string_blank_delim)', () => {
  it('splits at spaces only, the last word holding the rest, each word cleaned', () => {
    assert.deepEqual(separateWords("a  'b c'  d e f", 3), ['a', 'b c', 'd e f']);
    assert.deepEqual(separateWords("a 'b c' d", 7), ['a', 'b c', 'd']);
    assert.deepEqual(separateWords('a\tb c', 7), ['a\tb', 'c']);
    assert.deepEqual(separateWords("x 'p q' r", 2), ['x', 'p q r']);
  });
  it('refuses a leading ^^ (FreeSWITCH would split at another character) and an open quote', () => {
    assert.throws(() => separateWords('^^|a|b', 7), /\^\^/);
    assert.throws(() => separateWords("a 'b", 7), /quote/);
  });
});

describe('play_and_get_digits', () => {
  const policy = new FsPolicy();
  it('accepts the transfer_on_failure forms FreeSWITCH reads as a transfer', () => {
    assert.doesNotThrow(() => policy.application('play_and_get_digits', `${PAGD} 1000 XML default`, KEY, 'p'));
    assert.doesNotThrow(() => policy.application('play_and_get_digits', `${PAGD} 'hangup:NORMAL_CLEARING inline'`, KEY, 'p'));
    assert.throws(() => policy.application('play_and_get_digits', `${PAGD} 1000 XML default2`, PUBLIC, 'p'), /stay in it/);
  });
  it('refuses a ^^ separator that hides a transfer_on_failure inline list in what we read as terminators', () => {
    // FreeSWITCH splits at '|': argv[10] = "bg_system:/tmp/x inline", an inline dialplan
    // running bg_system. Read at spaces it was 5 plain words and passed.
    assert.throws(() => policy.application('play_and_get_digits', '^^|1|1|1|1|# # # #|a|b|v|x|0|bg_system:/tmp/x inline', KEY, 'p'), PolicyRefusal);
  });
  it('reads transfer_on_failure at spaces only: a tab does not split it', () => {
    // FreeSWITCH: target = ["hangup\tXML", "inline"]: the inline list is "hangup\tXML", whose
    // application name is not a plain name; read at tabs it looked like "hangup XML inline".
    assert.throws(() => policy.application('play_and_get_digits', `${PAGD} hangup\tXML inline`, KEY, 'p'), PolicyRefusal);
  });
});

describe('limit', () => {
  const policy = new FsPolicy();
  it('keeps a quoted inline list one word, as limit_function hands argv[4] to the transfer', () => {
    assert.doesNotThrow(() => policy.application('limit', "hash realm res 1 'set:a=b c,park' inline", KEY, 'l'));
    assert.doesNotThrow(() => policy.application('limit', 'hash realm res 1/10 1000 XML public', PUBLIC, 'l'));
    // what is in the quotes is still checked application by application
    assert.throws(() => policy.application('limit', "hash realm res 1 'set:a=b c,system:ls' inline", KEY, 'l'), (e) => e instanceof PolicyRefusal && /system/.test(e.message));
  });
  it('does not read a quoted extension with a space as extension + dialplan', () => {
    // FreeSWITCH: argv[4] = "1000 XML" (an extension), argv[5] = "inline": the inline list
    // "1000 XML" is run. Joined and split again it was "1000 XML inline": accepted outbound.
    assert.throws(() => policy.application('limit', "hash realm res 1 '1000 XML' inline", KEY, 'l'), PolicyRefusal);
  });
  it('refuses a leading ^^ separator', () => {
    assert.throws(() => policy.application('limit', '^^|hash|realm|res|1|bg_system:/tmp/x|inline', KEY, 'l'), PolicyRefusal);
  });
});

describe('cleanWord (cleanup_separated_string)', () => {
  it('unescapes a doubled backslash, so the quote after it is a quote', () => {
    // FreeSWITCH: `\\` is ESCAPE_META escaped (one backslash kept); the `'` after it opens a quote.
    assert.equal(cleanWordOf('a\\\\b'), 'a\\b');
    assert.equal(cleanWordOf("x\\\\'y z'"), 'x\\y z');
    assert.deepEqual(separateWords("1 x\\\\'y z' 2", 7), ['1', 'x\\y z', '2']);
  });
});

describe('originate <extension> [dialplan [context]]', () => {
  it('checks the dialplan and context words as originate splits them (a quoted word is one word)', () => {
    const policy = new FsPolicy();
    assert.doesNotThrow(() => policy.originate('user/1000 1000 XML default', KEY));
    // mod_commands: dialplan = "XML default" (one cleaned word), not XML + default.
    assert.throws(() => policy.originate("user/1000 1000 'XML default'", KEY), /dialplan 'XML default' is not allowed/);
  });
});
