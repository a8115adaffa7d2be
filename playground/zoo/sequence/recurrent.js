// The recurrent view: an RNN, LSTM or GRU trained live on a sequence task. The network unrolled
// over time for one test sequence (each step's hidden state as a small heatmap), the hidden
// state, gates and cell state as unit × step heatmaps, the gradient of the loss with respect to
// each step's hidden state (vanishing and exploding gradients), predictions against the truth,
// and for the text task a generated sample. Sent after playground/zoo/player.js (Player and the
// helpers); every number comes from the server (playground/zoo/sequence/frames.py).
//   frame, besides the shared parts: hidden {T, H, scale, data}, gates {name: data},
//   cell {scale, data} | null, grad [T]; sample {prompt, text, temperature} (sticky).
// Triggers back: pull, need (Player's); pick {index} (a gallery entry clicked).
// Comment lines are stripped and indentation removed before sending (channel.compact_js).

// One rule a line, by region; .nnp-rec scopes everything (live.css and cnn.js use the same names).
const CSS = `
.nnp-rec { position: relative; font-family: "Source Sans Pro", sans-serif; font-size: 13px; color: var(--st-text-color, #31333f);
--nnp-line: var(--st-border-color, rgba(49, 51, 63, 0.2)); --nnp-panel: var(--st-secondary-background-color, #f0f2f6); --nnp-accent: var(--st-primary-color, #ff4b4b); }
.nnp-rec * { box-sizing: border-box; }
.nnp-rec [hidden] { display: none !important; }
.nnp-rec canvas { display: block; }
.nnp-rec .nnp-status { display: flex; flex-wrap: nowrap; gap: 1.2em; align-items: baseline; height: 34px; min-height: 0; line-height: 1.3; white-space: nowrap; overflow: hidden; font-variant-numeric: tabular-nums; }
.nnp-rec .nnp-epoch { font-size: 1.45rem; font-weight: 600; min-width: 6.5em; }
.nnp-rec .nnp-metrics { font-size: 0.95rem; overflow: hidden; text-overflow: ellipsis; }
.nnp-rec .nnp-rate { font-size: 0.9rem; opacity: 0.75; }
.nnp-rec .nnp-arch { display: flex; gap: 14px; margin: 2px 0 8px; height: 24px; }
.nnp-rec .nnp-box { position: relative; flex: 1 1 auto; min-width: 0; padding: 0 7px; border: 1px solid var(--nnp-line); border-radius: 6px; background: var(--nnp-panel); line-height: 22px; font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.nnp-rec .nnp-box + .nnp-box::before { content: none; }
.nnp-rec .nnp-box.rec { border-color: var(--nnp-accent); }
.nnp-rec .nnp-arr { flex: none; width: 0; position: relative; }
.nnp-rec .nnp-arr::before { content: "›"; position: absolute; left: -10px; top: 1px; opacity: 0.6; font-size: 14px; }
.nnp-rec .nnp-box b { font-weight: 600; }
.nnp-rec .nnp-box span { opacity: 0.75; margin-left: 0.5em; }
.nnp-rec .nnp-body { display: flex; gap: 14px; align-items: flex-start; }
.nnp-rec .nnp-main { flex: 1 1 auto; min-width: 0; }
.nnp-rec .nnp-left, .nnp-rec .nnp-right { flex: none; }
.nnp-rec .nnp-sub { display: flex; gap: 0.5em; align-items: baseline; font-size: 12px; font-weight: 600; line-height: 16px; height: 18px; white-space: nowrap; overflow: hidden; }
.nnp-rec .nnp-sub i { font-weight: 400; font-style: normal; opacity: 0.75; overflow: hidden; text-overflow: ellipsis; }
.nnp-rec .nnp-sub .nnp-grow { flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
.nnp-rec .nnp-gallery { display: flex; flex-direction: column; gap: 3px; }
.nnp-rec .nnp-gitem { display: flex; gap: 6px; align-items: center; padding: 0 6px; border: 1px solid var(--nnp-line); border-radius: 5px; cursor: pointer; font-size: 12px; white-space: pre; overflow: hidden; font-variant-numeric: tabular-nums; }
.nnp-rec .nnp-gitem:hover { border-color: var(--nnp-accent); }
.nnp-rec .nnp-gitem.on { outline: 2px solid var(--nnp-accent); outline-offset: -1px; border-color: transparent; background: var(--nnp-panel); }
.nnp-rec .nnp-gitem.want { outline: 2px dashed var(--nnp-accent); outline-offset: -1px; border-color: transparent; }
.nnp-rec .nnp-gitem .nnp-gi { flex: none; opacity: 0.55; font-size: 11px; min-width: 1.6em; text-align: right; }
.nnp-rec .nnp-gitem .nnp-gl { flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 11.5px; line-height: 13px; }
.nnp-rec .nnp-gallery.two .nnp-gl { white-space: pre-wrap; overflow-wrap: anywhere; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; }
.nnp-rec .nnp-tab { font: inherit; font-size: 12px; line-height: 1; padding: 5px 9px; border-radius: 6px; cursor: pointer; border: 1px solid var(--nnp-line); background: var(--nnp-panel); color: inherit; }
.nnp-rec .nnp-tab:hover, .nnp-rec .nnp-tab.on { border-color: var(--nnp-accent); }
.nnp-rec .nnp-tab.on { font-weight: 600; }
.nnp-rec .nnp-tabs { display: flex; gap: 6px; height: 30px; align-items: flex-start; }
.nnp-rec .nnp-tabs .nnp-about { margin-left: auto; align-self: center; font-size: 12px; opacity: 0.75; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.nnp-rec .nnp-pane { position: relative; overflow: hidden; }
.nnp-rec .nnp-legend { display: inline-flex; gap: 4px; align-items: center; font-weight: 400; font-size: 11px; opacity: 0.9; flex: none; }
.nnp-rec .nnp-legend .nnp-ramp { display: inline-block; width: 44px; height: 9px; border: 1px solid var(--nnp-line); border-radius: 2px; }
.nnp-rec .nnp-strip { display: flex; align-items: flex-start; margin: 2px 0 8px; }
.nnp-rec .nnp-gut, .nnp-rec .nnp-step { display: flex; flex-direction: column; flex: none; }
.nnp-rec .nnp-gut div { font-size: 11px; opacity: 0.7; white-space: nowrap; display: flex; align-items: center; }
.nnp-rec .nnp-step > div { display: flex; align-items: center; justify-content: center; white-space: pre; overflow: hidden; font-variant-numeric: tabular-nums; }
.nnp-rec .nnp-step .nnp-x, .nnp-rec .nnp-step .nnp-y, .nnp-rec .nnp-step .nnp-t { font-size: var(--fs, 12px); letter-spacing: -0.2px; }
.nnp-rec .nnp-step .nnp-t { opacity: 0.65; }
.nnp-rec .nnp-step .nnp-y { font-weight: 600; }
.nnp-rec .nnp-step .nnp-n { font-size: 10px; opacity: 0.5; }
.nnp-rec .nnp-y.ok { color: var(--nnp-ok); }
.nnp-rec .nnp-y.bad { color: var(--nnp-accent); }
.nnp-rec .nnp-hw { position: relative; }
.nnp-rec .nnp-hw canvas { image-rendering: pixelated; outline: 1px solid var(--nnp-line); cursor: crosshair; }
.nnp-rec .nnp-step + .nnp-step .nnp-hw::before { content: ""; position: absolute; top: 50%; right: calc(50% + var(--half) + 2px); width: calc(var(--ag) - 5px); border-top: 1px solid currentColor; opacity: 0.45; }
.nnp-rec .nnp-step + .nnp-step .nnp-hw::after { content: ""; position: absolute; top: calc(50% - 3px); right: calc(50% + var(--half) + 1px); border-left: 5px solid currentColor; border-top: 3.5px solid transparent; border-bottom: 3.5px solid transparent; opacity: 0.45; }
.nnp-rec .nnp-step.ell .nnp-hw { font-size: 14px; opacity: 0.6; }
.nnp-rec .nnp-step.ell .nnp-hw::before, .nnp-rec .nnp-step.ell .nnp-hw::after, .nnp-rec .nnp-step.ell + .nnp-step .nnp-hw::before, .nnp-rec .nnp-step.ell + .nnp-step .nnp-hw::after { display: none; }
.nnp-rec .nnp-maps { display: grid; gap: 6px 12px; align-content: start; }
.nnp-rec .nnp-map { margin: 0; position: relative; }
.nnp-rec .nnp-cap { font-size: 11.5px; line-height: 15px; height: 17px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.nnp-rec .nnp-cap b { font-weight: 600; }
.nnp-rec .nnp-cap i, .nnp-rec .nnp-cap span { font-style: normal; opacity: 0.75; }
.nnp-rec .nnp-map canvas { image-rendering: pixelated; outline: 1px solid var(--nnp-line); cursor: crosshair; }
.nnp-rec .nnp-win { position: absolute; pointer-events: none; border: 1.5px dashed var(--nnp-accent); border-radius: 2px; }
.nnp-rec .nnp-note { font-size: 12px; line-height: 16px; opacity: 0.85; overflow: hidden; }
.nnp-rec .nnp-grad-ratio { height: 34px; padding-top: 2px; opacity: 1; }
.nnp-rec .nnp-ratio-title { margin-top: 4px; }
.nnp-rec .nnp-note b { font-variant-numeric: tabular-nums; }
.nnp-rec .nnp-pred { cursor: crosshair; }
.nnp-rec .nnp-samplebox { margin-top: 8px; display: flex; flex-direction: column; }
.nnp-rec .nnp-sample { flex: 1 1 auto; min-height: 0; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 11.5px; line-height: 15px; padding: 5px 7px; border: 1px solid var(--nnp-line); border-radius: 6px; background: var(--nnp-panel); }
.nnp-rec .nnp-sample .nnp-prompt { opacity: 0.5; }
.nnp-rec .nnp-tip { position: absolute; z-index: 10; pointer-events: none; font-size: 12px; padding: 4px 7px; border-radius: 4px; white-space: pre;
background: var(--st-background-color, #fff); color: var(--st-text-color, #31333f); border: 1px solid var(--st-border-color, #999); box-shadow: 0 1px 4px rgba(0, 0, 0, 0.2); }`;

