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

// The Room methods for data tracks, installed on Room.prototype by
// convoke.js (which passes what they need of its own, so that the two
// modules do not import each other).
export function dataTrackMethods({ ConvokeError, ConvokeEvent, SERVER }) {
  return {
    // Publishes a data track (Twilio's LocalDataTrack): every other
    // participant gets trackPublished and trackSubscribed with a
    // RemoteDataTrack, and a trackMessage event (and the track's "message"
    // event) for each message the returned track's send() writes. Options:
    // name, ordered (default true), maxRetransmits or maxPacketLifeTime (ms)
    // for a track that may lose messages. docs/javascript.md, *Data tracks*.
    async publishDataTrack(options = {}) {
      if (this.state !== 'connected')
        throw new ConvokeError(53300, 'publishDataTrack works in a joined room');
      const track = new LocalDataTrack(options, (code, message) => new ConvokeError(code, message));
      const answer = await this._request({
        type: 'track-published', track: { name: track.name, kind: 'data', msid: track.id },
      });
      track.sid = answer.track?.sid ?? null;
      this._dataTracks.push(track);
      this.localParticipant.dataTracks.set(track.id, track);
      for (const link of this._links.values()) this._openDataChannel(link, track);
      return track;
    },

    // Stops publishing a data track: its channels close, the others get
    // trackUnsubscribed and trackUnpublished.
    async unpublishDataTrack(track) {
      if (!this._dataTracks.includes(track))
        throw new ConvokeError(53300, 'Only tracks published with publishDataTrack() can be unpublished');
      this._dataTracks = this._dataTracks.filter((t) => t !== track);
      this.localParticipant.dataTracks.delete(track.id);
      track._close();
      if (track.sid) await this._request({ type: 'track-unpublished', track: { sid: track.sid } });
    },

    // A data channel that carries another participant's data track: in group
    // rooms the server opens it, with the publisher's sid as its protocol;
    // in mesh rooms the publisher itself does.
    _onDataChannel(link, channel) {
      if (link.to !== SERVER && channel.negotiated) return;
      const sid = link.to === SERVER ? channel.protocol : link.to;
      const participant = this.participants.get(sid);
      if (!participant) {
        if (!this._orphanChannels.has(sid)) this._orphanChannels.set(sid, []);
        this._orphanChannels.get(sid).push(channel);
        return;
      }
      this._subscribeData(participant, channel);
    },

    _subscribeData(participant, channel) {
      const publication = [...participant.publications.values()].find((p) => p.msid === channel.label);
      const track = new RemoteDataTrack(channel, publication);
      const subscribed = () => {
        if (participant.dataTracks.has(track.id)) return;
        participant.dataTracks.set(track.id, track);
        this._dispatch('trackSubscribed', { participant, track });
      };
      channel.addEventListener('message', (e) => {
        track.dispatchEvent(new ConvokeEvent('message', { data: e.data }));
        this._dispatch('trackMessage', { participant, track, data: e.data });
      });
      channel.addEventListener('close', () => this._unsubscribeData(participant, track));
      if (channel.readyState === 'open') subscribed();
      else channel.addEventListener('open', subscribed, { once: true });
    },

    _unsubscribeData(participant, track) {
      if (participant.dataTracks.get(track.id) !== track) return;
      participant.dataTracks.delete(track.id);
      this._dispatch('trackUnsubscribed', { participant, track });
    },

    // Opens @track's channel on @link. A group room's connection gets its
    // data m-line from an offer of ours when the server's had none
    // (Room._newLink asks for it); a mesh connection always has one.
    _openDataChannel(link, track) {
      link.serialize(async () => {
        if (!link.closed) track._open(link.pc);
      });
    },
  };
}
