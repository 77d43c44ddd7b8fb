// bench/sdk-join's baseline participant: convoke.js (data/web/), the
// daemon's own client, doing what tests/sdk/sdk-page.js does with
// twilio-video.js: take the camera and microphone (the same constraints),
// join, show every remote video track in a <video>, and note when each
// presents its first frame. sdk-join evaluates this file in the demo page
// served at "/" (convoke.js is a module of that origin) and reads
// window.benchNative.joinTiming(), which has the shape of
// sdkTest.joinTiming().
// SPDX-License-Identifier: LGPL-2.1-or-later
(() => {
  'use strict';
  if (window.benchNative) return true;
  const b = window.benchNative = {
    state: 'idle',
    error: null,
    room: null,
    localTracks: [],
    connectStartedAt: null,
    connectedAt: null,
    firstVideoTrackAt: null,
    remotes: {}, // identity -> {sid, state, videos: [{id, subscribedAt, firstFrameAt}]}
  };
  // As sdk-page.js: the first remote video track the browser hands over.
  const NativePeerConnection = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...args) {
    const pc = new NativePeerConnection(...args);
    pc.addEventListener('track', e => {
      if (e.track.kind === 'video' && b.firstVideoTrackAt === null) {
        b.firstVideoTrackAt = performance.now();
      }
    });
    return pc;
  };
  window.RTCPeerConnection.prototype = NativePeerConnection.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, NativePeerConnection);
  const media = document.createElement('div');
  document.body.appendChild(media);
  // Already loaded by the demo page itself: this only gets the module.
  const convoke = import(new URL('/convoke.js', location.href).href);

  function remoteOf(participant) {
    let r = b.remotes[participant.identity];
    if (!r || r.sid !== participant.sid) {
      r = b.remotes[participant.identity] = { sid: participant.sid, state: 'connected', videos: [] };
    }
    return r;
  }

  // As sdk-page.js: requestVideoFrameCallback's presentationTime of the
  // element's first frame.
  function onTrack(track, participant) {
    const r = remoteOf(participant);
    if (track.kind !== 'video' || r.videos.some(v => v.id === track.id)) return;
    const info = { id: track.id, subscribedAt: performance.now(), firstFrameAt: null };
    r.videos.push(info);
    const element = document.createElement('video');
    element.autoplay = true;
    element.playsInline = true;
    element.muted = true;
    element.srcObject = new MediaStream([track]);
    media.appendChild(element);
    element.requestVideoFrameCallback((now, metadata) => {
      info.firstFrameAt = metadata && metadata.presentationTime ? metadata.presentationTime : now;
    });
    element.play().catch(() => {});
  }

  b.load = () => convoke.then(() => true);

  b.connect = async function (token, roomName) {
    const Convoke = (await convoke).default;
    b.state = 'connecting';
    b.connectedAt = null;
    b.firstVideoTrackAt = null;
    b.connectStartedAt = performance.now();
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: { width: 320, height: 240, frameRate: 15 },
      });
      b.localTracks = stream.getTracks();
      const room = await Convoke.connect(null, token, { tracks: b.localTracks, room: roomName });
      b.connectedAt = performance.now();
      b.room = room;
      b.state = 'connected';
      room.on('participantConnected', p => { remoteOf(p); });
      room.on('participantDisconnected', p => { remoteOf(p).state = 'disconnected'; });
      room.on('trackSubscribed', onTrack);
      room.on('disconnected', (r, error) => {
        b.state = 'disconnected';
        b.error = error ? { code: error.code, message: error.message } : null;
      });
      for (const p of room.participants.values()) {
        remoteOf(p);
        for (const track of p.tracks.values()) onTrack(track, p);
      }
      return true;
    } catch (error) {
      b.state = 'failed';
      b.error = { code: error.code, message: error.message };
      return false;
    }
  };

  b.leave = function () {
    if (b.room) b.room.disconnect();
    b.localTracks.forEach(track => track.stop());
    return true;
  };

  b.joinTiming = function () {
    const since = at => (at === null || at === undefined || b.connectStartedAt === null
                         ? null : at - b.connectStartedAt);
    const out = {
      connectedMs: since(b.connectedAt),
      videoTrackMs: since(b.firstVideoTrackAt),
      remotes: {},
    };
    for (const [identity, r] of Object.entries(b.remotes)) {
      const earliest = name => {
        const times = r.videos.map(v => v[name]).filter(x => x !== null && x !== undefined);
        return times.length ? since(Math.min(...times)) : null;
      };
      out.remotes[identity] = {
        state: r.state,
        videoSubscribedMs: earliest('subscribedAt'),
        firstVideoFrameMs: earliest('firstFrameAt'),
      };
    }
    return out;
  };
  return true;
})()
