// The demo page served at "/": join a room with a name, see everyone.
// State is on window.convokeDemo so that tests (and curious people with a
// console) can look at it. SPDX-License-Identifier: LGPL-2.1-or-later

import Convoke from './convoke.js';

const $ = (id) => document.getElementById(id);

const demo = {
  state: 'idle', // idle, joining, joined, left, failed
  room: null,
  roomName: null,
  identity: null,
  localTracks: [],
  errors: [], // every message shown to the user in #error, in order
  join,
  leave,
  receivedFrom,
  captions,
};
window.convokeDemo = demo;

function setStatus(text) {
  $('status').textContent = text;
}

function showError(text) {
  demo.errors.push(text);
  $('error').textContent = text;
  $('error').hidden = false;
}

function clearError() {
  $('error').textContent = '';
  $('error').hidden = true;
}

function setFormJoined(joined) {
  $('join').hidden = joined;
  $('leave').hidden = !joined;
  $('room').disabled = joined;
  $('name').disabled = joined;
  $('join').disabled = false;
}

// Words for the failures people meet; the server's own message follows.
function describeError(error, roomName) {
  const code = error?.code;
  const detail = error?.message ?? String(error);
  if (code === 53105) return `The room “${roomName}” is full, so you cannot join it now. (${detail})`;
  if (code >= 20101 && code <= 20107) return `The server refused the access token: ${detail}`;
  if (code === 53001) return `Lost the connection to the server. ${detail}`;
  if (code === 53002) return `The connection to the server timed out: ${detail}`;
  if (code === 53106) return `There is no room “${roomName}” on this server. (${detail})`;
  if (code === 53118) return `The room “${roomName}” has ended. (${detail})`;
  if (code === 53119) return `The room’s media server failed; please join again. (${detail})`;
  if (code === 53205) return 'You joined this room again from another tab or device, so this one was disconnected.';
  if (code === 53216) return `You were removed from the room. (${detail})`;
  if (code) return `${detail} (error ${code})`;
  return detail;
}

class TokenError extends Error {}

async function fetchToken(identity, roomName) {
  const query = new URLSearchParams({ identity, room: roomName });
  let response;
  try {
    response = await fetch(`/dev/token?${query}`, { cache: 'no-store' });
  } catch (e) {
    throw new TokenError(`Could not reach the server to get an access token: ${e.message}`);
  }
  if (response.status === 404)
    throw new TokenError(
      'This server does not give out tokens to the demo page: its [server] dev-tokens ' +
      'setting is off, which is the safe default. To try the demo on a development ' +
      'machine, set dev-tokens=true in convoke.conf; in production your own application ' +
      'must create access tokens (see docs/javascript.md).');
  let body = null;
  try {
    body = await response.json();
  } catch {
    // handled below
  }
  if (!response.ok || typeof body?.token !== 'string')
    throw new TokenError(`The server refused to make a token for “${identity}”: ` +
      `${body?.message ?? response.statusText} (HTTP ${response.status})`);
  return body.token;
}

async function localMedia() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: { ideal: 320 }, height: { ideal: 240 }, frameRate: { ideal: 15 } },
    });
    return stream.getTracks();
  } catch (e) {
    showError(`Your camera and microphone are not available (${e.message}); ` +
      'you join without sending video or sound.');
    return [];
  }
}

// ---- the grid ----------------------------------------------------------------

function tileId(sid) {
  return `tile-${sid}`;
}

function addTile(sid, caption, local) {
  let figure = document.getElementById(tileId(sid));
  if (figure) return figure;
  figure = document.createElement('figure');
  figure.id = tileId(sid);
  figure.className = local ? 'tile local' : 'tile';
  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  video.muted = local; // never play our own microphone back
  const label = document.createElement('figcaption');
  label.textContent = caption;
  figure.append(video, label);
  $('grid').append(figure);
  return figure;
}

function showTracks(sid, tracks) {
  const video = document.getElementById(tileId(sid))?.querySelector('video');
  if (!video) return;
  video.srcObject = tracks.length ? new MediaStream(tracks) : null;
  video.play().catch(() => {}); // autoplay may wait for a gesture; the tile stays
}

// The speaker's tile is outlined; the others lose the outline.
function highlightSpeaker(sid) {
  for (const tile of document.querySelectorAll('figure.tile.speaking'))
    tile.classList.remove('speaking');
  if (sid) document.getElementById(tileId(sid))?.classList.add('speaking');
}

// Network quality, 0–5, drawn after the name by demo.css.
function showQuality(sid, level) {
  const tile = document.getElementById(tileId(sid));
  if (!tile) return;
  tile.dataset.quality = String(level);
  tile.querySelector('figcaption').title = `Network quality ${level} of 5`;
}

function removeTile(sid) {
  document.getElementById(tileId(sid))?.remove();
}

