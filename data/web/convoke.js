// convoke.js: a dependency-free browser client for Convoke rooms.
//
// It speaks the signaling protocol of docs/signaling.md over a WebSocket
// and builds the peer connections the room's topology asks for: one per
// remote participant in mesh rooms (peer-to-peer, go), one to the media
// server in sfu rooms (group). docs/javascript.md documents the API.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import {
  LocalDataTrack, RemoteDataTrack, MAX_DATA_MESSAGE_BYTES, dataTrackMethods,
} from './convoke-data.js';

export { LocalDataTrack, RemoteDataTrack, MAX_DATA_MESSAGE_BYTES };
export const VERSION = '0.1.0';

const PROTOCOL = 'convoke-signaling-1';
const SIGNALING_PATH = '/v1/Signaling';
const DEFAULT_JOIN_TIMEOUT_MS = 15000;
const SERVER = 'server';
// Simulcast in group rooms: layers of the camera, lowest first as the
// server expects (docs/group-media.md, *Simulcast*): a quarter, half and
// full resolution. Layer numbers for setPreferredLayer() follow.
const SIMULCAST_ENCODINGS = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500000 },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1500000 },
];

// The encodings for @track. Chromium sends at most as many layers as its
// size allows (3 from 960x540, 2 from 480x270, else 1: libwebrtc's
// simulcast formats), and it drops the top ones: a 320x240 camera asked for
// three layers sends only the 80x60 one. So smaller cameras get fewer
// layers, the full resolution always among them; null: one layer, no
// simulcast.
function simulcastEncodings(track) {
  const { width, height } = track.getSettings?.() ?? {};
  const pixels = (width ?? 0) * (height ?? 0);
  const layers = pixels >= 960 * 540 ? 3 : pixels >= 480 * 270 ? 2 : 1;
  if (layers < 2) return null;
  return SIMULCAST_ENCODINGS.slice(-layers).map((e) => ({ ...e }));
}

// Twilio codes this client reports for failures it detects itself.
export const ErrorCode = Object.freeze({
  SIGNALING_DISCONNECTED: 53001,
  SIGNALING_TIMED_OUT: 53002,
  MEDIA_CONNECTION_FAILED: 53405,
});

// An Error carrying the Twilio code the server (or the client) reported.
export class ConvokeError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'ConvokeError';
    this.code = code;
  }
}

// Every event a Room dispatches is one of these; the fields that apply
// are set (participant, track, publication, error).
export class ConvokeEvent extends Event {
  constructor(type, fields) {
    super(type);
    Object.assign(this, fields);
  }
}

// Arguments on() passes to handlers, by event type, so that handlers read
// like Twilio's: room.on('trackSubscribed', (track, participant) => …).
const HANDLER_ARGS = {
  participantConnected: (e) => [e.participant],
  participantDisconnected: (e) => [e.participant],
  trackSubscribed: (e) => [e.track, e.participant],
  trackUnsubscribed: (e) => [e.track, e.participant],
  trackPublished: (e) => [e.publication, e.participant],
  trackMessage: (e) => [e.data, e.track, e.participant],
  trackUnpublished: (e) => [e.publication, e.participant],
  mediaConnectionFailed: (e) => [e.participant],
  dominantSpeakerChanged: (e) => [e.participant],
  networkQualityLevelChanged: (e) => [e.participant, e.level],
  warning: (e) => [e.error],
  disconnected: (e) => [e.room, e.error],
};

function signalingUrl(url) {
  const base = url ?? globalThis.location?.href;
  if (!base) throw new TypeError('Convoke.connect: no server URL given');
  const u = new URL(base, globalThis.location?.href);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol !== 'ws:' && u.protocol !== 'wss:')
    throw new TypeError(`Convoke.connect: unsupported URL scheme in "${base}"`);
  if (!u.pathname.endsWith(SIGNALING_PATH)) u.pathname = SIGNALING_PATH;
  u.search = '';
  u.hash = '';
  return u.href;
}

// The m-sections of @sdp as {mid, kind, direction}, in order. Only what is
// needed to find the m-lines an sfu offer gives us to publish on.
function mediaSections(sdp) {
  const sections = [];
  let session = 'sendrecv';
  let current = null;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      current = { kind: line.slice(2).split(' ')[0], mid: null, direction: session };
      sections.push(current);
    } else if (line.startsWith('a=mid:')) {
      if (current) current.mid = line.slice(6).trim();
    } else if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(line.trim())) {
      const direction = line.trim().slice(2);
      if (current) current.direction = direction;
      else session = direction;
    }
  }
  return sections;
}

