// The zoo views' shared part: helpers, and `Player`, which receives batches of frames and plays
// them back at an even pace (the protocol of playground/live/live.js). A view's module is sent
// as this file followed by the view's own file (channel.code), so a view writes
//   class RecurrentView extends Player { ... }   export default function (component) { ... }
// and implements: build() (its DOM, once), onScene(scene), redraw() (draws this.current, a
// frame or null), and optionally onTheme(pal), sticky keys (STICKY: kept from the last frame
// that had them, e.g. a sample drawn only on a batch's last frame).
//   data: {seq, playing, code_id, scene_id, scene?, curve?, pause_on?, hold_ms?, frames: [frame, ...]}
// Triggers back: pull (seq), need (scene_id); the view adds its own through this.send(name, value).
// Comment lines are stripped and indentation removed before sending (channel.compact_js).

const FPS_MAX = 60, FRAME_MS_MIN = 1000 / FPS_MAX, FRAME_MS_MAX = 250;

// ---- helpers ----------------------------------------------------------------------
function unb64(s) {
  const bin = atob(s || ""), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function cssVar(el, name, fallback) {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v && v !== "unset" ? v : fallback;
}

// "#rgb", "#rrggbb" or "rgb(r, g, b)" as [r, g, b].
function parseColor(s) {
  s = (s || "").trim();
  if (/^#[0-9a-f]{3}$/i.test(s)) return [1, 2, 3].map((i) => parseInt(s[i] + s[i], 16));
  if (/^#[0-9a-f]{6}/i.test(s)) return [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16));
  const m = s.match(/[\d.]+/g);
  return m && m.length >= 3 ? m.slice(0, 3).map(Number) : null;
}

const mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));
const rgb = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;
const luma = (c) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
const px = (v) => v + "px";
const pct = (v) => (100 * v).toFixed(1) + "%";
// Server strings (token names, labels) that go into innerHTML.
const esc = (t) => String(t).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
// A byte on the diverging code back to its number: 128 is 0, 255 is +scale.
const decode = (b, scale) => (b - 128) / 127 * scale;

// Three significant digits, short: 0.1, -0.0123, 12.3, 1.23e-4.
function sig(v) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  const a = Math.abs(v);
  return a && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}

// An element with a class, a text and attributes (data-testid, title, ...).
function h(tag, cls, text, attrs) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  return e;
}

