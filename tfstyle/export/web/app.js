// Runs a tfstyle export in the browser with LiteRT.js: the picked (or dropped) image is resized to the model's
// input size, run on the WebAssembly CPU backend, and drawn next to the input. model.json (written by
// `tfstyle export --web`) says what the model takes: its size, and uint8 pixels or floats in [-1, 1].
import {loadAndCompile, loadLiteRt, Tensor} from './litertjs/core/index.js';

const status = document.getElementById('status');
const state = {ready: false, runs: 0, lastMs: null, error: null};
window.tfstyle = state;  // read by the tests and the latency benchmark

function report(message, isError = false) {
  status.textContent = message;
  status.className = isError ? 'error' : '';
  if (isError) state.error = message;
}

function showCard(card) {
  const rows = [['model', card.file], ['mode', card.mode], ['file size', `${(card.bytes / 1e6).toFixed(2)} MB`],
                ['input', `${card.size}×${card.size} RGB, ${card.pixels ? 'uint8 pixels' : 'float32 in [-1, 1]'}`]];
  if (card.inputs.length > 1) rows.push(['inputs', card.inputs.map((i) => i.name).join(', ')]);
  document.getElementById('card').innerHTML = rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join('');
}

async function decode(file) {
  try {
    return await createImageBitmap(file);
  } catch (err) {
    throw new Error(`Could not read "${file.name}" as an image (${err.message || err.name}). Pick a PNG or JPEG.`);
  }
}

// Draws the bitmap into a size×size canvas; returns its RGB values as the model wants them.
// An int8 file takes and returns uint8 tensors whose meaning its quantisation gives: float = scale·(q − zero).
// The page converts through it exactly as Python LiteRT's verification does (tfstyle/export/verify.py).
function quantisation(detail) {
  const q = detail && detail.quantization;
  return q && q.scale ? q : null;
}

function toInput(bitmap, canvas, size, detail) {
  canvas.width = size; canvas.height = size; canvas.hidden = false;
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0, size, size);
  const rgba = context.getImageData(0, 0, size, size).data;
  const q = quantisation(detail);
  const rgb = q ? new Uint8Array(size * size * 3) : new Float32Array(size * size * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4) {
    for (let c = 0; c < 3; c++, j++) {
      const x = rgba[i + c] / 127.5 - 1;  // [-1, 1], the networks' range
      rgb[j] = q ? Math.min(255, Math.max(0, roundHalfEven(x / q.scale + q.zero_point))) : x;
    }
  }
  return rgb;
}

function roundHalfEven(x) {  // NumPy's rounding, so ties land where Python's do
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function drawOutput(values, size, detail) {
  const canvas = document.getElementById('output');
  canvas.width = size; canvas.height = size;
  const context = canvas.getContext('2d');
  const image = context.createImageData(size, size);
  const q = quantisation(detail);
  for (let i = 0, j = 0; j < values.length; i += 4, j += 3) {
    for (let c = 0; c < 3; c++) {
      const x = q ? q.scale * (values[j + c] - q.zero_point) : values[j + c];
      image.data[i + c] = Math.min(255, Math.max(0, roundHalfEven((x + 1) * 127.5)));
    }
    image.data[i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

async function main() {
  let card, model;
  try {
    card = await (await fetch('./model.json')).json();
    showCard(card);
    // WebAssembly threads need a cross-origin isolated page (tfstyle serve-web sends the headers)
    const threads = self.crossOriginIsolated === true;
    state.threads = threads ? navigator.hardwareConcurrency : 1;
    await loadLiteRt('./litertjs/wasm/', {threads});
    model = await loadAndCompile(`./${card.file}`, {accelerator: 'wasm', cpuOptions: {numThreads: state.threads}});
  } catch (err) {
    report(`Could not load the model: ${err.message || err}. Serve this folder over HTTP (tfstyle serve-web DIR).`, true);
    return;
  }
  const two = card.inputs.length > 1;
  document.getElementById('style-label').hidden = !two;
  const images = {};

  async function run() {
    if (!images.image || (two && !images.style)) return;
    const tensors = [];
    try {
      const shape = [1, card.size, card.size, 3];
      tensors.push(new Tensor(toInput(images.image, document.getElementById('input'), card.size, card.inputs[0]), shape));
      if (two) tensors.push(new Tensor(toInput(images.style, document.getElementById('style-canvas'), card.size, card.inputs[1]), shape));
      const start = performance.now();
      const outputs = await model.run(tensors);
      const values = outputs[0].toTypedArray();
      state.lastMs = performance.now() - start;
      drawOutput(values, card.size, card.outputs[0]);
      outputs.forEach((t) => t.delete());
      state.runs += 1;
      report(`done in ${state.lastMs.toFixed(1)} ms on ${state.threads} thread(s) (run ${state.runs})`);
    } catch (err) {
      report(`The model could not run on this image: ${err.message || err}`, true);
    } finally {
      tensors.forEach((t) => t.delete());
    }
  }

  async function take(name, file) {
    try {
      images[name] = await decode(file);
      await run();
    } catch (err) {
      report(err.message, true);
    }
  }

  for (const name of ['image', 'style']) {
    document.getElementById(name).addEventListener('change', (e) => e.target.files[0] && take(name, e.target.files[0]));
  }
  const drop = document.getElementById('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault(); drop.classList.remove('over');
    if (e.dataTransfer.files[0]) take('image', e.dataTransfer.files[0]);
  });
  state.ready = true;
  report(two ? 'Ready: pick an image and a style image.' : 'Ready: pick or drop an image.');
}

main();