function publicationFrom(track) {
  return { sid: track.sid, name: track.name ?? track.sid, kind: track.kind, msid: track.msid ?? null };
}

// A remote participant as the application sees it.
class RemoteParticipant {
  constructor(info) {
    this.sid = info.sid;
    this.identity = info.identity;
    this.trickle = info.trickle !== false;
    // Subscribed MediaStreamTracks, by MediaStreamTrack.id.
    this.tracks = new Map();
    // Subscribed RemoteDataTracks, by track id (their channel's label).
    this.dataTracks = new Map();
    // What the participant announced with track-published, by track sid.
    this.publications = new Map();
    for (const t of info.tracks ?? []) this.publications.set(t.sid, publicationFrom(t));
    // The MediaStream its tracks are grouped in, ready for a <video>.
    this.stream = new MediaStream();
    // 0–5, with the networkQuality join option; null until known.
    this.networkQualityLevel = null;
  }
}

// One RTCPeerConnection and the signaling bookkeeping around it: queued
// remote candidates, and the non-trickle rule (whole SDP, no candidate
// messages) towards a peer or server that needs it.
class PeerLink {
  constructor(room, to, trickle) {
    this.room = room;
    this.to = to;
    this.trickle = trickle;
    this.pendingCandidates = [];
    this.receivers = new Map(); // MediaStreamTrack.id -> RTCRtpReceiver
    this.closed = false;
    this.queue = Promise.resolve();
    this.pc = new RTCPeerConnection({
      iceServers: room._iceServers,
      iceTransportPolicy: room._options.iceTransportPolicy ?? 'all',
      bundlePolicy: 'max-bundle',
    });
    this.pc.onicecandidate = (e) => this._localCandidate(e.candidate);
    this.pc.onconnectionstatechange = () => {
      if (this.pc.connectionState === 'failed' && !this.closed) room._mediaFailed(this);
    };
  }

  // Descriptions are applied one at a time, in arrival order, so an offer
  // never overtakes the answer before it.
  serialize(step) {
    this.queue = this.queue.then(step).catch((err) => {
      if (!this.closed) this.room._warn(err);
    });
    return this.queue;
  }

  _localCandidate(candidate) {
    if (!this.trickle || this.closed) return;
    this.room._send({
      type: 'candidate',
      to: this.to,
      candidate: candidate ? candidate.candidate : '',
      sdpMLineIndex: candidate ? candidate.sdpMLineIndex : 0,
      sdpMid: candidate ? candidate.sdpMid : undefined,
    });
  }

  async addRemoteCandidate(msg) {
    if (this.pc.remoteDescription === null) {
      this.pendingCandidates.push(msg);
      return;
    }
    await this._applyCandidate(msg);
  }

  async _applyCandidate(msg) {
    if (msg.candidate === '' || msg.candidate == null) {
      await this.pc.addIceCandidate().catch(() => {}); // end of candidates is advisory
      return;
    }
    await this.pc.addIceCandidate({
      candidate: msg.candidate,
      sdpMLineIndex: msg.sdpMLineIndex ?? null,
      sdpMid: msg.sdpMid ?? null,
    });
  }

  async setRemote(type, sdp) {
    await this.pc.setRemoteDescription({ type, sdp });
    const queued = this.pendingCandidates;
    this.pendingCandidates = [];
    // One unusable candidate must not keep the others out.
    for (const c of queued) await this._applyCandidate(c).catch((e) => this.room._warn(e));
  }

  // Sets the local description and sends it; towards a non-trickle peer,
  // only once gathering is over, with every candidate inside.
  async sendLocal(description) {
    await this.pc.setLocalDescription(description);
    if (!this.trickle) await this._gatheringComplete();
    if (this.closed) return;
    this.room._send({ type: this.pc.localDescription.type, to: this.to,
                      sdp: this.pc.localDescription.sdp });
  }

  _gatheringComplete() {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.pc.iceGatheringState !== 'complete' && !this.closed) return;
        this.pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      };
      this.pc.addEventListener('icegatheringstatechange', check);
    });
  }

  close() {
    this.closed = true;
    this.pc.close();
  }
}