const TABS = [["unrolled", "Unrolled"], ["gradients", "Gradients"], ["predictions", "Predictions"]];
// What each heatmap is, in one line: [title, meaning].
const MAP_ABOUT = {
  hidden: ["hidden state h", "passed to the next step", "what each step passes on to the next step and to the output"],
  cell: ["cell state c", "the LSTM's memory", "the LSTM's memory, changed only through the gates"],
  input: ["input gate", "1 = write to the cell", "1 = write the new candidate into the cell state"],
  forget: ["forget gate", "1 = keep the cell", "1 = keep the cell state, 0 = erase it"],
  output: ["output gate", "1 = cell out to h", "1 = let the cell state out into h"],
  reset: ["reset gate", "0 = forget the past h", "0 = the new candidate ignores the previous h"],
  update: ["update gate", "1 = keep the previous h", "1 = keep the previous h, 0 = take the new candidate"],
};
const CELL_NAMES = { rnn: "RNN", lstm: "LSTM", gru: "GRU" };
const OK_LIGHT = [26, 127, 55], OK_DARK = [87, 200, 110];

// A token as shown: invisible characters made visible.
const tokText = (s) => String(s).replace(/\n/g, "↵").replace(/ /g, "␣").replace(/\t/g, "⇥");
// A number in at most 4 characters for the narrow step columns: .53, -.08, 1.2, 12.
function short(v) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a >= 9.5) return v.toFixed(0);
  if (a >= 0.995) return v.toFixed(1);
  const s = v.toFixed(2).replace(/^(-?)0\./, "$1.");
  return s === "-.00" ? ".00" : s;
}
// innerHTML only when it changed (titles are rewritten every frame).
function setHtml(el, html) {
  if (el.__nnpHtml !== html) { el.innerHTML = html; el.__nnpHtml = html; }
}
const argmax = (p) => { let k = 0; for (let i = 1; i < p.length; i++) if (p[i] > p[k]) k = i; return k; };
// 1 2 5 steps: ticks from lo to hi, about n of them.
function ticks(lo, hi, n) {
  const raw = (hi - lo) / Math.max(1, n), mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw, out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Math.abs(v) < step * 1e-6 ? 0 : v);
  return out;
}
// A power of ten as a label: 0.01, 1, 100, 1e-5, 1e6.
const decade = (k) => (k >= -2 && k <= 3 ? String(Number(Math.pow(10, k).toFixed(Math.max(0, -k)))) : "1e" + k);

class RecurrentView extends Player {
  build() {
    this.STICKY = ["sample"];
    Object.assign(this, { tab: "unrolled", want: {}, ratios: [], stripEnd: null, dec: null, built: {}, galState: "" });
    const tabs = TABS.map(([k, name]) => `<button type="button" class="nnp-tab" data-tab="${k}" data-testid="nnp-tab-${k}">${name}</button>`).join("");
    this.el.innerHTML = `
      <div class="nnp-status"><span class="nnp-epoch" data-testid="nnp-epoch">Epoch 0</span>
      <span class="nnp-metrics" data-testid="nnp-metrics"></span><span class="nnp-rate"></span></div>
      <div class="nnp-arch"></div>
      <div class="nnp-body">
      <div class="nnp-left"><div class="nnp-sub">test sequences <i>· click one</i></div><div class="nnp-gallery"></div></div>
      <div class="nnp-main"><div class="nnp-tabs">${tabs}<span class="nnp-about"></span></div>
      <div class="nnp-pane" data-pane="unrolled"></div>
      <div class="nnp-pane" data-pane="gradients"><div class="nnp-sub"><span class="nnp-grow nnp-grad-title"></span></div>
      <canvas class="nnp-grad" data-testid="nnp-grad"></canvas><div class="nnp-note nnp-grad-ratio" data-testid="nnp-grad-ratio"></div>
      <div class="nnp-note nnp-grad-note"></div><div class="nnp-sub nnp-ratio-title"><span class="nnp-grow">first ÷ last over training <i>· the shown sequence, log scale</i></span></div>
      <canvas class="nnp-ratio" data-testid="nnp-ratio"></canvas></div>
      <div class="nnp-pane" data-pane="predictions"><div class="nnp-sub"><span class="nnp-grow nnp-pred-title"></span></div>
      <canvas class="nnp-pred" data-testid="nnp-pred"></canvas></div></div>
      <div class="nnp-right"><canvas class="nnp-curve" data-testid="nnp-curve"></canvas>
      <div class="nnp-samplebox" hidden><div class="nnp-sub"><span class="nnp-grow nnp-sample-title">generated text</span></div>
      <div class="nnp-sample" data-testid="nnp-sample"></div></div></div></div>
      <div class="nnp-tip" hidden></div>`;
    this.tip = this.q(".nnp-tip");
    for (const b of this.el.querySelectorAll(".nnp-tab")) b.addEventListener("click", () => this.setTab(b.dataset.tab));
    const un = this.q("[data-pane=unrolled]");
    un.addEventListener("mousemove", (e) => this.hoverUnrolled(e));
    un.addEventListener("mouseleave", () => { this.tip.hidden = true; });
    un.addEventListener("click", (e) => this.clickMap(e));
    const gr = this.q(".nnp-grad");
    gr.addEventListener("mousemove", (e) => this.hoverGrad(e));
    gr.addEventListener("mouseleave", () => { this.tip.hidden = true; });
    const pr = this.q(".nnp-pred");
    pr.addEventListener("mousemove", (e) => this.hoverPred(e));
    pr.addEventListener("mouseleave", () => { this.tip.hidden = true; });
    window.__nnpRecurrent = this;
  }

  // ---- scene and theme ------------------------------------------------------------
  onScene(S) {
    Object.assign(this, { want: {}, ratios: [], stripEnd: null, dec: null, built: {}, galState: "" });
    const arch = this.q(".nnp-arch"), kids = [];
    S.layers.forEach((ly, i) => {
      if (i) kids.push(h("span", "nnp-arr"));
      const params = ly.params ? ly.params.toLocaleString("en-US") + " params" : "";
      const b = h("div", "nnp-box" + (i === S.first_layer ? " rec" : ""), null, { title: `${ly.label}\noutput ${ly.shape}${params ? "\n" + params : ""}` });
      b.append(h("b", "", ly.label), h("span", "", ly.shape + (params ? " · " + params : "")));
      kids.push(b);
    });
    arch.replaceChildren(...kids);
    this.items = S.gallery.map((g, i) => {
      const it = h("div", "nnp-gitem", null, { "data-testid": "nnp-gallery-" + i, title: `test sequence ${g.index}\n${g.label}` });
      it.append(h("span", "nnp-gi", String(g.index)), h("span", "nnp-gl", g.label.replace(/\n/g, "↵").replace(/\t/g, "⇥")));
      it.addEventListener("click", () => this.pick(i));
      return it;
    });
    this.q(".nnp-gallery").replaceChildren(...this.items);
    this.q(".nnp-about").textContent = S.task.description || "";
    this.q(".nnp-about").title = S.task.description || "";
    this.q(".nnp-samplebox").hidden = !S.sample;
  }

