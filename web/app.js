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
  select.value = "hi-IN";
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
      response = await fetch(endpoint("stt/v3"), { method: "POST", body: form, headers: keyHeaders() });
    } else {  // the long-form path, through the OpenAI-compatible endpoint
      form.append("file", state.file);
      form.append("model", "whisper-1");
      if (!language.includes(",")) form.append("language", language);
      form.append("response_format", "verbose_json");
      response = await fetch(endpoint("v1/audio/transcriptions"), { method: "POST", body: form, headers: keyHeaders() });
    }
    if (!response.ok) { showError(await errorMessage(response)); status(""); return; }
    const body = await response.json();
    showResult(long ? { transcript: body.text, language: body.language, segments: body.segments }
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

function showResult({ transcript, language, segments }) {
  state.transcript = transcript;
  state.segments = segments.map((s) => ({ start: s.start, end: s.end, text: s.text.trim() }));
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
    item.append(document.createTextNode(segment.text));
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

// --- recording: microphone -> 16 kHz PCM -> /stt/v3/stream ---------------------------------
const WORKLET = `class Capture extends AudioWorkletProcessor {
  process(inputs) { if (inputs[0][0]) this.port.postMessage(inputs[0][0].slice(0)); return true; }
}
registerProcessor("capture", Capture);`;

async function startRecording() {
  showError("");
  let language;
  try { language = languageCode(); } catch (error) { showError(error.message); return; }
  let media;
  // Asking for the microphone can take a while (a permission prompt): a second click meanwhile would open a
  // second microphone and stream, and the first would never be released.
  $("record").disabled = true;
  try {
    media = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true } });
  } catch (error) {
    showError(`The microphone is not available: ${error.message}. Allow the page to use it and try again.`);
    return;
  } finally {
    $("record").disabled = false;
  }
  const context = new AudioContext({ sampleRate: 16000 });
  const params = new URLSearchParams({ lang_code: language, "x-sample-rate": String(context.sampleRate),
    "x-format": $("itn").checked ? "transcribe" : "verbatim", itn_native_numerals: String($("native").checked),
    "x-interim-results": "true", ...(keyHeaders()["X-API-Key-ID"] ? { "x-api-key-id": keyHeaders()["X-API-Key-ID"] } : {}) });
  const stream = endpoint(`stt/v3/stream?${params}`);
  stream.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(stream);
  socket.binaryType = "arraybuffer";
  $("live-panel").hidden = false;
  $("finals").replaceChildren();
  $("partial").textContent = "";
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "partial") $("partial").textContent = message.text;
    else if (message.type === "transcript") {
      $("partial").textContent = "";
      if (message.text) {
        const item = document.createElement("li");
        item.textContent = message.text;
        $("finals").append(item);
      }
    } else if (message.type === "error") showError(`The server stopped the stream: ${message.message}`);
  };
  // The recorder exists from here on: a refusal can close the socket before the worklet below has loaded,
  // and its cleanup must still find the microphone to release and the button to reset.
  const recorder = { media, socket, node: null };  // node: kept referenced while it records
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
    socket.send(pcm.buffer);
  };
  source.connect(node);
  recorder.node = node;
  status("Listening… speak now.");
}

function stopRecording() {
  const { socket, media } = state.recorder;
  media.getTracks().forEach((track) => track.stop());
  if (socket.readyState === WebSocket.OPEN) socket.send("EOS");  // the server sends what is left, then closes
  status("Finishing…");
}

setup();