// A canvas painted at its intrinsic size from palette indices, one byte a pixel; CSS scales it
// up (image-rendering: pixelated), so a heatmap costs one putImageData a frame.
function indexImage(canvas, idx, offset, w, h, palette) {
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h), out = img.data;
  for (let i = 0; i < w * h; i++) {
    const c = palette[idx[offset + i]] || palette[0];
    out[4 * i] = c[0]; out[4 * i + 1] = c[1]; out[4 * i + 2] = c[2]; out[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

function sized(canvas, w, h) {
  canvas.style.width = px(w); canvas.style.height = px(h);
  return canvas;
}

// A canvas for vector drawing at w×h CSS pixels, sharp on any screen; returns its cleared context.
function setupCanvas(canvas, w, h) {
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    sized(canvas, w, h);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return ctx;
}

// The theme's colours for canvases. div: 256 diverging colours (byte 128 = 0: blue negative,
// orange positive, like TensorFlow Playground); unit: 256 colours from 0 (background) to 1
// (accent blue), for gates and probabilities.
function themePalette(root) {
  const bgS = cssVar(root, "--st-background-color", "#ffffff"), text = cssVar(root, "--st-text-color", "#31333f");
  const dark = luma(parseColor(bgS) || [255, 255, 255]) < 128;
  const zero = dark ? [40, 42, 54] : [255, 255, 255], neg = dark ? [86, 168, 236] : [8, 119, 189], pos = [245, 147, 34];
  const acc = dark ? [108, 182, 255] : [25, 103, 210];
  return { key: bgS + text, dark, text, zero, neg, pos, acc, loss: dark ? "#ffa94d" : "#e8710a",
    line: cssVar(root, "--st-border-color", dark ? "rgba(250,250,250,0.2)" : "rgba(49,51,63,0.2)"),
    accent: cssVar(root, "--st-primary-color", "#ff4b4b"),
    div: Array.from({ length: 256 }, (_, b) => (b < 128 ? mix(zero, neg, (128 - b) / 128) : mix(zero, pos, (b - 128) / 127))),
    unit: Array.from({ length: 256 }, (_, b) => mix(zero, dark ? [120, 190, 255] : [16, 80, 170], b / 255)) };
}

// Loss (left axis, from 0) and a second metric (right axis: accuracy 0–100 %, or none) on one
// chart, train solid, test dashed; curve: {epoch: [...], train_loss: [...], ...}.
function drawCurve(canvas, w, hh, curve, pal, accuracy) {
  const ctx = setupCanvas(canvas, w, hh), l = 40, pw = w - l - (accuracy ? 36 : 8), acc = rgb(pal.acc);
  ctx.font = "12px sans-serif"; ctx.textBaseline = "middle"; ctx.lineWidth = 2;
  let lx = 2, ly = 9;
  const legend = [["loss", pal.loss, []], ...(accuracy ? [["accuracy", acc, []]] : []), ["train", pal.text, []], ["test", pal.text, [5, 3]]];
  for (const [name, color, dash] of legend) {
    const lw = 24 + ctx.measureText(name).width;
    if (lx + lw > w) { lx = 2; ly += 15; }
    ctx.strokeStyle = color; ctx.setLineDash(dash);
    ctx.beginPath(); ctx.moveTo(lx, ly); ctx.lineTo(lx + 16, ly); ctx.stroke();
    ctx.fillStyle = pal.text; ctx.textAlign = "left"; ctx.fillText(name, lx + 19, ly);
    lx += lw + 8;
  }
  const t = ly + 14, ph = hh - t - 20, ep = curve.epoch || [], x1 = Math.max(1, ep[ep.length - 1] || 1);
  ctx.setLineDash([]); ctx.strokeStyle = pal.line; ctx.lineWidth = 1; ctx.strokeRect(l, t, pw, ph);
  const seen = ["train_loss", "test_loss"].flatMap((k) => (curve[k] || []).filter((v) => v !== null && isFinite(v)));
  const hi = seen.length ? 1.05 * Math.max(1e-9, ...seen) : 1;  // no loss yet: a plain 0..1 axis
  ctx.lineWidth = 1.8;
  const series = [["train_loss", pal.loss, [], hi], ["test_loss", pal.loss, [5, 3], hi]];
  if (accuracy) series.push(["train_accuracy", acc, [], 1], ["test_accuracy", acc, [5, 3], 1]);
  for (const [k, color, dash, top] of series) {
    const ys = curve[k] || [];
    ctx.strokeStyle = color; ctx.setLineDash(dash); ctx.beginPath();
    let pen = false;
    for (let i = 0; i < ep.length; i++) {
      const v = ys[i], ok = v !== null && v !== undefined && isFinite(v);
      if (ok) ctx[pen ? "lineTo" : "moveTo"](l + ep[i] / x1 * pw, t + (1 - Math.min(v, top) / top) * ph);
      pen = ok;
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);
  const label = (text, color, align, x, y) => { ctx.fillStyle = color; ctx.textAlign = align; ctx.fillText(text, x, y); };
  label(sig(hi), pal.loss, "right", l - 4, t + 6); label("0", pal.loss, "right", l - 4, t + ph - 4);
  if (accuracy) { label("100%", acc, "left", l + pw + 3, t + 6); label("0%", acc, "left", l + pw + 3, t + ph - 4); }
  label("epoch", pal.text, "center", l + pw / 2, hh - 8); label("0", pal.text, "left", l, hh - 8);
  label(x1.toLocaleString("en-US"), pal.text, "right", l + pw, hh - 8);
}

// ---- the player ---------------------------------------------------------------------
class Player {
  // root: the component's parent element; cls: the view's root class (scopes its CSS);
  // css: the view's style sheet, added to the page once per class.
  constructor(root, cls, css) {
    const styleId = "nnp-style-" + cls;
    if (!document.getElementById(styleId)) {
      const st = h("style"); st.id = styleId; st.textContent = css; document.head.appendChild(st);
    }
    this.root = root;
    this.el = h("div", cls);
    root.appendChild(this.el);
    this.q = (sel) => this.el.querySelector(sel);
    Object.assign(this, { scene: null, sceneId: null, sticky: {}, queue: [], current: null, lastFrame: null, curve: {},
      lastSeq: null, playing: false, framesShown: 0, pending: false, pulledAt: 0, batchSize: 1, arrivals: [], nextDue: 0 });
    this.STICKY = this.STICKY || [];
    this.build();
    this.loop = this.loop.bind(this);
    this.resize = () => { this.sz = null; this.redraw(); };
    new ResizeObserver(this.resize).observe(this.el);
    window.addEventListener("resize", this.resize);
    requestAnimationFrame(this.loop);
  }

  send(name, value) {
    if (this.trigger) setTimeout(() => this.trigger(name, value), 0);
  }

  // A line under the status saying what the view waits for ("starting…"), cleared by frames.
  setRate(text) {
    const el = this.q(".nnp-rate");
    if (el) el.textContent = text;
  }

  receive(data, trigger) {
    this.trigger = trigger;
    this.checkTheme();
    if (data.pause_on && !this.pauseBound) this.bindPause(data.pause_on);
    if (data.scene) {
      Object.assign(this, { scene: data.scene, sceneId: data.scene.id, sz: null, sticky: {}, current: null });
      this.onScene(data.scene);
    }
    if (data.scene_id !== this.sceneId) {
      if (!this.askedScene || performance.now() - this.askedScene > 1000) {
        this.askedScene = performance.now();
        this.send("need", data.scene_id);
      }
      return;
    }
    if (data.seq === this.lastSeq) return;
    this.lastSeq = data.seq;
    this.pending = false;
    const frames = data.frames || [];
    if (data.curve) this.curve = JSON.parse(JSON.stringify(data.curve));
    if (frames.length) this.setRate("");
    this.playing = !!data.playing;
    this.holdMs = data.hold_ms || 0;
    if (!this.playing) {
      // Paused or stepped: show the server's state now, nothing queued.
      for (const f of this.queue.concat(frames.slice(0, -1))) this.absorb(f);
      this.queue = []; this.arrivals = [];
      if (frames.length) this.show(frames[frames.length - 1], !data.curve);
      else this.redraw();
      return;
    }
    this.arrivals.push(performance.now());
    if (this.arrivals.length > 6) this.arrivals.shift();
    this.batchSize = Math.max(1, frames.length);
    this.queue.push(...frames);
    this.maybePull();
  }

  // The page's Pause button reruns the server script, which takes a round trip; stop the
  // playback at the click, so that nothing moves after it but the server's final state.
  bindPause(selector) {
    this.pauseBound = true;
    document.addEventListener("click", (e) => {
      if (!(e.target instanceof Element) || !e.target.closest(selector)) return;
      if (this.playing) {
        this.playing = false; this.pending = false;
        for (const f of this.queue) this.absorb(f);
        this.queue = [];
      } else if (!this.holdMs) {
        this.setRate("starting… (the first run of a network compiles its training step)");
      }
    }, true);
  }

  maybePull() {
    if (!this.playing || !this.trigger) return;
    const now = performance.now();
    const stale = this.pending && now - this.pulledAt > 4000;  // a lost round trip: ask again
    if ((!this.pending && this.queue.length <= 2 * this.batchSize) || stale) {
      this.pending = true; this.pulledAt = now;
      this.send("pull", this.lastSeq);
    }
  }

  // Spread one batch over the time the next one takes to arrive; play faster when behind.
  frameInterval() {
    const A = this.arrivals, gap = A.length >= 2 ? (A[A.length - 1] - A[0]) / (A.length - 1) : 400;
    const ms = gap / this.batchSize / (this.queue.length > 2 * this.batchSize ? 2 : 1);
    return clamp(ms, FRAME_MS_MIN, FRAME_MS_MAX);
  }

  loop(now) {
    requestAnimationFrame(this.loop);
    if (!this.queue.length || now < this.nextDue) return;
    // Far behind (a slow tab): keep every loss point, draw only the newest frames.
    while (this.queue.length > 3 * this.batchSize) this.absorb(this.queue.shift());
    this.show(this.queue.shift(), true);
    this.nextDue = now + this.frameInterval();
    this.maybePull();
  }

  // A frame not drawn still adds its curve points and its sticky parts.
  absorb(f) {
    this.addPoints(f);
    for (const k of this.STICKY) if (k in f) this.sticky[k] = f[k];
  }

  addPoints(f) {
    for (const k in f.points || {}) (this.curve[k] = this.curve[k] || []).push(...f.points[k]);
    // Thin for drawing: every other point, the newest kept.
    if ((this.curve.epoch || []).length > 4000) {
      for (const k in this.curve) this.curve[k] = this.curve[k].filter((_, i, a) => i % 2 === 0 || i === a.length - 1);
    }
  }

  show(f, addPoints) {
    if (addPoints) this.absorb(f); else this.absorb({ ...f, points: {} });
    this.current = this.lastFrame = f;
    this.shownAt = performance.now();
    this.framesShown++;
    this.redraw();
  }

  // Streamlit sets its theme as --st-* variables; read once a batch (a theme switch changes
  // them without a resize).
  checkTheme() {
    const pal = themePalette(this.root);
    if (this.pal && this.pal.key === pal.key) return;
    this.pal = pal;
    if (this.onTheme) this.onTheme(pal);
    if (this.scene) { this.sz = null; this.redraw(); }
  }

  // The last value of a curve, or null.
  latest(k) {
    const v = (this.curve[k] || []).slice(-1)[0];
    return v === undefined ? null : v;
  }
}
