// One twilio-video.js participant, driven by tests/sdk/test-twilio-sdk.c
// over the DevTools protocol. Everything here is what an app does with the
// SDK's public API; the test reads the outcome from window.sdkTest.
// SPDX-License-Identifier: LGPL-2.1-or-later
'use strict';
(function () {
  const params = new URLSearchParams(location.search);
  const sockets = [];
  const t = window.sdkTest = {
    loaded: false,
    loadError: null,
    state: 'idle',
    error: null,
    sid: null,
    reconnects: 0,
    local: {},    // track name -> MT sid
    remotes: {},  // identity -> {sid, state, tracks: {MT sid: {...}}}
    dominantSpeaker: null,
    frames: [],   // the latest server frames (debugging)
    channels: [], // labels of the data channels the server opened
    channelMessages: [], // the latest messages on them (debugging)
    // performance.now() when connect() was called, when it resolved and
    // when a peer connection first gave a remote video track, for
    // bench/sdk-join (joinTiming() below).
    connectStartedAt: null,
    connectedAt: null,
    firstVideoTrackAt: null,
  };

  // The sockets the SDK opens, so that a test can drop one as a network
  // failure would (any close code but 1000 makes the SDK resume).
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = function (url, protocols) {
    const ws = protocols === undefined ? new NativeWebSocket(url)
                                       : new NativeWebSocket(url, protocols);
    sockets.push(ws);
    // The latest frames the server sent, for a failing test to show.
    ws.addEventListener('message', (e) => {
      t.frames.push(String(e.data).slice(0, 2000));
      if (t.frames.length > 40) t.frames.shift();
    });
    return ws;
  };
  window.WebSocket.prototype = NativeWebSocket.prototype;
  Object.assign(window.WebSocket, {
    CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3,
  });

  // The peer connections the SDK makes, for receive statistics read from
  // the browser itself: the SDK's own getStats() of older releases (2.20)
  // throws on current Chromium's stats.
  const peerConnections = [];
  const NativePeerConnection = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...args) {
    const pc = new NativePeerConnection(...args);
    peerConnections.push(pc);
    // The first remote video track the browser itself hands over, before
    // the SDK makes it a subscribed RemoteVideoTrack (joinTiming()).
    pc.addEventListener('datachannel', e => {
      t.channels.push(e.channel.label);
      e.channel.addEventListener('message', m => {
        t.channelMessages.push(`${e.channel.label} ${String(m.data).slice(0, 300)}`);
        if (t.channelMessages.length > 40) t.channelMessages.shift();
      });
    });
    pc.addEventListener('track', e => {
      if (e.track.kind === 'video' && t.firstVideoTrackAt === null) {
        t.firstVideoTrackAt = performance.now();
      }
    });
    return pc;
  };
  window.RTCPeerConnection.prototype = NativePeerConnection.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, NativePeerConnection);

  const script = document.createElement('script');
  script.src = params.get('sdk');
  script.onload = () => { t.loaded = true; t.version = Twilio.Video.version; };
  script.onerror = () => { t.loadError = 'cannot load ' + script.src; };
  document.head.appendChild(script);

  function remoteOf(participant) {
    let r = t.remotes[participant.identity];
    if (!r || r.sid !== participant.sid) {
      r = t.remotes[participant.identity] = {
        sid: participant.sid, state: 'connected', tracks: {},
      };
    }
    return r;
  }

  function infoOf(participant, publication) {
    const r = remoteOf(participant);
    let info = r.tracks[publication.trackSid];
    if (!info) {
      info = r.tracks[publication.trackSid] = {
        name: publication.trackName, kind: publication.kind, published: true,
        subscribed: false, enabled: publication.isTrackEnabled, frames: 0,
        width: 0, element: null,
      };
    }
    return info;
  }

  // When the element presents its first frame (requestVideoFrameCallback:
  // the frame was handed to the compositor), as info.firstFrameAt; where
  // that API is missing, the first animation frame that sees a frame
  // counted by getVideoPlaybackQuality().
  function watchFirstFrame(element, info) {
    info.firstFrameAt = null;
    if (element.requestVideoFrameCallback) {
      element.requestVideoFrameCallback((now, metadata) => {
        info.firstFrameAt = metadata && metadata.presentationTime ? metadata.presentationTime : now;
      });
      return;
    }
    const poll = () => {
      if (info.element !== element) return;
      if (element.getVideoPlaybackQuality().totalVideoFrames > 0) {
        info.firstFrameAt = performance.now();
        return;
      }
      requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  }

  function watch(participant) {
    remoteOf(participant).state = 'connected';
    participant.tracks.forEach(pub => infoOf(participant, pub));
    participant.on('trackPublished', pub => { infoOf(participant, pub).published = true; });
    participant.on('trackUnpublished', pub => {
      const info = infoOf(participant, pub);
      info.published = false;
      info.subscribed = false;
    });
    participant.on('trackSubscribed', (track, pub) => {
      const info = infoOf(participant, pub);
      info.subscribed = true;
      info.subscribedAt = performance.now();
      info.mediaTrackId = track.mediaStreamTrack ? track.mediaStreamTrack.id : null;
      if (track.kind === 'data') {
        info.messages = [];
        track.on('message', (m) => info.messages.push(m));
      }
      if (track.kind === 'video' || track.kind === 'audio') {
        const element = track.attach();
        element.muted = true;
        document.getElementById('media').appendChild(element);
        info.element = element;
        if (track.kind === 'video') watchFirstFrame(element, info);
      }
    });
    participant.on('trackUnsubscribed', (track, pub) => {
      const info = infoOf(participant, pub);
      info.subscribed = false;
      track.detach().forEach(e => e.remove());
    });
    participant.on('trackDisabled', pub => { infoOf(participant, pub).enabled = false; });
    participant.on('trackEnabled', pub => { infoOf(participant, pub).enabled = true; });
  }

  t.connect = async function (options) {
    t.state = 'connecting';
    t.connectedAt = null;
    t.firstVideoTrackAt = null;
    t.connectStartedAt = performance.now();
    try {
      const room = await Twilio.Video.connect(options.token, Object.assign({
        wsServer: options.wsServer,
        insights: false,
        name: options.name,
        audio: true,
        video: { width: 320, height: 240, frameRate: 15 },
      }, options.extra || {}));
      t.connectedAt = performance.now();
      t.room = room;
      t.state = 'connected';
      t.sid = room.localParticipant.sid;
      t.roomSid = room.sid;
      room.localParticipant.tracks.forEach(pub => { t.local[pub.trackName] = pub.trackSid; });
      room.participants.forEach(watch);
      room.on('participantConnected', watch);
      room.on('participantDisconnected', p => { remoteOf(p).state = 'disconnected'; });
      room.on('reconnecting', () => { t.state = 'reconnecting'; });
      room.on('reconnected', () => { t.state = 'connected'; t.reconnects++; });
      room.on('dominantSpeakerChanged', p => { t.dominantSpeaker = p ? p.identity : null; });
      room.on('disconnected', (r, error) => {
        t.state = 'disconnected';
        t.error = error ? { code: error.code, message: error.message } : null;
      });
      return true;
    } catch (error) {
      t.state = 'failed';
      t.error = { code: error.code, message: error.message };
      return false;
    }
  };

  // A second video track, as a screen share would be (a painted canvas:
  // headless Chromium has no screen to capture).
  t.publishScreen = async function (name) {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 180;
    const context = canvas.getContext('2d');
    let n = 0;
    t.screenTimer = setInterval(() => {
      context.fillStyle = `hsl(${(n++ * 7) % 360}, 80%, 50%)`;
      context.fillRect(0, 0, canvas.width, canvas.height);
    }, 66);
    const stream = canvas.captureStream(15);
    const track = new Twilio.Video.LocalVideoTrack(stream.getVideoTracks()[0], { name });
    const publication = await t.room.localParticipant.publishTrack(track);
    t.local[name] = publication.trackSid;
    t.screenTrack = track;
    return publication.trackSid;
  };

  // A data track (LocalDataTrack) that sends @count numbered messages once
  // published.
  t.publishData = async function (name) {
    const track = new Twilio.Video.LocalDataTrack({ name });
    const publication = await t.room.localParticipant.publishTrack(track);
    t.local[name] = publication.trackSid;
    t.dataTrack = track;
    return publication.trackSid;
  };

  t.sendData = function (prefix, count) {
    for (let i = 0; i < count; i++) t.dataTrack.send(`${prefix}:${i}`);
    return true;
  };

  t.unpublish = function (name) {
    const lp = t.room.localParticipant;
    lp.tracks.forEach(pub => {
      if (pub.trackName === name) {
        lp.unpublishTrack(pub.track);
        pub.track.stop();
      }
    });
    delete t.local[name];
    return true;
  };

  t.setVideoEnabled = function (enabled) {
    t.room.localParticipant.videoTracks.forEach(pub => {
      if (enabled) pub.track.enable(); else pub.track.disable();
    });
    return true;
  };

  t.dropSocket = function () {
    const open = sockets.filter(ws => ws.readyState === 1);
    open.forEach(ws => ws.close(4000, 'test drops the socket'));
    return open.length;
  };

  // The m-sections of the server's latest description on each open peer
  // connection: {kind, direction, msid} in order (direction as the server
  // wrote it).
  t.remoteMLines = function () {
    const out = [];
    for (const pc of peerConnections) {
      if (pc.connectionState === 'closed' || !pc.remoteDescription) continue;
      const sections = pc.remoteDescription.sdp.split('\r\nm=').slice(1);
      for (const section of sections) {
        const direction = (section.match(/\r\na=(sendrecv|sendonly|recvonly|inactive)/) || [])[1];
        const msid = (section.match(/\r\na=msid:([^\r]*)/) || [])[1] || null;
        out.push({ kind: section.split(' ')[0], direction, msid,
                   stable: pc.signalingState === 'stable' });
      }
    }
    return out;
  };

  t.leave = function () {
    t.room.disconnect();
    return true;
  };

  // Milliseconds from the last connect() call to: its promise resolving
  // (connectedMs), the first remote video track of any peer connection
  // (videoTrackMs, the RTCPeerConnection's `track` event), and per remote
  // identity, the first subscribed video track (videoSubscribedMs) and the
  // first frame any of its video tracks presented (firstVideoFrameMs); null
  // for what has not happened yet. bench/sdk-join reads this.
  t.joinTiming = function () {
    const since = at => (at === null || at === undefined || t.connectStartedAt === null
                         ? null : at - t.connectStartedAt);
    const out = {
      connectedMs: since(t.connectedAt),
      videoTrackMs: since(t.firstVideoTrackAt),
      remotes: {},
    };
    for (const [identity, r] of Object.entries(t.remotes)) {
      const video = Object.values(r.tracks).filter(info => info.kind === 'video');
      const earliest = name => {
        const times = video.map(info => info[name]).filter(x => x !== null && x !== undefined);
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

  // Frames each subscribed video track presented so far, and audio packets
  // received per track, keyed "identity/track name".
  t.status = async function () {
    const out = {
      state: t.state, error: t.error, sid: t.sid, roomSid: t.roomSid,
      reconnects: t.reconnects, local: t.local, remotes: {},
    };
    // Audio packets per receiving MediaStreamTrack id.
    const audio = {};
    for (const pc of peerConnections) {
      if (pc.connectionState === 'closed') continue;
      try {
        const report = await pc.getStats();
        report.forEach(s => {
          if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.trackIdentifier) {
            audio[s.trackIdentifier] = (audio[s.trackIdentifier] || 0) + (s.packetsReceived || 0);
          }
        });
      } catch (e) { /* a connection closing meanwhile */ }
    }
    for (const [identity, r] of Object.entries(t.remotes)) {
      const tracks = {};
      for (const [sid, info] of Object.entries(r.tracks)) {
        if (info.element && info.kind === 'video' && info.element.getVideoPlaybackQuality) {
          info.frames = info.element.getVideoPlaybackQuality().totalVideoFrames;
          info.width = info.element.videoWidth;
        }
        tracks[sid] = {
          name: info.name, kind: info.kind, published: info.published,
          subscribed: info.subscribed, enabled: info.enabled, frames: info.frames,
          width: info.width, audioPackets: audio[info.mediaTrackId] || 0,
        };
      }
      out.remotes[identity] = { sid: r.sid, state: r.state, tracks };
    }
    return out;
  };
})();