export class Room extends EventTarget {
  constructor(ws, options) {
    super();
    this._ws = ws;
    this._options = options;
    this._nextId = 1;
    this._requests = new Map(); // id -> {resolve, reject}
    this._links = new Map(); // participant sid (or 'server') -> PeerLink
    this._handlers = new Map();
    this._fatalError = null;
    this._keepalive = null;
    this._unansweredSince = null; // set when a ping goes out, cleared by any message
    this._orphanTracks = new Map(); // sfu: participant sid -> [{track, receiver}]
    this._watchedStreams = new WeakSet();
    this.state = 'connecting';
    this.sid = null;
    this.name = null;
    this.type = null;
    this.topology = null;
    this.localParticipant = null;
    this.participants = new Map();
    // With the dominantSpeaker join option: who speaks (a participant of
    // this.participants, or this.localParticipant), or null.
    this.dominantSpeaker = null;
    this.localTracks = (options.tracks ?? []).filter((t) => t && t.kind);
    this.localStream = new MediaStream(this.localTracks);
    // Tracks published after joining: MediaStreamTrack.id -> {sid, transceiver}.
    this._extraSenders = new Map();
    this._dataTracks = []; // LocalDataTrack
    this._orphanChannels = new Map(); // participant sid -> [RTCDataChannel]
  }

  // Twilio-style subscription: handler gets the event's own arguments.
  on(type, handler) {
    const args = HANDLER_ARGS[type] ?? ((e) => [e]);
    const listener = (e) => handler(...args(e));
    this._handlers.set(handler, listener);
    this.addEventListener(type, listener);
    return this;
  }

  off(type, handler) {
    const listener = this._handlers.get(handler);
    if (listener) this.removeEventListener(type, listener);
    return this;
  }

  // Publishes one more local track after joining (a screen share, a second
  // camera) in a group room: the track goes to the media server on an
  // m-line of its own, and the others get trackPublished and then the
  // media. Resolves with its publication ({sid, name, kind}).
  async publishTrack(track, { name } = {}) {
    if (this.state !== 'connected' || this.topology !== 'sfu')
      throw new ConvokeError(53300, 'publishTrack after joining works in a joined group room');
    const link = this._links.get(SERVER);
    const answer = await this._request({
      type: 'track-published', track: { name: name ?? track.id, kind: track.kind, msid: track.id },
    });
    this.localTracks.push(track);
    this.localStream.addTrack(track);
    this.localParticipant.tracks.set(track.id, track);
    this._extraSenders.set(track.id, { sid: answer.track.sid });
    await link.serialize(async () => {
      const transceiver = link.pc.addTransceiver(track, {
        direction: 'sendonly', streams: [this.localStream],
      });
      this._extraSenders.get(track.id).transceiver = transceiver;
      await link.sendLocal(await link.pc.createOffer());
    });
    return publicationFrom(answer.track);
  }

  // Restarts ICE on every peer connection (after a network change: new
  // Wi-Fi, mobile data): each gets an offer with new ICE credentials, and
  // media resumes over whatever path works now, in the same room, with the
  // same tracks. Resolves once every offer went out.
  async restartIce() {
    if (this.state !== 'connected') return;
    await Promise.all([...this._links.values()].map((link) => link.serialize(async () => {
      if (link.closed) return;
      link.pc.restartIce();
      await link.sendLocal(await link.pc.createOffer({ iceRestart: true }));
    })));
  }

  // Stops publishing a track that publishTrack() added; the others get
  // trackUnpublished. The track itself stays the caller's.
  async unpublishTrack(track) {
    const extra = this._extraSenders.get(track.id);
    if (!extra) throw new ConvokeError(53300, 'Only tracks published with publishTrack() can be unpublished');
    this._extraSenders.delete(track.id);
    this.localTracks = this.localTracks.filter((t) => t !== track);
    this.localStream.removeTrack(track);
    this.localParticipant.tracks.delete(track.id);
    const link = this._links.get(SERVER);
    await link.serialize(async () => {
      await extra.transceiver.sender.replaceTrack(null);
      extra.transceiver.direction = 'inactive';
      await link.sendLocal(await link.pc.createOffer());
    });
    await this._request({ type: 'track-unpublished', track: { sid: extra.sid } });
  }

  // Leaves the room: tells the server, closes every peer connection.
  // The local tracks stay the caller's; stop them if they are done.
  disconnect() {
    if (this.state === 'disconnected') return;
    if (this._ws.readyState === WebSocket.OPEN) this._send({ type: 'leave' });
    this._teardown(null);
    this._ws.close(1000);
  }