  onTheme(pal) {
    const ok = pal.dark ? OK_DARK : OK_LIGHT;
    this.el.style.setProperty("--nnp-ok", rgb(ok));
    pal.ok = ok;
    pal.textRGB = parseColor(pal.text) || (pal.dark ? [250, 250, 250] : [49, 51, 63]);
    pal.muted = rgb(mix(pal.zero, pal.textRGB, 0.45));
    pal.grid = rgb(mix(pal.zero, pal.textRGB, 0.12));
    // The step grids' unused cells: a faint grey, unlike any value.
    pal.divPad = pal.div.concat([mix(pal.zero, pal.textRGB, 0.07)]);
    this.built = {};
  }

  // ---- layout: sized to the viewport like cnn.js -----------------------------------
  sizes() {
    const S = this.scene, W = Math.max(640, this.el.clientWidth || 1000), gap = 14;
    const top = this.el.getBoundingClientRect().top + window.scrollY;
    const avail = clamp(window.innerHeight - Math.max(0, top) - 28, 440, 1100);
    const bodyH = avail - 34 - 34;
    const leftW = Math.round(clamp(W * 0.18, 160, 240)), rightW = Math.round(clamp(W * 0.22, 200, 340));
    // A label too long for one line takes two when there is room (a last-step task's answer is at its end).
    const n = Math.max(1, S.gallery.length), longest = Math.max(0, ...S.gallery.map((g) => g.label.length));
    const fit = Math.floor((bodyH - 18) / n - 3), two = longest * 6.9 > leftW - 44 && fit >= 28, rowH = clamp(fit, 18, two ? 32 : 28);
    const curveH = S.sample ? Math.round(clamp(bodyH * 0.48, 150, 360)) : Math.round(clamp(bodyH, 150, 640));
    return { W, bodyH, leftW, rightW, mainW: W - leftW - rightW - 2 * gap, paneH: bodyH - 30, rowH, two, curveH };
  }

  applySizes(s) {
    this.q(".nnp-left").style.width = px(s.leftW);
    this.q(".nnp-right").style.width = px(s.rightW);
    this.q(".nnp-body").style.height = px(s.bodyH);
    for (const p of this.el.querySelectorAll(".nnp-pane")) { p.style.height = px(s.paneH); p.hidden = p.dataset.pane !== this.tab; }
    for (const b of this.el.querySelectorAll(".nnp-tab")) b.classList.toggle("on", b.dataset.tab === this.tab);
    for (const it of this.items) it.style.height = px(s.rowH);
    this.q(".nnp-gallery").classList.toggle("two", s.two);
    const box = this.q(".nnp-samplebox");
    box.style.height = px(s.bodyH - s.curveH - 8);
    this.tip.hidden = true;
    this.built = {};
    if (this.tab === "unrolled") this.buildUnrolled(s);
    if (this.tab === "gradients") { this.setGradNote(); s.noteH = this.q(".nnp-grad-note").offsetHeight; }
  }

  redraw() {
    if (!this.scene || !this.pal) return;
    if (!this.sz) this.applySizes((this.sz = this.sizes()));
    const f = this.current, t0 = performance.now();
    this.decodeFrame(f);
    this.drawStatus(f);
    this.drawGallery(f);
    drawCurve(this.q(".nnp-curve"), this.sz.rightW, this.sz.curveH, this.curve, this.pal, this.scene.task.kind === "classification");
    if (this.scene.sample) this.drawSample();
    if (this.tab === "unrolled") this.drawUnrolled(f);
    else if (this.tab === "gradients") this.drawGrad(f);
    else this.drawPred(f);
    this.drawMs = performance.now() - t0;
  }

  setTab(tab) {
    this.tab = tab;
    this.sz = null;
    this.redraw();
  }

  // The frame's heatmaps as bytes, once per frame (drawing and tooltips share them).
  decodeFrame(f) {
    if (!f || (this.dec && this.dec.f === f)) return;
    const Hd = f.hidden || { T: 0, H: 0, scale: 1, data: "" }, maps = { hidden: { bytes: unb64(Hd.data), scale: Hd.scale } };
    for (const k in f.gates || {}) maps[k] = { bytes: unb64(f.gates[k]), gate: true };
    if (f.cell) maps.cell = { bytes: unb64(f.cell.data), scale: f.cell.scale };
    this.dec = { f, T: Hd.T, H: Hd.H, maps };
  }

  // The value of heatmap `key` at step t, unit j.
  value(key, t, j) {
    const d = this.dec, m = d && d.maps[key];
    if (!m || t >= d.T || j >= d.H) return null;
    const b = m.bytes[t * d.H + j];
    return m.gate ? b / 255 : decode(b, m.scale);
  }

  absorb(f) {
    super.absorb(f);
    const g = f.grad;
    if (g && g.length > 1 && g[0] > 0 && g[g.length - 1] > 0) {
      this.ratios.push([f.epoch + (f.part ? f.part / (f.parts || 1) : 0), g[0] / g[g.length - 1]]);
      if (this.ratios.length > 3000) this.ratios = this.ratios.filter((_, i, a) => i % 2 === 0 || i === a.length - 1);
    }
  }

  // ---- status, gallery, sample ------------------------------------------------------
  drawStatus(f) {
    const into = f && f.part ? ` + ${f.part}/${f.parts}` : "";
    const label = "Epoch " + (f ? f.epoch : 0).toLocaleString("en-US") + into, el = this.q(".nnp-epoch");
    if (el.textContent !== label) el.textContent = label;
    const S = this.scene, parts = [], acc = this.latest("test_accuracy");
    if (S.task.kind === "classification") { if (acc !== null) parts.push(`test accuracy <b>${pct(acc)}</b>`); }
    else if (this.latest("test_loss") !== null) parts.push(`test loss <b>${sig(this.latest("test_loss"))}</b>`);
    if (this.latest("train_loss") !== null) parts.push(`train loss <b>${sig(this.latest("train_loss"))}</b>`);
    parts.push(`${(S.params || 0).toLocaleString("en-US")} parameters`);
    const act = S.cell === "rnn" ? ` (${esc(S.activation || "tanh")})` : "";
    parts.push(`${CELL_NAMES[S.cell] || esc(S.cell)}${act}, ${S.hidden} units`);
    const html = parts.join(" · ");
    if (this.metricsHtml !== html) this.q(".nnp-metrics").innerHTML = this.metricsHtml = html;
  }

  pick(i) {
    Object.assign(this.want, { pick: i, pickAt: performance.now() });
    this.send("pick", { index: this.scene.gallery[i].index });
    this.redraw();
  }

  // The chosen entry outlined (dashed from the click until a frame shows it).
  drawGallery(f) {
    const G = this.scene.gallery, on = f ? G.findIndex((g) => g.index === f.chosen) : -1, w = this.want;
    if (w.pick !== undefined && (on === w.pick || performance.now() - w.pickAt > 5000)) delete w.pick;
    const state = on + "," + w.pick;
    if (state === this.galState) return;
    this.galState = state;
    this.items.forEach((it, i) => { it.classList.toggle("on", i === on); it.classList.toggle("want", i === w.pick && i !== on); });
  }

  drawSample() {
    const sm = this.sticky.sample, box = this.q(".nnp-sample");
    if (this.built.sample === sm && box.firstChild) return;
    this.built.sample = sm;
    setHtml(this.q(".nnp-sample-title"), sm ? `generated text <i>· temperature ${esc(sig(sm.temperature))}</i>` : "generated text");
    box.title = sm ? "the prompt (greyed: the shown test sequence), then what the network wrote, one character at a time" : "";
    if (!sm) { box.replaceChildren(h("span", "nnp-prompt", "a sample comes with the end of each batch of training")); return; }
    const gen = h("span", "", sm.text);
    box.replaceChildren(h("span", "nnp-prompt", sm.prompt), gen);
    // A long prompt: scrolled to where the generated text starts.
    box.scrollTop = Math.max(0, gen.offsetTop - box.offsetTop - 34);
  }

