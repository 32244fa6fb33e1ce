// sunvai's try-it page: upload or record, see the transcript. No framework, no build step.
"use strict";

const LANGUAGES = [
  ["hi-IN", "Hindi"], ["en-IN", "English (India)"], ["bn-IN", "Bengali"], ["gu-IN", "Gujarati"],
  ["kn-IN", "Kannada"], ["ml-IN", "Malayalam"], ["mr-IN", "Marathi"], ["pa-IN", "Punjabi"],
  ["ta-IN", "Tamil"], ["te-IN", "Telugu"],
];
const SHORT_LIMIT_S = 60;  // /stt/v3 takes up to a minute; longer files take the long-form path
const $ = (id) => document.getElementById(id);
// Paths relative to the page, so it works under any route prefix (an application at /keyed/ calls /keyed/stt/v3).
const endpoint = (path) => new URL(path, document.baseURI);
const state = { file: null, url: null, duration: null, segments: [], transcript: "", stopAt: null, recorder: null };

function setup() {
  const select = $("language");
  for (const [code, name] of LANGUAGES) {
    select.add(new Option(`${name} (${code})`, code));
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" value="${code}"> ${name}`;
    if (code === "hi-IN" || code === "en-IN") label.querySelector("input").checked = true;
    $("candidates").append(label);
  }
  select.value = "auto";  // detect among the ticked languages (Hindi and English to start with)
  select.addEventListener("change", showCandidates);
  showCandidates();
  $("file").addEventListener("change", chooseFile);
  $("transcribe").addEventListener("click", transcribe);
  $("record").addEventListener("click", () => (state.recorder ? stopRecording() : startRecording()));
  $("player").addEventListener("timeupdate", () => {
    if (state.stopAt !== null && $("player").currentTime >= state.stopAt) { $("player").pause(); state.stopAt = null; }
  });
  for (const button of document.querySelectorAll("[data-download]")) {
    button.addEventListener("click", () => download(button.dataset.download));
  }
}

function showCandidates() { $("candidates").hidden = $("language").value !== "auto"; }