  // Receive statistics per remote track: one entry per subscribed track,
  // with the participant it comes from, read from the track's own
  // RTCRtpReceiver (its inbound-rtp report).
  async getStats() {
    const entries = [];
    for (const participant of this.participants.values()) {
      for (const track of participant.tracks.values()) {
        const link = this._linkFor(participant.sid);
        const receiver = link?.receivers.get(track.id);
        if (!receiver) continue;
        const entry = {
          participantSid: participant.sid,
          identity: participant.identity,
          trackId: track.id,
          kind: track.kind,
          packetsReceived: 0,
          bytesReceived: 0,
          framesDecoded: 0,
          totalSamplesReceived: 0,
          localCandidateType: null,
          remoteCandidateType: null,
        };
        const report = await receiver.getStats();
        report.forEach((s) => {
          if (s.type === 'inbound-rtp') {
            entry.packetsReceived += s.packetsReceived ?? 0;
            entry.bytesReceived += s.bytesReceived ?? 0;
            entry.framesDecoded += s.framesDecoded ?? 0;
            entry.totalSamplesReceived += s.totalSamplesReceived ?? 0;
          } else if (s.type === 'transport' && s.selectedCandidatePairId) {
            // Whether media goes direct or through TURN ('relay').
            const pair = report.get(s.selectedCandidatePairId);
            entry.localCandidateType = report.get(pair?.localCandidateId)?.candidateType ?? null;
            entry.remoteCandidateType = report.get(pair?.remoteCandidateId)?.candidateType ?? null;
          }
        });
        entries.push(entry);
      }
    }
    return entries;
  }

  // ---- signaling ---------------------------------------------------------

  _send(message) {
    if (this._ws.readyState !== WebSocket.OPEN) return;
    this._ws.send(JSON.stringify(message));
  }