  // ---- unrolled: the strip of steps and the unit × step heatmaps ------------------------
  mapList() {
    const S = this.scene, keys = ["hidden"];
    if (S.cell === "lstm") keys.push("cell");
    keys.push(...(S.gates || []));
    return keys;
  }

  // The steps the strip shows: all, or step 0, a gap (-1) and the window ending at stripEnd.
  stripSteps(T, n) {
    if (T <= n) return Array.from({ length: T }, (_, t) => t);
    const k = n - 1, end = this.stripEnd === null ? T - 1 : clamp(this.stripEnd, k, T - 1), a = end - k + 1;
    return [0, ...(a > 1 ? [-1] : []), ...Array.from({ length: k }, (_, i) => a + i)];
  }

  buildUnrolled(s) {
    const S = this.scene, T = S.length, H = S.hidden, pane = this.q("[data-pane=unrolled]"), P = this.pal;
    const gut = 50, W = s.mainW - gut, numeric = !S.task.tokens, colMin = numeric ? 32 : 22, colMax = 76, ellW = 16;
    let n = T, colW;
    if (T * colMin <= W) colW = Math.min(colMax, Math.floor(W / T));
    else { n = Math.max(2, Math.floor((W - ellW) / colMin)); colW = Math.floor((W - ellW) / n); }
    const steps = this.stripSteps(T, n);
    this.stripShown = steps;
    // The step's hidden state as a gc × gr grid of cells, the largest that fits.
    const heatH = Math.round(clamp(s.paneH * 0.17, 24, 120)), inner = colW - Math.max(7, Math.round(colW * 0.2));
    let g = null;
    for (let gc = 1; gc <= H; gc++) {
      const gr = Math.ceil(H / gc), cell = Math.min(inner / gc, heatH / gr);
      if (!g || cell > g.cell + 1e-9) g = { gc, gr, cell };
    }
    if (g.cell >= 3) g.cell = Math.floor(g.cell);
    const cw = Math.round(g.gc * g.cell), ch = Math.round(g.gr * g.cell), rowH = colW >= 40 ? 19 : 16, hwH = Math.max(ch, 20);
    this.grid = g;
    // Header: which steps, and the colour keys.
    const head = h("div", "nnp-sub"), title = h("span", "nnp-grow nnp-un-title");
    title.append(h("span"), h("i"));
    const ramp = (pal, text0, text1) => {
      const lg = h("span", "nnp-legend"), r = h("span", "nnp-ramp");
      r.style.background = `linear-gradient(to right, ${[0, 64, 128, 192, 255].map((b) => rgb(pal[b])).join(", ")})`;
      lg.append(h("span", "", text0), r, h("span", "", text1));
      return lg;
    };
    head.append(title, ramp(P.div, "−", "+ states"));
    if ((S.gates || []).length) head.append(ramp(P.unit, "0", "1 gates"));
    // The strip: a label gutter, then a column per shown step.
    const strip = h("div", "nnp-strip"), gutter = h("div", "nnp-gut");
    strip.style.setProperty("--fs", px(Math.round(numeric ? clamp(colW * 0.33, 10.5, 14) : clamp(colW * 0.5, 12, 16))));
    gutter.style.width = px(gut);
    const rows = [["step", 13], ["input", rowH], ["h_t", hwH + 4], ["output", rowH], ["target", rowH]];
    for (const [name, hh] of rows) { const d = gutter.appendChild(h("div", "", name)); d.style.height = px(hh); }
    strip.appendChild(gutter);
    this.slots = steps.map((t) => {
      const col = h("div", "nnp-step" + (t < 0 ? " ell" : ""), null, t < 0 ? {} : { "data-step": t });
      col.style.width = px(t < 0 ? ellW : colW);
      col.style.setProperty("--ag", px(colW - cw));
      col.style.setProperty("--half", px(cw / 2));
      // Step numbers too wide for their column: every fifth only.
      const wide = 6 * String(t + 1).length + 6 > colW, num = col.appendChild(h("div", "nnp-n", t < 0 || (wide && t && (t + 1) % 5) ? "" : String(t + 1)));
      num.style.height = px(13);
      const x = col.appendChild(h("div", "nnp-x")), hw = col.appendChild(h("div", "nnp-hw", t < 0 ? "⋯" : null));
      const y = col.appendChild(h("div", "nnp-y")), tg = col.appendChild(h("div", "nnp-t"));
      for (const d of [x, y, tg]) d.style.height = px(rowH);
      hw.style.height = px(hwH + 4);
      // A last-step answer may be wider than its column: it spills to the left, over the empty ones.
      if (!S.task.per_step && t === T - 1) for (const d of [y, tg]) { d.style.overflow = "visible"; d.style.justifyContent = "flex-end"; }
      let cv = null;
      if (t >= 0) cv = hw.appendChild(sized(h("canvas", "", null, { "data-step": t }), cw, ch));
      strip.appendChild(col);
      return { t, x, y, tg, cv, text: ["", "", ""], cls: "" };
    });
    // The heatmaps: 1 to 3 columns, whichever gives the largest cells.
    const keys = this.mapList(), capH = 17, used = 18 + 2 + 13 + 3 * rowH + hwH + 4 + 8;
    const availH = s.paneH - used - 4;
    let L = null;
    for (let c = 1; c <= Math.min(3, keys.length); c++) {
      const r = Math.ceil(keys.length / c), mw = Math.floor((s.mainW - 12 * (c - 1)) / c), mh = Math.floor((availH - 6 * (r - 1)) / r) - capH;
      const score = Math.min(mw / T, Math.min(mh, H * 12) / H);
      if (mh >= 8 && (!L || score > L.score * 1.15)) L = { c, r, mw, mh: Math.min(mh, Math.max(H * 12, 40)), score };
    }
    L = L || { c: 1, mw: s.mainW, mh: 8 };
    const maps = h("div", "nnp-maps");
    maps.style.gridTemplateColumns = `repeat(${L.c}, ${L.mw}px)`;
    this.mapEls = {};
    for (const k of keys) {
      const fig = maps.appendChild(h("figure", "nnp-map")), cap = fig.appendChild(h("div", "nnp-cap"));
      const [name, about, long] = MAP_ABOUT[k] || [k, "", ""];
      cap.append(h("b", "", name), h("i", "", " · " + about), h("span", "nnp-scale"));
      cap.title = `${name}: ${long}\nrows: the ${H} units, columns: the ${T} steps${T > n ? "\nclick: show that step in the strip above" : ""}`;
      const cv = fig.appendChild(sized(h("canvas", "", null, { "data-map": k }), L.mw, L.mh));
      const win = T > n && k === "hidden" ? fig.appendChild(h("div", "nnp-win")) : null;
      this.mapEls[k] = { cv, scale: cap.querySelector(".nnp-scale"), win, buf: new Uint8Array(T * H) };
    }
    this.mapGeom = { w: L.mw, h: L.mh, capH };
    pane.replaceChildren(head, strip, maps);
    this.placeWindow();
  }

  // The steps the strip shows, outlined on the hidden state's map.
  placeWindow() {
    const m = this.mapEls && this.mapEls.hidden, S = this.scene, T = S.length, st = this.stripShown || [];
    if (!m || !m.win) return;
    const a = st[st.length - 1] - (st.filter((t) => t > 0).length) + 1, b = st[st.length - 1], g = this.mapGeom;
    Object.assign(m.win.style, { left: px(a / T * g.w - 1), width: px((b - a + 1) / T * g.w + 2), top: px(g.capH - 1), height: px(g.h + 2) });
  }