function clearGrid() {
  $('grid').replaceChildren();
}

// ---- joining and leaving -------------------------------------------------------

function watchRoom(room) {
  room.on('participantConnected', (p) => {
    addTile(p.sid, p.identity, false);
    setStatus(`${p.identity} joined “${room.name}”.`);
  });
  room.on('participantDisconnected', (p) => {
    removeTile(p.sid);
    setStatus(`${p.identity} left “${room.name}”.`);
  });
  room.on('trackSubscribed', (track, p) => {
    addTile(p.sid, p.identity, false);
    showTracks(p.sid, [...p.tracks.values()]);
  });
  room.on('trackUnsubscribed', (track, p) => showTracks(p.sid, [...p.tracks.values()]));
  room.on('mediaConnectionFailed', (p) => {
    showError(p ? `The media connection to ${p.identity} failed; you may not see or hear them.`
                : 'The media connection to the server failed; you may not see or hear others.');
  });
  room.on('dominantSpeakerChanged', (p) => highlightSpeaker(p?.sid));
  room.on('networkQualityLevelChanged', (p, level) => showQuality(p.sid, level));
  room.on('warning', (error) => console.warn('convoke:', error.code, error.message));
  room.on('disconnected', (r, error) => {
    clearGrid();
    setFormJoined(false);
    stopLocalMedia();
    if (error) {
      demo.state = 'failed';
      showError(describeError(error, demo.roomName));
      setStatus('Disconnected.');
    } else {
      demo.state = 'left';
      setStatus(`You left “${demo.roomName}”.`);
    }
  });
}

function stopLocalMedia() {
  for (const track of demo.localTracks) track.stop();
  demo.localTracks = [];
}

// A token in the fragment (#token=…) is used as it is, so the page also
// works on servers without dev-tokens: an application can link here with a
// token it minted. The fragment never reaches the server's logs.
function tokenFromFragment() {
  return new URLSearchParams(location.hash.slice(1)).get('token');
}

async function join(roomName, identity) {
  if (demo.state === 'joining' || demo.state === 'joined') return;
  demo.state = 'joining';
  demo.roomName = roomName;
  demo.identity = identity;
  clearError();
  $('join').disabled = true;
  setStatus(`Joining “${roomName}” as ${identity}…`);
  try {
    const token = tokenFromFragment() ?? await fetchToken(identity, roomName);
    demo.localTracks = await localMedia();
    // ?relay=1 sends all media through the server's TURN relays: a quick
    // check that the TURN setup works.
    const relay = new URLSearchParams(location.search).get('relay') === '1';
    const room = await Convoke.connect(null, token, {
      tracks: demo.localTracks,
      room: roomName,
      iceTransportPolicy: relay ? 'relay' : 'all',
      // Group rooms then say who speaks and how good each link is.
      dominantSpeaker: true,
      networkQuality: true,
    });
    demo.room = room;
    demo.identity = room.localParticipant.identity; // the token's, which rules
    demo.state = 'joined';
    watchRoom(room);
    clearGrid();
    const local = addTile(room.localParticipant.sid, `${demo.identity} (you)`, true);
    local.querySelector('video').srcObject = room.localStream;
    for (const p of room.participants.values()) addTile(p.sid, p.identity, false);
    setFormJoined(true);
    const others = room.participants.size;
    setStatus(`In “${room.name}” (${room.type}) with ${others} other${others === 1 ? '' : 's'}.`);
  } catch (error) {
    demo.state = 'failed';
    stopLocalMedia();
    $('join').disabled = false;
    showError(error instanceof TokenError ? error.message : describeError(error, roomName));
    setStatus('Not connected.');
  }
}

function leave() {
  demo.room?.disconnect();
}

// Per remote identity: video frames decoded, audio samples and packets,
// and the candidate types media arrives over.
async function receivedFrom() {
  const result = {};
  if (!demo.room) return result;
  for (const s of await demo.room.getStats()) {
    const r = (result[s.identity] ??= { video: 0, audioSamples: 0, audioPackets: 0, candidates: [] });
    const pair = `${s.localCandidateType}/${s.remoteCandidateType}`;
    if (!r.candidates.includes(pair)) r.candidates.push(pair);
    if (s.kind === 'video') r.video += s.framesDecoded;
    else {
      r.audioSamples += s.totalSamplesReceived;
      r.audioPackets += s.packetsReceived;
    }
  }
  return result;
}

function captions() {
  return [...document.querySelectorAll('#grid figcaption')].map((c) => c.textContent);
}

$('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const roomName = $('room').value.trim();
  const identity = $('name').value.trim();
  if (roomName && identity) join(roomName, identity);
});
$('leave').addEventListener('click', leave);

const params = new URLSearchParams(location.search);
if (params.has('room')) $('room').value = params.get('room');
if (params.has('name')) $('name').value = params.get('name');
