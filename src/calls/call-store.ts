/**
 * Call state in Redis (seed 001 "gui.call"; docs/redis-keys.md): hash `calls`
 * (configurable), field = extension (or `<ext>@<domain>`), value =
 * `{"username","current","notify","<uuid>": {fields}, "activity": [uuids]}`. After the
 * last live call ends the record stays with current = that call, notify = hangup and
 * activity = [] (`gui.call.onLastHangup: keep`, the default: seed 001 lists hangup
 * among the states a reader polls for), or goes (`delete`). Optional PUBLISH channel and bounded
 * list carry every changed record. Each change is one Lua script (atomic
 * read-modify-write of the JSON).
 */
import type { Config } from '../config/schema.js';
import type { EslEvent } from '../esl/event.js';
import type { Keys } from '../keys.js';
import { runScript, type RedisClient } from '../lua-scripts.js';
import { stateField } from '../registrations/registration-event.js';
import { NO_FENCE, type Fence } from '../registrations/registration-store.js';
import { callChange, type CallChange } from './call-event.js';
import { channelOwner, parseShowChannels, rowFields } from './show-channels.js';

export type CallSettings = Config['gui']['call'];

export class CallStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly settings: CallSettings,
  ) {}

  field(extension: string, domain: string): string {
    return stateField(this.settings.field, extension, domain);
  }

  /** Applies one channel event; undefined when it concerns no extension. */
  async apply(node: string, event: EslEvent, fence: Fence = NO_FENCE): Promise<CallChange | undefined> {
    const change = callChange(event, this.settings.fields);
    if (change === undefined) return undefined;
    const { hash, channel, list, listMax } = this.settings;
    await runScript(
      this.redis,
      'call-update',
      [this.keys.named(hash), this.keys.callsOfNode(node), this.keys.named(list === '' ? hash : list), this.keys.nodeLeaseForCalls(node)],
      [
        this.field(change.extension, change.domain), change.extension, change.uuid, change.notify,
        JSON.stringify(change.fields), channel === '' ? '' : this.keys.named(channel), list === '' ? '0' : '1', listMax, fence.token,
        this.settings.onLastHangup,
      ],
    );
    return change;
  }

  /** Replaces this node's calls with the `show channels as json` output. */
  async reconcile(node: string, listing: string, fence: Fence = NO_FENCE): Promise<{ removed: number; added: number }> {
    const live = parseShowChannels(listing).flatMap((row) => {
      const owner = channelOwner(row);
      if (owner === undefined) return [];
      const notify = row.callstate === 'ACTIVE' || row.callstate === 'HELD' ? 'answer' : row.direction === 'inbound' ? 'callout' : 'callin';
      return [{ f: this.field(owner.extension, owner.domain), u: owner.extension, id: row.uuid, n: notify, x: rowFields(row, this.settings.fields) }];
    });
    const result = (await runScript(
      this.redis,
      'call-reconcile',
      [this.keys.named(this.settings.hash), this.keys.callsOfNode(node), this.keys.nodeLeaseForCalls(node)],
      [JSON.stringify(live), fence.token, this.settings.onLastHangup],
    )) as [number, number];
    return { removed: Number(result[0]), added: Number(result[1]) };
  }
}