  _request(message) {
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      this._requests.set(id, { resolve, reject });
      this._send({ ...message, id });
    });
  }

  _dispatch(type, fields) {
    this.dispatchEvent(new ConvokeEvent(type, fields));
  }

  _warn(err) {
    const error = err instanceof ConvokeError ? err : new ConvokeError(0, String(err?.message ?? err));
    this._dispatch('warning', { error });
  }

  _onMessage(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      this._warn(new ConvokeError(53004, 'The server sent a message that is not JSON'));
      return;
    }
    if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') return;
    this._unansweredSince = null;

    if (msg.id !== undefined && this._requests.has(msg.id)) {
      const request = this._requests.get(msg.id);
      this._requests.delete(msg.id);
      if (msg.type !== 'error') {
        request.resolve(msg);
        return;
      }
      // The request's caller hears about it; only a fatal error (the
      // close follows) concerns the room as a whole.
      const error = new ConvokeError(msg.code, msg.message);
      if (FATAL_CODES.has(msg.code)) this._fatalError ??= error;
      request.reject(error);
      return;
    }

    switch (msg.type) {
      case 'pong':
        break;
      case 'error':
        this._onError(msg);
        break;
      case 'participant-connected':
        this._onParticipantConnected(msg.participant);
        break;
      case 'participant-disconnected':
        this._onParticipantDisconnected(msg.participant?.sid);
        break;
      case 'track-published':
        this._onTrackPublished(msg.participant, msg.track);
        break;
      case 'track-unpublished':
        this._onTrackUnpublished(msg.participant, msg.track);
        break;
      case 'offer':
      case 'answer':
        this._onDescription(msg);
        break;
      case 'candidate':
        this._linkFor(msg.from)?.addRemoteCandidate(msg).catch((e) => this._warn(e));
        break;
      case 'dominant-speaker':
        this._onDominantSpeaker(msg.participant);
        break;
      case 'network-quality':
        this._onNetworkQuality(msg.levels);
        break;
      default:
        break; // later minor versions may add types
    }
  }

  // The server closes right after a fatal error; remember it so that the
  // close reports it. Others are only warnings.
  _onError(msg) {
    const error = new ConvokeError(msg.code, msg.message);
    if (!FATAL_CODES.has(msg.code)) {
      if (msg.code === 53403) this._offerRefused();
      this._dispatch('warning', { error });
      return;
    }
    this._fatalError ??= error;
  }

  _onClose(event) {
    if (this.state === 'disconnected') return;
    let error = this._fatalError;
    if (error === null && event.code !== 1000)
      error = new ConvokeError(ErrorCode.SIGNALING_DISCONNECTED,
        `Lost the connection to the server (WebSocket closed with code ${event.code})`);
    this._teardown(error);
  }

  _teardown(error) {
    const wasConnected = this.state === 'connected';
    this.state = 'disconnected';
    clearInterval(this._keepalive);
    for (const [, request] of this._requests)
      request.reject(error ?? new ConvokeError(ErrorCode.SIGNALING_DISCONNECTED, 'Disconnected'));
    this._requests.clear();
    for (const sid of [...this.participants.keys()]) this._removeParticipant(sid, false);
    for (const link of this._links.values()) link.close();
    this._links.clear();
    if (wasConnected) this._dispatch('disconnected', { room: this, error });
  }

  _startKeepalive(intervalSeconds) {
    const interval = Math.max(1, intervalSeconds || 10) * 1000;
    // Half the server's interval keeps it satisfied even if one ping is
    // late. The server is declared gone only when a ping of ours stays
    // unanswered for three intervals: timers of hidden tabs may fire once
    // a minute, so the time since the last message proves nothing.
    this._keepalive = setInterval(() => {
      if (this._unansweredSince !== null && Date.now() - this._unansweredSince > 3 * interval) {
        this._fatalError = new ConvokeError(ErrorCode.SIGNALING_TIMED_OUT,
          'The server stopped answering (no reply to keepalive pings)');
        this._ws.close(4000);
        this._onClose({ code: 4000 });
        return;
      }
      this._unansweredSince ??= Date.now();
      this._send({ type: 'ping', id: this._nextId++ });
    }, interval / 2);
  }

  // ---- room state ----------------------------------------------------------

  _onJoined(msg) {
    this.sid = msg.room?.sid ?? null;
    this.name = msg.room?.name ?? null;
    this.type = msg.room?.type ?? null;
    this.topology = msg.topology;
    this.localParticipant = {
      sid: msg.participant?.sid,
      identity: msg.participant?.identity,
      tracks: new Map(this.localTracks.map((t) => [t.id, t])),
      networkQualityLevel: null,
      dataTracks: new Map(),
    };
    this._iceServers = [...(msg.ice_servers ?? []), ...(this._options.iceServers ?? [])];
    for (const info of msg.participants ?? [])
      this.participants.set(info.sid, new RemoteParticipant(info));
    this.state = 'connected';
    this._startKeepalive(msg.keepalive_interval);
    this._publishTrackInfo();

    if (this.topology === 'mesh') {
      // The newcomer offers to everyone already there.
      for (const participant of this.participants.values()) this._meshOffer(participant);
    } else if (this.topology === 'sfu') {
      const link = this._newLink(SERVER, this._options.trickle !== false);
      this._links.set(SERVER, link);
      // options.simulcast: true (the default), false, or the encodings.
      const video = this.localTracks.find((t) => t.kind === 'video');
      const encodings = !video || this._options.simulcast === false ? null
        : Array.isArray(this._options.simulcast) ? this._options.simulcast.map((e) => ({ ...e }))
          : simulcastEncodings(video);
      if (encodings) this._offerSimulcast(link, encodings);
    }
  }

  // Simulcast needs the sending side to offer it (RID simulcast, RFC
  // 8853), so with a camera the client publishes with an offer of its
  // own: its first audio and its first video, the video as @encodings.
  // The server's first offer crosses it and gives way (docs/signaling.md,
  // *Crossing offers*); its next one brings what we receive.
  _offerSimulcast(link, encodings) {
    link.serialize(async () => {
      for (const kind of ['audio', 'video']) {
        const track = this.localTracks.find((t) => t.kind === kind);
        if (!track) continue;
        const init = { direction: 'sendonly', streams: [this.localStream] };
        if (kind === 'video') init.sendEncodings = encodings;
        link.pc.addTransceiver(track, init);
      }
      await link.sendLocal(await link.pc.createOffer());
    });
  }

  // Which simulcast layer of a remote video track this client receives in
  // a group room: 0 is the lowest resolution, 2 the highest (the default).
  // The server switches at the layer's next key frame. Nothing changes for
  // a publisher that does not send simulcast.
  setPreferredLayer(track, layer) {
    if (this.topology !== 'sfu' || track?.kind !== 'video')
      throw new ConvokeError(53004, 'setPreferredLayer takes a remote video track of a group room');
    if (!Number.isInteger(layer) || layer < 0 || layer > 3)
      throw new ConvokeError(53004, 'A layer is a whole number from 0 to 3');
    const participant = [...this.participants.values()].find((p) => p.tracks.get(track.id) === track);
    if (!participant) throw new ConvokeError(53004, 'Not a track this client receives');
    this._send({ type: 'set-video-layer', publisher: participant.sid, track: track.id, layer });
  }

  _publishTrackInfo() {
    const used = new Set();
    for (const track of this.localTracks) {
      let name = track.kind === 'video' ? 'camera' : 'microphone';
      for (let n = 2; used.has(name); n++) name = `${track.kind === 'video' ? 'camera' : 'microphone'}-${n}`;
      used.add(name);
      this._request({ type: 'track-published', track: { name, kind: track.kind, msid: track.id } })
        .catch((e) => { if (this.state === 'connected') this._warn(e); });
    }
  }

  _onParticipantConnected(info) {
    if (!info?.sid || this.participants.has(info.sid)) return;
    const participant = new RemoteParticipant(info);
    this.participants.set(info.sid, participant);
    this._dispatch('participantConnected', { participant });
    for (const { track, receiver } of this._orphanTracks.get(info.sid) ?? [])
      this._subscribe(participant, track, receiver);
    this._orphanTracks.delete(info.sid);
    for (const channel of this._orphanChannels.get(info.sid) ?? [])
      this._subscribeData(participant, channel);
    this._orphanChannels.delete(info.sid);
  }

  _participantBySid(sid) {
    if (sid && sid === this.localParticipant?.sid) return this.localParticipant;
    return this.participants.get(sid) ?? null;
  }

  _onDominantSpeaker(sid) {
    const participant = this._participantBySid(sid);
    if (participant === this.dominantSpeaker) return;
    this.dominantSpeaker = participant;
    this._dispatch('dominantSpeakerChanged', { participant });
  }

  // Every participant's level; events for those that changed.
  _onNetworkQuality(levels) {
    for (const [sid, level] of Object.entries(levels ?? {})) {
      const participant = this._participantBySid(sid);
      if (!participant || !Number.isInteger(level) || participant.networkQualityLevel === level)
        continue;
      participant.networkQualityLevel = level;
      this._dispatch('networkQualityLevelChanged', { participant, level });
    }
  }

  _onParticipantDisconnected(sid) {
    if (sid && this.participants.has(sid)) this._removeParticipant(sid, true);
  }

  _removeParticipant(sid, announce) {
    const participant = this.participants.get(sid);
    for (const track of [...participant.tracks.values()]) this._unsubscribe(participant, track);
    for (const track of [...participant.dataTracks.values()]) this._unsubscribeData(participant, track);
    this.participants.delete(sid);
    this._orphanChannels.delete(sid);
    if (this.topology === 'mesh') {
      this._links.get(sid)?.close();
      this._links.delete(sid);
    }
    this._orphanTracks.delete(sid);
    if (announce) this._dispatch('participantDisconnected', { participant });
    if (this.dominantSpeaker === participant) {
      this.dominantSpeaker = null;
      if (announce) this._dispatch('dominantSpeakerChanged', { participant: null });
    }
  }

  _onTrackPublished(sid, track) {
    const participant = this.participants.get(sid);
    if (!participant || !track?.sid) return; // our own track's echo, or stale
    const publication = publicationFrom(track);
    participant.publications.set(track.sid, publication);
    // A data track's channel can open before its announcement arrives.
    const data = publication.msid ? participant.dataTracks.get(publication.msid) : null;
    if (data && data.sid === null) {
      data.sid = publication.sid;
      data.name = publication.name;
    }
    this._dispatch('trackPublished', { participant, publication });
  }

  _onTrackUnpublished(sid, track) {
    const participant = this.participants.get(sid);
    const publication = participant?.publications.get(track?.sid);
    if (!publication) return;
    participant.publications.delete(track.sid);
    this._dispatch('trackUnpublished', { participant, publication });
  }

  _subscribe(participant, track, receiver) {
    if (participant.tracks.has(track.id)) return;
    participant.tracks.set(track.id, track);
    // remoteVideoTrack.setPreferredLayer(n), as Room.setPreferredLayer.
    if (this.topology === 'sfu' && track.kind === 'video')
      track.setPreferredLayer = (layer) => this.setPreferredLayer(track, layer);
    participant.stream.addTrack(track);
    this._linkFor(participant.sid)?.receivers.set(track.id, receiver);
    this._dispatch('trackSubscribed', { participant, track });
  }

  _unsubscribe(participant, track) {
    if (!participant.tracks.delete(track.id)) return;
    participant.stream.removeTrack(track);
    this._linkFor(participant.sid)?.receivers.delete(track.id);
    this._dispatch('trackUnsubscribed', { participant, track });
  }

  // The media server refused our offer: it may not have withdrawn the
  // offer of its own we kept aside, so roll ours back and answer that one.
  _offerRefused() {
    const link = this._links.get(SERVER);
    if (this.topology !== 'sfu' || !link) return;
    link.serialize(async () => {
      const kept = link.keptOffer;
      if (!kept || link.pc.signalingState !== 'have-local-offer') return;
      link.keptOffer = null;
      await link.pc.setLocalDescription({ type: 'rollback' });
      await link.setRemote('offer', kept);
      await this._attachPublishedTracks(link, kept);
      await link.sendLocal(await link.pc.createAnswer());
    });
  }

  _mediaFailed(link) {
    const participant = link.to === SERVER ? null : this.participants.get(link.to) ?? null;
    this._dispatch('mediaConnectionFailed', { participant });
  }

  // ---- peer connections ----------------------------------------------------

  _linkFor(sid) {
    return this.topology === 'sfu' ? this._links.get(SERVER) : this._links.get(sid);
  }

  _newLink(to, trickle) {
    const link = new PeerLink(this, to, trickle && this._options.trickle !== false);
    link.pc.ontrack = (e) => this._onTrack(link, e);
    link.pc.ondatachannel = (e) => this._onDataChannel(link, e.channel);
    if (to === SERVER) {
      // A data channel before the connection has SCTP needs an offer; the
      // browser says so, again each time it is back to stable.
      link.pc.onnegotiationneeded = () => link.serialize(async () => {
        if (link.closed || link.pc.sctp !== null || link.pc.signalingState !== 'stable' ||
            this._dataTracks.length === 0) return;
        await link.sendLocal(await link.pc.createOffer());
      });
    } else {
      // Every mesh connection carries SCTP from its first offer, so that
      // data tracks published later need no renegotiation: a channel both
      // sides create with one id, never used.
      link.pc.createDataChannel('convoke', { negotiated: true, id: 1023 });
    }
    for (const track of this._dataTracks) track._open(link.pc);
    return link;
  }

  _onTrack(link, event) {
    const { track, receiver } = event;
    let sid = link.to;
    if (sid === SERVER) {
      // The media server names each forwarded track's publisher in its
      // a=msid stream id.
      const stream = event.streams[0];
      sid = stream?.id;
      if (!sid) return;
      if (!this._watchedStreams.has(stream)) {
        // A forwarded track the server stops sending leaves its stream.
        this._watchedStreams.add(stream);
        stream.addEventListener('removetrack', (e) => {
          const participant = this.participants.get(sid);
          if (participant) this._unsubscribe(participant, e.track);
        });
      }
    }
    const participant = this.participants.get(sid);
    if (!participant) {
      // The forwarded track may be negotiated before participant-connected
      // is read; hold it until then.
      if (!this._orphanTracks.has(sid)) this._orphanTracks.set(sid, []);
      this._orphanTracks.get(sid).push({ track, receiver });
      return;
    }
    this._subscribe(participant, track, receiver);
  }

  _meshOffer(participant) {
    const link = this._newLink(participant.sid, participant.trickle);
    this._links.set(participant.sid, link);
    link.serialize(async () => {
      // One transceiver per kind even without a local track, so that the
      // peer's media has an m-line to arrive on.
      for (const kind of ['audio', 'video']) {
        const track = this.localTracks.find((t) => t.kind === kind);
        if (track)
          link.pc.addTransceiver(track, { direction: 'sendrecv', streams: [this.localStream] });
        else link.pc.addTransceiver(kind, { direction: 'recvonly' });
      }
      await link.sendLocal(await link.pc.createOffer());
    });
  }

  _onDescription(msg) {
    if (this.topology === 'sfu') {
      if (msg.from !== SERVER) return;
      const link = this._links.get(SERVER);
      link.serialize(async () => {
        if (msg.type !== 'offer') {
          await link.setRemote('answer', msg.sdp);
          link.keptOffer = null; // the server offers again after answering ours
          return;
        }
        if (link.pc.signalingState === 'have-local-offer') {
          // Crossing offers: ours wins. The server withdraws its offer and
          // sends a new one after its answer; keep this one only in case
          // ours is refused (docs/signaling.md, *Crossing offers*).
          link.keptOffer = msg.sdp;
          return;
        }
        link.keptOffer = null;
        await link.setRemote('offer', msg.sdp);
        await this._attachPublishedTracks(link, msg.sdp);
        await link.sendLocal(await link.pc.createAnswer());
      });
      return;
    }

    const participant = this.participants.get(msg.from);
    if (!participant) return;
    if (msg.type === 'answer') {
      this._links.get(msg.from)?.serialize(() => this._links.get(msg.from).setRemote('answer', msg.sdp));
      return;
    }
    // An offer from a newcomer, or a later one renegotiating the same
    // connection.
    let link = this._links.get(msg.from);
    if (!link) {
      link = this._newLink(msg.from, participant.trickle);
      this._links.set(msg.from, link);
    }
    link.serialize(async () => {
      await link.setRemote('offer', msg.sdp);
      // After the remote offer, addTrack reuses its m-lines of each kind.
      const sending = new Set(link.pc.getSenders().map((s) => s.track));
      for (const track of this.localTracks)
        if (!sending.has(track)) link.pc.addTrack(track, this.localStream);
      await link.sendLocal(await link.pc.createAnswer());
    });
  }

  // The server's offers carry recvonly m-lines for us to publish on (one
  // per kind, in the first offer); send the first local track of each
  // kind there. Later offers find them already in use.
  async _attachPublishedTracks(link, sdp) {
    for (const section of mediaSections(sdp)) {
      if (section.direction !== 'recvonly' || section.mid === null) continue;
      const transceiver = link.pc.getTransceivers().find((t) => t.mid === section.mid);
      if (!transceiver || transceiver.sender.track) continue;
      const track = this.localTracks.find((t) => t.kind === section.kind &&
        !link.pc.getSenders().some((s) => s.track === t));
      if (!track) continue;
      await transceiver.sender.replaceTrack(track);
      transceiver.sender.setStreams?.(this.localStream);
      transceiver.direction = 'sendonly';
    }
  }
}