function languageCode() {
  if ($("language").value !== "auto") return $("language").value;
  const chosen = [...$("candidates").querySelectorAll("input:checked")].map((box) => box.value);
  if (chosen.length === 0) throw new Error("Choose at least one language to detect among.");
  return chosen.join(",");
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function status(text) { $("status").textContent = text; }

function chooseFile() {
  const file = $("file").files[0];
  if (!file) return;
  state.file = file;
  if (state.url) URL.revokeObjectURL(state.url);
  state.url = URL.createObjectURL(file);
  state.duration = null;
  const probe = new Audio();
  probe.preload = "metadata";
  probe.onloadedmetadata = () => { state.duration = probe.duration; };
  probe.src = state.url;
  $("file-name").textContent = `${file.name} (${(file.size / 1048576).toFixed(1)} MB)`;
  $("transcribe").disabled = false;
  showError("");
}

async function errorMessage(response) {
  let detail = `HTTP ${response.status}`;
  try {
    const body = await response.json();
    detail = (body.error && body.error.message) || body.message || detail;
  } catch (_) { /* not JSON */ }
  const what = { 400: "The server could not use this request", 401: "This server needs a valid API key",
                 403: "This API key may not do that", 413: "The file is too large",
                 429: "Too many requests for now", 503: "The server is busy" }[response.status]
               || "The server could not transcribe this";
  const retry = response.headers.get("Retry-After");
  return `${what}: ${detail}${retry ? ` (try again in ${retry} s)` : ""}`;
}

function keyHeaders() {
  const key = $("api-key").value.trim();
  return key ? { "X-API-Key-ID": key } : {};
}

async function transcribe() {
  showError("");
  let language;
  try { language = languageCode(); } catch (error) { showError(error.message); return; }
  $("transcribe").disabled = true;
  status(`Transcribing ${state.file.name}…`);
  try {
    const long = state.duration !== null && state.duration > SHORT_LIMIT_S;
    const form = new FormData();
    let response;
    if (!long) {
      form.append("audio_file", state.file);
      form.append("language_code", language);
      form.append("format", $("itn").checked ? "transcribe" : "verbatim");
      form.append("itn_native_numerals", $("native").checked ? "true" : "false");
      form.append("word_timestamps", "true");  // each word's confidence: unsure words are shaded
      response = await fetch(endpoint("stt/v3"), { method: "POST", body: form, headers: keyHeaders() });
    } else {  // the long-form path, through the OpenAI-compatible endpoint
      form.append("file", state.file);
      form.append("model", "whisper-1");
      form.append("language", language);  // a comma list: identified among them
      form.append("response_format", "verbose_json");
      form.append("timestamp_granularities[]", "segment");
      form.append("timestamp_granularities[]", "word");
      response = await fetch(endpoint("v1/audio/transcriptions"), { method: "POST", body: form, headers: keyHeaders() });
    }
    if (!response.ok) { showError(await errorMessage(response)); status(""); return; }
    const body = await response.json();
    showResult(long ? { transcript: body.text, language: body.language, segments: withWords(body.segments, body.words) }
                    : { transcript: body.transcript, language: body.language_code, segments: body.segments || [] });
    status(`Done in ${body.processing_time_ms ? (body.processing_time_ms / 1000).toFixed(1) + " s" : "a moment"}.`);
  } catch (error) {
    showError(`Could not reach the server: ${error.message}`);
    status("");
  } finally {
    $("transcribe").disabled = false;
  }
}

const clock = (s) => {
  const whole = Math.floor(s);
  return `${String(Math.floor(whole / 60)).padStart(2, "0")}:${String(whole % 60).padStart(2, "0")}.${String(Math.round((s - whole) * 10) % 10)}`;
};

// Words the model was unsure of (probability under this) are shaded, with their confidence on hover.
const UNSURE_BELOW = 0.5;

// OpenAI's verbose_json lists words apart from segments: each word goes to the segment it starts in.
function withWords(segments, words) {
  return (segments || []).map((s) => ({ ...s, words: (words || []).filter((w) => w.start >= s.start - 0.01 && w.start < s.end) }));
}

function segmentText(segment) {
  const words = segment.words || [];
  if (!words.length || words.some((w) => typeof w.probability !== "number")) return [document.createTextNode(segment.text)];
  return words.flatMap((w, i) => {
    const span = document.createElement("span");
    span.className = w.probability < UNSURE_BELOW ? "word unsure" : "word";
    span.textContent = w.word.trim();
    span.title = `confidence ${Math.floor(w.probability * 100)}%`;  // floor: a shaded word never reads 50%
    return i ? [document.createTextNode(" "), span] : [span];
  });
}

function showResult({ transcript, language, segments }) {
  state.transcript = transcript;
  state.segments = segments.map((s) => ({ start: s.start, end: s.end, text: s.text.trim(), words: s.words }));
  $("result").hidden = false;
  $("transcript").textContent = transcript || "(no speech found)";
  $("language-used").textContent = language ? `· ${language}` : "";
  $("player").src = state.url || "";
  $("player").hidden = !state.url;
  const list = $("segments");
  list.replaceChildren();
  for (const segment of state.segments) {
    const item = document.createElement("li");
    item.innerHTML = `<span class="time">${clock(segment.start)}–${clock(segment.end)}</span>`;
    item.append(...segmentText(segment));
    item.title = "Play this part";
    item.addEventListener("click", () => {
      for (const other of list.children) other.classList.remove("playing");
      item.classList.add("playing");
      $("player").currentTime = segment.start;
      state.stopAt = segment.end;
      $("player").play();
    });
    list.append(item);
  }
}

function stamp(seconds, separator) {
  const ms = Math.round(seconds * 1000);
  const hh = String(Math.floor(ms / 3600000)).padStart(2, "0");
  const mm = String(Math.floor(ms / 60000) % 60).padStart(2, "0");
  const ss = String(Math.floor(ms / 1000) % 60).padStart(2, "0");
  return `${hh}:${mm}:${ss}${separator}${String(ms % 1000).padStart(3, "0")}`;
}

function download(kind) {
  let text;
  if (kind === "txt") text = state.transcript + "\n";
  else if (kind === "srt") text = state.segments.map((s, i) => `${i + 1}\n${stamp(s.start, ",")} --> ${stamp(s.end, ",")}\n${s.text}\n`).join("\n");
  else text = "WEBVTT\n\n" + state.segments.map((s) => `${stamp(s.start, ".")} --> ${stamp(s.end, ".")}\n${s.text}\n`).join("\n");
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
  link.download = `transcript.${kind}`;
  link.click();
}

// --- recording: microphone -> PCM -> Vachana's stream or OpenAI's Realtime API ----------------------
const WORKLET = `class Capture extends AudioWorkletProcessor {
  process(inputs) { if (inputs[0][0]) this.port.postMessage(inputs[0][0].slice(0)); return true; }
}
registerProcessor("capture", Capture);`;

function socketUrl(path) {
  const url = endpoint(path);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return url;
}

// Vachana's /stt/v3/stream: settings in the query (browsers set no headers), binary PCM frames, EOS to end.
const vachana = {
  rate: 16000,
  open(language) {
    const params = new URLSearchParams({ lang_code: language, "x-sample-rate": String(this.rate),
      "x-format": $("itn").checked ? "transcribe" : "verbatim", itn_native_numerals: String($("native").checked),
      "x-interim-results": "true", ...(keyHeaders()["X-API-Key-ID"] ? { "x-api-key-id": keyHeaders()["X-API-Key-ID"] } : {}) });
    const socket = new WebSocket(socketUrl(`stt/v3/stream?${params}`));
    socket.binaryType = "arraybuffer";
    return socket;
  },
  send(socket, pcm) { socket.send(pcm.buffer); },
  receive(socket, message) {
    if (message.type === "partial") $("partial").textContent = message.text;
    else if (message.type === "transcript") addFinal(message.text);
    else if (message.type === "error") showError(`The server stopped the stream: ${message.message}`);
  },
  stop(socket) { socket.send("EOS"); },  // the server sends what is left, then closes
};

// OpenAI's Realtime API (/v1/realtime?intent=transcription): a client secret minted with the API key (the key
// itself never goes into the socket), JSON events, base64 PCM at 24 kHz; server VAD ends each turn.
const openai = {
  rate: 24000,
  async open(language) {
    const session = { type: "transcription", audio: { input: { format: { type: "audio/pcm", rate: this.rate },
      transcription: { language, itn: $("itn").checked, native_numerals: $("native").checked } } } };
    const key = $("api-key").value.trim();
    const response = await fetch(endpoint("v1/realtime/client_secrets"), { method: "POST",
      headers: { "Content-Type": "application/json", ...(key ? { Authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ session, expires_after: { anchor: "created_at", seconds: 60 } }) });
    if (!response.ok) throw new Error(await errorMessage(response));
    const secret = (await response.json()).value;
    this.pending = 0;
    this.closing = false;
    this.live = {};
    return new WebSocket(socketUrl("v1/realtime?intent=transcription"), ["realtime", `openai-insecure-api-key.${secret}`]);
  },
  send(socket, pcm) {
    let binary = "";
    const bytes = new Uint8Array(pcm.buffer);
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    socket.send(JSON.stringify({ type: "input_audio_buffer.append", audio: btoa(binary) }));
  },
  receive(socket, message) {
    const type = message.type;
    if (type === "input_audio_buffer.committed") this.pending += 1;
    else if (type === "conversation.item.input_audio_transcription.delta") {
      this.live[message.item_id] = (this.live[message.item_id] || "") + message.delta;
      $("partial").textContent = this.live[message.item_id];
    } else if (type === "conversation.item.input_audio_transcription.completed"
               || type === "conversation.item.input_audio_transcription.failed") {
      this.pending -= 1;
      if (message.transcript !== undefined) addFinal(message.transcript);
      else showError(`A turn could not be transcribed: ${message.error.message}`);
    } else if (type === "error" && message.error.code !== "input_audio_buffer_commit_empty") {
      showError(`The server said: ${message.error.message}`);
    }
    if (this.closing && this.pending <= 0 && (type.endsWith(".completed") || type.endsWith(".failed")
                                              || type === "error")) socket.close();
  },
  stop(socket) {  // the turn in progress is committed; the socket closes once every turn is transcribed
    this.closing = true;
    socket.send(JSON.stringify({ type: "input_audio_buffer.commit" }));
  },
};

function addFinal(text) {
  $("partial").textContent = "";
  if (!text) return;
  const item = document.createElement("li");
  item.textContent = text;
  $("finals").append(item);
}

async function startRecording() {
  showError("");
  let language;
  try { language = languageCode(); } catch (error) { showError(error.message); return; }
  const protocol = $("protocol").value === "openai" ? openai : vachana;
  let media;
  // Asking for the microphone can take a while (a permission prompt): a second click meanwhile would open a
  // second microphone and stream, and the first would never be released.
  $("record").disabled = true;
  let socket;
  try {
    media = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true } });
    socket = await protocol.open(language);
  } catch (error) {
    if (media) media.getTracks().forEach((track) => track.stop());
    showError(media ? error.message
                    : `The microphone is not available: ${error.message}. Allow the page to use it and try again.`);
    return;
  } finally {
    $("record").disabled = false;
  }
  const context = new AudioContext({ sampleRate: protocol.rate });
  $("live-panel").hidden = false;
  $("finals").replaceChildren();
  $("partial").textContent = "";
  socket.onmessage = (event) => protocol.receive(socket, JSON.parse(event.data));
  // The recorder exists from here on: a refusal can close the socket before the worklet below has loaded,
  // and its cleanup must still find the microphone to release and the button to reset.
  const recorder = { media, socket, protocol, node: null };  // node: kept referenced while it records
  state.recorder = recorder;
  $("record").textContent = "Stop";
  $("record").classList.add("on");
  function cleanup() {
    if (state.recorder !== recorder) return;
    media.getTracks().forEach((track) => track.stop());
    context.close();
    state.recorder = null;
    $("record").textContent = "Record";
    $("record").classList.remove("on");
  }
  socket.onclose = () => { status("Recording ended."); cleanup(); };
  await context.audioWorklet.addModule(URL.createObjectURL(new Blob([WORKLET], { type: "text/javascript" })));
  if (state.recorder !== recorder) return;  // closed while the worklet loaded
  const source = context.createMediaStreamSource(media);
  const node = new AudioWorkletNode(context, "capture");
  node.port.onmessage = ({ data }) => {
    if (socket.readyState !== WebSocket.OPEN) return;
    const pcm = new Int16Array(data.length);
    for (let i = 0; i < data.length; i++) pcm[i] = Math.max(-1, Math.min(1, data[i])) * 32767;
    protocol.send(socket, pcm);
  };
  source.connect(node);
  recorder.node = node;
  status("Listening… speak now.");
}

function stopRecording() {
  const { socket, media, protocol } = state.recorder;
  media.getTracks().forEach((track) => track.stop());
  if (socket.readyState === WebSocket.OPEN) protocol.stop(socket);
  status("Finishing…");
}

setup();