  drawUnrolled(f) {
    const S = this.scene, T = S.length, st = this.stripShown || [], title = this.q(".nnp-un-title");
    const last = st[st.length - 1] + 1, cut = T > st.length, range = cut ? `steps ${st.includes(-1) ? `1, ${st[2] + 1}–${last}` : `1–${last}`} of ${T}` : `${T} steps`;
    const more = (f ? ` · test sequence ${f.chosen}` : " · waiting for the first frame") + (cut ? " · click a map for other steps" : "");
    if (title.textContent !== range + more) { title.firstChild.textContent = range; title.lastChild.textContent = more; title.title = range + more; }
    if (!f || !this.dec) return;
    const d = this.dec, H = d.H, P = this.pal, cls = S.task.kind === "classification", per = S.task.per_step;
    const tok = (i) => tokText(S.tokens[i] !== undefined ? S.tokens[i] : i), cname = (i) => tokText(S.classes[i] !== undefined ? S.classes[i] : i);
    const g = this.grid, hb = d.maps.hidden.bytes, cells = new Uint16Array(g.gc * g.gr);
    for (const sl of this.slots) {
      if (sl.t < 0) continue;
      const t = sl.t;
      if (t < d.T && H) {
        cells.fill(256);
        for (let j = 0; j < H; j++) cells[j] = hb[t * H + j];
        indexImage(sl.cv, cells, 0, g.gc, g.gr, P.divPad);
      }
      const xin = f.input ? f.input[t] : null;
      const tx = xin === null || xin === undefined ? "" : S.task.tokens ? tok(xin) : short(xin);
      const oi = per ? t : t === T - 1 ? 0 : -1, out = oi >= 0 && f.output ? f.output[oi] : undefined, tgv = oi >= 0 && f.target ? f.target[oi] : undefined;
      let ty = "", tt = "", c = "";
      if (out !== undefined) {
        if (cls) { const k = argmax(out); ty = cname(k); c = k === tgv ? "ok" : "bad"; }
        else ty = short(out);
      }
      if (tgv !== undefined) tt = cls ? cname(tgv) : short(tgv);
      if (sl.text[0] !== tx) sl.x.textContent = sl.text[0] = tx;
      if (sl.text[1] !== ty) sl.y.textContent = sl.text[1] = ty;
      if (sl.text[2] !== tt) sl.tg.textContent = sl.text[2] = tt;
      if (sl.cls !== c) { sl.y.className = "nnp-y " + c; sl.cls = c; }
    }
    // The unit × step maps: rows units, columns steps (the bytes come [t][h]: transposed here).
    for (const k in this.mapEls) {
      const m = this.mapEls[k], src = d.maps[k];
      if (!src || !d.T) continue;
      const buf = m.buf.length === d.T * H ? m.buf : (m.buf = new Uint8Array(d.T * H)), b = src.bytes;
      for (let t = 0; t < d.T; t++) for (let j = 0; j < H; j++) buf[j * d.T + t] = b[t * H + j];
      indexImage(m.cv, buf, 0, d.T, H, src.gate ? P.unit : P.div);
      const sc = src.gate ? "" : ` · ±${sig(src.scale)}`;
      if (m.scale.textContent !== sc) m.scale.textContent = sc;
    }
  }

  // Which step and unit a mouse event is over, on a map or a step's grid.
  unrolledPoint(e) {
    const cv = e.target;
    if (!(cv instanceof HTMLCanvasElement) || !this.dec) return null;
    const u = e.offsetX / cv.offsetWidth, v = e.offsetY / cv.offsetHeight, d = this.dec;
    if (u < 0 || u >= 1 || v < 0 || v >= 1) return null;
    if (cv.dataset.map) return { key: cv.dataset.map, t: Math.floor(u * d.T), j: Math.floor(v * d.H) };
    if (cv.dataset.step !== undefined) {
      const g = this.grid, j = Math.floor(v * g.gr) * g.gc + Math.floor(u * g.gc);
      return j < d.H ? { key: "hidden", t: +cv.dataset.step, j } : null;
    }
    return null;
  }

  hoverUnrolled(e) {
    const p = this.unrolledPoint(e);
    if (p) {
      const name = (MAP_ABOUT[p.key] || [p.key])[0];
      this.showTip(e, `step ${p.t + 1} · unit ${p.j} · ${sig(this.value(p.key, p.t, p.j))}\n${name}`);
      return;
    }
    const col = e.target instanceof Element && e.target.closest(".nnp-step[data-step]");
    if (col && this.current) this.showTip(e, this.stepText(+col.dataset.step));
    else this.tip.hidden = true;
  }

  // One step in words: input, output, target (and the top classes).
  stepText(t) {
    const S = this.scene, f = this.current, cls = S.task.kind === "classification", per = S.task.per_step;
    const tok = (i) => tokText(S.tokens[i] !== undefined ? S.tokens[i] : i), cname = (i) => tokText(S.classes[i] !== undefined ? S.classes[i] : i);
    const lines = [`step ${t + 1} of ${S.length}`, `input ${f.input ? (S.task.tokens ? tok(f.input[t]) : sig(f.input[t])) : "–"}`];
    const oi = per ? t : t === S.length - 1 ? 0 : -1;
    if (oi < 0) { lines.push("no output at this step: the network answers at the last one"); return lines.join("\n"); }
    const out = f.output && f.output[oi], tg = f.target && f.target[oi];
    if (cls && out) {
      const top = out.map((p, k) => [p, k]).sort((a, b) => b[0] - a[0]).slice(0, 3);
      lines.push(`target ${cname(tg)} · p ${pct(out[tg] || 0)}`, "top: " + top.map(([p, k]) => `${cname(k)} ${pct(p)}`).join(", "));
    } else if (out !== undefined) lines.push(`output ${sig(out)} · target ${sig(tg)} · error ${sig(out - tg)}`);
    return lines.join("\n");
  }

  // A click on a map moves the strip's window to that step (when it cannot show them all).
  clickMap(e) {
    const p = this.unrolledPoint(e), T = this.scene.length, st = this.stripShown || [];
    if (!p || e.target.dataset.map === undefined || T <= st.filter((t) => t >= 0).length) return;
    const k = st.filter((t) => t > 0).length;
    this.stripEnd = clamp(p.t + Math.floor(k / 2), k, T - 1);
    if (this.stripEnd === T - 1) this.stripEnd = null;
    this.sz = null;
    this.redraw();
  }

  // ---- gradients: ‖∂L/∂h_t‖ per step, log scale ----------------------------------------
  drawGrad(f) {
    const s = this.sz, P = this.pal, g = (f && f.grad) || [], T = g.length, W = s.mainW;
    const showRatio = this.ratios.length >= 2, ratioH = showRatio ? Math.round(clamp(s.paneH * 0.24, 70, 200)) : 0;
    const hh = Math.max(110, s.paneH - 18 - 34 - (s.noteH || 48) - (showRatio ? ratioH + 22 : 0) - 4);
    setHtml(this.q(".nnp-grad-title"), `‖∂L/∂h<sub>t</sub>‖ at each step t <i>· how strongly the loss depends on the hidden state at step t${f ? ` · test sequence ${esc(f.chosen)}` : ""}</i>`);
    const ctx = setupCanvas(this.q(".nnp-grad"), W, hh);
    const l = 46, r = 8, t0 = 8, b = 22, pw = W - l - r, ph = hh - t0 - b;
    this.gradGeom = { l, pw, T };
    ctx.font = "12px sans-serif"; ctx.textBaseline = "middle";
    ctx.strokeStyle = P.line; ctx.lineWidth = 1; ctx.strokeRect(l + 0.5, t0 + 0.5, pw, ph);
    const pos = g.filter((v) => v !== null && isFinite(v) && v > 0);
    if (!pos.length) {
      ctx.fillStyle = P.text; ctx.textAlign = "center"; ctx.fillText(T ? "no gradient (all zero)" : "waiting for the first frame", l + pw / 2, t0 + ph / 2);
      setHtml(this.q(".nnp-grad-ratio"), ""); this.drawRatioChart(showRatio, W, ratioH);
      return;
    }
    let lo = Math.floor(Math.log10(Math.min(...pos))), hi = Math.ceil(Math.log10(Math.max(...pos)));
    if (hi - lo < 2) { lo -= 1; hi = Math.max(hi, lo + 2); }
    const y = (v) => t0 + (hi - Math.log10(v)) / (hi - lo) * ph, every = Math.ceil((hi - lo + 1) / Math.max(2, Math.floor(ph / 22)));
    ctx.textAlign = "right";
    for (let k = lo; k <= hi; k++) {
      const yy = Math.round(y(Math.pow(10, k))) + 0.5;
      ctx.strokeStyle = P.grid; ctx.beginPath(); ctx.moveTo(l + 1, yy); ctx.lineTo(l + pw, yy); ctx.stroke();
      if ((k - lo) % every === 0) { ctx.fillStyle = P.text; ctx.fillText(decade(k), l - 5, yy); }
    }
    const bw = pw / T, gap = bw > 6 ? Math.min(3, bw * 0.2) : 0, base = t0 + ph;
    for (let i = 0; i < T; i++) {
      const v = g[i], x = l + i * bw + gap / 2;
      if (v === null || !isFinite(v)) { ctx.fillStyle = P.accent; ctx.fillRect(x, t0, Math.max(1, bw - gap), ph); continue; }
      if (!(v > 0)) continue;
      const yy = y(v);
      ctx.fillStyle = rgb(P.acc); ctx.fillRect(x, yy, Math.max(1, bw - gap), base - yy);
    }
    ctx.fillStyle = P.text; ctx.textBaseline = "alphabetic";
    const placed = [];
    for (const v of [1, T, ...ticks(1, T, Math.max(2, Math.floor(pw / 60)))]) {
      const x = l + (v - 0.5) * bw;
      if (!Number.isInteger(v) || v < 1 || v > T || placed.some((p) => Math.abs(p - x) < 26)) continue;
      placed.push(x);
      ctx.textAlign = "center"; ctx.fillText(String(v), x, hh - 6);
    }
    ctx.textAlign = "right"; ctx.fillText("step", l - 5, hh - 6);
    const first = g[0], last = g[T - 1], ratio = first > 0 && last > 0 ? first / last : NaN;
    // Per-step losses add up toward the early steps (the first step feeds all T of them): up to
    // about T times the last step's gradient is still level there.
    const per = this.scene.task.per_step, top = per ? 10 * T : 100;
    let verdict = "";
    if (!isFinite(ratio)) verdict = "";
    else if (ratio < 1e-2) verdict = " — vanishing: the first step hardly reaches the loss";
    else if (ratio > top) verdict = " — exploding: the first step sways the loss far more than the last";
    else verdict = per && ratio > 3 ? " — level: the first step feeds every later step's loss" : " — level: the first step still reaches the loss";
    const r0 = this.q(".nnp-grad-ratio");
    const html = `first ÷ last: ‖∂L/∂h<sub>1</sub>‖ ÷ ‖∂L/∂h<sub>${T}</sub>‖ = <b>${esc(sig(ratio))}</b>${verdict}`;
    setHtml(r0, html);
    this.drawRatioChart(showRatio, W, ratioH);
  }

