// text2img against the ModelsLab mock (or the real API: change API below), in plain JS.
// The real API answers "processing" for slow jobs: show a spinner, poll fetch_result with the
// key until "success", then show the images. Errors come as {status: "error", message}, with
// HTTP 200 (legacy) or a 4xx status (the mock's --error-mode http): read the body either way.
"use strict";

const API = new URLSearchParams(location.search).get("mock") || "http://127.0.0.1:4010";
const POLL_MS = 1000;
const $ = (id) => document.getElementById(id);

async function post(url, body, prefer) {
  const headers = { "Content-Type": "application/json" };
  if (prefer) headers.Prefer = prefer;
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  return response.json();
}

function busy(text) {
  $("spinner").hidden = !text;
  $("message").textContent = text || "";
  $("generate").disabled = Boolean(text);
}

function fail(message) {
  busy("");
  $("error").textContent = typeof message === "string" ? message : JSON.stringify(message);
  $("error").hidden = false;
}

function show(urls) {
  busy("");
  $("message").textContent = `${urls.length} image(s)`;
  $("images").replaceChildren(...urls.map((url) => {
    const img = document.createElement("img");
    img.src = url;
    img.alt = "generated image";
    return img;
  }));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function generate(form) {
  $("error").hidden = true;
  $("images").replaceChildren();
  busy("sending…");
  const size = Number(form.size.value);
  let answer = await post(`${API}/api/v6/images/text2img`, {
    key: form.key.value, model_id: "sdxl", prompt: form.prompt.value,
    width: size, height: size, samples: Number(form.samples.value),
  }, form.prefer.value);
  while (answer.status === "processing") {
    busy(`processing… about ${Math.ceil(answer.eta || 1)} s`);
    await sleep(Math.min(POLL_MS, (answer.eta || 1) * 1000));
    answer = await post(answer.fetch_result, { key: form.key.value });
  }
  if (answer.status === "success") show(answer.output);
  else fail(answer.message || "the request failed");
}

$("api").textContent = API;
$("dashboard").href = `${API}/__mock/`;
$("form").addEventListener("submit", (event) => {
  event.preventDefault();
  generate(event.target).catch((err) => fail(`could not reach ${API}: ${err.message}`));
});