// Data tracks: publishDataTrack(), unpublishDataTrack() and the channels
// that carry the others' (convoke-data.js).
Object.assign(Room.prototype, dataTrackMethods({ ConvokeError, ConvokeEvent, SERVER }));

// Errors after which the server closes the connection (docs/signaling.md).
const FATAL_CODES = new Set([20101, 20102, 20103, 20104, 20105, 20106, 20107, 53002,
  53009, 53100, 53105, 53106, 53118, 53119, 53200, 53205, 53216]);

// Joins a room. @url: the server's base URL (http(s)://host:port) or its
// signaling URL (ws(s)://…/v1/Signaling); null for the page's own origin.
// Resolves with a connected Room, or rejects with a ConvokeError.
export function connect(url, token, options = {}) {
  let ws;
  try {
    ws = new WebSocket(signalingUrl(url), PROTOCOL);
  } catch (e) {
    return Promise.reject(e);
  }
  const room = new Room(ws, options);

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      room.state = 'disconnected';
      room._teardown(error);
      if (ws.readyState <= WebSocket.OPEN) ws.close(1000);
      reject(error);
    };
    const timer = setTimeout(() => fail(new ConvokeError(ErrorCode.SIGNALING_TIMED_OUT,
      'The server did not answer the join in time')), options.joinTimeout ?? DEFAULT_JOIN_TIMEOUT_MS);

    ws.onopen = () => {
      // reuse_mlines: a browser takes m-lines that go inactive and come
      // back carrying another publisher (docs/signaling.md).
      // dominant_speaker, network_quality: opt-ins, as Twilio's
      // dominantSpeaker and networkQuality connect options (group rooms).
      room._request({ type: 'join', token, room: options.room, trickle: options.trickle !== false,
                      reuse_mlines: true, dominant_speaker: options.dominantSpeaker === true,
                      network_quality: Boolean(options.networkQuality),
                      client: `convoke.js/${VERSION}` })
        .then((joined) => {
          if (settled) return;
          try {
            room._onJoined(joined);
          } catch (e) {
            fail(new ConvokeError(53004, `The server's joined message is unusable: ${e.message}`));
            return;
          }
          settled = true;
          clearTimeout(timer);
          resolve(room);
        }, fail);
    };
    ws.onmessage = (e) => {
      if (typeof e.data === 'string') room._onMessage(e.data);
    };
    ws.onclose = (e) => {
      if (room.state === 'connecting') {
        fail(room._fatalError ?? new ConvokeError(ErrorCode.SIGNALING_DISCONNECTED,
          `Could not connect to the server (WebSocket closed with code ${e.code})`));
        return;
      }
      room._onClose(e);
    };
  });
}

export default { connect, ConvokeError, ConvokeEvent, Room, ErrorCode, VERSION };