  setGradNote() {
    const S = this.scene, n = this.q(".nnp-grad-note");
    const per = S.task.per_step ? " Here every step has its own loss, so an early step also collects the later steps' gradients."
      : " Here only the last step is scored, so the gradient reaches step t only back through the recurrence.";
    const text = `Backpropagation through time multiplies the gradient by the recurrent weights once per step back: a plain RNN's bars shrink toward the early steps (vanishing) or blow up (exploding); an LSTM's or GRU's gates let it through, so theirs stay more level.${per}`;
    if (n.textContent !== text) n.textContent = text;
  }

  // first ÷ last over training, log scale.
  drawRatioChart(show, W, hh) {
    const cv = this.q(".nnp-ratio"), title = this.q(".nnp-ratio-title");
    cv.hidden = title.hidden = !show;
    if (!show) return;
    const P = this.pal, R = this.ratios, ctx = setupCanvas(cv, W, hh), l = 46, r = 8, t0 = 4, b = 18, pw = W - l - r, ph = hh - t0 - b;
    const x0 = R[0][0], x1 = Math.max(x0 + 1e-9, R[R.length - 1][0]);
    const ls = R.map((p) => Math.log10(p[1]));
    let lo = Math.floor(Math.min(...ls)), hi = Math.ceil(Math.max(...ls));
    if (hi - lo < 1) { lo -= 1; hi += 1; }
    const X = (v) => l + (v - x0) / (x1 - x0) * pw, Y = (v) => t0 + (hi - v) / (hi - lo) * ph;
    ctx.font = "11px sans-serif"; ctx.textBaseline = "middle"; ctx.lineWidth = 1;
    ctx.strokeStyle = P.line; ctx.strokeRect(l + 0.5, t0 + 0.5, pw, ph);
    const every = Math.ceil((hi - lo + 1) / Math.max(2, Math.floor(ph / 16)));
    for (let k = lo; k <= hi; k++) {
      const yy = Math.round(Y(k)) + 0.5;
      ctx.strokeStyle = k === 0 ? P.muted : P.grid; ctx.beginPath(); ctx.moveTo(l + 1, yy); ctx.lineTo(l + pw, yy); ctx.stroke();
      if ((k - lo) % every === 0 || k === 0) { ctx.fillStyle = P.text; ctx.textAlign = "right"; ctx.fillText(decade(k), l - 5, yy); }
    }
    ctx.strokeStyle = rgb(P.acc); ctx.lineWidth = 1.6; ctx.beginPath();
    R.forEach((p, i) => ctx[i ? "lineTo" : "moveTo"](X(p[0]), Y(ls[i])));
    ctx.stroke();
    ctx.fillStyle = P.text; ctx.textBaseline = "alphabetic";
    ctx.textAlign = "left"; ctx.fillText("epoch " + sig(x0), l, hh - 4);
    ctx.textAlign = "right"; ctx.fillText(sig(x1), l + pw, hh - 4);
  }

  hoverGrad(e) {
    const G = this.gradGeom, f = this.current;
    if (!G || !f || !f.grad) { this.tip.hidden = true; return; }
    const i = Math.floor((e.offsetX - G.l) / G.pw * G.T);
    if (i < 0 || i >= G.T) { this.tip.hidden = true; return; }
    this.showTip(e, `step ${i + 1} · ‖∂L/∂h_t‖ = ${sig(f.grad[i])}\n${sig(f.grad[i] / f.grad[G.T - 1])} × the last step's`);
  }

  // ---- predictions -------------------------------------------------------------------
  drawPred(f) {
    const S = this.scene, s = this.sz, title = this.q(".nnp-pred-title"), W = s.mainW, hh = s.paneH - 22;
    const ctx = setupCanvas(this.q(".nnp-pred"), W, hh);
    this.predGeom = null;
    ctx.font = "12px sans-serif"; ctx.textBaseline = "middle";
    if (!f || !f.output) { setHtml(title, "waiting for the first frame"); return; }
    const cls = S.task.kind === "classification";
    if (!cls) this.predLines(ctx, f, W, hh, title);
    else if (S.task.per_step) this.predTokens(ctx, f, W, hh, title);
    else this.predClasses(ctx, f, W, hh, title);
  }

