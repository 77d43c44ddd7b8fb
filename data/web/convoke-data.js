// Data tracks for convoke.js: messages (text or binary) that a participant
// publishes and every other participant receives, over WebRTC data
// channels. In group rooms the media server forwards them; in peer-to-peer
// and go rooms they go end to end. docs/javascript.md, *Data tracks*.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

// The largest message a data track carries, in bytes (what Twilio allows,
// and what group rooms forward: a=max-message-size).
export const MAX_DATA_MESSAGE_BYTES = 16384;

// A message's size in bytes as it goes on the wire.
export function messageBytes(data) {
  if (typeof data === 'string') return new TextEncoder().encode(data).length;
  if (data instanceof Blob) return data.size;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  throw new TypeError('A data track sends strings, Blobs, ArrayBuffers and typed arrays');
}

// RTCDataChannel options for a track's reliability (Twilio's names).
export function channelOptions({ ordered = true, maxRetransmits, maxPacketLifeTime } = {}) {
  const options = { ordered };
  if (maxRetransmits !== undefined && maxRetransmits !== null) options.maxRetransmits = maxRetransmits;
  if (maxPacketLifeTime !== undefined && maxPacketLifeTime !== null)
    options.maxPacketLifeTime = maxPacketLifeTime;
  return options;
}

// A data track this participant publishes. Its id is the label of its
// data channels; send() writes to every one of them.
export class LocalDataTrack extends EventTarget {
  constructor(options, makeError) {
    super();
    this.kind = 'data';
    this.id = globalThis.crypto.randomUUID();
    this.name = options.name ?? this.id;
    this.sid = null;
    this.ordered = options.ordered ?? true;
    this.maxRetransmits = options.maxRetransmits ?? null;
    this.maxPacketLifeTime = options.maxPacketLifeTime ?? null;
    this.maxMessageSize = MAX_DATA_MESSAGE_BYTES;
    this._options = channelOptions(options);
    this._channels = new Set();
    this._makeError = makeError;
  }

  // Sends one message to every participant that subscribes to the track.
  // A message over MAX_DATA_MESSAGE_BYTES is refused (ConvokeError 53300)
  // rather than split.
  send(data) {
    const size = messageBytes(data);
    if (size > MAX_DATA_MESSAGE_BYTES)
      throw this._makeError(53300, `A data track message of ${size} bytes is too large: ` +
        `at most ${MAX_DATA_MESSAGE_BYTES} bytes are allowed`);
    for (const channel of this._channels)
      if (channel.readyState === 'open') channel.send(data);
  }

  // Adds a data channel of @pc for the track (one per peer connection).
  _open(pc) {
    const channel = pc.createDataChannel(this.id, this._options);
    this._channels.add(channel);
    channel.addEventListener('close', () => this._channels.delete(channel));
    return channel;
  }

  _close() {
    for (const channel of this._channels) channel.close();
    this._channels.clear();
  }
}

// A data track another participant publishes, as this participant
// receives it: a "message" event (event.data) for each message.
export class RemoteDataTrack extends EventTarget {
  constructor(channel, publication) {
    super();
    this.kind = 'data';
    this.id = channel.label;
    this.sid = publication?.sid ?? null;
    this.name = publication?.name ?? channel.label;
    this.ordered = channel.ordered;
    this.maxRetransmits = channel.maxRetransmits;
    this.maxPacketLifeTime = channel.maxPacketLifeTime;
    this._channel = channel;
    channel.binaryType = 'arraybuffer';
  }

  on(type, handler) {
    this.addEventListener(type, (e) => handler(type === 'message' ? e.data : e));
    return this;
  }
}