  // Regression: input, target and prediction over the steps (a last-step task: the input over
  // the steps, the target and the prediction as levels at the end).
  predLines(ctx, f, W, hh, title) {
    const S = this.scene, P = this.pal, T = f.input.length, per = S.task.per_step;
    const acc = rgb(P.acc), tgtC = P.loss;
    const series = [["input", f.input, P.muted, [], 1.4]];
    if (per) series.push(["prediction", f.output, acc, [], 2.4], ["target", f.target, tgtC, [5, 3], 1.6]);
    const all = series.flatMap((x) => x[1]).concat(per ? [] : [f.target[0], f.output[0]]).filter((v) => v !== null && isFinite(v));
    let lo = Math.min(0, ...all), hi = Math.max(0, ...all);
    const padv = (hi - lo || 1) * 0.08; lo -= padv; hi += padv;
    const err = per ? Math.sqrt(f.output.reduce((a, v, i) => a + (v - f.target[i]) ** 2, 0) / T) : f.output[0] - f.target[0];
    setHtml(title, per ? `test sequence ${esc(f.chosen)} · input, target and prediction at every step <i>· RMS error ${esc(sig(err))}</i>`
      : `test sequence ${esc(f.chosen)} · the answer comes at the last step <i>· target ${esc(sig(f.target[0]))} · prediction ${esc(sig(f.output[0]))} · error ${esc(sig(err))}</i>`);
    const l = 44, r = per ? 10 : 96, t0 = 24, b = 22, pw = W - l - r, ph = hh - t0 - b;
    const X = (t) => l + (T > 1 ? t / (T - 1) : 0.5) * pw, Y = (v) => t0 + (hi - v) / (hi - lo) * ph;
    this.predGeom = { kind: "lines", l, pw, T };
    ctx.lineWidth = 1; ctx.strokeStyle = P.line; ctx.strokeRect(l + 0.5, t0 + 0.5, pw, ph);
    ctx.font = "12px sans-serif"; ctx.fillStyle = P.text; ctx.textAlign = "right";
    for (const v of ticks(lo, hi, Math.max(2, Math.floor(ph / 40)))) {
      const yy = Math.round(Y(v)) + 0.5;
      ctx.strokeStyle = v === 0 ? P.muted : P.grid; ctx.beginPath(); ctx.moveTo(l + 1, yy); ctx.lineTo(l + pw, yy); ctx.stroke();
      ctx.fillText(sig(v), l - 5, yy);
    }
    ctx.textAlign = "center"; ctx.textBaseline = "alphabetic";
    for (const v of ticks(1, T, Math.max(2, Math.floor(pw / 60)))) if (Number.isInteger(v) && v >= 1) ctx.fillText(String(v), X(v - 1), hh - 6);
    ctx.textAlign = "right"; ctx.fillText("step", l - 5, hh - 6);
    ctx.textBaseline = "middle";
    // Legend.
    let lx = l;
    const legend = series.map((x) => [x[0], x[2], x[3]]);
    if (!per) legend.push(["target", tgtC, [5, 3]], ["prediction", acc, []]);
    for (const [name, color, dash] of legend) {
      ctx.strokeStyle = color; ctx.setLineDash(dash); ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(lx, 10); ctx.lineTo(lx + 18, 10); ctx.stroke();
      ctx.setLineDash([]); ctx.fillStyle = P.text; ctx.textAlign = "left"; ctx.fillText(name, lx + 22, 10);
      lx += 34 + ctx.measureText(name).width;
    }
    for (const [, ys, color, dash, lw] of series) {
      ctx.strokeStyle = color; ctx.setLineDash(dash); ctx.lineWidth = lw; ctx.beginPath();
      let pen = false;
      ys.forEach((v, t) => { const ok = v !== null && isFinite(v); if (ok) ctx[pen ? "lineTo" : "moveTo"](X(t), Y(v)); pen = ok; });
      ctx.stroke();
      ctx.setLineDash([]);
      if (T <= 40) { ctx.fillStyle = color; ys.forEach((v, t) => { if (v !== null && isFinite(v)) { ctx.beginPath(); ctx.arc(X(t), Y(v), 2.2, 0, 7); ctx.fill(); } }); }
    }
    if (!per) {
      // The target and the prediction as levels across the chart, labelled at the right.
      const lines = [[f.output[0], acc, [], "prediction"], [f.target[0], tgtC, [5, 3], "target"]];
      const ys = lines.map((x) => Y(x[0]));
      if (Math.abs(ys[0] - ys[1]) < 14) { const m = (ys[0] + ys[1]) / 2, up = ys[0] <= ys[1] ? -7 : 7; ys[0] = m + up; ys[1] = m - up; }
      lines.forEach(([v, color, dash, name], i) => {
        ctx.strokeStyle = color; ctx.setLineDash(dash); ctx.lineWidth = 1.8;
        ctx.beginPath(); ctx.moveTo(l + 1, Y(v)); ctx.lineTo(l + pw, Y(v)); ctx.stroke(); ctx.setLineDash([]);
        ctx.fillStyle = color; ctx.textAlign = "left"; ctx.fillText(`${name} ${sig(v)}`, l + pw + 6, ys[i]);
      });
      ctx.fillStyle = acc; ctx.beginPath(); ctx.arc(X(T - 1), Y(f.output[0]), 4, 0, 7); ctx.fill();
    }
  }

  // Per-step classes: rows of steps, each with input, target, prediction (wrong ones marked) and
  // the prediction's probability as a bar; when the steps fit one row and the classes are few,
  // every class's probability at every step below (classes × steps, the target outlined).
  predTokens(ctx, f, W, hh, title) {
    const S = this.scene, P = this.pal, T = f.output.length, gut = 58, C = S.classes.length;
    const tok = (i) => tokText(S.tokens[i] !== undefined ? S.tokens[i] : i), cname = (i) => tokText(S.classes[i] !== undefined ? S.classes[i] : i);
    const preds = f.output.map(argmax), right = preds.filter((k, t) => k === f.target[t]).length;
    const meanP = f.output.reduce((a, p, t) => a + (p[f.target[t]] || 0), 0) / T;
    setHtml(title, `test sequence ${esc(f.chosen)} · <b>${right}</b> of ${T} steps right <i>· mean probability of the target ${pct(meanP)} · wrong predictions in red</i>`);
    const maxLen = Math.max(1, ...S.classes.map((c) => tokText(c).length), ...S.tokens.map((c) => tokText(c).length));
    const cw = clamp(Math.floor((W - gut) / T), maxLen === 1 ? 13 : Math.min(40, 10 + 7 * Math.min(maxLen, 4)), 60), perRow = Math.max(1, Math.floor((W - gut) / cw));
    let lineH = 17, barH = 14, gapH = 12;
    const blockH = () => 3 * lineH + barH + gapH;
    let nRows = Math.ceil(T / perRow);
    while (nRows * blockH() > hh && lineH > 13) { lineH--; barH = Math.max(6, barH - 1); gapH = Math.max(5, gapH - 2); }
    const maxRows = Math.max(1, Math.floor(hh / blockH())), first = Math.max(0, T - maxRows * perRow);
    nRows = Math.ceil((T - first) / perRow);
    // The heatmap's rows: every class when few, else those that are a target or a prediction.
    const rows = C <= 12 ? S.classes.map((_, c) => c) : [...new Set([...f.target, ...preds])].sort((a, b) => a - b);
    const heatTop = blockH() + 20, heatRow = nRows === 1 && rows.length <= 40 ? Math.min(18, Math.floor((hh - heatTop - 4) / rows.length)) : 0;
    this.predGeom = { kind: "tokens", gut, cw, perRow, blockH: blockH(), first, T, lineH, heatTop: heatRow >= 5 ? heatTop : 1e9, heatRow, rows };
    const font = `${lineH >= 16 ? 13 : 12}px sans-serif`, acc = rgb(P.acc), bad = P.accent, okC = rgb(P.ok);
    ctx.textBaseline = "middle";
    for (let r = 0; r < nRows; r++) {
      const y0 = r * blockH(), a = first + r * perRow, b = Math.min(T, a + perRow);
      ctx.font = "11px sans-serif"; ctx.fillStyle = P.muted; ctx.textAlign = "left";
      ["input", "target", "predicted"].forEach((name, i) => ctx.fillText(name, 0, y0 + (i + 0.5) * lineH));
      ctx.fillText(`p · ${a + 1}–${b}`, 0, y0 + 3 * lineH + barH / 2);
      ctx.font = font; ctx.textAlign = "center";
      for (let t = a; t < b; t++) {
        const x = gut + (t - a) * cw, cx = x + cw / 2, k = preds[t], ok = k === f.target[t], p = f.output[t][k] || 0;
        ctx.fillStyle = P.muted; ctx.fillText(tok(f.input[t]), cx, y0 + 0.5 * lineH);
        ctx.fillStyle = P.text; ctx.fillText(cname(f.target[t]), cx, y0 + 1.5 * lineH);
        if (!ok) { ctx.fillStyle = `rgba(${parseColor(bad).join(",")},0.16)`; ctx.fillRect(x + 1, y0 + 2 * lineH + 1, cw - 2, lineH - 2); }
        ctx.fillStyle = ok ? okC : bad; ctx.fillText(cname(k), cx, y0 + 2.5 * lineH);
        ctx.fillStyle = P.grid; ctx.fillRect(x + 2, y0 + 3 * lineH + 1, cw - 4, barH - 2);
        ctx.fillStyle = ok ? acc : bad; ctx.fillRect(x + 2, y0 + 3 * lineH + 1 + (barH - 2) * (1 - p), cw - 4, (barH - 2) * p);
      }
    }
    if (first > 0) { ctx.fillStyle = P.muted; ctx.textAlign = "right"; ctx.font = "11px sans-serif"; ctx.fillText(`steps 1–${first} left out`, W - 2, hh - 6); }
    if (heatRow < 5) return;
    ctx.font = "600 12px sans-serif"; ctx.fillStyle = P.text; ctx.textAlign = "left";
    const what = C <= 12 ? "probability of every class at every step" : "probability of each class that is a target or a prediction";
    ctx.fillText(what, 0, heatTop - 10);
    const w0 = ctx.measureText(what).width;
    ctx.font = "12px sans-serif"; ctx.fillStyle = P.muted; ctx.fillText(" · the target outlined", w0, heatTop - 10);
    ctx.font = `${clamp(heatRow - 3, 9, 12)}px sans-serif`;
    rows.forEach((c, r) => {
      const y = heatTop + r * heatRow;
      ctx.fillStyle = P.muted; ctx.textAlign = "right"; ctx.fillText(cname(c), gut - 6, y + heatRow / 2);
      for (let t = 0; t < T; t++) {
        ctx.fillStyle = rgb(P.unit[Math.round(255 * clamp(f.output[t][c] || 0, 0, 1))]);
        ctx.fillRect(gut + t * cw + 1, y, cw - 2, heatRow - 1);
      }
    });
    ctx.strokeStyle = P.text; ctx.lineWidth = 1.5;
    for (let t = 0; t < T; t++) ctx.strokeRect(gut + t * cw + 1.5, heatTop + rows.indexOf(f.target[t]) * heatRow + 0.5, cw - 3, heatRow - 2);
  }

  // A last-step class: the input (and for parentheses its running depth), then every class's
  // probability, the target marked.
  predClasses(ctx, f, W, hh, title) {
    const S = this.scene, P = this.pal, T = f.input.length, p = f.output[0] || [], tg = f.target[0], k = argmax(p), ok = k === tg;
    const tok = (i) => tokText(S.tokens[i] !== undefined ? S.tokens[i] : i), cname = (i) => tokText(S.classes[i] !== undefined ? S.classes[i] : i);
    setHtml(title, `test sequence ${esc(f.chosen)} · ${ok ? "right" : "wrong"} <i>· target ${esc(cname(tg))} · predicted ${esc(cname(k))} ${pct(p[k] || 0)} · the answer comes at the last step</i>`);
    const cw = clamp(Math.floor((W - 58) / T), 10, 36), okC = rgb(P.ok), acc = rgb(P.acc);
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    ctx.font = "11px sans-serif"; ctx.fillStyle = P.muted; ctx.textAlign = "left"; ctx.fillText("input", 0, 12);
    ctx.font = "15px ui-monospace, Menlo, Consolas, monospace"; ctx.textAlign = "center";
    for (let t = 0; t < T; t++) { ctx.fillStyle = P.text; ctx.fillText(tok(f.input[t]), 58 + (t + 0.5) * cw, 12); }
    let y = 28;
    this.predGeom = { kind: "classes", gut: 58, cw, T };
    const parens = S.tokens.length === 2 && S.tokens[0] === "(" && S.tokens[1] === ")";
    const barsN = Math.min(S.classes.length, 12), rowH = clamp(Math.floor((hh - y - (parens ? 130 : 0) - 24) / barsN), 16, 30);
    if (parens) {
      // The running depth: +1 for "(", −1 for ")"; balanced = never below 0 and back to 0 at the end.
      const depth = [], dh = Math.round(clamp(hh - y - barsN * rowH - 36, 70, 180));
      let dd = 0;
      for (let t = 0; t < T; t++) { dd += f.input[t] === 0 ? 1 : -1; depth.push(dd); }
      const lo = Math.min(0, ...depth), hi = Math.max(1, ...depth), Y = (v) => y + 6 + (hi - v) / (hi - lo) * (dh - 12), X = (t) => 58 + (t + 0.5) * cw;
      ctx.font = "11px sans-serif"; ctx.fillStyle = P.muted; ctx.textAlign = "left"; ctx.fillText("depth", 0, y + dh / 2);
      ctx.strokeStyle = P.muted; ctx.lineWidth = 1; ctx.setLineDash([3, 3]);
      ctx.beginPath(); ctx.moveTo(58, Y(0)); ctx.lineTo(58 + T * cw, Y(0)); ctx.stroke(); ctx.setLineDash([]);
      ctx.fillText("0", 58 + T * cw + 4, Y(0));
      ctx.strokeStyle = acc; ctx.lineWidth = 2; ctx.beginPath();
      depth.forEach((v, t) => ctx[t ? "lineTo" : "moveTo"](X(t), Y(v)));
      ctx.stroke();
      depth.forEach((v, t) => { ctx.fillStyle = v < 0 ? P.accent : acc; ctx.beginPath(); ctx.arc(X(t), Y(v), v < 0 ? 3.5 : 2.5, 0, 7); ctx.fill(); });
      const below = depth.some((v) => v < 0), end = depth[T - 1];
      ctx.fillStyle = P.text; ctx.textAlign = "left"; ctx.font = "12px sans-serif";
      const why = below ? "goes below 0: a “)” with no “(” to close" : end !== 0 ? `ends at depth ${end}: ${end} “(” left open` : "never below 0 and back to 0: balanced";
      ctx.fillText(`running depth · ${why}`, 58, y + dh + 8);
      y += dh + 24;
    }
    // Class probabilities, most likely first; the target underlined.
    const order = p.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, barsN);
    ctx.font = "600 12px sans-serif";
    const labW = Math.min(180, 16 + Math.max(...order.map(([, i]) => ctx.measureText(cname(i) + (i === tg ? "  ← target" : "")).width))), bx = 58 + labW, bw = Math.max(60, W - bx - 60);
    ctx.font = "11px sans-serif"; ctx.fillStyle = P.muted; ctx.textAlign = "left"; ctx.fillText("p(class)", 0, y + rowH / 2);
    order.forEach(([v, i], r) => {
      const yy = y + r * rowH, isT = i === tg, top = r === 0;
      ctx.font = `${top ? "600 " : ""}12px sans-serif`; ctx.fillStyle = P.text; ctx.textAlign = "left";
      ctx.fillText(cname(i) + (isT ? "  ← target" : ""), 58, yy + rowH / 2);
      ctx.fillStyle = P.grid; ctx.fillRect(bx, yy + 3, bw, rowH - 6);
      ctx.fillStyle = isT ? okC : top ? P.accent : acc; ctx.fillRect(bx, yy + 3, bw * v, rowH - 6);
      ctx.fillStyle = P.text; ctx.textAlign = "right"; ctx.fillText(pct(v), bx + bw + 52, yy + rowH / 2);
    });
    ctx.font = "11px sans-serif"; ctx.fillStyle = P.muted; ctx.textAlign = "left";
    ctx.fillText("green: the target's probability; red: a wrong class on top", bx, y + order.length * rowH + 10);
  }

  hoverPred(e) {
    const G = this.predGeom, f = this.current;
    if (!G || !f) { this.tip.hidden = true; return; }
    let t = -1;
    if (G.kind === "lines") t = Math.round((e.offsetX - G.l) / G.pw * (G.T - 1));
    else if (G.kind === "tokens") {
      const c = Math.floor((e.offsetX - G.gut) / G.cw), r = Math.floor(e.offsetY / G.blockH);
      if (e.offsetY >= G.heatTop) {
        const r = Math.floor((e.offsetY - G.heatTop) / G.heatRow), k = G.rows[r], S = this.scene;
        if (c < 0 || c >= G.T || k === undefined) { this.tip.hidden = true; return; }
        this.showTip(e, `step ${c + 1} · class ${tokText(S.classes[k])} · p ${pct(f.output[c][k] || 0)}${k === f.target[c] ? " · the target" : ""}`);
        return;
      }
      if (c >= 0 && c < G.perRow) t = G.first + r * G.perRow + c;
    } else if (e.offsetY < 24) t = Math.floor((e.offsetX - G.gut) / G.cw);
    if (t < 0 || t >= G.T) { this.tip.hidden = true; return; }
    this.showTip(e, this.stepText(t));
  }

  // Plain text only, lines split on "\n"; kept inside the view's box.
  showTip(e, text) {
    const r = this.el.getBoundingClientRect();
    this.tip.textContent = text; this.tip.hidden = false;
    this.tip.style.left = px(Math.max(0, Math.min(e.clientX - r.left + 14, r.width - this.tip.offsetWidth - 4)));
    this.tip.style.top = px(Math.min(e.clientY - r.top + 14, r.height - this.tip.offsetHeight - 4));
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let view = parentElement.__nnpView;
  if (!view) view = parentElement.__nnpView = new RecurrentView(parentElement, "nnp-rec", CSS);
  window.__nnpRecurrent = view;
  if (data) view.receive(data, setTriggerValue);
}
